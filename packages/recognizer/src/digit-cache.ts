/**
 * Class probabilities of digits already recognized, so a board that gains a stroke re-runs the model only
 * for the digit that changed. A digit is identified by its drawing (the caller's key, e.g. room and
 * drawing id), the ids of its strokes and the model version: committed strokes never change, so the same
 * ids in the same drawing always mean the same image. Least recently used entries are dropped first.
 */
export class DigitCache {
  private readonly entries = new Map<string, Float32Array>();

  constructor(private readonly maxEntries = 20_000) {}

  static key(drawingKey: string, modelVersion: string, strokeIds: readonly string[]): string {
    return `${modelVersion}\u0000${drawingKey}\u0000${strokeIds.join('\u0000')}`;
  }

  get(key: string): Float32Array | undefined {
    const found = this.entries.get(key);
    if (!found) return undefined;
    this.entries.delete(key);
    this.entries.set(key, found);
    return found;
  }

  set(key: string, probabilities: Float32Array): void {
    this.entries.delete(key);
    this.entries.set(key, probabilities);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
