/**
 * How a recognition reads for a person: the headline ("42", "Not a digit"), the per-digit charts, and the
 * one short sentence a screen reader announces. Tolerates predictions from before "not a digit" existed
 * (no `notDigit` fields: treated as false).
 */
import type { DigitPrediction, Prediction } from '@inkling/protocol';

/** The optional "not a digit" fields (PLAN §3), read without assuming the protocol already has them. */
type MaybeNotDigit = { notDigit?: unknown; notDigitProbability?: unknown };

export function isNotDigit(p: Prediction | DigitPrediction): boolean {
  return (p as MaybeNotDigit).notDigit === true;
}

/** Calibrated probability that a digit group is not a digit, or null when the model does not say. */
export function notDigitProbability(d: DigitPrediction): number | null {
  const v = (d as MaybeNotDigit).notDigitProbability;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export type Headline =
  | { kind: 'empty' }
  | { kind: 'recognizing' }
  | { kind: 'number'; text: string; confidence: number; unsure: boolean }
  | { kind: 'not-digit'; groups: number; of: number };

export function headline(p: Prediction | null, hasInk: boolean): Headline {
  if (!hasInk) return { kind: 'empty' };
  if (!p) return { kind: 'recognizing' };
  if (isNotDigit(p)) return { kind: 'not-digit', groups: p.digits.filter(isNotDigit).length, of: p.digits.length };
  if (!p.text) return { kind: 'recognizing' };
  return { kind: 'number', text: p.text, confidence: p.confidence, unsure: p.lowConfidence };
}

export const percent = (x: number): string => `${(x * 100).toFixed(x > 0.995 || x < 0.1 ? 1 : 0)}%`;

/** The sentence for the live region: the number and its confidence, never the bars. Empty: say nothing. */
export function announcement(h: Headline): string {
  switch (h.kind) {
    case 'empty':
    case 'recognizing':
      return '';
    case 'number':
      return `Recognized ${h.text}, ${percent(h.confidence)}${h.unsure ? ', not sure' : ''}.`;
    case 'not-digit':
      return h.of > 1 ? `Not a number: ${h.groups} of ${h.of} shapes are not digits.` : 'Not a digit.';
    default: {
      const never: never = h;
      throw new Error(`unhandled headline ${String(never)}`);
    }
  }
}
