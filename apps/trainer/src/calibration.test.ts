import { describe, expect, it } from 'vitest';
import { seededRandom } from './augment.js';
import { bestPenWidth, chooseNotDigitThreshold, expectedCalibrationError, fitTemperature, withTemperature } from './calibration.js';

describe('calibration', () => {
  it('recovers the temperature that made over-confident probabilities, and scaling by it lowers the calibration error', () => {
    // Labels drawn from well-calibrated 3-class probabilities, then sharpened with T = 1/2.
    const random = seededRandom(5);
    const calibrated: Float64Array[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const logits = [random() * 3, random() * 3, random() * 3];
      const p = withTemperature(
        logits.map((l) => Math.exp(l)),
        1,
      );
      calibrated.push(p);
      const u = random();
      labels.push(u < (p[0] ?? 0) ? 0 : u < (p[0] ?? 0) + (p[1] ?? 0) ? 1 : 2);
    }
    const sharpened = calibrated.map((p) => withTemperature(p, 0.5));
    const t = fitTemperature(sharpened, labels);
    expect(t).toBeGreaterThan(1.7);
    expect(t).toBeLessThan(2.3);
    const ece = (ps: Float64Array[]) =>
      expectedCalibrationError(
        ps.map((p) => Math.max(...p)),
        ps.map((p, i) => p.indexOf(Math.max(...p)) === labels[i]),
      );
    expect(ece(sharpened.map((p) => withTemperature(p, t)))).toBeLessThan(ece(sharpened) / 2);
  });

  it('puts the "not a digit" threshold just above the digits it may reject, never below its floor', () => {
    const digits = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const threshold = chooseNotDigitThreshold(digits, 0.01);
    expect(digits.filter((p) => p >= threshold)).toHaveLength(10);
    expect(chooseNotDigitThreshold([0.01, 0.02], 0.5)).toBe(0.3);
  });

  it('chooses the pen width that reads the most digits, and the middle of a plateau of ties', () => {
    expect(
      bestPenWidth([
        { width: 2, correct: 90 },
        { width: 3.2, correct: 95 },
      ]),
    ).toBe(3.2);
    const plateau = [2.8, 2.0, 1.6, 2.4, 2.2].map((width) => ({ width, correct: width >= 2 && width <= 2.4 ? 99 : 97 }));
    expect(bestPenWidth(plateau)).toBe(2.2);
    expect(
      bestPenWidth([
        { width: 2, correct: 9 },
        { width: 2.4, correct: 9 },
      ]),
    ).toBe(2);
    expect(bestPenWidth([])).toBeUndefined();
  });
});
