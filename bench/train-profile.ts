/**
 * `npm run bench:train-profile`: where a training step of the default architecture spends its time on the
 * active backend. Every registered kernel is wrapped to count its calls and its self time (time inside
 * kernels it calls itself is charged to those), over 20 batches of 128 after 5 warm-up batches, augmentation
 * on as in `bench:train`. Prints CPU time per step, kernel calls per step and the 25 costliest kernels.
 * The wrapping adds a little time per call, so absolute figures are slightly above `bench:train`'s. Kernel
 * times are wall-clock, so other busy processes inflate them (the CPU time per step is not affected): run it on
 * a quiet machine.
 */
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../apps/trainer/src/mnist.js';
import { buildModel, DEFAULT_ARCHITECTURE, initBackend } from '../packages/recognizer/src/index.js';
import { printTable } from './table.js';
import { trainBenchBatches } from './train-batches.js';

const WARM_UP = 5;
const MEASURED = 20;

interface KernelStats {
  calls: number;
  selfMs: number;
}

/** Wraps every kernel of `backend`; counting starts when `counting.on` is set. */
function instrument(backend: string, stats: Map<string, KernelStats>, counting: { on: boolean }): void {
  const childTime: number[] = [];
  for (const { kernelName } of tf.getKernelsForBackend(backend)) {
    const config = tf.getKernel(kernelName, backend) as tf.KernelConfig & { kernelFunc: tf.KernelFunc };
    const inner = config.kernelFunc;
    config.kernelFunc = (args) => {
      if (!counting.on) return inner(args);
      childTime.push(0);
      const start = performance.now();
      const out = inner(args);
      const elapsed = performance.now() - start;
      const children = childTime.pop() ?? 0;
      if (childTime.length > 0) childTime[childTime.length - 1] = (childTime[childTime.length - 1] ?? 0) + elapsed;
      const s = stats.get(kernelName) ?? { calls: 0, selfMs: 0 };
      s.calls++;
      s.selfMs += elapsed - children;
      stats.set(kernelName, s);
      return out;
    };
  }
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const stats = new Map<string, KernelStats>();
  const counting = { on: false };
  instrument(backend, stats, counting);
  const mnist = await loadMnist();
  const model = buildModel({ ...DEFAULT_ARCHITECTURE, seed: 1 });
  let cpuStart = process.cpuUsage();
  await trainBenchBatches(model, mnist, WARM_UP + MEASURED, (batch) => {
    if (batch !== WARM_UP) return;
    counting.on = true;
    cpuStart = process.cpuUsage();
  });
  const cpu = process.cpuUsage(cpuStart);
  counting.on = false;
  model.dispose();
  const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / MEASURED;
  const sorted = [...stats.entries()].sort((a, b) => b[1].selfMs - a[1].selfMs);
  const calls = sorted.reduce((sum, [, s]) => sum + s.calls, 0);
  const kernelMs = sorted.reduce((sum, [, s]) => sum + s.selfMs, 0);
  printTable(`training step profile — backend ${backend}, batch 128`, [
    { measure: 'CPU time per step', value: `${cpuMsPerStep.toFixed(1)} ms (${Math.round((128 * 1000) / cpuMsPerStep)} images/s)` },
    { measure: 'kernel calls per step', value: Math.round(calls / MEASURED) },
    { measure: 'time inside kernels per step', value: `${(kernelMs / MEASURED).toFixed(1)} ms` },
  ]);
  printTable(
    'costliest kernels (self time)',
    sorted.slice(0, 25).map(([kernel, s]) => ({
      kernel,
      'calls / step': (s.calls / MEASURED).toFixed(1),
      'ms / step': (s.selfMs / MEASURED).toFixed(2),
    })),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
