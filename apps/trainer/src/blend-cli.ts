/**
 * `npm run blend -- <fine-tuned> --base <model> --weight X --out DIR`: writes the weight-space blend of a
 * fine-tuned model with the model it was fine-tuned from (weight-blend.ts), or with `--mode outputs` their
 * output-space ensemble as one network (head-ensemble.ts), measures its MNIST test accuracy, and leaves it
 * uncalibrated (`npm run calibrate` next: the blend changes what the probabilities mean).
 */

import { resolve } from 'node:path';
import { ModelVersionSchema } from '@inkling/protocol';
import {
  ARCHITECTURE_NAME,
  type ArchitectureOptions,
  ArchitectureOptionsSchema,
  initBackend,
  loadModelFolder,
  ModelFolderError,
  multiplyAdds,
  saveModelFolder,
} from '@inkling/recognizer';
import { z } from 'zod';
import { evaluateModel, toMetrics } from './evaluate.js';
import { ensembleHeads } from './head-ensemble.js';
import { loadMnist } from './mnist.js';
import { CliUsageError, parseFolderCommand } from './train-options.js';
import { BlendError, blendWeights } from './weight-blend.js';

export const BLEND_USAGE = `usage: npm run blend -- <fine-tuned-folder> --base DIR --weight X --out DIR [options]
  --base DIR        the model the fine-tune started from (same network; it may lack the "not a digit" class)
  --weight X        share of the fine-tuned weights, 0–1 (1: the fine-tuned model, 0: the base's digits)
  --out DIR         blended model folder to write (uncalibrated: run npm run calibrate on it)
  --mode M          weights: blend every weight (default); outputs: one network computing both dense heads
                    side by side and mixing their outputs (a --freeze 3 fine-tune only; the dense units add up)
  --version NAME    version of the blended model (default: the fine-tuned one's)
  --backend NAME    force wasm|cpu|tensorflow`;

const OptionsSchema = z.object({
  folder: z.string().min(1),
  base: z.string().min(1),
  weight: z
    .string()
    .regex(/^\d*\.?\d+$/, 'expected a number from 0 to 1')
    .transform(Number)
    .pipe(z.number().min(0).max(1)),
  out: z.string().min(1),
  mode: z.enum(['weights', 'outputs']).default('weights'),
  version: ModelVersionSchema.optional(),
  backend: z.enum(['wasm', 'cpu', 'tensorflow']).optional(),
});

const FLAGS = ['base', 'weight', 'out', 'mode', 'version', 'backend'] as const;

function architectureOf(folder: string, options: Record<string, unknown>): ArchitectureOptions {
  const parsed = ArchitectureOptionsSchema.safeParse(options);
  if (!parsed.success) throw new BlendError(`${folder}: architecture options not understood: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${BLEND_USAGE}\n`);
    return;
  }
  const o = parseFolderCommand(argv, FLAGS, OptionsSchema, BLEND_USAGE, 'fine-tuned model folder');
  process.stderr.write(`backend: ${await initBackend(o.backend)}\n`);
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const fine = await loadModelFolder(resolve(cwd, o.folder));
  const base = await loadModelFolder(resolve(cwd, o.base));
  let model = fine.model;
  let architecture = fine.metadata.architecture;
  if (o.mode === 'outputs') {
    const ensemble = ensembleHeads(
      fine.model,
      architectureOf(o.folder, fine.metadata.architecture.options),
      base.model,
      architectureOf(o.base, base.metadata.architecture.options),
      o.weight,
    );
    model = ensemble.model;
    architecture = { name: ARCHITECTURE_NAME, options: ensemble.architecture, multiplyAdds: multiplyAdds(ensemble.architecture) };
  } else blendWeights(fine.model, base.model, o.weight);
  const mnist = await loadMnist();
  const evaluation = evaluateModel(model, mnist.test);
  process.stdout.write(
    `${o.mode === 'outputs' ? 'output ensemble' : 'blend'} of ${o.weight} × ${fine.metadata.version} + ${Number((1 - o.weight).toFixed(6))} × ${base.metadata.version}: MNIST test ${(evaluation.accuracy * 100).toFixed(2)}% ` +
      `(${evaluation.rejected} answered "not a digit" at 0.5, uncalibrated; digits alone ${(evaluation.digitAccuracy * 100).toFixed(2)}%)\n`,
  );
  const out = resolve(cwd, o.out);
  await saveModelFolder(model, out, {
    ...fine.metadata,
    architecture,
    version: o.version ?? fine.metadata.version,
    training: { ...fine.metadata.training, command: `${fine.metadata.training.command} && npm run blend -- ${argv.join(' ')}` },
    metrics: { ...toMetrics(evaluation, null, 0), pen: null },
    calibration: null,
    createdAt: new Date().toISOString(),
  });
  process.stdout.write(`wrote ${out}\n`);
}

main().catch((err: unknown) => {
  const known = err instanceof CliUsageError || err instanceof ModelFolderError || err instanceof BlendError;
  process.stderr.write(`${known ? `error: ${(err as Error).message}` : (err as Error).stack}\n`);
  process.exit(err instanceof CliUsageError ? 2 : 1);
});
