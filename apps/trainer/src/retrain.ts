/**
 * One retraining run: MNIST plus user-labelled drawings, fine-tuned from the served model or from scratch;
 * the candidate is evaluated, written to the shared models directory, recorded in the registry, and
 * promoted only if the gate allows it (workers are told to switch). The served model is never touched
 * before a candidate is complete and better.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type ModelEvent,
  PREPROCESSING_VERSION,
  type RetrainOptions,
  type TrainingJobResult,
  type TrainingProgress,
  trainingKeys,
} from '@inkling/protocol';
import {
  ARCHITECTURE_NAME,
  ArchitectureOptionsSchema,
  buildModel,
  DEFAULT_ARCHITECTURE,
  loadModelFolder,
  modelPreprocess,
  multiplyAdds,
  Recognizer,
  saveModelFolder,
} from '@inkling/recognizer';
import type { ModelRegistry, TrainingData } from '@inkling/store';
import type { Redis } from 'ioredis';
import { DEFAULT_AUGMENT, seededRandom } from './augment.js';
import { evaluateModelAsync, toMetrics } from './evaluate.js';
import { createMixedBatches } from './mixed-batches.js';
import type { Mnist } from './mnist.js';
import { TRAINED_NON_DIGIT_KINDS } from './non-digits.js';
import { evaluateSingleDigits } from './pen-eval.js';
import { toPenMetrics } from './pen-report.js';
import { loadPendigits } from './pendigits.js';
import { decidePromotion } from './promotion-gate.js';
import { DEFAULT_STROKE_AUGMENT } from './stroke-augment.js';
import { trainLoop } from './train-loop.js';
import { buildUserSets, mixTrainingSet, USER_TEST_RULE } from './user-data.js';

export class RetrainCancelledError extends Error {
  readonly code = 'RETRAIN_CANCELLED';
  constructor() {
    super('the retraining job was cancelled');
    this.name = 'RetrainCancelledError';
  }
}

export class RetrainAbandonedError extends Error {
  readonly code = 'RETRAIN_ABANDONED';
  constructor() {
    super('the job was given up (marked stalled or failed) before the candidate was registered; nothing was changed');
    this.name = 'RetrainAbandonedError';
  }
}

export interface RetrainDeps {
  registry: ModelRegistry;
  data: TrainingData;
  redis: Redis;
  prefix: string;
  modelsDir: string;
  mnist: Mnist;
  backend: string;
  /** Checked before anything is written: false when the queue no longer considers this job running. */
  stillRunning: () => Promise<boolean>;
}

