/**
 * Confidence that means something: temperature scaling fitted on held-out data (minimum negative log-likelihood),
 * folded into the output layer so the served graph needs no extra step; expected calibration error; and the
 * "not a digit" threshold chosen for a measured false-rejection rate of real digits.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * The "not a digit" threshold's MNIST budget is measured on the last this-many MNIST training images (as
 * scanned); steps that choose digits to train the column against (`npm run refit -- --hard-mnist`) take theirs
 * from the images before them, so the budget is measured on images the column was not fitted on.
 */
export const MNIST_THRESHOLD_SAMPLE = 10_000;

/** Probabilities raised to 1/T and renormalized: softmax(logits / T) for a softmax output. */
export function withTemperature(probabilities: ArrayLike<number>, temperature: number): Float64Array {
  const out = new Float64Array(probabilities.length);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.log(Math.max(probabilities[i] ?? 0, 1e-30)) / temperature;
    max = Math.max(max, out[i] as number);
  }
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.exp((out[i] as number) - max);
    sum += out[i] as number;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

function negativeLogLikelihood(probabilities: readonly ArrayLike<number>[], labels: readonly number[], temperature: number): number {
  let nll = 0;
  probabilities.forEach((p, i) => {
    nll -= Math.log(Math.max(withTemperature(p, temperature)[labels[i] ?? 0] ?? 0, 1e-30));
  });
  return nll / Math.max(1, probabilities.length);
}

/** The temperature in [0.25, 4] with the lowest negative log-likelihood (golden-section search on log T). */
export function fitTemperature(probabilities: readonly ArrayLike<number>[], labels: readonly number[]): number {
  let lo = Math.log(0.25);
  let hi = Math.log(4);
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = negativeLogLikelihood(probabilities, labels, Math.exp(a));
  let fb = negativeLogLikelihood(probabilities, labels, Math.exp(b));
  for (let i = 0; i < 40; i++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = negativeLogLikelihood(probabilities, labels, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = negativeLogLikelihood(probabilities, labels, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

/**
 * Expected calibration error of the top-class probability: items binned by confidence into `bins` equal-width
 * bins, |accuracy − mean confidence| per bin weighted by its share of items.
 */
export function expectedCalibrationError(confidences: readonly number[], correct: readonly boolean[], bins = 15): number {
  const count = new Array<number>(bins).fill(0);
  const confidenceSum = new Array<number>(bins).fill(0);
  const correctSum = new Array<number>(bins).fill(0);
  confidences.forEach((c, i) => {
    const bin = Math.min(bins - 1, Math.floor(c * bins));
    count[bin] = (count[bin] ?? 0) + 1;
    confidenceSum[bin] = (confidenceSum[bin] ?? 0) + c;
    correctSum[bin] = (correctSum[bin] ?? 0) + (correct[i] ? 1 : 0);
  });
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const n = count[b] ?? 0;
    if (n > 0) ece += (n / confidences.length) * Math.abs((correctSum[b] ?? 0) / n - (confidenceSum[b] ?? 0) / n);
  }
  return ece;
}

/**
 * The lowest "not a digit" threshold at which at most `maxDigitRejection` of the real digits would be rejected
 * (so non-digits are rejected as often as possible within that budget); never below MIN_NOT_DIGIT_THRESHOLD.
 */
export const MIN_NOT_DIGIT_THRESHOLD = 0.3;

export function chooseNotDigitThreshold(digitNotDigitProbabilities: readonly number[], maxDigitRejection: number): number {
  const sorted = [...digitNotDigitProbabilities].sort((a, b) => b - a);
  const allowed = Math.floor(maxDigitRejection * sorted.length);
  // Rejected = p ≥ threshold; the threshold sits just above the (allowed + 1)-th highest digit probability.
  const boundary = sorted[allowed] ?? 0;
  return Math.min(1, Math.max(MIN_NOT_DIGIT_THRESHOLD, boundary + 1e-6));
}

/** Divides the output layer's kernel and bias by T in place: the model then outputs softmax(logits / T). */
export function foldTemperature(model: tf.LayersModel, temperature: number): void {
  const layer = model.getLayer('probabilities');
  const weights = layer.getWeights();
  const scaled = weights.map((w) => tf.div(w, temperature));
  layer.setWeights(scaled);
  for (const t of scaled) t.dispose();
}

/**
 * The width that reads the most validation digits; when several tie (a plateau), the middle one of them in
 * width order, so the choice sits away from the plateau's edges.
 */
export function bestPenWidth(measured: readonly { width: number; correct: number }[]): number | undefined {
  const most = Math.max(...measured.map((m) => m.correct));
  const best = measured.filter((m) => m.correct === most).sort((a, b) => a.width - b.width);
  return best[Math.floor((best.length - 1) / 2)]?.width;
}
