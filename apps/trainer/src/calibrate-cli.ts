/**
 * `npm run calibrate -- <model> --out <folder>`: measures a trained 11-class model on the validation writers and
 * validation non-digits (never the test writers): accuracy per candidate inference pen width, chooses the pen
 * width the live path will draw its input with (the best measured, or the one given), then at that width fits a
 * softmax temperature, folds it into the output layer, chooses the "not a digit" threshold for a false-rejection
 * budget, and writes the calibrated folder, its serving pen width recorded in its metadata (`input.penWidthPx`).
 */

import { resolve } from 'node:path';
import {
  type Box,
  DEFAULT_PREPROCESS,
  IMAGE_PIXELS,
  isSpeck,
  ModelVersionSchema,
  PREPROCESSING_VERSION,
  preprocessDrawing,
  strokesBox,
} from '@inkling/protocol';
import { initBackend, loadModelFolder, ModelFolderError, saveModelFolder } from '@inkling/recognizer';
import { z } from 'zod';
import { seededRandom } from './augment.js';
import {
  bestPenWidth,
  chooseNotDigitThreshold,
  expectedCalibrationError,
  fitTemperature,
  foldTemperature,
  MNIST_THRESHOLD_SAMPLE,
  withTemperature,
} from './calibration.js';
import { argMax, predictProbabilities } from './class-predictions.js';
import { evaluateModel, toFloatImages, toMetrics } from './evaluate.js';
import { NOT_DIGIT_LABEL, nonDigitDrawing, renderPenDigit } from './mixed-batches.js';
import { loadMnist } from './mnist.js';
import { loadPendigits, PendigitsFormatError } from './pendigits.js';
import { CliUsageError, parseFolderCommand } from './train-options.js';

export const CALIBRATE_USAGE = `usage: npm run calibrate -- <model-folder> --out DIR [options]
  --out DIR              calibrated model folder to write
  --max-rejection X      share of validation digits the "not a digit" threshold may reject (default 0.0025)
  --max-mnist-rejection X  share of 10,000 MNIST training images (as scanned, no augmentation) it may reject
                         (default 0.001; they were trained on, so this only keeps MNIST-style digits readable)
  --non-digits N         validation non-digits to generate (default 1000)
  --widths A,B,…         candidate inference pen widths to measure (default 1.6,2.0,2.2,2.4,2.8,3.2)
  --pen-width-px W       serve the model with a W px pen (0.5–8) instead of the best width measured
  --version NAME         version of the calibrated model (default: the source's)
  --backend NAME         force wasm|cpu|tensorflow`;

/** Seed of the validation non-digits (also used by the training's per-epoch validation line). */
const VALIDATION_SEED = 7001;

const OptionsSchema = z.object({
  folder: z.string().min(1),
  out: z.string().min(1),
  maxRejection: z.coerce.number().min(0).max(0.2).default(0.0025),
  maxMnistRejection: z.coerce.number().min(0).max(0.2).default(0.001),
  nonDigits: z.coerce.number().int().min(10).max(100_000).default(1000),
  widths: z
    .string()
    .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, 'expected comma-separated widths in px')
    .default('1.6,2.0,2.2,2.4,2.8,3.2')
    .transform((s) => s.split(',').map(Number))
    .refine((ws) => ws.every((w) => w >= 0.5 && w <= 8), 'widths must be from 0.5 to 8 px'),
  penWidthPx: z.coerce.number().min(0.5).max(8).optional(),
  version: ModelVersionSchema.optional(),
  backend: z.enum(['wasm', 'cpu', 'tensorflow']).optional(),
});

