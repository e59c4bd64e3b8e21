/**
 * Builds a gateway: HTTP API + Socket.IO on one server, Postgres for rooms, Redis for the Socket.IO adapter
 * (cross-gateway rooms), the recognition queue and the prediction channel. Listens on the given port (0 in
 * tests) and closes everything it opened.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool, HistoryRepository, ModelRegistry, migrate, RecognitionStore, RoomRepository, TrainingData } from '@inkling/store';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { Server } from 'socket.io';
import { createAdminApi, resolveAdminToken } from './admin-api.js';
import { type GatewayConfigInput, GatewayConfigSchema } from './config.js';
import { type GatewayPeers, watchGatewayPeers } from './gateway-peers.js';
import { createHttpHandler } from './http-api.js';
import { createMetrics } from './metrics.js';
import { startPredictionRelay } from './prediction-relay.js';
import { createRecognitionMetrics } from './recognition-metrics.js';
import { RecognitionQueue } from './recognition-queue.js';
import { startReconciler } from './reconciler.js';
import { type InklingServer, registerSocketHandlers } from './socket-handlers.js';

export interface Gateway {
  io: InklingServer;
  /** Whether other gateways share the deployment (room events then go through Redis). */
  peers: GatewayPeers;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  close: () => Promise<void>;
}

/** `options` are the configuration variables; defaults apply to those left out. */
export async function startGateway(options: GatewayConfigInput, logger?: Logger): Promise<Gateway> {
  const config = GatewayConfigSchema.parse(options);
  logger ??= pino({ level: config.LOG_LEVEL });
  const log = logger.child({ area: 'gateway' });
  const metrics = createMetrics();
  const recognitionMetrics = createRecognitionMetrics(metrics.registry, (boards) => {
    metrics.jobsEnqueued.inc();
    metrics.boardsEnqueued.inc(boards);
  });
  const pool = createPool(config.DATABASE_URL, 20, {
    retry: { deadlineMs: config.PG_RETRY_DEADLINE_MS, onRetry: () => recognitionMetrics.postgresRetries.inc() },
  });
  await migrate(pool);
  const redisOptions = { maxRetriesPerRequest: null, lazyConnect: false } as const;
  const command = new Redis(config.REDIS_URL, redisOptions);
  // Publishes only: auto-pipelining sends all broadcasts of one event-loop turn in one write.
  const pub = new Redis(config.REDIS_URL, { ...redisOptions, enableAutoPipelining: true });
  const sub = new Redis(config.REDIS_URL, redisOptions);
  const predictionSub = new Redis(config.REDIS_URL, redisOptions);
  for (const c of [command, pub, sub, predictionSub]) c.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));

  const rooms = new RoomRepository(pool);
  const history = new HistoryRepository(pool);
  const recognitionStore = new RecognitionStore(pool);
  const recognition = new RecognitionQueue({
    redis: command,
    prefix: config.REDIS_PREFIX,
    store: recognitionStore,
    log: logger.child({ area: 'gateway:recognition' }),
    metrics: recognitionMetrics,
    recognizeLimit: config.RECOGNIZE_LIMIT_PER_ROOM,
    recognizeWindowMs: config.RECOGNIZE_WINDOW_MS,
    faultEnqueueDelayMs: config.FAULT_ENQUEUE_DELAY_MS,
  });
  recognitionMetrics.watchQueue(recognition.queue, () => recognition.backlog);

  const admin = createAdminApi({
    token: resolveAdminToken(config.ADMIN_TOKEN, config.NODE_ENV === 'production', log),
    registry: new ModelRegistry(pool),
    data: new TrainingData(pool),
    redis: command,
    prefix: config.REDIS_PREFIX,
    log: logger.child({ area: 'gateway:admin' }),
  });
  const http = createServer(
    createHttpHandler({
      admin,
      history,
      metrics,
      webDist: config.WEB_DIST,
      health: async () => ({
        postgres: await pool.query('SELECT 1').then(
          () => true,
          () => false,
        ),
        redis: await command.ping().then(
          (r) => r === 'PONG',
          () => false,
        ),
      }),
    }),
  );
  const io: InklingServer = new Server(http, {
    maxHttpBufferSize: 2_000_000,
    cors: { origin: true },
    adapter: createAdapter(pub, sub, { key: `${config.REDIS_PREFIX}:socket.io` }),
  });
  // Before listening: running gateways must hear of this one before it can have a client in any room.
  const peers = await watchGatewayPeers({
    redis: command,
    subscriber: predictionSub,
    prefix: config.REDIS_PREFIX,
    checkMs: config.GATEWAY_PEER_CHECK_MS,
    log: logger.child({ area: 'gateway:peers' }),
  });
  registerSocketHandlers({
    io,
    peers,
    rooms,
    recognition,
    metrics,
    log: logger.child({ area: 'gateway:socket' }),
    ratePerSec: config.RATE_LIMIT_PER_SEC,
  });
  await startPredictionRelay(predictionSub, config.REDIS_PREFIX, io, metrics, logger.child({ area: 'gateway:predictions' }));
  // At start-up (finds what a gateway killed between commit and enqueue left), periodically, and when Redis
  // comes back.
  const reconciler = startReconciler({
    store: recognitionStore,
    request: (roomId, revision, acceptedAtMs) => recognition.request(roomId, revision, acceptedAtMs),
    redis: recognition.redis,
    intervalMs: config.RECONCILE_INTERVAL_MS,
    metrics: recognitionMetrics,
    log: logger.child({ area: 'gateway:reconciler' }),
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  log.info({ port }, 'gateway listening');

  return {
    io,
    peers,
    port,
    url: `http://${host}:${port}`,
    close: async () => {
      await peers.close();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await reconciler.close();
      await recognition.close();
      await admin.close();
      await Promise.all([command, pub, sub, predictionSub].map((c) => c.quit().catch(() => undefined)));
      await pool.end();
    },
  };
}
