/**
 * `npm run bench:load`: starts a gateway and WORKERS recognition workers as separate processes (against
 * DATABASE_URL / REDIS_URL, or private local instances), then runs simulated socket.io clients in another
 * process for a sweep of loads and prints commit → prediction latency, predictions/s, lost predictions and
 * errors, and the CPU milliseconds each part (gateway, workers, Postgres with its backends, Redis) spent per
 * commit in the measured window, read from /proc. `--quick` runs only the target load; `--clients N
 * --rooms N --rate X` change it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnUntilReady } from '../scripts/child-process.js';
import { ensureServices, freePort } from '../scripts/local-services.js';
import { openScratchSpace } from '../scripts/scratch-space.js';
import type { LoadResult, LoadStep } from './load-clients.js';
import { cpuMs, findPid } from './process-cpu.js';
import { percentile, printTable } from './table.js';

const ROOT = join(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, clients: { type: 'string' }, rooms: { type: 'string' }, rate: { type: 'string' } },
});
const quick = flags.quick === true;
/**
 * One worker process per core the gateway does not use (1 on two cores): more only compete for the same
 * cores (measured at 600 commits/s: one worker process used ~70 % of a core, two ~87 % between them). `WORKERS=2`
 * measures `npm start`'s default.
 */
const workerCount = Number(process.env.WORKERS ?? Math.max(1, cpus().length - 1));
if (!Number.isInteger(workerCount) || workerCount < 1 || workerCount > 16) {
  process.stderr.write('WORKERS must be an integer from 1 to 16\n');
  process.exit(2);
}
const children: ChildProcess[] = [];
const pids: { gateway: number[]; worker: number[] } = { gateway: [], worker: [] };
/** Processes whose CPU is reported per commit: the apps, and the private Postgres and Redis when started here. */
let servers: { postgres: number | null; redis: number | null } = { postgres: null, redis: null };

async function startApp(app: 'gateway' | 'worker', env: Record<string, string>, readyText: string): Promise<void> {
  const { child, ready } = spawnUntilReady(join(ROOT, 'apps', app, 'src', 'main.ts'), { ...process.env, ...env }, readyText);
  children.push(child);
  if (child.pid) pids[app].push(child.pid);
  await ready;
}

type CpuSample = Record<'gateway' | 'worker' | 'postgres' | 'redis', number>;

function sampleCpu(): CpuSample {
  const sum = (list: number[]) => list.reduce((n, pid) => n + cpuMs(pid), 0);
  return {
    gateway: sum(pids.gateway),
    worker: sum(pids.worker),
    postgres: servers.postgres ? cpuMs(servers.postgres, true) : Number.NaN,
    redis: servers.redis ? cpuMs(servers.redis) : Number.NaN,
  };
}

/** Runs one load step; `cpu` is each part's CPU ms during the measured window. */
function runClients(step: LoadStep): Promise<LoadResult & { cpu: CpuSample }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'load-clients.ts'), JSON.stringify(step)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let before: CpuSample | null = null;
  let cpu: CpuSample = { gateway: Number.NaN, worker: Number.NaN, postgres: Number.NaN, redis: Number.NaN };
  child.stdout.on('data', (c: Buffer) => {
    const text = c.toString();
    if (text.includes('measure:start')) before = sampleCpu();
    if (text.includes('measure:end') && before) {
      const after = sampleCpu();
      const start = before;
      cpu = {
        gateway: after.gateway - start.gateway,
        worker: after.worker - start.worker,
        postgres: after.postgres - start.postgres,
        redis: after.redis - start.redis,
      };
    }
    out += text;
  });
  return new Promise((resolve, reject) => {
    // 'close', not 'exit': only then has all of the child's output been read.
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`load clients exited with code ${code}`));
      try {
        resolve({ ...(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult), cpu });
      } catch (err) {
        reject(new Error(`load clients printed no readable result (${out.length} characters): ${(err as Error).message}`));
      }
    });
  });
}

