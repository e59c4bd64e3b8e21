/**
 * A whole Inkling stack for integration tests: its own database and Redis prefix, a gateway on port 0,
 * workers in this process or as child processes, socket.io clients; everything removed by `close()`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Gateway, startGateway } from '@inkling/gateway';
import type { ClientToServerEvents, ServerToClientEvents, Stroke } from '@inkling/protocol';
import { startTrainerService, type TrainerService } from '@inkling/trainer/service';
import { type RecognitionWorker, startRecognitionWorker } from '@inkling/worker';
import pino from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { inject } from 'vitest';
import { spawnUntilReady } from '../../scripts/child-process.js';
import { openScratchSpace } from '../../scripts/scratch-space.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const DEFAULT_MODEL_DIR = process.env.TEST_MODEL_DIR ?? join(ROOT, 'models', 'default');

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const SESSION_SECRET = 'test-session-secret-0123456789-abcdefghijklmnop';

/** How a test client connects: as who (a session token), from which page (Origin), by which transport. */
export interface ClientOptions {
  token?: string;
  origin?: string;
  transports?: ('websocket' | 'polling')[];
}

export interface Stack {
  gateway: Gateway;
  /** Shared models directory of this stack (a temporary folder). */
  modelsDir: string;
  startTrainer: () => Promise<TrainerService>;
  /** The trainer as its own process (training blocks its event loop, as in production). */
  spawnTrainer: (env?: Record<string, string>) => Promise<ChildProcess>;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  workers: RecognitionWorker[];
  startWorker: (env?: Record<string, string>) => Promise<RecognitionWorker>;
  spawnWorker: (env?: Record<string, string>) => Promise<ChildProcess>;
  restartGateway: () => Promise<Gateway>;
  /** Another gateway of the same deployment (same database and Redis), closed with the stack. */
  startExtraGateway: (env?: Record<string, string | number>) => Promise<Gateway>;
  /** A gateway of the same deployment as its own process (to measure its memory), killed with the stack. */
  spawnGateway: (env?: Record<string, string>) => Promise<{ child: ChildProcess; url: string; metricsUrl: string }>;
  /** A connected client of the main gateway, or of the one at `url`. */
  client: (url?: string, options?: ClientOptions) => Promise<Client>;
  close: () => Promise<void>;
}

// TEST_GATEWAY_LOG=error (or debug…) shows the gateways' and workers' logs while debugging a test.
const silent = pino({ level: process.env.TEST_GATEWAY_LOG ?? 'silent' });

