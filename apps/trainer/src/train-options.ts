/** Command-line options of `npm run train`, validated with zod; a bad flag is a clear error, not a crash. */
import { parseArgs } from 'node:util';
import { ModelVersionSchema } from '@inkling/protocol';
import { z } from 'zod';

export class CliUsageError extends Error {
  readonly code = 'CLI_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

const intList = z
  .string()
  .regex(/^\d+(,\d+){2}$/, 'expected three comma-separated integers, e.g. 16,32,64')
  .transform((s) => s.split(',').map(Number) as [number, number, number]);

export const TrainOptionsSchema = z.object({
  out: z.string().min(1),
  epochs: z.coerce.number().int().min(1).max(200),
  batchSize: z.coerce.number().int().min(8).max(1024),
  learningRate: z.coerce.number().positive().max(1),
  seed: z.coerce.number().int().min(0),
  filters: intList,
  denseUnits: z.coerce.number().int().min(16).max(1024),
  dropout: z.coerce.number().min(0).max(0.9),
  augment: z.boolean(),
  trainLimit: z.coerce.number().int().min(1).max(60000).optional(),
  targetAccuracy: z.coerce.number().min(0).max(1).optional(),
  version: ModelVersionSchema.optional(),
  backend: z.enum(['wasm', 'cpu', 'tensorflow']).optional(),
});
export type TrainOptions = z.infer<typeof TrainOptionsSchema>;

export const TRAIN_USAGE = `usage: npm run train -- [options]
  --out DIR             model folder to write (default models/candidate)
  --epochs N            epochs over the training set (default 14)
  --batch-size N        mini-batch size (default 128)
  --lr X                peak learning rate of Adam (default 0.003)
  --seed N              random seed (default 1)
  --filters A,B,C       filters of the three conv blocks (default 16,32,64)
  --dense N             units of the dense layer (default 128)
  --dropout X           dropout before the output (default 0.3)
  --no-augment          train on the images as they are
  --train-limit N       use only the first N training images
  --target-accuracy X   stop after the first epoch whose MNIST test accuracy reaches X (0–1)
  --version NAME        model version (default: timestamp)
  --backend NAME        force wasm|cpu|tensorflow`;

export function parseTrainArgs(argv: string[]): TrainOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        out: { type: 'string', default: 'models/candidate' },
        epochs: { type: 'string', default: '14' },
        'batch-size': { type: 'string', default: '128' },
        lr: { type: 'string', default: '0.003' },
        seed: { type: 'string', default: '1' },
        filters: { type: 'string', default: '16,32,64' },
        dense: { type: 'string', default: '128' },
        dropout: { type: 'string', default: '0.3' },
        'no-augment': { type: 'boolean', default: false },
        'train-limit': { type: 'string' },
        'target-accuracy': { type: 'string' },
        version: { type: 'string' },
        backend: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message}\n${TRAIN_USAGE}`);
  }
  const parsed = TrainOptionsSchema.safeParse({
    out: values.out,
    epochs: values.epochs,
    batchSize: values['batch-size'],
    learningRate: values.lr,
    seed: values.seed,
    filters: values.filters,
    denseUnits: values.dense,
    dropout: values.dropout,
    augment: !values['no-augment'],
    trainLimit: values['train-limit'],
    targetAccuracy: values['target-accuracy'],
    version: values.version,
    backend: values.backend,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliUsageError(`invalid --${String(issue?.path[0] ?? '')}: ${issue?.message}\n${TRAIN_USAGE}`);
  }
  return parsed.data;
}
