/**
 * The promotion gate: a candidate replaces the served model only if it is at most 0.1 points worse on the
 * MNIST test set and not worse on the held-out user drawings (both models measured on the same set).
 */
import type { GateDecision } from '@inkling/protocol';

export const MAX_MNIST_DROP = 0.001;

export interface GateInput {
  candidate: { mnist: number; user: number | null };
  baseline: { version: string; mnist: number; user: number | null } | null;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function decidePromotion({ candidate, baseline }: GateInput): GateDecision {
  if (!baseline) return { promoted: true, reason: 'no model is being served yet', baseline: null };
  const base = { version: baseline.version, mnistTestAccuracy: baseline.mnist, userTestAccuracy: baseline.user };
  if (candidate.mnist < baseline.mnist - MAX_MNIST_DROP - 1e-12) {
    return {
      promoted: false,
      reason: `MNIST test accuracy ${pct(candidate.mnist)} is more than 0.1 points below ${baseline.version}'s ${pct(baseline.mnist)}`,
      baseline: base,
    };
  }
  if (candidate.user !== null && baseline.user !== null && candidate.user < baseline.user) {
    return {
      promoted: false,
      reason: `user-drawing accuracy ${pct(candidate.user)} is below ${baseline.version}'s ${pct(baseline.user)}`,
      baseline: base,
    };
  }
  const userPart =
    candidate.user === null ? 'no held-out user drawings yet' : `user drawings ${pct(candidate.user)} vs ${pct(baseline.user ?? 0)}`;
  return { promoted: true, reason: `MNIST ${pct(candidate.mnist)} vs ${pct(baseline.mnist)}; ${userPart}`, baseline: base };
}
