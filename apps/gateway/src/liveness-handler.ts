/**
 * `connection:ping`: the liveness probe clients send when they have heard nothing for a moment. Answered
 * at once, outside the connection's ordered queue, so a client notices a dead network (or gateway) within
 * a second or two; a bounded number per second, so a flood costs no more than the packets themselves.
 */
import { type ClientToServerEvents, EmptyPayloadSchema, failure, type ServerToClientEvents } from '@inkling/protocol';
import type { Socket } from 'socket.io';
import { TokenBucket } from './rate-limiter.js';

/** Probes answered per second and connection (an idle client sends about two). */
export const PINGS_PER_SEC = 10;

export function registerLivenessHandler(socket: Socket<ClientToServerEvents, ServerToClientEvents>): void {
  const bucket = new TokenBucket(PINGS_PER_SEC);
  socket.on('connection:ping', (...args: unknown[]) => {
    const ack = args.at(-1);
    if (typeof ack !== 'function' || !bucket.take()) return;
    const payload = args.length > 1 ? args[0] : {};
    ack(EmptyPayloadSchema.safeParse(payload).success ? { ok: true } : failure('INVALID_PAYLOAD', 'connection:ping takes {}'));
  });
}
