/**
 * The inference runtime: loads a model folder, recognizes drawings (segmented into digits, each
 * preprocessed the shared way) one at a time or in batches, and swaps to another model folder without
 * disturbing predictions in flight. All tensor work happens inside `tf.tidy`. Models with the 11th class say
 * "not a digit" for a group whose calibrated probability of that class reaches the threshold in their metadata;
 * every model says it for a speck (`isSpeck`: ink too small to be a digit, whatever the model reads in it). Specks
 * beside other ink are left out of the board's reading; a board of specks alone is "not a digit".
 */

import {
  DEFAULT_PREPROCESS,
  type DigitPrediction,
  IMAGE_PIXELS,
  isSpeck,
  LOW_CONFIDENCE,
  type ModelMetadata,
  type PreprocessOptions,
  preprocessDrawing,
  type Recognition,
  type Stroke,
  segmentDigits,
} from '@inkling/protocol';
import * as tf from '@tensorflow/tfjs';
import { DigitCache } from './digit-cache.js';
import { compileInferenceGraph, type InferenceGraph } from './inference-graph.js';
import { loadModelFolder } from './model-folder.js';

interface LoadedModel {
  model: tf.LayersModel;
  /** The folded, fused form used for predictions; null when the model has layers it cannot fold. */
  graph: InferenceGraph | null;
  metadata: ModelMetadata;
  folder: string;
  /** 10, or 11 when the last output is "not a digit". */
  classes: number;
  /** Probability of "not a digit" at or above which a group is answered as not a digit (11-class models). */
  notDigitThreshold: number;
  /** How the live path draws this model's input (its pen width comes from its metadata). */
  preprocess: PreprocessOptions;
  /** Predictions currently using this model; it is disposed only when retired and idle. */
  leases: number;
  retired: boolean;
}

type DrawingStrokes = readonly Pick<Stroke, 'points'>[] | readonly Stroke[];

function dispose(entry: LoadedModel): void {
  entry.graph?.dispose();
  entry.model.dispose();
}

function release(entry: LoadedModel): void {
  entry.leases--;
  if (entry.retired && entry.leases === 0) dispose(entry);
}

async function loadEntry(folder: string): Promise<LoadedModel> {
  const { model, metadata } = await loadModelFolder(folder);
  const classes = (model.outputs[0]?.shape[1] as number | undefined) ?? 10;
  // Without a calibrated threshold, "not a digit" is the answer when it holds at least half the probability.
  const notDigitThreshold = metadata.calibration?.notDigitThreshold ?? DEFAULT_NOT_DIGIT_THRESHOLD;
  const preprocess = modelPreprocess(metadata);
  return {
    model,
    graph: compileInferenceGraph(model),
    metadata,
    classes,
    notDigitThreshold,
    preprocess,
    folder,
    leases: 0,
    retired: false,
  };
}

/** The preprocessing a model is served with: the shared defaults, with the pen width its metadata names. */
export function modelPreprocess(metadata: { input: Partial<ModelMetadata['input']> }): PreprocessOptions {
  return { ...DEFAULT_PREPROCESS, penWidthPx: metadata.input.penWidthPx ?? DEFAULT_PREPROCESS.penWidthPx };
}

/** Threshold used by an 11-class model whose metadata has no calibration. */
export const DEFAULT_NOT_DIGIT_THRESHOLD = 0.5;

/** A stroke's id as the cache must tell it apart: stroke ids are unique per author only. */
function authorScopedId(s: object): string {
  const { id, authorId } = s as { id?: unknown; authorId?: unknown };
  return `${typeof authorId === 'string' ? authorId : ''}\u0001${String(id)}`;
}

export class Recognizer {
  private current: LoadedModel;
  /** Class probabilities of digits recognized before, by drawing, strokes and model version. */
  readonly cache = new DigitCache();

  private constructor(entry: LoadedModel) {
    this.current = entry;
  }

