/** Command-line options of `npm run eval`. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CliUsageError } from './train-options.js';

export const EVAL_USAGE = `usage: npm run eval -- <model-folder> [options]
  --limit N          evaluate only the first N MNIST test images (default: all 10,000)
  --backend NAME     force wasm|cpu|tensorflow
  --pen              also measure the held-out pen writers through the live path (segmentation, preprocessing,
                     the served inference graph): digits, numbers, non-digits, calibration, segmentation
  --numbers N        numbers of 2–4 held-out digits to read with --pen (default 1000)
  --non-digits N     generated non-digits to show with --pen (default 1000)
  --pairs N          digit pairs per gap for the segmentation measurement with --pen (default 200)
  --pen-width-px W   with --pen, preprocess at inference with a W px pen (0.5–8) instead of the model's own
                     (its metadata's input.penWidthPx, else 3.2 px), to compare widths; not with --record
  --record           write the --pen figures into the folder's metadata.json (metrics.pen)
  --help             show this help`;

const EvalOptionsSchema = z.object({
  folder: z.string().min(1),
  limit: z.coerce.number().int().min(1).max(10000).optional(),
  backend: z.enum(['wasm', 'cpu', 'tensorflow']).optional(),
  pen: z.boolean().default(false),
  numbers: z.coerce.number().int().min(0).max(100_000).default(1000),
  nonDigits: z.coerce.number().int().min(0).max(100_000).default(1000),
  pairs: z.coerce.number().int().min(0).max(100_000).default(200),
  /** Inference pen width for the --pen measurement; absent: the model's own. */
  penWidthPx: z.coerce.number().min(0.5).max(8).optional(),
  record: z.boolean().default(false),
});
export type EvalOptions = z.infer<typeof EvalOptionsSchema>;

function rawArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        limit: { type: 'string' },
        backend: { type: 'string' },
        pen: { type: 'boolean' },
        numbers: { type: 'string' },
        'non-digits': { type: 'string' },
        pairs: { type: 'string' },
        'pen-width-px': { type: 'string' },
        record: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message}\n${EVAL_USAGE}`);
  }
}

/** Command-line spelling of the options whose schema key differs. */
const FLAG_NAMES: Record<string, string> = { nonDigits: 'non-digits', penWidthPx: 'pen-width-px' };

export function parseEvalArgs(argv: string[]): EvalOptions {
  const parsed = rawArgs(argv);
  if (parsed.positionals.length !== 1) {
    throw new CliUsageError(`expected exactly one model folder, got ${parsed.positionals.length}\n${EVAL_USAGE}`);
  }
  const { 'non-digits': nonDigits, 'pen-width-px': penWidthPx, ...values } = parsed.values;
  const result = EvalOptionsSchema.safeParse({ folder: parsed.positionals[0], ...values, nonDigits, penWidthPx });
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    throw new CliUsageError(`invalid --${FLAG_NAMES[key] ?? key}: ${issue?.message}\n${EVAL_USAGE}`);
  }
  if (result.data.record && !result.data.pen) throw new CliUsageError(`--record needs --pen\n${EVAL_USAGE}`);
  if (result.data.penWidthPx !== undefined && !result.data.pen) throw new CliUsageError(`--pen-width-px needs --pen\n${EVAL_USAGE}`);
  // The recorded pen figures describe the model as served, with the shipped preprocessing.
  if (result.data.penWidthPx !== undefined && result.data.record) {
    throw new CliUsageError(`--pen-width-px cannot be --record-ed: metadata holds the figures of the shipped preprocessing\n${EVAL_USAGE}`);
  }
  return result.data;
}
