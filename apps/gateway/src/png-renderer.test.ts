/**
 * What one picture may cost: the rasterizer's work is capped whatever the board, a full render queue answers
 * busy at once, and a render (or a wait for a render thread) past its time limit is abandoned.
 */
import { LIMITS } from '@inkling/protocol';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { toHttpError } from './http-errors.js';
import { drawingCost, drawingSize, MAX_RENDER_COST, renderDrawingPng } from './png.js';
import { PngRenderer, RenderBusyError } from './png-renderer.js';

/** The most expensive legal board: every point of the budget in strokes zig-zagging across the whole board. */
const heaviest = Array.from({ length: LIMITS.maxPointsPerBoard / LIMITS.maxPointsPerStroke }, (_, s) => ({
  points: Array.from(
    { length: LIMITS.maxPointsPerStroke },
    (_, i) =>
      [i % 2 === 0 ? 0.02 : 0.98, ((s * 0.05 + (i / LIMITS.maxPointsPerStroke) * 0.9) % 1) as number, i] as [number, number, number],
  ),
}));
const pointsJson = JSON.stringify(heaviest.map((s) => s.points));
const log = pino({ level: 'silent' });

let renderer: PngRenderer | null = null;
afterEach(async () => {
  await renderer?.close();
  renderer = null;
});

describe('PNG render cost', () => {
  it('draws the heaviest legal board smaller and scales it up, so its cost stays within the cap (or its smallest drawing) at every size', () => {
    for (const size of [1024, 512, 280]) {
      expect(drawingCost(heaviest, size), `${size} px at full size`).toBeGreaterThan(MAX_RENDER_COST);
      const drawPx = drawingSize(heaviest, size);
      expect(drawPx).toBeLessThan(size);
      expect(drawingCost(heaviest, drawPx), `${size} px drawn at ${drawPx}`).toBeLessThanOrEqual(1.2 * MAX_RENDER_COST);
    }
    const png = renderDrawingPng(heaviest, 1024);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1024); // IHDR width
    expect(png.readUInt32BE(20)).toBe(1024); // IHDR height
  });

  it('a small board is drawn at the size asked for', () => {
    const digit = [{ points: [[0.4, 0.2, 0] as [number, number, number], [0.45, 0.8, 100] as [number, number, number]] }];
    expect(drawingSize(digit, 1024)).toBe(1024);
  });
});

describe('PNG render pool', () => {
  it('answers busy at once when its queue is full, and renders what it accepted', async () => {
    renderer = new PngRenderer({ threads: 1, maxQueue: 1, timeoutMs: 60_000 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = renderer.render('1:1:64', 64, '1:1', async () => {
      await held;
      return { key: '1:1:64', source: '1:1', pointsJson };
    });
    const second = renderer.render('2:1:64', 64, '2:1', async () => ({ key: '2:1:64', source: '2:1', pointsJson }));
    await expect(second).rejects.toBeInstanceOf(RenderBusyError);
    expect(toHttpError(await second.catch((e: unknown) => e), log)).toMatchObject({ status: 503, code: 'RENDER_BUSY' });
    release();
    const png = await first;
    expect(png.readUInt32BE(16)).toBe(64);
    expect(renderer.rendered).toBe(1);
  });

  it('abandons a render that outlives its time limit, and a wait for a render thread that does', async () => {
    renderer = new PngRenderer({ threads: 1, maxQueue: 4, timeoutMs: 1 });
    const slow = renderer.render('1:1:1024', 1024, '1:1', async () => ({ key: '1:1:1024', source: '1:1', pointsJson }));
    const err = await slow.catch((e: unknown) => e);
    expect(toHttpError(err, log)).toMatchObject({ status: 503, code: 'RENDER_TIMEOUT' });
    expect(renderer.rendered).toBe(0);

    await renderer.close();
    renderer = new PngRenderer({ threads: 1, maxQueue: 4, timeoutMs: 200 });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The only thread's slot is held (its drawing is still being read) past the second picture's deadline.
    const holder = renderer.render('3:1:28', 28, '3:1', async () => {
      await held;
      return { key: '3:1:28', source: '3:1', pointsJson: '[]' };
    });
    const waiting = renderer.render('4:1:28', 28, '4:1', async () => ({ key: '4:1:28', source: '4:1', pointsJson: '[]' }));
    expect(toHttpError(await waiting.catch((e: unknown) => e), log)).toMatchObject({ status: 503, code: 'RENDER_TIMEOUT' });
    release();
    await holder.catch(() => undefined);
  });
});
