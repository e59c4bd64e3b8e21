/**
 * `npm run bench:startup`: start-up time and memory of the gateway and the worker, run from the TypeScript
 * sources through tsx (as tests do) and from the built bundles (`npm run build:apps`, as `npm start` and
 * the Docker image do). Each process is started `--runs` times (default 3) against a fresh database: the
 * time from spawn to its ready line, and its resident memory (VmRSS, all threads) then and 2 s later.
 * Prints one table; medians of the runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnUntilReady } from '../scripts/child-process.js';
import { ensureServices, freePort } from '../scripts/local-services.js';
import { openScratchSpace } from '../scripts/scratch-space.js';
import { printTable } from './table.js';

const ROOT = join(import.meta.dirname, '..');
const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(flags.runs);

/** Resident memory of a process in MB (every thread: they share its address space). */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? Number.NaN) / 1024;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function startOnce(
  app: 'gateway' | 'worker',
  compiled: boolean,
  env: NodeJS.ProcessEnv,
): Promise<{ readyMs: number; rssReadyMb: number; rssSettledMb: number }> {
  const entry = compiled ? join(ROOT, 'apps', app, 'dist', 'main.js') : join(ROOT, 'apps', app, 'src', 'main.ts');
  const port = await freePort();
  const started = performance.now();
  const { child, ready } = spawnUntilReady(
    entry,
    { ...env, PORT: String(port), HOST: '127.0.0.1', METRICS_PORT: '0', LOG_LEVEL: 'info' },
    app === 'gateway' ? 'gateway listening' : 'worker ready',
    // As `npm start` and the Docker image run the bundles.
    compiled ? ['--enable-source-maps'] : [],
  );
  try {
    await ready;
    const readyMs = performance.now() - started;
    const pid = child.pid as number;
    const rssReadyMb = rssMb(pid);
    await new Promise((r) => setTimeout(r, 2000));
    return { readyMs, rssReadyMb, rssSettledMb: rssMb(pid) };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }
}

async function main(): Promise<void> {
  const services = await ensureServices({
    dataDir: join(ROOT, '.data', 'bench'),
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const rows: Record<string, string | number>[] = [];
  try {
    for (const app of ['gateway', 'worker'] as const) {
      for (const compiled of [false, true]) {
        const results = [];
        for (let i = 0; i < runs; i++) {
          // A fresh database each time: migrations and the model registry's seeding are part of start-up.
          const space = await openScratchSpace(services.databaseUrl, services.redisUrl, `startup${i}`);
          try {
            const env = { ...process.env, DATABASE_URL: space.databaseUrl, REDIS_URL: space.redisUrl, REDIS_PREFIX: space.prefix };
            results.push(await startOnce(app, compiled, env));
          } finally {
            await space.dispose();
          }
        }
        rows.push({
          process: app,
          run: compiled ? 'built JavaScript (dist/)' : 'TypeScript through tsx',
          runs,
          'spawn → ready ms (median)': Math.round(median(results.map((r) => r.readyMs))),
          'min … max ms': `${Math.round(Math.min(...results.map((r) => r.readyMs)))} … ${Math.round(Math.max(...results.map((r) => r.readyMs)))}`,
          'RSS at ready MB': median(results.map((r) => r.rssReadyMb)).toFixed(0),
          'RSS 2 s later MB': median(results.map((r) => r.rssSettledMb)).toFixed(0),
        });
      }
    }
  } finally {
    await services.stop();
  }
  printTable('bench:startup — gateway and worker, from sources (tsx) and built (esbuild bundles)', rows);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