const FLAGS = ['out', 'max-rejection', 'max-mnist-rejection', 'non-digits', 'widths', 'pen-width-px', 'version', 'backend'] as const;

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${CALIBRATE_USAGE}\n`);
    return;
  }
  const o = parseFolderCommand(argv, FLAGS, OptionsSchema, CALIBRATE_USAGE);
  const backend = await initBackend(o.backend);
  process.stderr.write(`backend: ${backend}\n`);
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const { model, metadata } = await loadModelFolder(resolve(cwd, o.folder), { anyPreprocessingVersion: true });
  if (model.outputs[0]?.shape[1] !== 11) throw new CliUsageError(`${o.folder} has no "not a digit" class: nothing to calibrate`);
  const pen = await loadPendigits();
  const digits = pen.validation;
  const labels = digits.map((d) => d.label);
  const render = (width: number) => {
    const images = new Float32Array(digits.length * IMAGE_PIXELS);
    digits.forEach((d, i) => {
      images.set(renderPenDigit(d, Math.random, width, null), i * IMAGE_PIXELS);
    });
    return images;
  };
  process.stdout.write(`validation writers ${pen.split.validation.join(', ')}: ${digits.length} digits\n`);
  const measured = o.widths.map((width) => {
    const probs = predictProbabilities(model, render(width), digits.length);
    const correct = probs.filter((p, i) => argMax(p) === labels[i]).length;
    process.stdout.write(`  pen width ${width.toFixed(1)} px: ${pct(correct / digits.length)} read right\n`);
    return { width, correct };
  });
  const width = o.penWidthPx ?? bestPenWidth(measured) ?? DEFAULT_PREPROCESS.penWidthPx;
  process.stdout.write(
    `serving and calibrating at a ${width} px pen (${o.penWidthPx === undefined ? 'the best measured' : '--pen-width-px'}; preprocessing version ${PREPROCESSING_VERSION})\n`,
  );
  const digitProbs = predictProbabilities(model, render(width), digits.length);
  // Specks (dots, taps) are answered by their size in the live path (isSpeck), whatever the model says: they
  // count as rejected and stay out of the temperature fit, since the model is not asked about them.
  const random = seededRandom(VALIDATION_SEED);
  const nonDrawings = Array.from({ length: o.nonDigits }, () => nonDigitDrawing(random));
  const modelNonDigits = nonDrawings.filter((d) => !isSpeck(strokesBox(d) as Box));
  const specks = o.nonDigits - modelNonDigits.length;
  const nonImages = new Float32Array(modelNonDigits.length * IMAGE_PIXELS);
  modelNonDigits.forEach((d, i) => {
    nonImages.set(preprocessDrawing(d, { boxPx: DEFAULT_PREPROCESS.boxPx, penWidthPx: width }), i * IMAGE_PIXELS);
  });
  const nonProbs = predictProbabilities(model, nonImages, modelNonDigits.length);
  const allProbs = [...digitProbs, ...nonProbs];
  const allLabels = [...labels, ...nonProbs.map(() => NOT_DIGIT_LABEL)];
  const ece = (temperature: number) => {
    const scaled = allProbs.map((p) => withTemperature(p, temperature));
    return expectedCalibrationError(
      scaled.map((p) => Math.max(...p)),
      scaled.map((p, i) => argMax(p) === allLabels[i]),
    );
  };
  const temperature = fitTemperature(allProbs, allLabels);
  const eceBefore = ece(1);
  const eceAfter = ece(temperature);
  const digitNd = digitProbs.map((p) => withTemperature(p, temperature)[NOT_DIGIT_LABEL] ?? 0);
  const nonNd = nonProbs.map((p) => withTemperature(p, temperature)[NOT_DIGIT_LABEL] ?? 0);
  const mnist = await loadMnist();
  const mnistSample = MNIST_THRESHOLD_SAMPLE;
  const mnistProbs = predictProbabilities(
    model,
    toFloatImages(mnist.train.images, mnist.train.count - mnistSample, mnistSample),
    mnistSample,
  );
  const mnistNd = mnistProbs.map((p) => withTemperature(p, temperature)[NOT_DIGIT_LABEL] ?? 0);
  const threshold = Math.max(chooseNotDigitThreshold(digitNd, o.maxRejection), chooseNotDigitThreshold(mnistNd, o.maxMnistRejection));
  const mnistTrainRejected = mnistNd.filter((p) => p >= threshold).length / mnistSample;
  const digitsRejected = digitNd.filter((p) => p >= threshold).length / digitNd.length;
  const nonDigitsRejected = (specks + nonNd.filter((p) => p >= threshold).length) / o.nonDigits;
  process.stdout.write(
    `temperature ${temperature.toFixed(3)}: expected calibration error ${pct(eceBefore)} → ${pct(eceAfter)} (${allProbs.length} validation drawings)\n` +
      `"not a digit" threshold ${threshold.toFixed(4)}: rejects ${pct(digitsRejected)} of validation digits, ${pct(nonDigitsRejected, 1)} of validation non-digits (${specks} of them specks, answered by size), ${pct(mnistTrainRejected)} of ${mnistSample} MNIST training images\n`,
  );
  foldTemperature(model, temperature);
  const mnistEvaluation = evaluateModel(model, mnist.test, 1000, threshold);
  process.stdout.write(
    `MNIST test accuracy at that threshold: ${pct(mnistEvaluation.accuracy)} (${mnistEvaluation.rejected} answered "not a digit"; digits alone ${pct(mnistEvaluation.digitAccuracy)})\n`,
  );
  const out = resolve(cwd, o.out);
  await saveModelFolder(model, out, {
    ...metadata,
    version: o.version ?? metadata.version,
    input: { ...metadata.input, penWidthPx: width },
    preprocessingVersion: PREPROCESSING_VERSION,
    training: { ...metadata.training, command: `${metadata.training.command} && npm run calibrate -- ${argv.join(' ')}` },
    metrics: { ...toMetrics(mnistEvaluation, null, 0), pen: null },
    calibration: {
      temperature,
      notDigitThreshold: threshold,
      validationDigitsRejected: digitsRejected,
      validationNonDigitsRejected: nonDigitsRejected,
      eceBefore,
      eceAfter,
      validationCount: allProbs.length,
    },
    createdAt: new Date().toISOString(),
  });
  process.stdout.write(`wrote ${out}\n`);
}

main().catch((err: unknown) => {
  const known = err instanceof CliUsageError || err instanceof ModelFolderError || err instanceof PendigitsFormatError;
  process.stderr.write(`${known ? `error: ${(err as Error).message}` : (err as Error).stack}\n`);
  process.exit(err instanceof CliUsageError ? 2 : 1);
});
