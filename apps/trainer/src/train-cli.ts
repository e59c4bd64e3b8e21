/** `npm run train`: trains the digit CNN on MNIST with augmentation and writes a model folder. */
import { resolve } from 'node:path';
import { PREPROCESSING_VERSION } from '@inkling/protocol';
import { ARCHITECTURE_NAME, buildModel, initBackend, multiplyAdds, saveModelFolder } from '@inkling/recognizer';
import { DEFAULT_AUGMENT } from './augment.js';
import { evaluateModel, toMetrics } from './evaluate.js';
import { loadMnist } from './mnist.js';
import { createProgressReporter } from './progress-bar.js';
import { trainLoop } from './train-loop.js';
import { CliUsageError, parseTrainArgs, TRAIN_USAGE } from './train-options.js';

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
  const architecture = { filters: o.filters, denseUnits: o.denseUnits, dropout: o.dropout, seed: o.seed };
  const model = buildModel(architecture);
  process.stderr.write(
    `model: ${model.countParams()} parameters, ${multiplyAdds(architecture)} multiply-adds per image; ${count} training images\n`,
  );
  const reporter = createProgressReporter();
  const result = await trainLoop(model, train, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    seed: o.seed,
    augment: o.augment ? DEFAULT_AUGMENT : null,
    validation: mnist.test,
    onProgress: reporter.onProgress,
    stopAfterEpoch: (p) => o.targetAccuracy !== undefined && (p.validationAccuracy ?? 0) >= o.targetAccuracy,
  });
  reporter.stop();
  const evaluation = evaluateModel(model, mnist.test);
  const version = o.version ?? `m${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
  const out = resolve(process.env.INIT_CWD ?? process.cwd(), o.out);
  await saveModelFolder(model, out, {
    format: 'inkling-model',
    version,
    parentVersion: null,
    architecture: { name: ARCHITECTURE_NAME, options: architecture, multiplyAdds: multiplyAdds(architecture) },
    input: { shape: [28, 28, 1], range: [0, 1], ink: 'white-on-black' },
    preprocessingVersion: PREPROCESSING_VERSION,
    dataset: { fingerprint: mnist.fingerprint, mnistTrainCount: count, userTrainCount: 0, userTestCount: 0 },
    training: {
      command: ['npm run train --', ...argv].join(' '),
      epochs: result.epochsRun,
      batchSize: o.batchSize,
      seed: o.seed,
      trainingTimeMs: Math.round(result.trainingTimeMs),
      backend,
      imagesPerSec: Math.round(result.imagesPerSec),
    },
    metrics: toMetrics(evaluation, null, 0),
    createdAt: new Date().toISOString(),
  });
  process.stdout.write(
    `wrote ${out} (version ${version}): MNIST test accuracy ${(evaluation.accuracy * 100).toFixed(2)}% after ${result.epochsRun} epochs in ${(result.trainingTimeMs / 1000).toFixed(0)} s (${Math.round(result.imagesPerSec)} img/s)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof CliUsageError ? err.message : (err as Error).stack}\n`);
  process.exit(err instanceof CliUsageError ? 2 : 1);
});
