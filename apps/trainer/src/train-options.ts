/** Command-line options of `npm run train`, validated with zod; a bad flag is a clear error, not a crash. */
import { parseArgs } from 'node:util';
import { ModelVersionSchema } from '@inkling/protocol';
import { z } from 'zod';
import { NON_DIGIT_KINDS, type NonDigitKind, TRAINED_NON_DIGIT_KINDS } from './non-digits.js';

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

/**
 * Parses `<folder> --flag value …` (string flags, kebab case) against `schema`, whose keys are the flags in camel
 * case plus `folder`. A flag it does not know, a missing or second folder, or a value the schema refuses is a
 * CliUsageError that names the flag and shows `usage`.
 */
export function parseFolderCommand<T>(
  argv: string[],
  flags: readonly string[],
  schema: z.ZodType<T>,
  usage: string,
  folderName = 'model folder',
): T {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }])),
    });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message}\n${usage}`);
  }
  if (parsed.positionals.length !== 1) throw new CliUsageError(`expected exactly one ${folderName}\n${usage}`);
  const input: Record<string, unknown> = { folder: parsed.positionals[0] };
  for (const [flag, value] of Object.entries(parsed.values)) input[flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const flag = String(issue?.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new CliUsageError(`invalid --${flag}: ${issue?.message}\n${usage}`);
  }
  return result.data;
}

export const TrainOptionsSchema = z
  .object({
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
    from: z.string().min(1).optional(),
    penShare: z.coerce.number().min(0).max(0.9),
    nonDigitShare: z.coerce.number().min(0).max(0.5),
    penWidth: z
      .string()
      .regex(/^\d+(\.\d+)?,\d+(\.\d+)?$/, 'expected two comma-separated widths in px, e.g. 1.4,2.8')
      .transform((s) => s.split(',').map(Number) as [number, number])
      .refine(([a, b]) => a > 0 && a <= b && b <= 6, 'widths must satisfy 0 < min ≤ max ≤ 6'),
    epochImages: z.coerce.number().int().min(64).max(10_000_000).optional(),
    checkpoints: z.boolean(),
    freeze: z.coerce.number().int().min(0).max(3),
    distill: z.string().min(1).optional(),
    distillWeight: z.coerce.number().min(0).max(1),
    nonDigitKinds: z
      .string()
      .transform((s) => s.split(','))
      .refine(
        (kinds) => kinds.every((k) => (NON_DIGIT_KINDS as readonly string[]).includes(k)),
        `expected kinds among ${NON_DIGIT_KINDS.join(',')}`,
      )
      .transform((kinds) => [...new Set(kinds)] as NonDigitKind[]),
  })
  .refine((o) => o.penShare + o.nonDigitShare < 1, { message: 'pen and non-digit shares must leave room for MNIST', path: ['pen-share'] });
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
  --backend NAME        force wasm|cpu|tensorflow
  --from DIR            fine-tune this model folder (its architecture; 10 → 11 classes when non-digits are trained)
  --pen-share X         share of each batch drawn from the pen training writers (default 0: MNIST only)
  --non-digit-share X   share of each batch of synthetic non-digits; > 0 adds the "not a digit" class (default 0)
  --pen-width A,B       pen widths in px drawn for rendered drawings (default 1.4,2.8)
  --epoch-images N      images per epoch when mixing (default: MNIST training images / MNIST share)
  --checkpoints         also write the model after every epoch to <out>.epoch-N
  --freeze N            keep the first N conv blocks (conv + BatchNorm) fixed: cheaper steps, MNIST features kept (default 0)
  --distill DIR         keep MNIST answers close to this model's (learning without forgetting) while fine-tuning
  --distill-weight X    share of the MNIST rows' target taken from the --distill model (default 0.5)
  --non-digit-kinds K,… kinds of synthetic non-digits to train on (default: all but dot — the live path answers
                        specks by their size, see isSpeck)`;

/** Option keys whose flag is not simply the key in kebab case. */
const FLAG_NAMES: Record<string, string> = { learningRate: 'lr', denseUnits: 'dense', augment: 'no-augment' };

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
        from: { type: 'string' },
        'pen-share': { type: 'string', default: '0' },
        'non-digit-share': { type: 'string', default: '0' },
        'pen-width': { type: 'string', default: '1.4,2.8' },
        'epoch-images': { type: 'string' },
        checkpoints: { type: 'boolean', default: false },
        freeze: { type: 'string', default: '0' },
        distill: { type: 'string' },
        'distill-weight': { type: 'string', default: '0.5' },
        'non-digit-kinds': { type: 'string', default: TRAINED_NON_DIGIT_KINDS.join(',') },
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
    from: values.from,
    penShare: values['pen-share'],
    nonDigitShare: values['non-digit-share'],
    penWidth: values['pen-width'],
    epochImages: values['epoch-images'],
    checkpoints: values.checkpoints,
    freeze: values.freeze,
    distill: values.distill,
    distillWeight: values['distill-weight'],
    nonDigitKinds: values['non-digit-kinds'],
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    const flag = FLAG_NAMES[key] ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new CliUsageError(`invalid --${flag}: ${issue?.message}\n${TRAIN_USAGE}`);
  }
  return parsed.data;
}
