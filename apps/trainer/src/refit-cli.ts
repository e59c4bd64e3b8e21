/**
 * `npm run refit -- <model> --out DIR`: re-fits only the "not a digit" column of an 11-class model on the features
 * it has now (not-digit-refit.ts) — the step after `npm run blend`, whose kept column was trained on the
 * fine-tune's features. The training mixture is the fine-tune's (MNIST with its image augmentation, the training
 * writers' pen digits and non-digits augmented on their points); the validation and test writers are never used.
 * With `--hard-mnist N`, rounds of hard-digit mining follow: the N MNIST training images the column now takes
 * most for "not a digit" (from the images before the last MNIST_THRESHOLD_SAMPLE, which calibration keeps for
 * its MNIST budget) join the rows with `--hard-weight`, and the column is fitted again — the threshold is set by
 * MNIST's few most "not a digit"-like digits, so those are the rows that decide how many non-digits it rejects.
 * The result is uncalibrated, its MNIST test accuracy measured: `npm run calibrate` next.
 */

import { resolve } from 'node:path';
import { IMAGE_PIXELS, ModelVersionSchema } from '@inkling/protocol';
import { initBackend, loadModelFolder, ModelFolderError, saveModelFolder } from '@inkling/recognizer';
import { z } from 'zod';
import { DEFAULT_AUGMENT, seededRandom } from './augment.js';
import { MNIST_THRESHOLD_SAMPLE } from './calibration.js';
import { evaluateModel, toFloatImages, toMetrics } from './evaluate.js';
import { createMixedBatches } from './mixed-batches.js';
import { loadMnist } from './mnist.js';
import { TRAINED_NON_DIGIT_KINDS } from './non-digits.js';
import { DEFAULT_REFIT, hardestDigits, RefitError, type RefitRows, refitNotDigitColumn } from './not-digit-refit.js';
import { loadPendigits, PendigitsFormatError } from './pendigits.js';
import { DEFAULT_STROKE_AUGMENT } from './stroke-augment.js';
import { CliUsageError, parseFolderCommand } from './train-options.js';

export const REFIT_USAGE = `usage: npm run refit -- <model-folder> --out DIR [options]
  --out DIR              model folder to write (uncalibrated: run npm run calibrate on it)
  --images N             training images to fit on (default 60000)
  --pen-share X          share of them drawn by the training writers (default 0.3)
  --non-digit-share X    share of synthetic non-digits (default 0.3; MNIST takes the rest)
  --pen-width A,B        pen widths in px drawn for rendered drawings (default 1.4,3.4)
  --steps N              full-batch optimizer steps (default ${DEFAULT_REFIT.steps})
  --seed N               random seed of the images (default 1)
  --hard-mnist N         after the fit, rounds adding the N MNIST training digits the column takes most for
                         "not a digit" (default 0: none; never from the last ${MNIST_THRESHOLD_SAMPLE} calibration uses)
  --hard-weight W        weight of each of those rows against 1 for the others (default 10)
  --hard-rounds R        rounds of choosing and fitting again (default 3)
  --version NAME         version of the written model (default: the source's)
  --backend NAME         force wasm|cpu|tensorflow`;

const OptionsSchema = z
  .object({
    folder: z.string().min(1),
    out: z.string().min(1),
    images: z.coerce.number().int().min(100).max(500_000).default(60_000),
    penShare: z.coerce.number().min(0).max(0.9).default(0.3),
    nonDigitShare: z.coerce.number().min(0.01).max(0.9).default(0.3),
    penWidth: z
      .string()
      .regex(/^\d+(\.\d+)?,\d+(\.\d+)?$/, 'expected two comma-separated widths in px, e.g. 1.4,3.4')
      .default('1.4,3.4')
      .transform((s) => s.split(',').map(Number) as [number, number])
      .refine(([a, b]) => a > 0 && a <= b && b <= 6, 'widths must satisfy 0 < min ≤ max ≤ 6'),
    steps: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_REFIT.steps),
    seed: z.coerce.number().int().min(0).default(1),
    hardMnist: z.coerce.number().int().min(0).max(20_000).default(0),
    hardWeight: z.coerce.number().min(1).max(1000).default(10),
    hardRounds: z.coerce.number().int().min(1).max(20).default(3),
    version: ModelVersionSchema.optional(),
    backend: z.enum(['wasm', 'cpu', 'tensorflow']).optional(),
  })
  .refine((o) => o.penShare + o.nonDigitShare < 1, { message: 'pen and non-digit shares must leave room for MNIST', path: ['penShare'] });

