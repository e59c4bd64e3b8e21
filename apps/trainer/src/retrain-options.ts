/** Command-line options of `npm run retrain`, validated into the queue's RetrainOptions. */
import { parseArgs } from 'node:util';
import { type RetrainOptions, RetrainOptionsSchema } from '@inkling/protocol';
import { CliUsageError } from './train-options.js';

export const RETRAIN_USAGE = `usage: npm run retrain -- [options]
  --epochs N          epochs (default 3)
  --mode MODE         fine-tune (from the served model, default) or scratch
  --user-share X      share of user-labelled drawings in each epoch, 0–0.9 (default 0.2)
  --seed N            random seed (default 1)
  --mnist-limit N     use only the first N MNIST training images (default: all 60,000)
  --lr X              peak learning rate (default 0.0003 fine-tuning, 0.003 from scratch)
  --help              show this help
Uses DATABASE_URL / REDIS_URL / REDIS_PREFIX (or the services of a running \`npm start\`), enqueues a job on
the training queue (refused while another runs), shows its progress, and prints the gate's decision. When no
trainer process is running, this command trains the job itself.`;

function rawArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        epochs: { type: 'string' },
        mode: { type: 'string' },
        'user-share': { type: 'string' },
        seed: { type: 'string' },
        'mnist-limit': { type: 'string' },
        lr: { type: 'string' },
      },
    }).values;
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message}\n${RETRAIN_USAGE}`);
  }
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

export function parseRetrainArgs(argv: string[]): RetrainOptions {
  const v = rawArgs(argv);
  const parsed = RetrainOptionsSchema.safeParse({
    epochs: num(v.epochs),
    mode: v.mode,
    userShare: num(v['user-share']),
    seed: num(v.seed),
    mnistLimit: num(v['mnist-limit']),
    learningRate: num(v.lr),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliUsageError(`invalid ${String(issue?.path[0] ?? 'option')}: ${issue?.message}\n${RETRAIN_USAGE}`);
  }
  return parsed.data;
}
