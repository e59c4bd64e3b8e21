/**
 * Reader for the IDX format of the original MNIST files (big-endian header, then raw unsigned bytes).
 * Validates the magic number, the rank and that the payload is exactly the declared size.
 */
import { readFile } from 'node:fs/promises';

export class IdxFormatError extends Error {
  readonly code = 'IDX_FORMAT';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`invalid IDX file ${file}: ${reason}`);
    this.name = 'IdxFormatError';
  }
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parses an IDX buffer of unsigned bytes with the expected rank (1 for labels, 3 for images). */
export function parseIdx(buffer: Uint8Array, expectedRank: number, file = '<buffer>'): IdxArray {
  if (buffer.length < 4) throw new IdxFormatError(file, `too short for a header (${buffer.length} bytes)`);
  if (buffer[0] !== 0 || buffer[1] !== 0) throw new IdxFormatError(file, 'magic number must start with two zero bytes');
  if (buffer[2] !== UNSIGNED_BYTE) throw new IdxFormatError(file, `unsupported element type 0x${buffer[2]?.toString(16)}`);
  const rank = buffer[3] ?? 0;
  if (rank !== expectedRank) throw new IdxFormatError(file, `expected rank ${expectedRank}, found ${rank}`);
  const headerBytes = 4 + 4 * rank;
  if (buffer.length < headerBytes) throw new IdxFormatError(file, 'header truncated');
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    if (d === 0) throw new IdxFormatError(file, `dimension ${i} is zero`);
    dims.push(d);
  }
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = buffer.length - headerBytes;
  if (actual !== expected) throw new IdxFormatError(file, `payload is ${actual} bytes, header declares ${expected}`);
  return { dims, data: buffer.subarray(headerBytes) };
}

export async function readIdx(path: string, expectedRank: number): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await readFile(path)), expectedRank, path);
}