export async function startStack(
  opts: {
    workers?: number;
    workerEnv?: Record<string, string>;
    webDist?: string;
    /** Gateway settings for this stack (e.g. tighter limits for an attack test). */
    gatewayEnv?: Record<string, string | number>;
  } = {},
): Promise<Stack> {
  const space = await openScratchSpace(inject('databaseUrl'), inject('redisUrl'), 'test');
  const { redisUrl, prefix } = space;
  const gatewayConfig = {
    PORT: 0,
    HOST: '127.0.0.1',
    DATABASE_URL: space.databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'silent' as const,
    RATE_LIMIT_PER_SEC: 1000,
    ...(opts.webDist ? { WEB_DIST: opts.webDist } : {}),
    ADMIN_TOKEN,
    NODE_ENV: 'test',
    GATEWAY_PEER_CHECK_MS: 200,
    SESSION_SECRET,
    METRICS_PORT: 0,
    // Tests open many connections and rooms from one address; the limits' own tests set them lower.
    MAX_CONNECTIONS_PER_ADDRESS: 10_000,
    CONNECTIONS_PER_MINUTE: 100_000,
    ROOMS_PER_HOUR: 1_000_000,
    LABELS_PER_MINUTE: 100_000,
    ...opts.gatewayEnv,
  };
  const modelsDir = await mkdtemp(join(tmpdir(), 'inkling-models-'));
  const workerBase = {
    DATABASE_URL: space.databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    MODEL_DIR: DEFAULT_MODEL_DIR,
    MODELS_DIR: modelsDir,
    WORKER_CONCURRENCY: 8,
    WORKER_LOCK_MS: 1000,
    WORKER_STALLED_INTERVAL_MS: 500,
    WORKER_FAULT_DELAY_MS: 0,
    LOG_LEVEL: 'silent' as const,
  };
  const clients: Client[] = [];
  const children: ChildProcess[] = [];
  const workers: RecognitionWorker[] = [];
  const trainers: TrainerService[] = [];
  let gateway = await startGateway(gatewayConfig, silent);
  const extraGateways: Gateway[] = [];

  const stack: Stack = {
    get gateway() {
      return gateway;
    },
    databaseUrl: space.databaseUrl,
    redisUrl,
    prefix,
    modelsDir,
    workers,
    startTrainer: async () => {
      const t = await startTrainerService(
        { DATABASE_URL: space.databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, MODELS_DIR: modelsDir, MODEL_DIR: DEFAULT_MODEL_DIR },
        silent,
      );
      trainers.push(t);
      return t;
    },
    startWorker: async (env = {}) => {
      const w = await startRecognitionWorker({ ...workerBase, ...opts.workerEnv, ...parseNumbers(env) }, silent);
      workers.push(w);
      return w;
    },
    spawnWorker: async (env = {}) => {
      const { child, ready } = spawnUntilReady(
        join(ROOT, 'apps', 'worker', 'src', 'main.ts'),
        { ...process.env, ...stringify(workerBase), ...opts.workerEnv, ...env, LOG_LEVEL: 'info' },
        'worker ready',
      );
      children.push(child);
      await ready;
      return child;
    },
    spawnTrainer: async (extraEnv = {}) => {
      const { child, ready } = spawnUntilReady(
        join(ROOT, 'apps', 'trainer', 'src', 'trainer-main.ts'),
        {
          ...process.env,
          DATABASE_URL: space.databaseUrl,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          MODELS_DIR: modelsDir,
          MODEL_DIR: DEFAULT_MODEL_DIR,
          LOG_LEVEL: 'info',
          ...extraEnv,
        },
        'trainer ready',
      );
      children.push(child);
      await ready;
      return child;
    },
    spawnGateway: async (env = {}) => {
      const [port, metricsPort] = [await freePort(), await freePort()];
      const { child, ready } = spawnUntilReady(
        join(ROOT, 'apps', 'gateway', 'src', 'main.ts'),
        { ...process.env, ...stringify(gatewayConfig), ...env, PORT: String(port), METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' },
        'gateway listening',
      );
      children.push(child);
      await ready;
      return { child, url: `http://127.0.0.1:${port}`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    },
    restartGateway: async () => {
      await gateway.close();
      gateway = await startGateway(gatewayConfig, silent);
      return gateway;
    },
    startExtraGateway: async (env = {}) => {
      const started = await startGateway({ ...gatewayConfig, ...env }, silent);
      let closing: Promise<void> | undefined;
      // Closing twice (by the test, then by the stack) closes once.
      const g: Gateway = { ...started, close: () => (closing ??= started.close()) };
      extraGateways.push(g);
      return g;
    },
    client: async (url = gateway.url, options: ClientOptions = {}) => {
      const c: Client = connect(url, {
        transports: options.transports ?? ['websocket'],
        reconnection: false,
        forceNew: true,
        ...(options.token ? { auth: { token: options.token } } : {}),
        ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
      });
      clients.push(c);
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('connect_error', reject);
      });
      return c;
    },
    close: async () => {
      for (const c of clients) c.disconnect();
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(trainers.map((t) => t.close()));
      await Promise.all(extraGateways.map((g) => g.close()));
      await gateway.close();
      await space.dispose();
      await rm(modelsDir, { recursive: true, force: true });
    },
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await stack.startWorker();
  return stack;
}

/** A TCP port free right now (for a child process that needs its port before it starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function stringify(o: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
}

function parseNumbers(env: Record<string, string>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v]));
}

/** Resolves with the first event of `name` whose payload satisfies `match`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  client: Client,
  name: E,
  match: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(name, listener as never);
      reject(new Error(`no ${String(name)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: Parameters<ServerToClientEvents[E]>[0]) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      client.off(name, listener as never);
      resolve(payload);
    };
    client.on(name, listener as never);
  });
}

/** Emits an event and resolves with its acknowledgement. */
export function call<E extends keyof ClientToServerEvents>(
  client: Client,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
): Promise<Parameters<Parameters<ClientToServerEvents[E]>[1]>[0]> {
  // biome-ignore lint/suspicious/noExplicitAny: socket.io's emitWithAck typing cannot be narrowed per event here
  return (client.timeout(10_000) as any).emitWithAck(event, payload);
}

/** Someone in a room: their connection and who the gateway says they are. */
export interface Joined {
  client: Client;
  roomId: string;
  userId: string;
  token: string;
}

/** Joins `roomId` (or a new room) as `name` on `client`; a refusal throws with its code. */
export async function joinRoom(client: Client, name: string, roomId?: string): Promise<Joined> {
  const ack = await call(client, 'room:join', roomId ? { roomId, name } : { name });
  if (!ack.ok) throw new Error(`join failed: ${ack.error.code}`);
  return { client, roomId: ack.roomId, userId: ack.userId, token: ack.token };
}

/** Commits a stroke, resolving with the new revision; a refusal throws with its code. */
export async function commitStroke(client: Client, stroke: Stroke): Promise<number> {
  const ack = await call(client, 'stroke:commit', { stroke });
  if (!ack.ok) throw new Error(`commit failed: ${ack.error.code} ${ack.error.message}`);
  return ack.revision;
}
