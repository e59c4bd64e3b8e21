/**
 * `npm run bench:train`: training throughput of the default architecture on one core, and wall time from a
 * fresh model to 99.0% MNIST test accuracy (checked every 100 batches). Targets: ≥ 1,000 images/s;
 * 99.0% in ≤ 5 minutes. `--quick` measures throughput only.
 */
import { DEFAULT_AUGMENT } from '../apps/trainer/src/augment.js';
import { evaluateModel } from '../apps/trainer/src/evaluate.js';
import { loadMnist } from '../apps/trainer/src/mnist.js';
import { trainLoop } from '../apps/trainer/src/train-loop.js';
import { buildModel, DEFAULT_ARCHITECTURE, initBackend, multiplyAdds } from '../packages/recognizer/src/index.js';
import { printTable } from './table.js';
import { BENCH_BATCH_SIZE, trainBenchBatches } from './train-batches.js';

const TARGET = 0.99;
const arch = { ...DEFAULT_ARCHITECTURE, seed: 1 };

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const backend = await initBackend();
  const mnist = await loadMnist();
  const rows: Record<string, string | number>[] = [];

  // Throughput: 60 batches of 128 after 5 warm-up batches, augmentation included.
  const model = buildModel(arch);
  let t0 = 0;
  let seen = 0;
  await trainBenchBatches(model, mnist, 65, (batch) => {
    if (batch === 5) t0 = performance.now();
    else if (batch > 5) seen += BENCH_BATCH_SIZE;
  });
  const ips = seen / ((performance.now() - t0) / 1000);
  model.dispose();
  rows.push({
    measure: 'training throughput (batch 128, augmentation on)',
    value: `${Math.round(ips)} images/s`,
    target: '≥ 1,000 images/s',
  });
  rows.push({ measure: 'multiply-adds per image (forward)', value: multiplyAdds(arch).toLocaleString('en'), target: '' });

  if (!quick) {
    const fresh = buildModel(arch);
    const started = performance.now();
    let reachedAt: number | null = null;
    let batches = 0;
    let evalMs = 0;
    const controller = new AbortController();
    await trainLoop(fresh, mnist.train, {
      epochs: 4,
      batchSize: 128,
      learningRate: 0.004,
      seed: 1,
      augment: DEFAULT_AUGMENT,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.type !== 'batch' || ++batches % 100 !== 0) return;
        const evalStart = performance.now();
        const acc = evaluateModel(fresh, mnist.test).accuracy;
        evalMs += performance.now() - evalStart;
        process.stderr.write(
          `  after ${batches} batches (${((performance.now() - started) / 1000).toFixed(0)} s): test accuracy ${(acc * 100).toFixed(2)}%\n`,
        );
        if (acc >= TARGET) {
          reachedAt = performance.now() - started - evalMs;
          controller.abort();
        }
      },
    });
    rows.push({
      measure: 'training time to 99.0% MNIST test accuracy (checks excluded)',
      value: reachedAt === null ? 'not reached in 4 epochs' : `${((reachedAt as number) / 1000).toFixed(0)} s (${batches} batches)`,
      target: '≤ 300 s',
    });
  }
  printTable(`bench:train — backend ${backend}, one core`, rows);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
