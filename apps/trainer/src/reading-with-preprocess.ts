/**
 * Reads drawings the way `Recognizer.recognizeMany` does (segmentation, the shared preprocessing, the served
 * inference graph, "not a digit" by the model's calibrated threshold), but with the preprocessing options given
 * explicitly: `npm run eval -- --pen --pen-width-px W` measures an inference pen width without touching the
 * shipped DEFAULT_PREPROCESS. A test holds it equal to `recognizeMany` at the default options.
 */
import {
  type DigitPrediction,
  LOW_CONFIDENCE,
  type PreprocessOptions,
  preprocessDrawing,
  type Recognition,
  type Stroke,
  segmentDigits,
} from '@inkling/protocol';
import { DEFAULT_NOT_DIGIT_THRESHOLD, type Recognizer } from '@inkling/recognizer';

function strokeIdsOf(strokes: readonly Pick<Stroke, 'points'>[]): string[] {
  return strokes.flatMap((s) => ('id' in s && typeof s.id === 'string' ? [s.id] : []));
}

function digitPrediction(all: Float32Array, box: DigitPrediction['box'], strokeIds: string[], threshold: number): DigitPrediction {
  const probabilities = Array.from(all.subarray(0, 10));
  let best = 0;
  for (let d = 1; d < 10; d++) if ((probabilities[d] ?? 0) > (probabilities[best] ?? 0)) best = d;
  const notDigitProbability = all.length > 10 ? (all[10] ?? 0) : 0;
  return {
    digit: best,
    confidence: probabilities[best] ?? 0,
    probabilities,
    box,
    strokeIds,
    notDigit: all.length > 10 && notDigitProbability >= threshold,
    notDigitProbability,
  };
}

/** Recognitions of `drawings` with one batched model call, each digit preprocessed with `options`. */
export function recognizeWithPreprocess(
  recognizer: Recognizer,
  drawings: readonly (readonly Pick<Stroke, 'points'>[])[],
  options: PreprocessOptions,
): Recognition[] {
  const threshold = recognizer.metadata.calibration?.notDigitThreshold ?? DEFAULT_NOT_DIGIT_THRESHOLD;
  const groups = drawings.map((strokes) => segmentDigits(strokes));
  const { probabilities, modelVersion } = recognizer.predictImages(groups.flat().map((g) => preprocessDrawing(g.strokes, options)));
  let next = 0;
  return groups.map((g) => {
    const digits = g.map((group) =>
      digitPrediction(probabilities[next++] as Float32Array, group.box, strokeIdsOf(group.strokes), threshold),
    );
    const confidence = digits.reduce((p, d) => p * d.confidence, 1);
    const notDigit = digits.some((d) => d.notDigit);
    return {
      text: notDigit ? '' : digits.map((d) => d.digit).join(''),
      digits,
      confidence,
      lowConfidence: digits.length > 0 && confidence < LOW_CONFIDENCE,
      notDigit,
      modelVersion,
    };
  });
}
