/**
 * The member palette's promises (see member-color.ts): readable on the board, every pair told apart with
 * typical colour vision and under simulated colour-vision deficiencies. CIEDE2000 and the simulation are
 * implemented here, checked against published reference values, so the test depends on nothing else.
 */
import { describe, expect, it } from 'vitest';
import { colorFor, MEMBER_PALETTE, pickColor } from './member-color.js';

type Rgb = [number, number, number];
type Lab = [number, number, number];

const BOARD_WHITE: Rgb = [1, 1, 1];
/** The page background (#f8fafc) behind the members list's colour dots. */
const PAGE: Rgb = [248 / 255, 250 / 255, 252 / 255];
const MIN_DELTA_E = 24;
const MIN_DELTA_E_DICHROMAT = 12;

const hexToRgb = (hex: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255) as Rgb;
const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const fromLinear = (c: number) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);

/** WCAG 2.x relative luminance and contrast ratio. */
function contrast(a: Rgb, b: Rgb): number {
  const lum = (rgb: Rgb) => {
    const [r, g, bl] = rgb.map(toLinear) as Rgb;
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** sRGB → CIELAB (D65). */
function toLab(rgb: Rgb): Lab {
  const [r, g, b] = rgb.map(toLinear) as Rgb;
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), kL = kC = kH = 1. */
function ciede2000([l1, a1, b1]: Lab, [l2, a2, b2]: Lab): number {
  const rad = Math.PI / 180;
  const cBar = (Math.hypot(a1, b1) + Math.hypot(a2, b2)) / 2;
  const g = 0.5 * (1 - Math.sqrt(cBar ** 7 / (cBar ** 7 + 25 ** 7)));
  const a1p = (1 + g) * a1;
  const a2p = (1 + g) * a2;
  const c1p = Math.hypot(a1p, b1);
  const c2p = Math.hypot(a2p, b2);
  const hue = (b: number, a: number) => {
    if (a === 0 && b === 0) return 0;
    const d = Math.atan2(b, a) / rad;
    return d < 0 ? d + 360 : d;
  };
  const h1p = hue(b1, a1p);
  const h2p = hue(b2, a2p);
  let dhp = 0;
  if (c1p * c2p !== 0) {
    dhp = h2p - h1p;
    if (dhp > 180) dhp -= 360;
    else if (dhp < -180) dhp += 360;
  }
  const dL = l2 - l1;
  const dC = c2p - c1p;
  const dH = 2 * Math.sqrt(c1p * c2p) * Math.sin((dhp / 2) * rad);
  const lBar = (l1 + l2) / 2;
  const cBarP = (c1p + c2p) / 2;
  let hBar = h1p + h2p;
  if (c1p * c2p !== 0) {
    if (Math.abs(h1p - h2p) > 180) hBar += hBar < 360 ? 360 : -360;
    hBar /= 2;
  }
  const t =
    1 -
    0.17 * Math.cos((hBar - 30) * rad) +
    0.24 * Math.cos(2 * hBar * rad) +
    0.32 * Math.cos((3 * hBar + 6) * rad) -
    0.2 * Math.cos((4 * hBar - 63) * rad);
  const dTheta = 30 * Math.exp(-(((hBar - 275) / 25) ** 2));
  const rC = 2 * Math.sqrt(cBarP ** 7 / (cBarP ** 7 + 25 ** 7));
  const sL = 1 + (0.015 * (lBar - 50) ** 2) / Math.sqrt(20 + (lBar - 50) ** 2);
  const sC = 1 + 0.045 * cBarP;
  const sH = 1 + 0.015 * cBarP * t;
  const rT = -Math.sin(2 * dTheta * rad) * rC;
  return Math.sqrt((dL / sL) ** 2 + (dC / sC) ** 2 + (dH / sH) ** 2 + rT * (dC / sC) * (dH / sH));
}

/** Dichromacy simulation matrices on linear RGB (Machado, Oliveira & Fernandes 2009, severity 1.0). */
const DICHROMACY: Record<string, [Rgb, Rgb, Rgb]> = {
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

function simulate(rgb: Rgb, m: [Rgb, Rgb, Rgb]): Rgb {
  const l = rgb.map(toLinear) as Rgb;
  return m.map((row) => fromLinear(Math.min(1, Math.max(0, row[0] * l[0] + row[1] * l[1] + row[2] * l[2])))) as Rgb;
}

const pairs = MEMBER_PALETTE.flatMap((a, i) => MEMBER_PALETTE.slice(i + 1).map((b) => [a, b] as const));

describe('CIEDE2000 implementation', () => {
  it('matches reference pairs from Sharma, Wu & Dalal (2005)', () => {
    expect(ciede2000([50, 2.6772, -79.7751], [50, 0, -82.7485])).toBeCloseTo(2.0425, 4);
    expect(ciede2000([50, 0, 0], [50, -1, 2])).toBeCloseTo(2.3669, 4);
    expect(ciede2000([50, 2.5, 0], [73, 25, -18])).toBeCloseTo(27.1492, 4);
    expect(ciede2000([60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387])).toBeCloseTo(1.2644, 4);
    expect(ciede2000([50, 2.5, 0], [50, 3.1736, 0.5854])).toBeCloseTo(1, 4);
  });
});

describe('member palette', () => {
  it('every colour reads on the white board (≥ 4.5:1) and its dot on the page background (≥ 3:1)', () => {
    for (const c of MEMBER_PALETTE) {
      expect(contrast(hexToRgb(c), BOARD_WHITE), c).toBeGreaterThanOrEqual(4.5);
      expect(contrast(hexToRgb(c), PAGE), c).toBeGreaterThanOrEqual(3);
    }
  });

  it('every colour stands far apart from the white board (CIEDE2000 ΔE ≥ 35, with and without colour-vision deficiency)', () => {
    for (const c of MEMBER_PALETTE) {
      expect(ciede2000(toLab(hexToRgb(c)), toLab(BOARD_WHITE)), c).toBeGreaterThanOrEqual(35);
      for (const m of Object.values(DICHROMACY))
        expect(ciede2000(toLab(simulate(hexToRgb(c), m)), toLab(BOARD_WHITE)), c).toBeGreaterThanOrEqual(35);
    }
  });

  it(`every pair differs by CIEDE2000 ΔE ≥ ${MIN_DELTA_E} for typical colour vision`, () => {
    const worst = Math.min(...pairs.map(([a, b]) => ciede2000(toLab(hexToRgb(a)), toLab(hexToRgb(b)))));
    expect(worst).toBeGreaterThanOrEqual(MIN_DELTA_E);
  });

  it.each(Object.keys(DICHROMACY))(`every pair differs by ΔE ≥ ${MIN_DELTA_E_DICHROMAT} simulated for %s`, (kind) => {
    const m = DICHROMACY[kind] as [Rgb, Rgb, Rgb];
    const seen = (hex: string) => toLab(simulate(hexToRgb(hex), m));
    for (const [a, b] of pairs) expect(ciede2000(seen(a), seen(b)), `${a} vs ${b}`).toBeGreaterThanOrEqual(MIN_DELTA_E_DICHROMAT);
  });

  it('the bound rules out the old red rgb(220,38,38) and pink rgb(219,39,119), reported as hard to tell apart', () => {
    expect(ciede2000(toLab(hexToRgb('#dc2626')), toLab(hexToRgb('#db2777')))).toBeLessThan(MIN_DELTA_E);
  });

  it('pickColor gives up to eight people in a room different colours, keeping the usual one when free', () => {
    expect(pickColor('u-ada', [])).toBe(colorFor('u-ada'));
    const taken: string[] = [];
    for (let i = 0; i < MEMBER_PALETTE.length; i++) taken.push(pickColor(`u${i}`, taken));
    expect(new Set(taken).size).toBe(MEMBER_PALETTE.length);
    expect(pickColor('u-late', taken)).toBe(colorFor('u-late'));
  });

  it('gives a person the same colour everywhere, from the palette, spread over it', () => {
    expect(colorFor('u-ada')).toBe(colorFor('u-ada'));
    const used = new Set(Array.from({ length: 200 }, (_, i) => colorFor(`u${i.toString(36)}x`)));
    expect([...used].every((c) => (MEMBER_PALETTE as readonly string[]).includes(c))).toBe(true);
    expect(used.size).toBe(MEMBER_PALETTE.length);
  });
});
