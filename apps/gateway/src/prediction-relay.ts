/**
 * Delivers predictions published by workers (one Redis channel for the deployment) to the sockets of each
 * room on this gateway. Workers publish in revision order per room (compare-and-set in Redis), and Redis
 * keeps that order on the channel.
 *
 * Messages are not validated again here: only the project's own workers publish on this channel, and they
 * build each prediction from the model's output and the board they read (the payloads clients sent were
 * validated when they came in). A message that is not JSON or names no room is dropped.
 */

import {
  type ClientToServerEvents,
  type InterServerEvents,
  redisKeys,
  type ServerToClientEvents,
  type SocketData,
  type TracedPrediction,
  traceHop,
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
    let prediction: TracedPrediction;
    try {
      prediction = JSON.parse(message) as TracedPrediction;
    } catch {
      log.warn({ channel }, 'dropping a prediction message that is not JSON');
      return;
    }
    if (typeof prediction?.roomId !== 'string') {
      log.warn({ channel }, 'dropping a prediction message without a room');
      return;
    }
    traceHop(prediction.trace, 'emitted');
    metrics.predictionsRelayed.inc();
    metrics.predictionLatency.observe(prediction.latencyMs / 1000);
    io.local.to(prediction.roomId).emit('prediction', prediction);
  });
  await subscriber.subscribe(channel);
}
