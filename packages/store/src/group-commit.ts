/**
 * Group commit: calls that arrive while the database is busy with earlier ones are written together in
 * one statement. A lone call goes out at once (no added latency at low load); under load, batches grow by
 * themselves and the cost per call falls, since round trips, statement overhead and WAL flushes are shared.
 */
import { UnavailableError } from './transient.js';

/** One item's outcome inside a batch: a value, or an error for that item alone. */
export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Batches written at the same time (default 2). */
  maxInFlight?: number;
  /** Items per batch (default 256). */
  maxBatch?: number;
  /**
   * Wait for the end of the current event-loop turn before writing, so that everything submitted in one
   * turn (say, the results of one database batch) leaves together (default false: write at once).
   */
  gatherTurn?: boolean;
}

export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private readonly gatherTurn: boolean;

  /** @param write writes a batch in one transaction; resolves with one result per item, in order. */
  constructor(
    private readonly write: (items: T[]) => Promise<ItemResult<R>[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxBatch = options.maxBatch ?? 256;
    this.gatherTurn = options.gatherTurn ?? false;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.gatherTurn) this.pump();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /**
   * Writes a batch; if it fails as a whole, each item is written alone, so a bad item fails only itself —
   * unless the database itself was unavailable, which would fail each item again after the same wait.
   */
  private async run(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        const r = results[i];
        if (!r) w.reject(new Error(`group commit: no result for item ${i} of ${batch.length}`));
        else if (r.ok) w.resolve(r.value);
        else w.reject(r.error);
      });
    } catch (err) {
      if (batch.length === 1 || err instanceof UnavailableError) for (const w of batch) w.reject(err);
      else await Promise.all(batch.map((w) => this.run([w])));
    }
  }
}
