import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digitDrawing, numberDrawing } from '@inkling/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferencePool } from './inference-pool.js';

const MODEL = join(import.meta.dirname, '..', '..', '..', 'models', 'default');

/** The model in inference threads: both lanes recognize, follow a model swap, and a bad folder changes nothing. */
describe('inference pool', () => {
  let dir: string;
  let pool: InferencePool;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inkling-pool-'));
    await cp(MODEL, join(dir, 'next'), { recursive: true });
    const meta = JSON.parse(await readFile(join(dir, 'next', 'metadata.json'), 'utf8')) as { version: string };
    meta.version = 'swapped-in';
    await writeFile(join(dir, 'next', 'metadata.json'), JSON.stringify(meta));
    // Boards above 100 points take the large lane.
    ({ pool } = await InferencePool.start({ folder: MODEL, largeBoardPoints: 100, log: pino({ level: 'silent' }) }));
  }, 120_000);
  afterAll(async () => {
    await pool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const board = (strokes: ReturnType<typeof digitDrawing>, key: string) => ({
    strokes,
    drawingKey: key,
    points: strokes.reduce((n, s) => n + s.points.length, 0),
  });

  it('recognizes ordinary boards together and large ones in their own lane, then follows a swap', async () => {
    const small = board(digitDrawing(3), 'room/1');
    const large = board(numberDrawing('2026'), 'room/2');
    expect(small.points).toBeLessThan(100);
    expect(large.points).toBeGreaterThan(100);
    const [a, b] = await Promise.all([pool.recognize(small), pool.recognize(small)]);
    expect(a?.recognition.text).toBe('3');
    expect(b?.recognition).toEqual(a?.recognition);
    expect((await pool.recognize(large)).recognition.text).toBe('2026');

    const original = pool.modelVersion;
    await expect(pool.swap(join(dir, 'missing'))).rejects.toThrow();
    expect(pool.modelVersion).toBe(original);
    expect(await pool.swap(join(dir, 'next'))).toEqual({ version: 'swapped-in' });
    expect(pool.modelVersion).toBe('swapped-in');
    expect((await pool.recognize(small)).recognition.modelVersion).toBe('swapped-in');
    expect((await pool.recognize(large)).recognition.modelVersion).toBe('swapped-in');
  }, 120_000);
});
