/**
 * Test support (Node only, not exported from the package's index): decodes a PNG file into the RGBA pixels a
 * browser's canvas gives `imageToStrokes` when a user loads a picture. 8-bit greyscale, grey+alpha, RGB, RGBA and
 * palette images, not interlaced: what the fixture pictures are saved as.
 */
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import type { RgbaImage } from './trace-image.js';

export class PngDecodeError extends Error {
  readonly code = 'PNG_UNSUPPORTED';
  constructor(message: string) {
    super(message);
    this.name = 'PngDecodeError';
  }
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes the per-row filters in place; returns the raw samples, row after row. */
function unfilter(data: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)] ?? 0;
    const src = y * (stride + 1) + 1;
    for (let x = 0; x < stride; x++) {
      const raw = data[src + x] ?? 0;
      const a = x >= bpp ? (out[y * stride + x - bpp] ?? 0) : 0;
      const b = y > 0 ? (out[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= bpp && y > 0 ? (out[(y - 1) * stride + x - bpp] ?? 0) : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (predictor === undefined) throw new PngDecodeError(`unknown PNG row filter ${filter}`);
      out[y * stride + x] = (raw + predictor) & 0xff;
    }
  }
  return out;
}

export function decodePng(file: Uint8Array): RgbaImage {
  if (!SIGNATURE.every((b, i) => file[i] === b)) throw new PngDecodeError('not a PNG file');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let width = 0;
  let height = 0;
  let colourType = -1;
  let palette: Uint8Array = new Uint8Array(0);
  let transparency: Uint8Array = new Uint8Array(0);
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= file.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...file.subarray(at + 4, at + 8));
    const body = file.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      colourType = body[9] ?? -1;
      if (body[8] !== 8 || body[12] !== 0 || CHANNELS[colourType] === undefined) {
        throw new PngDecodeError('only 8-bit, non-interlaced PNG files are supported');
      }
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const bpp = CHANNELS[colourType];
  if (!bpp || width < 1 || height < 1) throw new PngDecodeError('the PNG file has no image header');
  const samples = unfilter(inflateSync(Buffer.concat(idat)), width, height, bpp);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = samples.subarray(i * bpp, i * bpp + bpp);
    const [r, g, b, a] =
      colourType === 0
        ? [s[0], s[0], s[0], 255]
        : colourType === 4
          ? [s[0], s[0], s[0], s[1]]
          : colourType === 2
            ? [s[0], s[1], s[2], 255]
            : colourType === 6
              ? [s[0], s[1], s[2], s[3]]
              : [palette[(s[0] ?? 0) * 3], palette[(s[0] ?? 0) * 3 + 1], palette[(s[0] ?? 0) * 3 + 2], transparency[s[0] ?? 0] ?? 255];
    data.set([r ?? 0, g ?? 0, b ?? 0, a ?? 255], i * 4);
  }
  return { width, height, data };
}

export function readPngFile(path: string): RgbaImage {
  return decodePng(readFileSync(path));
}
