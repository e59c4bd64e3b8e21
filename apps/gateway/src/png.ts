/** Minimal PNG encoder (8-bit greyscale) and the rendering of a drawing as a picture, black ink on white. */
import { deflateSync } from 'node:zlib';
import { type DrawnStroke, rasterizeSegments, strokeSegments } from '@inkling/protocol';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encodes `grey` (width·height bytes, row-major) as a PNG file. */
export function encodeGreyPng(grey: Uint8Array, width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit, greyscale, deflate, no filter method, no interlace
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    raw.set(grey.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** A picture of the board: strokes in board units drawn black on white at `sizePx` pixels square. */
export function renderDrawingPng(strokes: readonly DrawnStroke[], sizePx: number): Buffer {
  const ink = rasterizeSegments(strokeSegments(strokes, sizePx), sizePx, Math.max(1.5, sizePx * 0.03));
  const grey = new Uint8Array(ink.length);
  for (let i = 0; i < ink.length; i++) grey[i] = 255 - Math.round((ink[i] ?? 0) * 255);
  return encodeGreyPng(grey, sizePx, sizePx);
}