  static async load(folder: string): Promise<Recognizer> {
    const recognizer = new Recognizer(await loadEntry(folder));
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

  /** How the current model's input is drawn. */
  get preprocess(): PreprocessOptions {
    return this.current.preprocess;
  }

  /** Frees the current model (for tools that load a model to measure it); the recognizer is unusable after. */
  dispose(): void {
    this.current.retired = true;
    if (this.current.leases === 0) dispose(this.current);
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
    const next = await loadEntry(folder);
    const previous = this.current;
    this.current = next;
    this.warmUp();
    previous.retired = true;
    if (previous.leases === 0) dispose(previous);
    return next.metadata;
  }

  /** Class probabilities (10, or 11 with "not a digit" last) for 28×28 images (784 floats each, [0, 1], white on black). */
  predictImages(images: readonly Float32Array[]): { probabilities: Float32Array[]; modelVersion: string } {
    const entry = this.current;
    entry.leases++;
    try {
      if (images.length === 0) return { probabilities: [], modelVersion: entry.metadata.version };
      const flat = new Float32Array(images.length * IMAGE_PIXELS);
      images.forEach((img, i) => {
        flat.set(img, i * IMAGE_PIXELS);
      });
      const out = tf.tidy(() => {
        const x = tf.tensor4d(flat, [images.length, 28, 28, 1]);
        const y = entry.graph ? entry.graph.predict(x) : (entry.model.predict(x) as tf.Tensor);
        return y.dataSync() as Float32Array;
      });
      const k = entry.classes;
      const probabilities = images.map((_, i) => out.slice(i * k, i * k + k));
      return { probabilities, modelVersion: entry.metadata.version };
    } finally {
      release(entry);
    }
  }

  /** Recognizes one drawing, which may hold several digits side by side. */
  recognize(strokes: DrawingStrokes, drawingKey?: string): Recognition {
    return this.recognizeMany([strokes], [drawingKey])[0] as Recognition;
  }

  /**
   * Recognizes several drawings with one batched model call. With a `drawingKey` for a drawing (unique to
   * it, such as its room and drawing id; its strokes must have ids), digits whose strokes were recognized
   * before by the same model are taken from the cache instead of the model. `preprocess` replaces the
   * model's own preprocessing (measurements, such as `npm run eval -- --pen-width-px`; the cache is then
   * left alone).
   */
  recognizeMany(
    drawings: readonly DrawingStrokes[],
    drawingKeys: readonly (string | undefined)[] = [],
    preprocess?: PreprocessOptions,
  ): Recognition[] {
    const modelVersion = this.modelVersion;
    const { notDigitThreshold } = this.current;
    const options = preprocess ?? this.current.preprocess;
    const groups = drawings.map((strokes, d) =>
      segmentDigits(strokes as readonly Pick<Stroke, 'points'>[]).map((group) => {
        const strokeIds = group.strokes.flatMap((s) => ('id' in s && typeof s.id === 'string' ? [s.id] : []));
        const drawingKey = drawingKeys[d];
        const key =
          preprocess === undefined && drawingKey !== undefined && strokeIds.length === group.strokes.length
            ? DigitCache.key(drawingKey, modelVersion, group.strokes.map(authorScopedId))
            : null;
        return { group, strokeIds, key, cached: key === null ? undefined : this.cache.get(key) };
      }),
    );
    const toRun = groups.flat().filter((g) => g.cached === undefined);
    // Synchronous from here on: the model that runs is the one `modelVersion` names.
    const { probabilities } = this.predictImages(toRun.map((g) => preprocessDrawing(g.group.strokes, options)));
    toRun.forEach((g, i) => {
      g.cached = probabilities[i] as Float32Array;
      if (g.key !== null) this.cache.set(g.key, g.cached);
    });
    return groups.map((g) => {
      const digits: DigitPrediction[] = g.map(({ group, strokeIds, cached }) => {
        const all = cached as Float32Array;
        // The digits' probabilities as the model gives them: with the 11th class they sum to 1 − P(not a digit).
        const probs = Array.from(all.subarray(0, 10));
        let best = 0;
        for (let d = 1; d < 10; d++) if ((probs[d] ?? 0) > (probs[best] ?? 0)) best = d;
        const notDigitProbability = all.length > 10 ? (all[10] ?? 0) : 0;
        return {
          digit: best,
          confidence: probs[best] ?? 0,
          probabilities: probs,
          box: group.box,
          strokeIds,
          notDigit: isSpeck(group.box) || (all.length > 10 && notDigitProbability >= notDigitThreshold),
          notDigitProbability,
        };
      });
      // Specks beside other ink are left out of the reading (a stray tap does not spoil a number); a board of
      // specks alone is not a digit.
      const read = digits.filter((d) => !isSpeck(d.box));
      const confidence = read.reduce((p, d) => p * d.confidence, 1);
      const notDigit = read.length === 0 ? digits.length > 0 : read.some((d) => d.notDigit);
      return {
        text: notDigit ? '' : read.map((d) => d.digit).join(''),
        digits,
        confidence,
        lowConfidence: digits.length > 0 && confidence < LOW_CONFIDENCE,
        notDigit,
        modelVersion,
      };
    });
  }
}
