/**
 * Counters of one client, for load and fault-injection runs that add them up over many simulated clients:
 * what happened to every stroke (each ends delivered, refused, dismissed or still pending, so
 * `InklingClient.inkDropped()` is always 0), errors by code, and the connection's ups and downs.
 */
export interface ClientStats {
  /** Strokes given to `commit()`. */
  strokesQueued: number;
  /** Undelivered strokes put back from the outbox store at start-up (an earlier session's). */
  strokesRestored: number;
  /** Strokes now on the server's board: acknowledged, or found there (duplicate / broadcast / rejoin). */
  strokesDelivered: number;
  /** Of those, answered `{ ok: true }` (or seen in their broadcast first). */
  strokesAcknowledged: number;
  /** Of those, found already delivered: DUPLICATE_STROKE, or on the board of a rejoin. */
  strokesAlreadyDelivered: number;
  /** Definitive refusals (a stroke retried and refused again counts twice). */
  strokesRefused: number;
  /** Refused strokes the person let go. */
  strokesDismissed: number;
  /** Sends of a stroke that ended in a timeout or a retryable error. */
  strokeRetries: number;
  /** Error answers by code, plus TIMEOUT (no answer in time), CONNECT_ERROR and INVALID_TOKEN at connection. */
  errorsByCode: Record<string, number>;
  connects: number;
  joins: number;
  disconnects: number;
  disconnectsByReason: Record<string, number>;
  /** Connections closed by this client to start afresh (liveness lost, join unanswered). */
  restarts: number;
  /** Times the connection went silent past the liveness bound. */
  livenessLosses: number;
  /** Stored session tokens the server refused (the client then got a new identity). */
  tokensRefused: number;
  /** Failed writes to the outbox store (delivery went on). */
  storeErrors: number;
}

export function emptyStats(): ClientStats {
  return {
    strokesQueued: 0,
    strokesRestored: 0,
    strokesDelivered: 0,
    strokesAcknowledged: 0,
    strokesAlreadyDelivered: 0,
    strokesRefused: 0,
    strokesDismissed: 0,
    strokeRetries: 0,
    errorsByCode: {},
    connects: 0,
    joins: 0,
    disconnects: 0,
    disconnectsByReason: {},
    restarts: 0,
    livenessLosses: 0,
    tokensRefused: 0,
    storeErrors: 0,
  };
}

/** Adds `s` into `total` (counters of many simulated clients into one). */
export function addStats(total: ClientStats, s: ClientStats): ClientStats {
  for (const key of Object.keys(total) as (keyof ClientStats)[]) {
    const value = s[key];
    if (typeof value === 'number') (total[key] as number) += value;
    else {
      const into = total[key] as Record<string, number>;
      for (const [k, n] of Object.entries(value)) into[k] = (into[k] ?? 0) + n;
    }
  }
  return total;
}
