/**
 * Postgres faults that mean "try again": the server restarting, starting up or shutting a session down, a
 * connection reset or refused, a serialization failure or deadlock. Calls failing with them are retried with
 * exponential backoff up to a deadline; past it they fail with `UnavailableError` (code `UNAVAILABLE`, which
 * clients retry), never as an internal error.
 */
import { InklingError } from '@inkling/protocol';

/**
 * SQLSTATEs after which the statement is known not to have taken effect (its transaction was rolled back or
 * never began), or the server could not be reached at all.
 */
const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '57P01', // admin_shutdown (fast or smart shutdown, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovery)
  '53300', // too_many_connections
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
]);

/** Socket-level failures (Node error codes) while connecting or talking to the server. */
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** node-postgres reports a lost connection or a connect timeout with these messages and no code. */
const RETRYABLE_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
];

/** Errors whose SQLSTATE proves the work was rolled back (never half-applied, even at COMMIT). */
const ROLLED_BACK_SQLSTATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for a Postgres or connection fault worth retrying. */
export function isTransientError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = codeOf(err);
  if (code && (RETRYABLE_SQLSTATES.has(code) || RETRYABLE_NODE_CODES.has(code))) return true;
  return RETRYABLE_MESSAGES.some((m) => err.message.includes(m));
}

/** True when the error proves that the transaction did not commit (unlike a connection lost mid-COMMIT). */
export function provesRolledBack(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && ROLLED_BACK_SQLSTATES.has(code);
}

/** The database stayed unavailable past the retry deadline. */
export class UnavailableError extends InklingError {
  constructor(message = 'the database is unavailable right now; try again', options?: { cause?: unknown }) {
    super('UNAVAILABLE', message);
    this.name = 'UnavailableError';
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export interface RetryPolicy {
  /** Give up (with UnavailableError) once this long has passed since the first attempt. */
  deadlineMs: number;
  /** First backoff; doubled per retry up to `maxDelayMs` (with ±25 % jitter). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each retry (metrics, logs). */
  onRetry?: (err: unknown, attempt: number) => void;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { deadlineMs: 5000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work`, retrying transient faults with backoff until the deadline; then throws UnavailableError. */
export async function retryTransient<T>(work: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY_POLICY): Promise<T> {
  const started = Date.now();
  const base = policy.baseDelayMs ?? 25;
  const max = policy.maxDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isTransientError(err)) throw err;
      const delay = Math.min(max, base * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      if (Date.now() + delay - started > policy.deadlineMs) throw new UnavailableError(undefined, { cause: err });
      policy.onRetry?.(err, attempt);
      await sleep(delay);
    }
  }
}
