/**
 * The outbox of one client, as a state machine with no I/O: strokes drawn here wait in drawing order
 * until the server acknowledges them (or shows them on the board), or refuses them for good. One stroke
 * is in flight at a time, so strokes land in the order they were drawn. Every stroke ends in exactly one
 * of: delivered, refused (kept, shown, may be retried by the person), or still here; nothing is dropped.
 */
import type { ErrorCode, Stroke } from '@inkling/protocol';
import type { RefusedStroke } from './board-view.js';
import { type BackoffOptions, DEFAULT_BACKOFF, dispositionOf, retryDelayMs } from './delivery-policy.js';
import type { StoredStroke } from './outbox-store.js';

export interface OutboxEntry {
  stroke: Stroke;
  seq: number;
  /** Sends that ended without a verdict (timeout, retryable error). */
  attempts: number;
  /** Not sent again before this time (ms, the client's clock). */
  notBefore: number;
  /** Why the last send did not deliver it: an error code or 'TIMEOUT'. */
  lastFailure: string | null;
}

/** How one send of a stroke ended. */
export type SendOutcome =
  | { type: 'ack'; revision: number }
  | { type: 'error'; code: ErrorCode; message: string }
  /** No answer within the ack timeout on a connection that still looks open. */
  | { type: 'timeout' }
  /** The connection closed before an answer came: whether it landed is learnt on the next join. */
  | { type: 'disconnected' };

/** What the client should do after a send ended. */
export type Settlement =
  | { type: 'delivered'; entry: OutboxEntry; revision: number | null; duplicate: boolean }
  | { type: 'refused'; entry: OutboxEntry; refused: RefusedStroke }
  | { type: 'retry'; entry: OutboxEntry; reason: string; delayMs: number }
  | { type: 'rejoin'; entry: OutboxEntry; reason: string }
  | { type: 'reidentify'; entry: OutboxEntry; reason: string }
  | { type: 'interrupted'; entry: OutboxEntry }
  /** The stroke was already settled meanwhile (e.g. its broadcast arrived before the ack). */
  | { type: 'gone' };

export interface OutboxOptions {
  backoff?: BackoffOptions;
  random?: () => number;
}

export class Outbox {
  private queue: OutboxEntry[] = [];
  private refusedEntries: (RefusedStroke & { seq: number })[] = [];
  private flying: string | null = null;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;

