/**
 * Collects recognition requests that arrive in the same turn of the event loop and runs them as one
 * batched model call: a single drawing costs the same as before, a burst shares one call.
 */
import type { Recognition, Stroke } from '@inkling/protocol';

export interface BatchRecognizer {
  recognizeMany(drawings: readonly (readonly Stroke[])[], drawingKeys?: readonly (string | undefined)[]): Recognition[];
}

interface Pending {
  strokes: readonly Stroke[];
  drawingKey: string | undefined;
  resolve: (r: { recognition: Recognition; inferenceMs: number }) => void;
  reject: (err: unknown) => void;
}

export class RecognitionBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly recognizer: () => BatchRecognizer,
    private readonly maxBatch = 64,
  ) {}

  /** @param drawingKey identifies the drawing (e.g. room and drawing id) so unchanged digits come from cache. */
  recognize(strokes: readonly Stroke[], drawingKey?: string): Promise<{ recognition: Recognition; inferenceMs: number }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ strokes, drawingKey, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const started = performance.now();
    try {
      const results = this.recognizer().recognizeMany(
        batch.map((p) => p.strokes),
        batch.map((p) => p.drawingKey),
      );
      const inferenceMs = (performance.now() - started) / batch.length;
      batch.forEach((p, i) => {
        p.resolve({ recognition: results[i] as Recognition, inferenceMs });
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
