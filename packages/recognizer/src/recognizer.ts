/**
 * The inference runtime: loads a model folder, recognizes drawings (segmented into digits, each
 * preprocessed the shared way) one at a time or in batches, and swaps to another model folder without
 * disturbing predictions in flight. All tensor work happens inside `tf.tidy`.
 */

import {
  type DigitPrediction,
  IMAGE_PIXELS,
  LOW_CONFIDENCE,
  type ModelMetadata,
  preprocessDrawing,
  type Recognition,
  type Stroke,
  segmentDigits,
} from '@inkling/protocol';
import * as tf from '@tensorflow/tfjs';
import { loadModelFolder } from './model-folder.js';

interface LoadedModel {
  model: tf.LayersModel;
  metadata: ModelMetadata;
  folder: string;
  /** Predictions currently using this model; it is disposed only when retired and idle. */
  leases: number;
  retired: boolean;
}

type DrawingStrokes = readonly Pick<Stroke, 'points'>[] | readonly Stroke[];

function release(entry: LoadedModel): void {
  entry.leases--;
  if (entry.retired && entry.leases === 0) entry.model.dispose();
}

export class Recognizer {
  private current: LoadedModel;

  private constructor(entry: LoadedModel) {
    this.current = entry;
  }

  static async load(folder: string): Promise<Recognizer> {
    const { model, metadata } = await loadModelFolder(folder);
    const recognizer = new Recognizer({ model, metadata, folder, leases: 0, retired: false });
    recognizer.warmUp();
    return recognizer;
  }

  get metadata(): ModelMetadata {
    return this.current.metadata;
  }

  get modelVersion(): string {
    return this.current.metadata.version;
  }

  get folder(): string {
    return this.current.folder;
  }

  /** Runs one prediction so the first real request does not pay for kernel set-up. */
  private warmUp(): void {
    this.predictImages([new Float32Array(IMAGE_PIXELS)]);
  }

  /**
   * Loads `folder` completely (and warms it up) before switching; predictions already running finish on
   * the old model, which is disposed once they are done. A folder that fails to load leaves the current
   * model in place and rejects.
   */
  async swap(folder: string): Promise<ModelMetadata> {
    const { model, metadata } = await loadModelFolder(folder);
    const next: LoadedModel = { model, metadata, folder, leases: 0, retired: false };
    const previous = this.current;
    this.current = next;
    this.warmUp();
    previous.retired = true;
    if (previous.leases === 0) previous.model.dispose();
    return metadata;
  }

  /** Class probabilities for 28×28 images (784 floats each, [0, 1], white on black). */
  predictImages(images: readonly Float32Array[]): { probabilities: Float32Array[]; modelVersion: string } {
    const entry = this.current;
    entry.leases++;
    try {
      if (images.length === 0) return { probabilities: [], modelVersion: entry.metadata.version };
      const flat = new Float32Array(images.length * IMAGE_PIXELS);
      images.forEach((img, i) => {
        flat.set(img, i * IMAGE_PIXELS);
      });
      const out = tf.tidy(
        () => (entry.model.predict(tf.tensor4d(flat, [images.length, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array,
      );
      const probabilities = images.map((_, i) => out.slice(i * 10, i * 10 + 10));
      return { probabilities, modelVersion: entry.metadata.version };
    } finally {
      release(entry);
    }
  }

  /** Recognizes one drawing, which may hold several digits side by side. */
  recognize(strokes: DrawingStrokes): Recognition {
    return this.recognizeMany([strokes])[0] as Recognition;
  }

  /** Recognizes several drawings with one batched model call. */
  recognizeMany(drawings: readonly DrawingStrokes[]): Recognition[] {
    const groups = drawings.map((strokes) => segmentDigits(strokes as readonly Pick<Stroke, 'points'>[]));
    const images = groups.flatMap((g) => g.map((digit) => preprocessDrawing(digit.strokes)));
    const { probabilities, modelVersion } = this.predictImages(images);
    let next = 0;
    return groups.map((g) => {
      const digits: DigitPrediction[] = g.map((group) => {
        const probs = Array.from(probabilities[next++] as Float32Array);
        let best = 0;
        for (let d = 1; d < 10; d++) if ((probs[d] ?? 0) > (probs[best] ?? 0)) best = d;
        return {
          digit: best,
          confidence: probs[best] ?? 0,
          probabilities: probs,
          box: group.box,
          strokeIds: group.strokes.flatMap((s) => ('id' in s && typeof s.id === 'string' ? [s.id] : [])),
        };
      });
      const confidence = digits.reduce((p, d) => p * d.confidence, 1);
      return {
        text: digits.map((d) => d.digit).join(''),
        digits,
        confidence,
        lowConfidence: digits.length > 0 && confidence < LOW_CONFIDENCE,
        modelVersion,
      };
    });
  }
}
