/**
 * An Inkling deployment whose faults can be injected, for the fault-tolerance tests and `npm run chaos`:
 * private PostgreSQL and Redis servers it controls (restart, pause, shut down), and gateways and workers
 * started as processes that can be killed or stopped (SIGKILL, SIGTERM). Gateways and workers may also be
 * started in the caller's process with `env` as their configuration.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@inkling/store';
import { spawnUntilReady } from './child-process.js';
import { freePort, type PrivatePostgres, type PrivateRedis, startPostgres, startRedis } from './local-services.js';

const ROOT = join(import.meta.dirname, '..');

export interface AppProcess {
  child: ChildProcess;
  /** Base URL (gateways). */
  url: string;
  /** Sends a signal and resolves when the process has exited. */
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

export interface FaultStack {
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** Configuration shared by every gateway and worker of this deployment (environment variables). */
  env: Record<string, string>;
  spawnGateway: (env?: Record<string, string>) => Promise<AppProcess>;
  spawnWorker: (env?: Record<string, string>) => Promise<AppProcess>;
  close: () => Promise<void>;
}

export async function startFaultStack(opts: { env?: Record<string, string>; log?: (line: string) => void } = {}): Promise<FaultStack> {
  const dir = await mkdtemp(join(tmpdir(), 'inkling-faults-'));
  const log = opts.log ?? (() => undefined);
  const postgres = await startPostgres(dir, log, false);
  const redis = await startRedis(dir, log, false);
  const db = await createTestDatabase(postgres.url, 'inkling_faults');
  const prefix = 'faults';
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    MODEL_DIR: join(ROOT, 'models', 'default'),
    MODELS_DIR: join(ROOT, 'models'),
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    ...opts.env,
  };
  const processes: AppProcess[] = [];

  const spawnApp = async (app: 'gateway' | 'worker', extra: Record<string, string>, readyText: string, url: string) => {
    const { child, ready } = spawnUntilReady(join(ROOT, 'apps', app, 'src', 'main.ts'), { ...process.env, ...env, ...extra }, readyText);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const proc: AppProcess = {
      child,
      url,
      kill: async (signal = 'SIGKILL') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      },
    };
    processes.push(proc);
    await ready;
    return proc;
  };

  return {
    postgres,
    redis,
    databaseUrl: db.url,
    redisUrl: redis.url,
    prefix,
    env,
    spawnGateway: async (extra = {}) => {
      const port = await freePort();
      // Several gateways on one host: metrics on a free port each; every simulated user comes from 127.0.0.1,
      // so the per-address limits are lifted.
      const local = {
        METRICS_PORT: '0',
        MAX_CONNECTIONS_PER_ADDRESS: '100000',
        CONNECTIONS_PER_MINUTE: '1000000',
        ROOMS_PER_HOUR: '1000000',
      };
      return spawnApp(
        'gateway',
        { HOST: '127.0.0.1', PORT: String(port), ...local, ...extra },
        'gateway listening',
        `http://127.0.0.1:${port}`,
      );
    },
    spawnWorker: (extra = {}) => spawnApp('worker', extra, 'worker ready', ''),
    close: async () => {
      await Promise.all(processes.map((p) => p.kill('SIGKILL')));
      await redis.stop();
      await postgres.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
