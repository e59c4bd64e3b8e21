/**
 * `npm run eval -- <model> [--pen]`: MNIST test accuracy and confusion matrix of a model folder; with `--pen`, the
 * held-out pen writers, numbers, non-digits and segmentation measured through the live recognizer.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelMetadataSchema, type PreprocessOptions } from '@inkling/protocol';
import { initBackend, loadModelFolder, ModelFolderError, Recognizer } from '@inkling/recognizer';
import { formatEvaluation } from './confusion-table.js';
import { EVAL_USAGE, parseEvalArgs } from './eval-options.js';
import { evaluateModel } from './evaluate.js';
import { IdxFormatError } from './idx.js';
import { loadMnist } from './mnist.js';
import { evaluateNonDigits, evaluateNumbers, evaluateSingleDigits, measureSegmentation, TEST_SEED } from './pen-eval.js';
import { formatPenReport, type PenReport, toPenMetrics } from './pen-report.js';
import { loadPendigits, PendigitsFormatError } from './pendigits.js';
import { CliUsageError } from './train-options.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return;
  }
  const o = parseEvalArgs(argv);
  // The live path: the serving backend, as the workers use it.
  const backend = await initBackend(o.backend, 'serving');
  process.stderr.write(`backend: ${backend}\n`);
  const folder = resolve(process.env.INIT_CWD ?? process.cwd(), o.folder);
  const { model, metadata } = await loadModelFolder(folder);
  const mnist = await loadMnist();
  const count = o.limit ?? mnist.test.count;
  const started = performance.now();
  const evaluation = evaluateModel(
    model,
    { images: mnist.test.images.subarray(0, count * 784), labels: mnist.test.labels.subarray(0, count), count },
    1000,
    metadata.calibration?.notDigitThreshold,
  );
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`model ${metadata.version} (${folder})\n`);
  process.stdout.write(`trained with: ${metadata.training.command}\n`);
  process.stdout.write(`${formatEvaluation(evaluation, `MNIST test (${count} images)`)}\n`);
  process.stdout.write(`evaluated in ${seconds.toFixed(1)} s (${Math.round(count / seconds)} images/s, ${backend})\n`);
  if (count === mnist.test.count && Math.abs(evaluation.accuracy - metadata.metrics.mnistTestAccuracy) > 1e-9) {
    process.stdout.write(
      `note: metadata records ${(metadata.metrics.mnistTestAccuracy * 100).toFixed(2)}%, measured ${(evaluation.accuracy * 100).toFixed(2)}%\n`,
    );
  }
  model.dispose();
  if (!o.pen) return;
  const pen = await loadPendigits();
  const recognizer = await Recognizer.load(folder);
  const penStarted = performance.now();
  const step = (what: string) => process.stderr.write(`pen evaluation: ${what}…\n`);
  // Without --pen-width-px: exactly the served path, with the model's own preprocessing.
  const preprocess: PreprocessOptions | undefined =
    o.penWidthPx === undefined ? undefined : { ...recognizer.preprocess, penWidthPx: o.penWidthPx };
  const shown = preprocess ?? recognizer.preprocess;
  process.stdout.write(
    `\ninference preprocessing: box ${shown.boxPx} px, pen ${shown.penWidthPx} px${preprocess ? ' (--pen-width-px)' : " (the model's own)"}\n`,
  );
  step(`${pen.test.length} held-out digits`);
  const single = evaluateSingleDigits(recognizer, pen.test, preprocess);
  step(`${o.numbers} numbers`);
  const numbers = o.numbers > 0 ? evaluateNumbers(recognizer, pen.test, o.numbers, TEST_SEED, preprocess) : null;
  step(`${o.nonDigits} non-digits`);
  const nonDigits = o.nonDigits > 0 ? evaluateNonDigits(recognizer, o.nonDigits, TEST_SEED, preprocess) : null;
  step(`segmentation (${o.pairs} pairs per gap)`);
  const segmentation = o.pairs > 0 ? measureSegmentation(pen.test, o.pairs) : null;
  const report: PenReport = { writers: pen.split.test, single, numbers, nonDigits, segmentation };
  process.stdout.write(`\n${formatPenReport(report)}\n`);
  process.stdout.write(`pen evaluation took ${((performance.now() - penStarted) / 1000).toFixed(1)} s\n`);
  if (o.record) {
    const updated = ModelMetadataSchema.parse({ ...metadata, metrics: { ...metadata.metrics, pen: toPenMetrics(report) } });
    await writeFile(join(folder, 'metadata.json'), `${JSON.stringify(updated, null, 2)}\n`);
    process.stdout.write(`recorded the pen figures in ${join(folder, 'metadata.json')}\n`);
  }
}

main().catch((err: unknown) => {
  const known =
    err instanceof CliUsageError || err instanceof ModelFolderError || err instanceof IdxFormatError || err instanceof PendigitsFormatError;
  process.stderr.write(`${known ? `error: ${(err as Error).message}` : (err as Error).stack}\n`);
  process.exit(err instanceof CliUsageError ? 2 : 1);
});
