/**
 * Data augmentation for hand-drawn input: random rotation, scale, shear and shift (one bilinear affine warp
 * about the image centre) and stroke-width variation (grey-level dilation or erosion). Pure functions on
 * 28×28 float images in [0, 1], driven by a seeded random source so runs are reproducible.
 */
export type Random = () => number;

/** Mulberry32: a small, fast, seedable PRNG. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface AugmentOptions {
  maxRotationDeg: number;
  scaleRange: [number, number];
  maxShear: number;
  maxShiftPx: number;
  /** Probability of thickening the strokes, and of thinning them. */
  dilateProbability: number;
  erodeProbability: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = {
  maxRotationDeg: 12,
  scaleRange: [0.88, 1.12],
  maxShear: 0.15,
  maxShiftPx: 2.5,
  dilateProbability: 0.15,
  erodeProbability: 0.1,
};

const SIZE = 28;
const CENTRE = 13.5;

function sample(src: Float32Array, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  let v = 0;
  for (let dy = 0; dy <= 1; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= SIZE) continue;
    const wy = dy === 0 ? 1 - fy : fy;
    for (let dx = 0; dx <= 1; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= SIZE) continue;
      v += wy * (dx === 0 ? 1 - fx : fx) * (src[yy * SIZE + xx] ?? 0);
    }
  }
  return v;
}

/** Grey-level morphology with a plus-shaped neighbourhood: max (dilate) or min (erode), blended by `amount`. */
function morph(src: Float32Array, dst: Float32Array, dilate: boolean, amount: number): void {
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const i = y * SIZE + x;
      const c = src[i] ?? 0;
      let m = c;
      const n = [x > 0 ? src[i - 1] : 0, x < SIZE - 1 ? src[i + 1] : 0, y > 0 ? src[i - SIZE] : 0, y < SIZE - 1 ? src[i + SIZE] : 0];
      for (const v of n) m = dilate ? Math.max(m, v ?? 0) : Math.min(m, v ?? 0);
      dst[i] = c + (m - c) * amount;
    }
  }
}

/** Writes an augmented copy of `src` into `dst` (both 784 floats); `scratch` is a 784-float work buffer. */
export function augmentImage(
  src: Float32Array,
  dst: Float32Array,
  scratch: Float32Array,
  random: Random,
  o: AugmentOptions = DEFAULT_AUGMENT,
): void {
  const angle = ((random() * 2 - 1) * o.maxRotationDeg * Math.PI) / 180;
  const scale = o.scaleRange[0] + random() * (o.scaleRange[1] - o.scaleRange[0]);
  const shear = (random() * 2 - 1) * o.maxShear;
  const tx = (random() * 2 - 1) * o.maxShiftPx;
  const ty = (random() * 2 - 1) * o.maxShiftPx;
  // Inverse map: destination pixel → source position.
  const cos = Math.cos(angle) / scale;
  const sin = Math.sin(angle) / scale;
  const a = cos;
  const b = sin + shear * cos;
  const c = -sin;
  const d = cos - shear * sin;
  for (let y = 0; y < SIZE; y++) {
    const py = y - CENTRE - ty;
    for (let x = 0; x < SIZE; x++) {
      const px = x - CENTRE - tx;
      scratch[y * SIZE + x] = sample(src, a * px + b * py + CENTRE, c * px + d * py + CENTRE);
    }
  }
  const r = random();
  if (r < o.dilateProbability) morph(scratch, dst, true, 0.5 + random() * 0.5);
  else if (r < o.dilateProbability + o.erodeProbability) morph(scratch, dst, false, 0.3 + random() * 0.4);
  else dst.set(scratch);
}
