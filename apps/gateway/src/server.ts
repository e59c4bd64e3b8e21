/**
 * Builds a gateway: the HTTP layer (Fastify) and Socket.IO on one server, Postgres for rooms, Redis for
 * the Socket.IO adapter (cross-gateway rooms), the recognition queue and the prediction channel, and an
 * internal listener for `/metrics`. Listens on the given port (0 in tests) and closes everything it opened.
 */
import type { AddressInfo } from 'node:net';
import {
  MAX_EVENT_BYTES,
  RECOGNITION_QUEUE,
  TRAINING_JOB_OPTIONS,
  TRAINING_QUEUE,
  type TrainingJobData,
  type TrainingJobResult,
} from '@inkling/protocol';
import { createPool, HistoryRepository, ModelRegistry, migrate, RecognitionStore, RoomRepository, TrainingData } from '@inkling/store';
import { createAdapter } from '@socket.io/redis-adapter';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { Server } from 'socket.io';
import { AdminAuth, resolveAdminToken } from './admin-auth.js';
import { type GatewayConfig, type GatewayConfigInput, parseGatewayConfig } from './config.js';
import { type GatewayPeers, watchGatewayPeers } from './gateway-peers.js';
import { buildHttpApp } from './http-app.js';
import { createMetrics } from './metrics.js';
import { startMetricsServer } from './metrics-server.js';
import { PngRenderer } from './png-renderer.js';
import { startPredictionRelay } from './prediction-relay.js';
import { createRecognitionMetrics } from './recognition-metrics.js';
import { RecognitionQueue } from './recognition-queue.js';
import { startReconciler } from './reconciler.js';
import { startRoomExpiry } from './room-expiry.js';
import { BARE_SECURITY_HEADERS } from './security-headers.js';
import { persistedSecret, SessionTokens } from './session-token.js';
import { installSocketGuards, parseTrustProxy } from './socket-guards.js';
import { type InklingServer, registerSocketHandlers } from './socket-handlers.js';

export { SessionTokens } from './session-token.js';
export { LABELS_PER_ADDRESS_FACTOR } from './socket-handlers.js';

export interface Gateway {
  io: InklingServer;
  /** Whether other gateways share the deployment (room events then go through Redis). */
  peers: GatewayPeers;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** The internal Prometheus endpoint, e.g. http://127.0.0.1:9464/metrics */
  metricsUrl: string;
  /** PNGs rendered so far by this gateway (cache misses). */
  pngRenders: () => number;
  close: () => Promise<void>;
}