function row(label: string, step: LoadStep, r: LoadResult & { cpu: CpuSample }): Record<string, string | number> {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const perCommit = (ms: number) => (Number.isFinite(ms) && r.commits > 0 ? (ms / r.commits).toFixed(2) : '–');
  return {
    load: label,
    'commits/s': Math.round(r.commits / r.measuredSec),
    'predictions/s': Math.round(r.predictions / r.measuredSec),
    'p50 ms': percentile(sorted, 50).toFixed(1),
    'p95 ms': percentile(sorted, 95).toFixed(1),
    'p99 ms': percentile(sorted, 99).toFixed(1),
    lost: r.lost,
    errors: r.errors,
    'CPU ms/commit gw·wk·pg·redis': [r.cpu.gateway, r.cpu.worker, r.cpu.postgres, r.cpu.redis].map(perCommit).join(' · '),
    clients: `${step.clients} in ${step.rooms} rooms @ ${step.strokesPerSec}/s`,
  };
}

function postmasterPid(dataDir: string): number | null {
  try {
    return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const services = await ensureServices({
    dataDir: join(ROOT, '.data', 'bench'),
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  const space = await openScratchSpace(services.databaseUrl, services.redisUrl, 'bench');
  servers = {
    postgres: process.env.DATABASE_URL ? null : postmasterPid(join(ROOT, '.data', 'bench', 'pg')),
    redis: process.env.REDIS_URL ? null : findPid(`redis-server 127.0.0.1:${new URL(services.redisUrl).port}`),
  };
  const port = await freePort();
  const common = { DATABASE_URL: space.databaseUrl, REDIS_URL: space.redisUrl, REDIS_PREFIX: space.prefix, LOG_LEVEL: 'info' };
  try {
    await startApp('gateway', { ...common, PORT: String(port), HOST: '127.0.0.1', RATE_LIMIT_PER_SEC: '1000' }, 'gateway listening');
    for (let i = 0; i < workerCount; i++) await startApp('worker', common, 'worker ready');
    process.stderr.write(`gateway on port ${port}, ${workerCount} workers; measuring…\n`);
    const url = `http://127.0.0.1:${port}`;
    const base = { url, warmupSec: 3, measureSec: quick ? 10 : 15, drainSec: 5 };
    const rows: Record<string, string | number>[] = [];
    const target: LoadStep = {
      ...base,
      clients: Number(flags.clients ?? 200),
      rooms: Number(flags.rooms ?? 50),
      strokesPerSec: Number(flags.rate ?? 1),
    };
    const targetResult = await runClients(target);
    rows.push(row('target (p50 ≤ 15, p99 ≤ 50, lost 0)', target, targetResult));
    printTable('bench:load — progress', rows.slice(-1));
    let best = 0;
    if (!quick) {
      // A step passes with p99 ≤ 100 ms and nothing lost. A failed step is run once more (a checkpoint or a
      // GC pause on two shared cores can spoil one 15 s window); the sweep ends when it fails twice.
      sweep: for (const clients of [150, 200, 250, 300, 350, 400, 450, 500, 600]) {
        const step: LoadStep = { ...base, clients, rooms: clients, strokesPerSec: 2 };
        for (const attempt of ['sweep', 'sweep (again)']) {
          const r = await runClients(step);
          rows.push(row(attempt, step, r));
          printTable('bench:load — progress', rows.slice(-1));
          const p99 = percentile(
            [...r.latenciesMs].sort((a, b) => a - b),
            99,
          );
          if (p99 <= 100 && r.lost === 0) {
            best = Math.max(best, Math.round(r.predictions / r.measuredSec));
            continue sweep;
          }
        }
        break;
      }
    }
    printTable(`bench:load — gateway + ${workerCount} worker process(es) + clients on ${cpus().length} cores`, rows);
    if (!quick) process.stdout.write(`\nmax sustained predictions/s with p99 ≤ 100 ms and nothing lost: ${best} (target ≥ 1,000/s)\n`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await space.dispose();
    await services.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
