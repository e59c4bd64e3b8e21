/**
 * Delivers predictions published by workers (one Redis channel for the deployment) to the sockets of each
 * room on this gateway. Workers publish in revision order per room (compare-and-set in Redis), and Redis
 * keeps that order on the channel.
 */

import {
  type ClientToServerEvents,
  type InterServerEvents,
  PredictionSchema,
  redisKeys,
  type ServerToClientEvents,
  type SocketData,
} from '@inkling/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import type { GatewayMetrics } from './metrics.js';

export async function startPredictionRelay(
  subscriber: Redis,
  prefix: string,
  io: Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>,
  metrics: GatewayMetrics,
  log: Logger,
): Promise<void> {
  const channel = redisKeys(prefix).predictions;
  subscriber.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      log.warn({ channel }, 'dropping a prediction message that is not JSON');
      return;
    }
    const parsed = PredictionSchema.safeParse(json);
    if (!parsed.success) {
      log.warn({ issue: parsed.error.issues[0] }, 'dropping an invalid prediction message');
      return;
    }
    metrics.predictionsRelayed.inc();
    metrics.predictionLatency.observe(parsed.data.latencyMs / 1000);
    io.local.to(parsed.data.roomId).emit('prediction', parsed.data);
  });
  await subscriber.subscribe(channel);
}
