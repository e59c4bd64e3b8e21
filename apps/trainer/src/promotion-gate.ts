/**
 * The promotion gate: a candidate replaces the served model only if it is at most a small tolerance below the
 * BEST figures any promoted model has had — on MNIST and on the held-out pen writers — so a series of small
 * losses, each within tolerance of its predecessor, cannot ratchet accuracy down. Held-out user drawings count
 * only when there are enough of them to mean something; with fewer, the decision says so.
 */
import type { GateDecision } from '@inkling/protocol';

/** Largest MNIST test accuracy loss below the best promoted figure: 0.05 points (5 of 10,000 images). */
export const MAX_MNIST_DROP = 0.0005;
/** Largest pen accuracy loss below the best promoted figure: 0.3 points (about 5 of the 1,749 held-out digits). */
export const MAX_PEN_DROP = 0.003;
/** Held-out user drawings needed before their accuracy takes part in the decision. */
export const MIN_USER_TEST_DRAWINGS = 20;

export interface GateInput {
  candidate: { mnist: number; pen: number | null; user: number | null; userCount: number };
  /** The served model, measured on the same sets (user and pen figures may be null when not measured). */
  baseline: { version: string; mnist: number; pen: number | null; user: number | null } | null;
  /** The best figures any promoted model has had (the registry's history), if known. */
  best?: { mnist: number; pen: number | null } | null;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const maxOf = (...xs: (number | null | undefined)[]): number | null => {
  const known = xs.filter((x): x is number => typeof x === 'number');
  return known.length === 0 ? null : Math.max(...known);
};

export function decidePromotion({ candidate, baseline, best }: GateInput): GateDecision {
  if (!baseline) return { promoted: true, reason: 'no model is being served yet', baseline: null };
  const base = { version: baseline.version, mnistTestAccuracy: baseline.mnist, userTestAccuracy: baseline.user };
  const reject = (reason: string): GateDecision => ({ promoted: false, reason, baseline: base });

  const mnistAnchor = maxOf(baseline.mnist, best?.mnist) as number;
  if (candidate.mnist < mnistAnchor - MAX_MNIST_DROP - 1e-12) {
    return reject(
      `MNIST test accuracy ${pct(candidate.mnist)} is more than ${(MAX_MNIST_DROP * 100).toFixed(2)} points below the best promoted ${pct(mnistAnchor)}`,
    );
  }
  const penAnchor = maxOf(baseline.pen, best?.pen);
  if (penAnchor !== null) {
    if (candidate.pen === null) return reject('not measured on the held-out pen writers, which the promoted models were');
    if (candidate.pen < penAnchor - MAX_PEN_DROP - 1e-12) {
      return reject(
        `held-out pen writers ${pct(candidate.pen)} is more than ${(MAX_PEN_DROP * 100).toFixed(1)} points below the best promoted ${pct(penAnchor)}`,
      );
    }
  }
  let userPart: string;
  if (candidate.userCount < MIN_USER_TEST_DRAWINGS || candidate.user === null) {
    userPart = `user drawings not counted: ${candidate.userCount} held out, fewer than ${MIN_USER_TEST_DRAWINGS}`;
  } else if (baseline.user === null) {
    userPart = `user drawings ${pct(candidate.user)} of ${candidate.userCount} (the served model was not measured on them)`;
  } else if (candidate.user < baseline.user) {
    return reject(
      `user-drawing accuracy ${pct(candidate.user)} is below ${baseline.version}'s ${pct(baseline.user)} (${candidate.userCount} drawings)`,
    );
  } else {
    userPart = `user drawings ${pct(candidate.user)} vs ${pct(baseline.user)} (${candidate.userCount} drawings)`;
  }
  const penPart = candidate.pen === null ? 'pen writers not measured' : `pen writers ${pct(candidate.pen)} vs best ${pct(penAnchor ?? 0)}`;
  return {
    promoted: true,
    reason: `MNIST ${pct(candidate.mnist)} vs best ${pct(mnistAnchor)}; ${penPart}; ${userPart}`,
    baseline: base,
  };
}
