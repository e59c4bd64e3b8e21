/**
 * Synthetic drawings that are not digits, for the recognizer's "not a digit" class and its tests: dots and tiny
 * marks, straight lines that are not upright (an upright line is a 1), wavy ticks, zig-zags, scribbles, spirals,
 * hatching, and letter-like shapes that no digit resembles (A E F H K M N W X # * + triangles, arrows, checks).
 * Coordinates are in a unit square, y growing downward; a drawing is a list of strokes of [x, y] points.
 */
import type { Random } from './augment.js';
import type { XY } from './stroke-augment.js';

export const NON_DIGIT_KINDS = [
  'dot',
  'line',
  'wave',
  'zigzag',
  'scribble',
  'spiral',
  'hatching',
  'letter',
  'triangle',
  'check',
  'arrow',
] as const;
export type NonDigitKind = (typeof NON_DIGIT_KINDS)[number];

/**
 * Non-digits a model learns by default: every kind but dots. In the live path a dot is a speck, answered by
 * its size (isSpeck) whatever the model says; enlarged to the 20 px box it is a random tangle of ink.
 */
export const TRAINED_NON_DIGIT_KINDS: readonly NonDigitKind[] = NON_DIGIT_KINDS.filter((k) => k !== 'dot');

/** Straight lines and hatching stay this close to horizontal: an upright stroke, or two, is a 1 (or a 1 and a mark). */
export const MAX_LINE_ANGLE_DEG = 35;

const uniform = (random: Random, lo: number, hi: number) => lo + random() * (hi - lo);
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** Points along straight legs through `corners`, about `step` apart, with a hand's small wobble. */
function polyline(corners: readonly XY[], random: Random, step = 0.02, wobble = 0.006): XY[] {
  const out: XY[] = [];
  for (let i = 0; i + 1 < corners.length; i++) {
    const [x0, y0] = corners[i] as XY;
    const [x1, y1] = corners[i + 1] as XY;
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / step));
    for (let k = 0; k < n; k++) {
      const t = k / n;
      out.push([x0 + (x1 - x0) * t + uniform(random, -wobble, wobble), y0 + (y1 - y0) * t + uniform(random, -wobble, wobble)]);
    }
  }
  out.push([...(corners[corners.length - 1] as XY)]);
  return out;
}

function line(random: Random): XY[][] {
  // Within 35° of horizontal (at most 50° after augmentation): steeper straight lines are how people write a 1.
  const angle = (uniform(random, -MAX_LINE_ANGLE_DEG, MAX_LINE_ANGLE_DEG) * Math.PI) / 180;
  const length = uniform(random, 0.3, 0.9);
  const bend = uniform(random, -0.06, 0.06);
  const dx = (Math.cos(angle) * length) / 2;
  const dy = (Math.sin(angle) * length) / 2;
  const mid: XY = [0.5 - dy * bend * 4, 0.5 + dx * bend * 4];
  return [polyline([[0.5 - dx, 0.5 - dy], mid, [0.5 + dx, 0.5 + dy]], random)];
}

function dot(random: Random): XY[][] {
  const strokes: XY[][] = [];
  const count = random() < 0.7 ? 1 : 2;
  for (let s = 0; s < count; s++) {
    const n = 1 + Math.floor(random() * 6);
    const x = 0.5 + uniform(random, -0.02, 0.02);
    const y = 0.5 + uniform(random, -0.02, 0.02);
    const r = uniform(random, 0.001, 0.012);
    strokes.push(Array.from({ length: n }, (): XY => [x + uniform(random, -r, r), y + uniform(random, -r, r)]));
  }
  return strokes;
}

function wave(random: Random): XY[][] {
  const periods = uniform(random, 0.7, 4);
  const amplitude = uniform(random, 0.03, 0.15);
  const width = uniform(random, 0.4, 0.9);
  const tilt = uniform(random, -0.3, 0.3);
  const phase = uniform(random, 0, Math.PI * 2);
  const n = 40;
  return [
    Array.from({ length: n + 1 }, (_, i): XY => {
      const t = i / n;
      const x = 0.5 + (t - 0.5) * width;
      return [x, 0.5 + tilt * (t - 0.5) * width + amplitude * Math.sin(phase + t * periods * Math.PI * 2)];
    }),
  ];
}