/** Starts a gateway from its configuration (environment-style values are parsed and validated here). */
export async function startGateway(input: GatewayConfigInput | GatewayConfig, logger?: Logger): Promise<Gateway> {
  const config = parseGatewayConfig(input);
  logger ??= pino({ level: config.LOG_LEVEL });
  const log = logger.child({ area: 'gateway' });
  if (!config.SESSION_SECRET)
    log.warn({ file: config.SESSION_SECRET_FILE }, 'SESSION_SECRET is not set; using a generated one kept in a file');
  const tokens = new SessionTokens(
    config.SESSION_SECRET ?? persistedSecret(config.SESSION_SECRET_FILE),
    config.SESSION_TTL_DAYS * 86_400_000,
  );
  const trustProxy = parseTrustProxy(config.TRUST_PROXY);
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
  const queueConnection = command.duplicate();
  for (const c of [command, pub, sub, predictionSub, queueConnection])
    c.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  // A SUBSCRIBE sent before the connection's ready check makes ioredis fail that check (its INFO is refused in
  // subscriber mode): the subscribers are used only once ready.
  await Promise.all([sub, predictionSub].map((c) => (c.status === 'ready' ? undefined : new Promise((ready) => c.once('ready', ready)))));

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
    batchWindowMs: config.RECOGNITION_BATCH_MS,
    faultEnqueueDelayMs: config.FAULT_ENQUEUE_DELAY_MS,
    trace: config.PIPELINE_TRACE,
  });
  recognitionMetrics.watchQueue(recognition.queue, () => recognition.backlog);
  // Read-only views of the queues for the admin API and the queue dashboard.
  const trainingQueue = new Queue<TrainingJobData, TrainingJobResult>(TRAINING_QUEUE, {
    connection: queueConnection,
    prefix: config.REDIS_PREFIX,
    defaultJobOptions: TRAINING_JOB_OPTIONS,
  });
  const recognitionView = new Queue(RECOGNITION_QUEUE, { connection: queueConnection, prefix: config.REDIS_PREFIX });
  const png = new PngRenderer({
    threads: config.PNG_THREADS,
    maxQueue: config.PNG_QUEUE,
    timeoutMs: config.PNG_TIMEOUT_MS,
    onRendered: (ms) => metrics.pngRender.observe(ms / 1000),
  });

  const app = await buildHttpApp({
    log: logger.child({ area: 'gateway:http' }),
    trustProxy,
    allowedOrigins: config.ALLOWED_ORIGINS,
    webDist: config.WEB_DIST,
    requestsPerMinute: config.HTTP_REQUESTS_PER_MINUTE,
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
    history: { history, png, pngPerMinute: config.PNG_PER_MINUTE },
    admin: {
      auth: new AdminAuth(resolveAdminToken(config.ADMIN_TOKEN, config.NODE_ENV === 'production', log)),
      registry: new ModelRegistry(pool),
      data: new TrainingData(pool),
      redis: command,
      redisPrefix: config.REDIS_PREFIX,
      training: trainingQueue,
      recognition: recognitionView,
      log: logger.child({ area: 'gateway:admin' }),
    },
  });

  const io: InklingServer = new Server(app.server, {
    // The largest legal event (a load of a full board); anything bigger closes the connection unread.
    maxHttpBufferSize: MAX_EVENT_BYTES,
    // Cross-origin reads of the polling transport only for the configured origins (same-origin needs none).
    ...(config.ALLOWED_ORIGINS.length > 0 ? { cors: { origin: config.ALLOWED_ORIGINS } } : {}),
    adapter: createAdapter(pub, sub, { key: `${config.REDIS_PREFIX}:socket.io` }),
  });
  io.engine.on('initial_headers', (headers: Record<string, string>) => Object.assign(headers, BARE_SECURITY_HEADERS));
  io.engine.on('headers', (headers: Record<string, string>) => Object.assign(headers, BARE_SECURITY_HEADERS));
  const guards = installSocketGuards(io, {
    allowedOrigins: config.ALLOWED_ORIGINS,
    trustProxy,
    maxConnectionsPerAddress: config.MAX_CONNECTIONS_PER_ADDRESS,
    connectionsPerMinute: config.CONNECTIONS_PER_MINUTE,
    tokens,
    log: logger.child({ area: 'gateway:guards' }),
  });
  // Before listening: running gateways must hear of this one before it can have a client in any room.
  const peers = await watchGatewayPeers({
    redis: command,
    subscriber: predictionSub,
    prefix: config.REDIS_PREFIX,
    checkMs: config.GATEWAY_PEER_CHECK_MS,
    log: logger.child({ area: 'gateway:peers' }),
  });
  const handlers = registerSocketHandlers({
    io,
    peers,
    rooms,
    recognition,
    metrics,
    log: logger.child({ area: 'gateway:socket' }),
    ratePerSec: config.RATE_LIMIT_PER_SEC,
    tokens,
    clientAddress: guards.clientAddress,
    limits: {
      maxPendingEvents: config.MAX_PENDING_EVENTS,
      maxRefusalsPer10s: config.MAX_REFUSALS_PER_10S,
      labelsPerMinute: config.LABELS_PER_MINUTE,
      roomsPerHour: config.ROOMS_PER_HOUR,
    },
  });
  await startPredictionRelay(predictionSub, config.REDIS_PREFIX, io, metrics, logger.child({ area: 'gateway:predictions' }));
  // At start-up (finds what a gateway killed between commit and enqueue left), periodically, and when Redis
  // comes back.
  const reconciler = startReconciler({
    store: recognitionStore,
    request: (roomId, revision, acceptedAtMs) => recognition.request(roomId, revision, acceptedAtMs),
    redis: recognition.redis,
    prefix: config.REDIS_PREFIX,
    jobKey: (jobId) => recognition.queue.toKey(jobId),
    intervalMs: config.RECONCILE_INTERVAL_MS,
    metrics: recognitionMetrics,
    log: logger.child({ area: 'gateway:reconciler' }),
  });
  const expiry = startRoomExpiry({
    rooms,
    idleMs: config.ROOM_IDLE_DAYS * 86_400_000,
    checkMs: config.ROOM_EXPIRY_CHECK_MS,
    log: logger.child({ area: 'gateway:expiry' }),
  });

  const metricsServer = await startMetricsServer(metrics.registry, config.METRICS_PORT, config.METRICS_HOST);
  await app.listen({ port: config.PORT, host: config.HOST });
  const port = (app.server.address() as AddressInfo).port;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  log.info({ port, metrics: metricsServer.url }, 'gateway listening');

  return {
    io,
    peers,
    port,
    url: `http://${host}:${port}`,
    metricsUrl: metricsServer.url,
    pngRenders: () => png.rendered,
    close: async () => {
      expiry.stop();
      await peers.close();
      // Only this gateway's sockets: through the Redis adapter, the whole deployment's would be closed.
      io.local.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await handlers.settled();
      await app.close();
      await metricsServer.close();
      await png.close();
      await reconciler.close();
      await recognition.close();
      await trainingQueue.close();
      await recognitionView.close();
      await Promise.all([command, pub, sub, predictionSub, queueConnection].map((c) => c.quit().catch(() => undefined)));
      await pool.end();
    },
  };
}
