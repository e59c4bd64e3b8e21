/** Stable error codes carried by `{ ok: false, error: { code, message } }` acknowledgements. */
import { z } from 'zod';

export const ERROR_CODES = [
  /** The payload failed schema validation; nothing changed. */
  'INVALID_PAYLOAD',
  /** The event needs a joined room (send `room:join` first). */
  'NOT_IN_ROOM',
  /** `room:join` named a room that does not exist. */
  'ROOM_NOT_FOUND',
  /**
   * The room was idle longer than the configured expiry and takes no more changes or members; its history
   * stays readable over HTTP. Clients treat it like ROOM_NOT_FOUND (start a new room).
   */
  'ROOM_EXPIRED',
  /** The change would take the board over its budget of strokes or points (LIMITS); clear it first. */
  'BOARD_FULL',
  /** You already committed a stroke with this id to this board (a resend after reconnect): nothing changed. */
  'DUPLICATE_STROKE',
  'NOTHING_TO_UNDO',
  'NOTHING_TO_REDO',
  /** `board:label` named a revision that is neither the current board nor an archived drawing. */
  'UNKNOWN_REVISION',
  /** Too many events in a short time from this connection (or rooms / labels from this address / user). */
  'RATE_LIMITED',
  /**
   * The session token sent in the handshake (`auth: { token }`) is forged, expired or from another
   * deployment. Sent as the `connect_error` data; the client forgets the token and connects without one.
   */
  'INVALID_TOKEN',
  /** The event name is not part of the contract; nothing changed. */
  'UNKNOWN_EVENT',
  /** The event is larger in bytes than its largest legal form; nothing changed. */
  'PAYLOAD_TOO_LARGE',
  /** A server fault; the request may be retried. */
  'INTERNAL',
  /**
   * The database stayed unreachable past the server's retry deadline (a restart, failover or overload).
   * Retryable: send the same request again (a stroke that did land is then answered DUPLICATE_STROKE).
   */
  'UNAVAILABLE',
  /** `board:erase` named a stroke of someone else: only your own strokes can be erased; nothing changed. */
  'NOT_YOUR_STROKE',
  /** `board:erase` named a stroke of yours that is not on the board (already erased, undone or cleared); nothing changed. */
  'STROKE_NOT_FOUND',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const AckErrorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });
export type AckError = z.infer<typeof AckErrorSchema>;

export type AckFailure = { ok: false; error: AckError };
export type AckResult<T extends object = Record<never, never>> = ({ ok: true } & T) | AckFailure;

/** An error with a stable code, thrown inside handlers and turned into an error acknowledgement. */
export class InklingError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InklingError';
  }
}

export function failure(code: ErrorCode, message: string): AckFailure {
  return { ok: false, error: { code, message } };
}
