/**
 * What a client does with each answer the server can give to a change it sent: an error code is a
 * definitive refusal (tell the person, keep the stroke visible as refused), a fault worth retrying with
 * backoff, proof that the change was already delivered, or a sign the connection lost its room or
 * identity. Codes this client does not know yet (a newer server) count as refusals: shown, never
 * retried forever, never silently dropped.
 */
import type { ErrorCode } from '@inkling/protocol';

export type Disposition =
  /** Already applied on the server (a resend after a lost ack): done. */
  | 'delivered'
  /** Will never be accepted as it is: report it, keep the stroke as refused. */
  | 'refused'
  /** A transient fault: send the same thing again after a delay. */
  | 'retry'
  /** The connection is not in its room (any more): join again, then resend. */
  | 'rejoin'
  /** The server does not accept who we say we are: forget the token, reconnect as a new person, resend. */
  | 'reidentify';

/**
 * Every code of the contract, and those announced for it (PLAN.md §2) so that this client behaves right
 * whichever of them the server it talks to already sends.
 */
const DISPOSITIONS = {
  DUPLICATE_STROKE: 'delivered',
  INVALID_PAYLOAD: 'refused',
  BOARD_FULL: 'refused',
  ROOM_NOT_FOUND: 'refused',
  ROOM_EXPIRED: 'refused',
  PAYLOAD_TOO_LARGE: 'refused',
  UNKNOWN_EVENT: 'refused',
  NOTHING_TO_UNDO: 'refused',
  NOTHING_TO_REDO: 'refused',
  UNKNOWN_REVISION: 'refused',
  NOT_YOUR_STROKE: 'refused',
  STROKE_NOT_FOUND: 'refused',
  NOT_IN_ROOM: 'rejoin',
  INVALID_TOKEN: 'reidentify',
  RATE_LIMITED: 'retry',
  INTERNAL: 'retry',
  UNAVAILABLE: 'retry',
} as const satisfies Record<ErrorCode, Disposition> & Record<string, Disposition>;

export function dispositionOf(code: string): Disposition {
  return Object.hasOwn(DISPOSITIONS, code) ? DISPOSITIONS[code as keyof typeof DISPOSITIONS] : 'refused';
}

/** Whether a request refused with `code` may be sent again unchanged. */
export const isRetryable = (code: string): boolean => dispositionOf(code) === 'retry';

export interface BackoffOptions {
  /** Delay before the first retry, in ms (the actual delay is between half of it and all of it). */
  baseMs: number;
  /** Longest delay between two attempts, in ms. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 10_000 };

/**
 * Delay before retry number `attempt` (1, 2, …): doubling from `baseMs` up to `maxMs`, with "equal jitter"
 * (half fixed, half random) so that many clients cut off by the same fault do not come back in step.
 */
export function retryDelayMs(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
