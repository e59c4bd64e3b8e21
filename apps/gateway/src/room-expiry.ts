/**
 * Expires idle rooms: every `checkMs`, rooms with no change and no join for `idleMs` are closed (their
 * drawing archived, their history still readable through the room id). Safe on several gateways at once.
 */
import type { RoomRepository } from '@inkling/store';
import type { Logger } from 'pino';

export function startRoomExpiry(opts: { rooms: RoomRepository; idleMs: number; checkMs: number; log: Logger }): { stop: () => void } {
  const run = async () => {
    for (;;) {
      const expired = await opts.rooms.expireIdleRooms(opts.idleMs);
      if (expired.length > 0) opts.log.info({ rooms: expired.length }, 'expired idle rooms');
      if (expired.length < 500) return;
    }
  };
  const timer = setInterval(() => {
    run().catch((err: unknown) => opts.log.warn({ err }, 'room expiry failed; retrying at the next check'));
  }, opts.checkMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
