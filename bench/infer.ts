/**
 * `npm run bench:infer`: single-drawing latency (strokes → probabilities, preprocessing included) p50/p99,
 * and batched throughput, for the shipped model on one core. Targets: p50 ≤ 0.5 ms (issue 11); ≥ 2,000 drawings/s.
 */
import { join } from 'node:path';
import { digitDrawing, preprocessDrawing, type Stroke } from '@inkling/protocol';
import { initBackend, Recognizer } from '@inkling/recognizer';
import { percentile, printTable } from './table.js';

const ROOT = join(import.meta.dirname, '..');
const modelDir = process.argv[2] ?? join(ROOT, 'models', 'default');

function jittered(digit: number, k: number): Stroke[] {
  const size = 0.4 + ((k * 37) % 40) / 100;
  return digitDrawing(digit, { x: 0.05 + ((k * 13) % 30) / 100, y: 0.05 + ((k * 7) % 30) / 100, size }, `b${k}_`);
}

async function main(): Promise<void> {
  const backend = await initBackend(undefined, 'serving');
  const recognizer = await Recognizer.load(modelDir);
  const drawings = Array.from({ length: 200 }, (_, k) => jittered(k % 10, k));
  for (let i = 0; i < 200; i++) recognizer.recognize(drawings[i % drawings.length] as Stroke[]);

  const time = (n: number, run: (i: number) => void): number[] => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      run(i);
      out.push(performance.now() - t);
    }
    return out.sort((a, b) => a - b);
  };
  const pre = time(5000, (i) => preprocessDrawing(drawings[i % drawings.length] as Stroke[]));
  const single = time(3000, (i) => recognizer.recognize(drawings[i % drawings.length] as Stroke[]));
  let correct = 0;
  drawings.forEach((d, k) => {
    if (recognizer.recognize(d).text === String(k % 10)) correct++;
  });

  const rows: Record<string, string | number>[] = [
    {
      measure: 'preprocess only, p50 / p99',
      value: `${percentile(pre, 50).toFixed(3)} / ${percentile(pre, 99).toFixed(3)} ms`,
      target: '',
    },
    { measure: 'single drawing, p50', value: `${percentile(single, 50).toFixed(3)} ms`, target: '≤ 0.5 ms' },
    { measure: 'single drawing, p99', value: `${percentile(single, 99).toFixed(3)} ms`, target: '' },
  ];
  for (const batch of [16, 64, 256]) {
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: batch }, (_, i) => drawings[(b * batch + i) % drawings.length] as Stroke[]),
    );
    recognizer.recognizeMany(batches[0] as Stroke[][]);
    const started = performance.now();
    let done = 0;
    while (performance.now() - started < 3000) {
      recognizer.recognizeMany(batches[done % batches.length] as Stroke[][]);
      done++;
    }
    const perSec = (done * batch) / ((performance.now() - started) / 1000);
    rows.push({
      measure: `batched throughput, batch ${batch}`,
      value: `${Math.round(perSec)} drawings/s`,
      target: batch === 64 ? '≥ 2,000/s' : '',
    });
  }
  rows.push({ measure: 'fixture drawings read correctly', value: `${correct}/${drawings.length}`, target: '' });
  printTable(`bench:infer — model ${recognizer.modelVersion}, backend ${backend}, one core`, rows);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