function zigzag(random: Random): XY[][] {
  const turns = 3 + Math.floor(random() * 7);
  const width = uniform(random, 0.3, 0.9);
  const height = uniform(random, 0.05, 0.4);
  const vertical = random() < 0.3;
  const corners = Array.from({ length: turns + 1 }, (_, i): XY => {
    const along = 0.5 + (i / turns - 0.5) * width;
    const across = 0.5 + (i % 2 === 0 ? -height / 2 : height / 2) + uniform(random, -0.03, 0.03);
    return vertical ? [across, along] : [along, across];
  });
  return [polyline(corners, random)];
}

/** Straight legs of a path that cross each other (legs sharing a point excepted). */
export function selfCrossings(points: readonly XY[]): number {
  const side = (a: XY, b: XY, c: XY) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  let crossings = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i] as XY;
    const b = points[i + 1] as XY;
    for (let j = i + 2; j + 1 < points.length; j++) {
      const c = points[j] as XY;
      const d = points[j + 1] as XY;
      if (side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0) crossings++;
    }
  }
  return crossings;
}

/**
 * A scribble crosses itself at least this often. A random walk that does not is a smooth arc or a single loop —
 * a U, a C, a J, an open 0 or 6 — shapes people draw as digits; labelled "not a digit" they contradict MNIST's open
 * 0s and 6s, the MNIST digits the class takes most (the same kind of mistake as upright lines and 1s, see
 * MAX_LINE_ANGLE_DEG). Retraining with tangles only did not measure better (README, "Scribbles redefined").
 */
export const MIN_SCRIBBLE_CROSSINGS = 4;

/** A random walk pulled towards the centre, drawn again until it is a tangle (MIN_SCRIBBLE_CROSSINGS). */
function scribble(random: Random): XY[][] {
  let points: XY[] = [];
  // About two walks in three are tangles already; the cap only bounds the loop.
  for (let attempt = 0; attempt < 100; attempt++) {
    points = randomWalk(random);
    if (selfCrossings(points) >= MIN_SCRIBBLE_CROSSINGS) break;
  }
  return [points];
}

function randomWalk(random: Random): XY[] {
  const n = 30 + Math.floor(random() * 90);
  const radius = uniform(random, 0.1, 0.4);
  let x = 0.5;
  let y = 0.5;
  let heading = uniform(random, 0, Math.PI * 2);
  const turn = uniform(random, 0.4, 1.6);
  const points: XY[] = [];
  for (let i = 0; i < n; i++) {
    heading += uniform(random, -turn, turn);
    x += Math.cos(heading) * radius * 0.15;
    y += Math.sin(heading) * radius * 0.15;
    // Pulled back towards the centre so the scribble stays a blob.
    x += (0.5 - x) * 0.15;
    y += (0.5 - y) * 0.15;
    points.push([x, y]);
  }
  return points;
}

function spiral(random: Random): XY[][] {
  const turns = uniform(random, 2.2, 4);
  const n = Math.ceil(turns * 24);
  const direction = random() < 0.5 ? 1 : -1;
  const squash = uniform(random, 0.6, 1.2);
  return [
    Array.from({ length: n + 1 }, (_, i): XY => {
      const t = i / n;
      const a = direction * t * turns * Math.PI * 2;
      const r = 0.04 + 0.36 * t;
      return [0.5 + r * Math.cos(a), 0.5 + r * Math.sin(a) * squash];
    }),
  ];
}

function hatching(random: Random): XY[][] {
  const count = 2 + Math.floor(random() * 4);
  const angle = (uniform(random, -MAX_LINE_ANGLE_DEG, MAX_LINE_ANGLE_DEG) * Math.PI) / 180;
  const gap = uniform(random, 0.06, 0.15);
  const length = uniform(random, 0.3, 0.7);
  const cross = random() < 0.3;
  const strokes: XY[][] = [];
  const at = (a: number, offset: number) => {
    const dx = (Math.cos(a) * length) / 2;
    const dy = (Math.sin(a) * length) / 2;
    const ox = -Math.sin(a) * offset;
    const oy = Math.cos(a) * offset;
    strokes.push(
      polyline(
        [
          [0.5 - dx + ox, 0.5 - dy + oy],
          [0.5 + dx + ox, 0.5 + dy + oy],
        ],
        random,
      ),
    );
  };
  for (let i = 0; i < count; i++) at(angle, (i - (count - 1) / 2) * gap);
  if (cross) for (let i = 0; i < count; i++) at(angle + Math.PI / 2, (i - (count - 1) / 2) * gap);
  return strokes;
}

