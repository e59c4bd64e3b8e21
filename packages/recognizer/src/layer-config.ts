/**
 * The parts of a Keras layer's config that the folded inference graph and the fused training graph read (both walk
 * the model's layers and accept only what they can run), and the `[h, w]` pair a size option may be given as.
 */
export interface LayerConfig {
  padding?: string;
  strides?: number | number[];
  poolSize?: number | number[];
  activation?: string;
  epsilon?: number;
  momentum?: number;
  axis?: number | number[];
  center?: boolean;
  scale?: boolean;
  dataFormat?: string;
  dilationRate?: number | number[];
  useBias?: boolean;
  maxValue?: number | null;
  rate?: number;
  seed?: number;
  noiseShape?: unknown;
  kernelConstraint?: unknown;
  biasConstraint?: unknown;
  betaConstraint?: unknown;
  gammaConstraint?: unknown;
}

/** A size option as `[h, w]`: a number stands for both, a missing one is `fallback`. */
export const pair = (v: number | number[] | undefined | null, fallback: number): [number, number] =>
  v === undefined || v === null ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0] ?? fallback, v[1] ?? v[0] ?? fallback];
