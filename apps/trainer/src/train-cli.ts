/**
 * `npm run train`: trains the digit CNN on MNIST with augmentation, optionally mixed with the pen training writers'
 * drawings and synthetic non-digits (the "not a digit" class), from scratch or from a model folder (`--from`), and
 * writes a model folder.
 */
import { resolve } from 'node:path';
import { IMAGE_PIXELS, type ModelMetadata, PREPROCESSING_VERSION } from '@inkling/protocol';
import {
  ARCHITECTURE_NAME,
  type ArchitectureOptions,
  buildModel,
  initBackend,
  loadModelFolder,
  multiplyAdds,
  saveModelFolder,
} from '@inkling/recognizer';
import type * as tf from '@tensorflow/tfjs';
import { DEFAULT_AUGMENT, seededRandom } from './augment.js';
import { argMax, predictProbabilities } from './class-predictions.js';
import { evaluateModel, toMetrics } from './evaluate.js';
import { loadForFineTune } from './fine-tune.js';
import { createMixedBatches, NOT_DIGIT_LABEL, renderNonDigit, renderPenDigit } from './mixed-batches.js';
import { loadMnist } from './mnist.js';
import type { NonDigitKind } from './non-digits.js';
import { loadPendigits, type PenDigit } from './pendigits.js';
import { createProgressReporter } from './progress-bar.js';
import { DEFAULT_STROKE_AUGMENT } from './stroke-augment.js';
import { trainLoop } from './train-loop.js';
import { CliUsageError, parseTrainArgs, TRAIN_USAGE } from './train-options.js';

/** Seed of the validation non-digits (the test non-digits use another). */
const VALIDATION_NON_DIGIT_SEED = 7001;
const VALIDATION_WIDTHS = [1.6, 2.0, 2.4];

interface PenValidation {
  digits: PenDigit[];
  /** Rendered once per candidate inference pen width. */
  images: Map<number, Float32Array>;
  nonDigits: Float32Array;
  nonDigitCount: number;
}

function renderValidation(digits: PenDigit[], nonDigitKinds: readonly NonDigitKind[]): PenValidation {
  const random = seededRandom(VALIDATION_NON_DIGIT_SEED);
  const images = new Map<number, Float32Array>();
  for (const width of VALIDATION_WIDTHS) {
    const set = new Float32Array(digits.length * IMAGE_PIXELS);
    digits.forEach((d, i) => {
      set.set(renderPenDigit(d, random, width, null), i * IMAGE_PIXELS);
    });
    images.set(width, set);
  }
  const nonDigitCount = 600;
  const nonDigits = new Float32Array(nonDigitCount * IMAGE_PIXELS);
  for (let i = 0; i < nonDigitCount; i++) nonDigits.set(renderNonDigit(random, 2.0, nonDigitKinds), i * IMAGE_PIXELS);
  return { digits, images, nonDigits, nonDigitCount };
}