/** Letters and signs no digit looks like, each a list of strokes through corners in a unit cell. */
const LETTERS: Record<string, XY[][]> = {
  A: [
    [
      [0.1, 1],
      [0.5, 0],
      [0.9, 1],
    ],
    [
      [0.25, 0.6],
      [0.75, 0.6],
    ],
  ],
  E: [
    [
      [0.85, 0],
      [0.15, 0],
      [0.15, 1],
      [0.85, 1],
    ],
    [
      [0.15, 0.5],
      [0.7, 0.5],
    ],
  ],
  F: [
    [
      [0.85, 0],
      [0.15, 0],
      [0.15, 1],
    ],
    [
      [0.15, 0.5],
      [0.7, 0.5],
    ],
  ],
  H: [
    [
      [0.15, 0],
      [0.15, 1],
    ],
    [
      [0.85, 0],
      [0.85, 1],
    ],
    [
      [0.15, 0.5],
      [0.85, 0.5],
    ],
  ],
  K: [
    [
      [0.15, 0],
      [0.15, 1],
    ],
    [
      [0.85, 0],
      [0.15, 0.55],
      [0.85, 1],
    ],
  ],
  M: [
    [
      [0.05, 1],
      [0.15, 0],
      [0.5, 0.6],
      [0.85, 0],
      [0.95, 1],
    ],
  ],
  N: [
    [
      [0.15, 1],
      [0.15, 0],
      [0.85, 1],
      [0.85, 0],
    ],
  ],
  W: [
    [
      [0.0, 0],
      [0.25, 1],
      [0.5, 0.35],
      [0.75, 1],
      [1, 0],
    ],
  ],
  X: [
    [
      [0.1, 0],
      [0.9, 1],
    ],
    [
      [0.9, 0],
      [0.1, 1],
    ],
  ],
  '#': [
    [
      [0.35, 0],
      [0.3, 1],
    ],
    [
      [0.7, 0],
      [0.65, 1],
    ],
    [
      [0, 0.35],
      [1, 0.35],
    ],
    [
      [0, 0.68],
      [1, 0.68],
    ],
  ],
  '*': [
    [
      [0.5, 0],
      [0.5, 1],
    ],
    [
      [0.07, 0.25],
      [0.93, 0.75],
    ],
    [
      [0.93, 0.25],
      [0.07, 0.75],
    ],
  ],
  '+': [
    [
      [0.5, 0.05],
      [0.5, 0.95],
    ],
    [
      [0.05, 0.5],
      [0.95, 0.5],
    ],
  ],
};

function letter(random: Random): XY[][] {
  const shape = LETTERS[pick(random, Object.keys(LETTERS))] as XY[][];
  const w = uniform(random, 0.45, 0.8);
  const h = uniform(random, 0.5, 0.85);
  return shape.map((corners) =>
    polyline(
      corners.map(([x, y]): XY => [0.5 + (x - 0.5) * w, 0.5 + (y - 0.5) * h]),
      random,
    ),
  );
}

function triangle(random: Random): XY[][] {
  const a = uniform(random, 0, Math.PI * 2);
  const corners: XY[] = [0, 1, 2, 3].map((k) => {
    const t = a + (k * Math.PI * 2) / 3 + uniform(random, -0.2, 0.2) * (k % 3 === 0 ? 0 : 1);
    return [0.5 + 0.35 * Math.cos(t), 0.5 + 0.35 * Math.sin(t)];
  });
  corners[3] = [...(corners[0] as XY)];
  return [polyline(corners, random)];
}

function check(random: Random): XY[][] {
  const h = uniform(random, 0.2, 0.5);
  return [
    polyline(
      [
        [0.15, 0.5],
        [0.35, 0.5 + h / 2 + uniform(random, 0, 0.1)],
        [0.85, 0.5 - h],
      ],
      random,
    ),
  ];
}

function arrow(random: Random): XY[][] {
  const right = random() < 0.5;
  const tip: XY = right ? [0.9, 0.5] : [0.1, 0.5];
  const back = right ? 0.72 : 0.28;
  return [polyline([[right ? 0.1 : 0.9, 0.5], tip], random), polyline([[back, 0.35], tip, [back, 0.65]], random)];
}

const MAKERS: Record<NonDigitKind, (random: Random) => XY[][]> = {
  dot,
  line,
  wave,
  zigzag,
  scribble,
  spiral,
  hatching,
  letter,
  triangle,
  check,
  arrow,
};

/** One non-digit drawing of the given kind (or a random kind). */
export function nonDigit(random: Random, kind: NonDigitKind = pick(random, NON_DIGIT_KINDS)): { kind: NonDigitKind; strokes: XY[][] } {
  return { kind, strokes: MAKERS[kind](random) };
}