const FLAGS = [
  'out',
  'images',
  'pen-share',
  'non-digit-share',
  'pen-width',
  'steps',
  'seed',
  'hard-mnist',
  'hard-weight',
  'hard-rounds',
  'version',
  'backend',
] as const;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${REFIT_USAGE}\n`);
    return;
  }
  const o = parseFolderCommand(argv, FLAGS, OptionsSchema, REFIT_USAGE);
  process.stderr.write(`backend: ${await initBackend(o.backend)}\n`);
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const { model, metadata } = await loadModelFolder(resolve(cwd, o.folder), { anyPreprocessingVersion: true });
  if (model.outputs[0]?.shape[1] !== 11) throw new CliUsageError(`${o.folder} has no "not a digit" class: nothing to re-fit`);
  const [mnist, pen] = await Promise.all([loadMnist(), loadPendigits()]);
  const batches = createMixedBatches(
    mnist.train,
    pen.train,
    {
      penShare: o.penShare,
      nonDigitShare: o.nonDigitShare,
      penWidthRange: o.penWidth,
      strokeAugment: DEFAULT_STROKE_AUGMENT,
      mnistAugment: DEFAULT_AUGMENT,
      nonDigitKinds: TRAINED_NON_DIGIT_KINDS,
    },
    seededRandom(o.seed),
  );
  const images = new Float32Array(o.images * IMAGE_PIXELS);
  const labels = new Int32Array(o.images);
  const chunk = 1000;
  for (let start = 0; start < o.images; start += chunk) {
    const n = Math.min(chunk, o.images - start);
    batches.fill(images.subarray(start * IMAGE_PIXELS, (start + n) * IMAGE_PIXELS), labels.subarray(start, start + n), n);
    if ((start / chunk) % 10 === 9 || start + n === o.images) process.stderr.write(`rendered ${start + n}/${o.images} images\n`);
  }
  const started = performance.now();
  const refitOptions = { ...DEFAULT_REFIT, steps: o.steps };
  const onStep = (step: number, loss: number) => process.stderr.write(`step ${step}/${o.steps}: loss ${loss.toFixed(4)}\n`);
  const result = refitNotDigitColumn(model, { images, labels, count: o.images }, refitOptions, onStep);
  if (o.hardMnist > 0) {
    const poolCount = mnist.train.count - MNIST_THRESHOLD_SAMPLE;
    const pool = toFloatImages(mnist.train.images, 0, poolCount);
    const chosen = new Set<number>();
    for (let round = 1; round <= o.hardRounds; round++) {
      const hardest = hardestDigits(model, pool, poolCount, o.hardMnist);
      const added = hardest.filter((i) => !chosen.has(i)).length;
      for (const i of hardest) chosen.add(i);
      const rounds = withHardDigits({ images, labels, count: o.images }, pool, mnist.train.labels, [...chosen], o.hardWeight);
      const fitted = refitNotDigitColumn(model, rounds, refitOptions, onStep);
      process.stdout.write(
        `hard digits, round ${round}/${o.hardRounds}: ${added} new (${chosen.size} in all, weight ${o.hardWeight}); ` +
          `weighted cross-entropy ${fitted.lossBefore.toFixed(4)} → ${fitted.lossAfter.toFixed(4)}\n`,
      );
    }
  }
  const evaluation = evaluateModel(model, mnist.test);
  process.stdout.write(
    `"not a digit" column re-fitted on ${o.images} images in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
      `cross-entropy ${result.lossBefore.toFixed(4)} → ${result.lossAfter.toFixed(4)}; MNIST test ${(evaluation.accuracy * 100).toFixed(2)}% ` +
      `(${evaluation.rejected} answered "not a digit" at 0.5, uncalibrated; digits alone ${(evaluation.digitAccuracy * 100).toFixed(2)}%)\n`,
  );
  const out = resolve(cwd, o.out);
  await saveModelFolder(model, out, {
    ...metadata,
    version: o.version ?? metadata.version,
    training: { ...metadata.training, command: `${metadata.training.command} && npm run refit -- ${argv.join(' ')}` },
    metrics: { ...toMetrics(evaluation, null, 0), pen: null },
    calibration: null,
    createdAt: new Date().toISOString(),
  });
  process.stdout.write(`wrote ${out}\n`);
}

/** The rows with the pool's images at `indices` added as digits of their labels, each of weight `weight`. */
function withHardDigits(
  rows: RefitRows,
  pool: Float32Array,
  poolLabels: Uint8Array,
  indices: readonly number[],
  weight: number,
): RefitRows {
  const count = rows.count + indices.length;
  const images = new Float32Array(count * IMAGE_PIXELS);
  const labels = new Int32Array(count);
  const weights = new Float32Array(count).fill(1);
  images.set(rows.images.subarray(0, rows.count * IMAGE_PIXELS));
  labels.set(rows.labels.subarray(0, rows.count));
  indices.forEach((index, k) => {
    const row = rows.count + k;
    images.set(pool.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS), row * IMAGE_PIXELS);
    labels[row] = poolLabels[index] ?? 0;
    weights[row] = weight;
  });
  return { images, labels, count, weights };
}

main().catch((err: unknown) => {
  const known =
    err instanceof CliUsageError || err instanceof ModelFolderError || err instanceof RefitError || err instanceof PendigitsFormatError;
  process.stderr.write(`${known ? `error: ${(err as Error).message}` : (err as Error).stack}\n`);
  process.exit(err instanceof CliUsageError ? 2 : 1);
});
