/**
 * Errors that mean a dependency is unavailable for a moment rather than a bug: Postgres faults that outlasted
 * (or escaped) their retries, Redis connections closed or refused, and other gateways not answering through
 * the Socket.IO adapter in time. Acknowledged as UNAVAILABLE (retryable), never INTERNAL.
 */
import { isTransientError } from '@inkling/store';

const UNAVAILABLE_MESSAGES = [
  'Connection is closed', // ioredis
  'Reached the max retries per request limit', // ioredis
  'timeout reached while waiting for', // socket.io adapter (fetchSockets, serverSideEmit)
];

export function isUnavailable(err: unknown): boolean {
  if (isTransientError(err)) return true;
  return err instanceof Error && UNAVAILABLE_MESSAGES.some((m) => err.message.includes(m));
}