/** One line per epoch: pen validation accuracy per width, and the non-digit answers (by arg-max). */
function penValidationLine(model: tf.LayersModel, v: PenValidation): string {
  const parts: string[] = [];
  for (const [width, images] of v.images) {
    const probs = predictProbabilities(model, images, v.digits.length);
    const correct = probs.filter((p, i) => argMax(p) === v.digits[i]?.label).length;
    const rejected = probs.filter((p) => argMax(p) === NOT_DIGIT_LABEL).length;
    parts.push(`@${width}px ${((correct / v.digits.length) * 100).toFixed(2)}% (${rejected} rejected)`);
  }
  const non = predictProbabilities(model, v.nonDigits, v.nonDigitCount);
  const nonRejected = non.filter((p) => argMax(p) === NOT_DIGIT_LABEL).length;
  return `pen validation ${parts.join(', ')} | non-digits rejected ${((nonRejected / v.nonDigitCount) * 100).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${TRAIN_USAGE}\n`);
    return;
  }
  const o = parseTrainArgs(argv);
  const backend = await initBackend(o.backend);
  process.stderr.write(`backend: ${backend}\n`);
  const mnist = await loadMnist();
  const count = o.trainLimit ?? mnist.train.count;
  const train = { images: mnist.train.images.subarray(0, count * 784), labels: mnist.train.labels.subarray(0, count), count };
  const mixing = o.penShare > 0 || o.nonDigitShare > 0;
  const wantedClasses = o.nonDigitShare > 0 ? 11 : undefined;
  let model: tf.LayersModel;
  let architecture: ArchitectureOptions;
  let parent: ModelMetadata | null = null;
  if (o.from) {
    const loaded = await loadForFineTune(resolve(process.env.INIT_CWD ?? process.cwd(), o.from), wantedClasses);
    ({ model, architecture } = loaded);
    parent = loaded.source;
    process.stderr.write(`fine-tuning ${parent.version} (${architecture.classes} classes)\n`);
  } else {
    architecture = {
      filters: o.filters,
      denseUnits: o.denseUnits,
      dropout: o.dropout,
      seed: o.seed,
      ...(wantedClasses ? { classes: 11 as const } : {}),
    };
    model = buildModel(architecture);
  }
  const classes = architecture.classes ?? 10;
  for (let block = 1; block <= o.freeze; block++) {
    model.getLayer(`conv${block}`).trainable = false;
    model.getLayer(`bn${block}`).trainable = false;
  }
  const pen = mixing ? await loadPendigits() : null;
  const validation = pen ? renderValidation(pen.validation, o.nonDigitKinds) : null;
  const mnistShare = 1 - o.penShare - o.nonDigitShare;
  const epochImages = o.epochImages ?? (mixing ? Math.round(count / mnistShare) : count);
  const random = seededRandom(o.seed + 1000);
  const batches = pen
    ? createMixedBatches(
        train,
        pen.train,
        {
          penShare: o.penShare,
          nonDigitShare: o.nonDigitShare,
          penWidthRange: o.penWidth,
          strokeAugment: o.augment ? DEFAULT_STROKE_AUGMENT : null,
          mnistAugment: o.augment ? DEFAULT_AUGMENT : null,
          nonDigitKinds: o.nonDigitKinds,
        },
        random,
      )
    : null;
  process.stderr.write(
    `model: ${model.countParams()} parameters, ${multiplyAdds(architecture)} multiply-adds per image, ${classes} classes; ${count} MNIST training images` +
      (pen ? `, ${pen.train.length} pen digits of ${pen.split.train.length} writers; ${epochImages} images per epoch` : '') +
      '\n',
  );
  const version = o.version ?? `m${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  const out = resolve(process.env.INIT_CWD ?? process.cwd(), o.out);
  const started = Date.now();
  const metadataFor = (epochs: number, evaluation: ReturnType<typeof evaluateModel>, imagesPerSec: number): ModelMetadata => ({
    format: 'inkling-model',
    version,
    parentVersion: parent?.version ?? null,
    architecture: { name: ARCHITECTURE_NAME, options: architecture, multiplyAdds: multiplyAdds(architecture) },
    input: { shape: [28, 28, 1], range: [0, 1], ink: 'white-on-black' },
    preprocessingVersion: PREPROCESSING_VERSION,
    dataset: {
      fingerprint: mnist.fingerprint,
      mnistTrainCount: count,
      userTrainCount: 0,
      userTestCount: 0,
      ...(pen ? { penTrainCount: pen.train.length } : {}),
    },
    training: {
      command: ['npm run train --', ...argv].join(' '),
      epochs,
      batchSize: o.batchSize,
      seed: o.seed,
      trainingTimeMs: Date.now() - started,
      backend,
      imagesPerSec: Math.round(imagesPerSec),
    },
    metrics: toMetrics(evaluation, null, 0),
    createdAt: new Date().toISOString(),
  });
  const teacher = o.distill
    ? (await loadModelFolder(resolve(process.env.INIT_CWD ?? process.cwd(), o.distill), { anyPreprocessingVersion: true })).model
    : null;
  if (teacher) process.stderr.write(`distilling MNIST answers from ${o.distill} (weight ${o.distillWeight})\n`);
  const reporter = createProgressReporter();
  const result = await trainLoop(model, mixing ? { ...train, count: epochImages } : train, {
    classes,
    ...(batches ? { fillBatch: batches.fill } : {}),
    ...(teacher ? { teacher: { model: teacher, weight: o.distillWeight } } : {}),
    afterEpoch: async (epoch) => {
      if (validation) process.stdout.write(`epoch ${epoch}: ${penValidationLine(model, validation)}\n`);
      if (o.checkpoints) {
        const evaluation = evaluateModel(model, mnist.test);
        const elapsed = (Date.now() - started) / 1000;
        await saveModelFolder(model, `${out}.epoch-${epoch}`, metadataFor(epoch, evaluation, (epoch * epochImages) / elapsed));
        process.stdout.write(
          `epoch ${epoch}: MNIST test ${(evaluation.accuracy * 100).toFixed(2)}% (${evaluation.rejected} answered "not a digit"; digits alone ${(evaluation.digitAccuracy * 100).toFixed(2)}%), wrote ${out}.epoch-${epoch}\n`,
        );
      }
    },
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    seed: o.seed,
    augment: o.augment ? DEFAULT_AUGMENT : null,
    // With checkpoints, each epoch's MNIST figure is printed when its checkpoint is written.
    ...(o.checkpoints ? {} : { validation: mnist.test }),
    onProgress: reporter.onProgress,
    stopAfterEpoch: (p) => o.targetAccuracy !== undefined && (p.validationAccuracy ?? 0) >= o.targetAccuracy,
  });
  reporter.stop();
  const evaluation = evaluateModel(model, mnist.test);
  const metadata = metadataFor(result.epochsRun, evaluation, result.imagesPerSec);
  await saveModelFolder(model, out, { ...metadata, training: { ...metadata.training, trainingTimeMs: Math.round(result.trainingTimeMs) } });
  process.stdout.write(
    `wrote ${out} (version ${version}): MNIST test accuracy ${(evaluation.accuracy * 100).toFixed(2)}% after ${result.epochsRun} epochs in ${(result.trainingTimeMs / 1000).toFixed(0)} s (${Math.round(result.imagesPerSec)} img/s)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof CliUsageError ? err.message : (err as Error).stack}\n`);
  process.exit(err instanceof CliUsageError ? 2 : 1);
});
