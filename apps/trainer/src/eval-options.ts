/** Command-line options of `npm run eval`. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CliUsageError } from './train-options.js';

export const EVAL_USAGE = `usage: npm run eval -- <model-folder> [options]
  --limit N          evaluate only the first N MNIST test images (default: all 10,000)
  --backend NAME     force wasm|cpu|tensorflow
  --help             show this help`;

const EvalOptionsSchema = z.object({
  folder: z.string().min(1),
  limit: z.coerce.number().int().min(1).max(10000).optional(),
  backend: z.enum(['wasm', 'cpu', 'tensorflow']).optional(),
});
export type EvalOptions = z.infer<typeof EvalOptionsSchema>;

function rawArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { limit: { type: 'string' }, backend: { type: 'string' } },
    });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message}\n${EVAL_USAGE}`);
  }
}

export function parseEvalArgs(argv: string[]): EvalOptions {
  const parsed = rawArgs(argv);
  if (parsed.positionals.length !== 1) {
    throw new CliUsageError(`expected exactly one model folder, got ${parsed.positionals.length}\n${EVAL_USAGE}`);
  }
  const result = EvalOptionsSchema.safeParse({ folder: parsed.positionals[0], ...parsed.values });
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CliUsageError(`invalid --${String(issue?.path[0] ?? '')}: ${issue?.message}\n${EVAL_USAGE}`);
  }
  return result.data;
}