export async function retrain(
  deps: RetrainDeps,
  options: RetrainOptions,
  version: string,
  onProgress: (p: TrainingProgress) => void,
  signal: AbortSignal,
): Promise<TrainingJobResult> {
  const current = await deps.registry.promoted();
  const currentFolder = current ? resolve(deps.modelsDir, current.folder) : null;
  const loaded = currentFolder ? await loadModelFolder(currentFolder) : null;
  // User drawings are drawn as the served model's input is (its pen width), and the new model is served the same way.
  const preprocess = modelPreprocess(loaded?.metadata ?? { input: {} });
  const user = buildUserSets(await deps.data.labelledDrawings(), preprocess);
  const random = seededRandom(options.seed);
  const mnistCount = options.mnistLimit ?? deps.mnist.train.count;
  const train = mixTrainingSet(deps.mnist.train, mnistCount, user.train, options.userShare, random);

  const fineTune = options.mode === 'fine-tune' && currentFolder !== null;
  const architecture = ArchitectureOptionsSchema.parse(
    loaded ? { ...loaded.metadata.architecture.options, seed: options.seed } : { ...DEFAULT_ARCHITECTURE, seed: options.seed },
  );
  const model = fineTune && loaded ? loaded.model : buildModel(architecture);
  const classes = architecture.classes ?? 10;
  // A model with the "not a digit" class keeps seeing pen drawings and non-digits, in the shares it was made with.
  const pen = await loadPendigits();
  const mix = { penShare: 0.35, nonDigitShare: 0.12 };
  const batches =
    classes === 11
      ? createMixedBatches(
          train,
          pen.train,
          {
            ...mix,
            penWidthRange: [1.4, 2.8],
            strokeAugment: DEFAULT_STROKE_AUGMENT,
            mnistAugment: DEFAULT_AUGMENT,
            nonDigitKinds: TRAINED_NON_DIGIT_KINDS,
          },
          random,
        )
      : null;
  try {
    const result = await trainLoop(
      model,
      batches ? { ...train, count: Math.round(train.count / (1 - mix.penShare - mix.nonDigitShare)) } : train,
      {
        classes,
        ...(batches ? { fillBatch: batches.fill } : {}),
        epochs: options.epochs,
        batchSize: 128,
        learningRate: options.learningRate ?? (fineTune ? 0.0003 : 0.003),
        seed: options.seed,
        augment: DEFAULT_AUGMENT,
        // The curve's per-epoch check uses 2,000 test images; the gate below uses all 10,000.
        validation: {
          images: deps.mnist.test.images.subarray(0, 2000 * 784),
          labels: deps.mnist.test.labels.subarray(0, 2000),
          count: 2000,
        },
        signal,
        onProgress,
      },
    );
    if (result.cancelled) throw new RetrainCancelledError();

    // A fine-tune keeps its parent's calibration (the temperature is folded into the output layer it starts
    // from; the "not a digit" threshold is recorded): the gate measures the candidate as the live path will serve
    // it. A model trained from scratch is uncalibrated ("not a digit" when that class is the most likely).
    const calibration = fineTune ? (loaded?.metadata.calibration ?? null) : null;
    const threshold = calibration?.notDigitThreshold;
    const mnistEval = await evaluateModelAsync(model, deps.mnist.test, undefined, threshold);
    const userEval = user.test.count > 0 ? await evaluateModelAsync(model, user.test, undefined, threshold) : null;
    const baselineUser =
      loaded && user.test.count > 0
        ? (await evaluateModelAsync(loaded.model, user.test, undefined, loaded.metadata.calibration?.notDigitThreshold)).accuracy
        : null;
    const metadata = {
      format: 'inkling-model' as const,
      version,
      parentVersion: fineTune && current ? current.version : null,
      architecture: { name: ARCHITECTURE_NAME, options: architecture, multiplyAdds: multiplyAdds(architecture) },
      input: {
        shape: [28, 28, 1] as [28, 28, 1],
        range: [0, 1] as [0, 1],
        ink: 'white-on-black' as const,
        ...(loaded?.metadata.input.penWidthPx === undefined ? {} : { penWidthPx: loaded.metadata.input.penWidthPx }),
      },
      preprocessingVersion: PREPROCESSING_VERSION,
      dataset: {
        fingerprint: `${deps.mnist.fingerprint}+user(${USER_TEST_RULE}; test labels ${user.testLabelIds.join(',') || 'none'})`,
        mnistTrainCount: mnistCount,
        userTrainCount: user.train.count,
        userTestCount: user.test.count,
      },
      training: {
        command: `retraining job ${JSON.stringify(options)}`,
        epochs: result.epochsRun,
        batchSize: 128,
        seed: options.seed,
        trainingTimeMs: Math.round(result.trainingTimeMs),
        backend: deps.backend,
        imagesPerSec: Math.round(result.imagesPerSec),
      },
      metrics: toMetrics(mnistEval, userEval, user.test.count),
      ...(calibration ? { calibration } : {}),
      createdAt: new Date().toISOString(),
    };
    if (!(await deps.stillRunning())) throw new RetrainAbandonedError();
    const folder = join(deps.modelsDir, version);
    await saveModelFolder(model, folder, metadata);
    // The held-out pen writers through the live path, as `npm run eval -- <model> --pen` measures them.
    const recognizer = await Recognizer.load(folder);
    const single = evaluateSingleDigits(recognizer, pen.test);
    recognizer.dispose();
    const penAccuracy = single.accuracy;
    metadata.metrics = {
      ...metadata.metrics,
      pen: toPenMetrics({ writers: pen.split.test, single, numbers: null, nonDigits: null, segmentation: null }),
    };
    await writeFile(join(folder, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`);
    const decision = decidePromotion({
      candidate: { mnist: mnistEval.accuracy, pen: penAccuracy, user: userEval?.accuracy ?? null, userCount: user.test.count },
      baseline: current
        ? {
            version: current.version,
            mnist: current.metrics.mnistTestAccuracy,
            pen: current.metrics.pen?.accuracy ?? null,
            user: baselineUser,
          }
        : null,
      best: await deps.registry.bestPromotedFigures(),
    });
    await deps.registry.register(metadata, version);
    if (decision.promoted) {
      await deps.registry.promote(version, decision.reason);
      const event: ModelEvent = { type: 'promoted', version, folder: version };
      await deps.redis.publish(trainingKeys(deps.prefix).models, JSON.stringify(event));
    } else {
      await deps.registry.reject(version, decision.reason);
    }
    return { version, metrics: metadata.metrics, decision, trainingTimeMs: Math.round(result.trainingTimeMs) };
  } finally {
    model.dispose();
    if (loaded && loaded.model !== model) loaded.model.dispose();
  }
}
