/**
 * Builds a gateway: HTTP API + Socket.IO on one server, Postgres for rooms, Redis for the Socket.IO adapter
 * (cross-gateway rooms), the recognition queue and the prediction channel. Listens on the given port (0 in
 * tests) and closes everything it opened.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_EVENT_BYTES } from '@inkling/protocol';
import { createPool, HistoryRepository, ModelRegistry, migrate, RoomRepository, TrainingData } from '@inkling/store';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { Server } from 'socket.io';
import { createAdminApi, resolveAdminToken } from './admin-api.js';
import { type GatewayConfig, type GatewayConfigInput, parseGatewayConfig } from './config.js';
import { type GatewayPeers, watchGatewayPeers } from './gateway-peers.js';
import { createHttpHandler } from './http-api.js';
import { createMetrics } from './metrics.js';
import { startPredictionRelay } from './prediction-relay.js';
import { RecognitionQueue } from './recognition-queue.js';
import { persistedSecret, SessionTokens } from './session-token.js';
import { installSocketGuards, parseTrustProxy } from './socket-guards.js';
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
  const pool = createPool(config.DATABASE_URL, 20);
  await migrate(pool);
  const redisOptions = { maxRetriesPerRequest: null, lazyConnect: false } as const;
  const command = new Redis(config.REDIS_URL, redisOptions);
  // Publishes only: auto-pipelining sends all broadcasts of one event-loop turn in one write.
  const pub = new Redis(config.REDIS_URL, { ...redisOptions, enableAutoPipelining: true });
  const sub = new Redis(config.REDIS_URL, redisOptions);
  const predictionSub = new Redis(config.REDIS_URL, redisOptions);
  for (const c of [command, pub, sub, predictionSub]) c.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));

  const metrics = createMetrics();
  const rooms = new RoomRepository(pool);
  const history = new HistoryRepository(pool);
  const recognition = new RecognitionQueue(command, config.REDIS_PREFIX, (boards) => {
    metrics.jobsEnqueued.inc();
    metrics.boardsEnqueued.inc(boards);
  });

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
    // The largest legal event (a load of a full board); anything bigger closes the connection unread.
    maxHttpBufferSize: MAX_EVENT_BYTES,
    // Cross-origin reads of the polling transport only for the configured origins (same-origin needs none).
    ...(config.ALLOWED_ORIGINS.length > 0 ? { cors: { origin: config.ALLOWED_ORIGINS } } : {}),
    adapter: createAdapter(pub, sub, { key: `${config.REDIS_PREFIX}:socket.io` }),
  });
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
  registerSocketHandlers({
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
      await recognition.close();
      await admin.close();
      await Promise.all([command, pub, sub, predictionSub].map((c) => c.quit().catch(() => undefined)));
      await pool.end();
    },
  };
}
