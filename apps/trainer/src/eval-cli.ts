/** `npm run eval -- <model>`: MNIST test accuracy and confusion matrix of a model folder. */
import { resolve } from 'node:path';
import { initBackend, loadModelFolder, ModelFolderError } from '@inkling/recognizer';
import { formatEvaluation } from './confusion-table.js';
import { EVAL_USAGE, parseEvalArgs } from './eval-options.js';
import { evaluateModel } from './evaluate.js';
import { IdxFormatError } from './idx.js';
import { loadMnist } from './mnist.js';
import { CliUsageError } from './train-options.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return;
  }
  const o = parseEvalArgs(argv);
  const backend = await initBackend(o.backend);
  process.stderr.write(`backend: ${backend}\n`);
  const folder = resolve(process.env.INIT_CWD ?? process.cwd(), o.folder);
  const { model, metadata } = await loadModelFolder(folder);
  const mnist = await loadMnist();
  const count = o.limit ?? mnist.test.count;
  const started = performance.now();
  const evaluation = evaluateModel(model, {
    images: mnist.test.images.subarray(0, count * 784),
    labels: mnist.test.labels.subarray(0, count),
    count,
  });
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
}

main().catch((err: unknown) => {
  const known = err instanceof CliUsageError || err instanceof ModelFolderError || err instanceof IdxFormatError;
  process.stderr.write(`${known ? `error: ${(err as Error).message}` : (err as Error).stack}\n`);
  process.exit(err instanceof CliUsageError ? 2 : 1);
});