  constructor(options: OutboxOptions = {}) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
  }

  /** Strokes waiting for the server, in drawing order. */
  get pending(): Stroke[] {
    return this.queue.map((e) => e.stroke);
  }

  get refused(): RefusedStroke[] {
    return this.refusedEntries.map(({ stroke, code, message }) => ({ stroke, code, message }));
  }

  get size(): number {
    return this.queue.length;
  }

  /** Id of the stroke sent and not answered yet, if any. */
  get inFlight(): string | null {
    return this.flying;
  }

  isPending(strokeId: string): boolean {
    return this.queue.some((e) => e.stroke.id === strokeId);
  }

  /** Queues a stroke; false when a stroke with this id is already here (pending or refused). */
  add(stroke: Stroke, seq: number): boolean {
    if (this.isPending(stroke.id) || this.refusedEntries.some((r) => r.stroke.id === stroke.id)) return false;
    this.insert({ stroke, seq, attempts: 0, notBefore: 0, lastFailure: null });
    return true;
  }

  /** Puts back what a store kept from an earlier session; returns how many strokes were new here. */
  restore(stored: readonly StoredStroke[]): number {
    let added = 0;
    for (const s of stored) {
      if (this.isPending(s.stroke.id) || this.refusedEntries.some((r) => r.stroke.id === s.stroke.id)) continue;
      if (s.refusal) this.insertRefused({ stroke: s.stroke, code: s.refusal.code, message: s.refusal.message, seq: s.seq });
      else this.insert({ stroke: s.stroke, seq: s.seq, attempts: 0, notBefore: 0, lastFailure: null });
      added++;
    }
    return added;
  }

  /** The stroke to send now, or how long to wait for it; null when there is nothing to send or one is in flight. */
  next(now: number): { entry: OutboxEntry } | { waitMs: number } | null {
    const head = this.queue[0];
    if (!head || this.flying !== null) return null;
    if (head.notBefore > now) return { waitMs: head.notBefore - now };
    return { entry: head };
  }

  begin(strokeId: string): void {
    this.flying = strokeId;
  }

  settle(strokeId: string, outcome: SendOutcome, now: number): Settlement {
    if (this.flying === strokeId) this.flying = null;
    const entry = this.queue.find((e) => e.stroke.id === strokeId);
    if (!entry) return { type: 'gone' };
    switch (outcome.type) {
      case 'ack':
        this.remove(strokeId);
        return { type: 'delivered', entry, revision: outcome.revision, duplicate: false };
      case 'disconnected':
        return { type: 'interrupted', entry };
      case 'timeout':
        return this.retry(entry, 'TIMEOUT', now);
      case 'error': {
        const disposition = dispositionOf(outcome.code);
        switch (disposition) {
          case 'delivered':
            this.remove(strokeId);
            return { type: 'delivered', entry, revision: null, duplicate: true };
          case 'refused': {
            this.remove(strokeId);
            const refused = { stroke: entry.stroke, code: outcome.code, message: outcome.message };
            this.insertRefused({ ...refused, seq: entry.seq });
            return { type: 'refused', entry, refused };
          }
          case 'retry':
            return this.retry(entry, outcome.code, now);
          case 'rejoin':
          case 'reidentify':
            entry.lastFailure = outcome.code;
            return { type: disposition, entry, reason: outcome.code };
          default: {
            const never: never = disposition;
            throw new Error(`unhandled disposition ${String(never)}`);
          }
        }
      }
      default: {
        const never: never = outcome;
        throw new Error(`unhandled send outcome ${JSON.stringify(never)}`);
      }
    }
  }

  /** The server's board shows the stroke (its broadcast, or the board of a rejoin): delivered. */
  confirm(strokeId: string): OutboxEntry | null {
    const entry = this.queue.find((e) => e.stroke.id === strokeId) ?? null;
    if (entry) this.remove(strokeId);
    return entry;
  }

  /** A new connection: strokes waiting out a backoff go at once (the fault may have been the old connection's). */
  reconnected(): void {
    for (const e of this.queue) e.notBefore = 0;
    this.flying = null;
  }

  /** Sends a refused stroke again (e.g. after the board was cleared); it keeps its place in drawing order. */
  retryRefused(strokeId: string): Stroke | null {
    const i = this.refusedEntries.findIndex((r) => r.stroke.id === strokeId);
    const r = this.refusedEntries[i];
    if (!r) return null;
    this.refusedEntries.splice(i, 1);
    this.insert({ stroke: r.stroke, seq: r.seq, attempts: 0, notBefore: 0, lastFailure: r.code });
    return r.stroke;
  }

  /** The person has seen the refusal and lets the stroke go. */
  dismissRefused(strokeId: string): boolean {
    const before = this.refusedEntries.length;
    this.refusedEntries = this.refusedEntries.filter((r) => r.stroke.id !== strokeId);
    return this.refusedEntries.length !== before;
  }

  /** The stored form of a stroke here (pending or refused), for the outbox store. */
  stored(roomId: string, strokeId: string): StoredStroke | null {
    const e = this.queue.find((q) => q.stroke.id === strokeId);
    if (e) return { roomId, stroke: e.stroke, seq: e.seq, refusal: null };
    const r = this.refusedEntries.find((q) => q.stroke.id === strokeId);
    return r ? { roomId, stroke: r.stroke, seq: r.seq, refusal: { code: r.code, message: r.message } } : null;
  }

  private retry(entry: OutboxEntry, reason: string, now: number): Settlement {
    entry.attempts++;
    entry.lastFailure = reason;
    const delayMs = retryDelayMs(entry.attempts, this.backoff, this.random);
    entry.notBefore = now + delayMs;
    return { type: 'retry', entry, reason, delayMs };
  }

  private remove(strokeId: string): void {
    this.queue = this.queue.filter((e) => e.stroke.id !== strokeId);
    if (this.flying === strokeId) this.flying = null;
  }

  private insert(entry: OutboxEntry): void {
    const at = this.queue.findIndex((e) => e.seq > entry.seq);
    // The stroke in flight stays first whatever its order: it may already have landed.
    const index = at === -1 ? this.queue.length : this.flying !== null && at === 0 ? 1 : at;
    this.queue.splice(index, 0, entry);
  }

  private insertRefused(entry: RefusedStroke & { seq: number }): void {
    const at = this.refusedEntries.findIndex((e) => e.seq > entry.seq);
    this.refusedEntries.splice(at === -1 ? this.refusedEntries.length : at, 0, entry);
  }
}
