import { LIMITS, StrokeSchema } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { fileStem, savedDrawing } from './save-load.js';
import { shortcutFor } from './shortcuts.js';
import { StrokeBuilder, toBoardUnits } from './stroke-builder.js';

describe('StrokeBuilder', () => {
  it('clamps to the board, makes time relative, skips near-duplicate points, and yields a valid stroke', () => {
    const b = new StrokeBuilder('s1', 1000);
    expect(b.add(0.5, 0.5, 1000)).toBe(true);
    expect(b.add(0.5001, 0.5, 1004)).toBe(false);
    expect(b.add(1.4, -0.2, 1016.6)).toBe(true);
    expect(b.add(Number.NaN, 0.3, 1020)).toBe(true);
    const s = b.finish();
    expect(s?.points).toEqual([
      [0.5, 0.5, 0],
      [1, 0, 17],
      [0, 0.3, 20],
    ]);
    expect(StrokeSchema.safeParse(s).success).toBe(true);
  });

  it('hands out unsent points for live streaming in protocol-sized chunks, and caps the stroke length', () => {
    const b = new StrokeBuilder('s2', 0);
    for (let i = 0; i < LIMITS.maxPointsPerStroke + 50; i++) b.add((i % 100) / 100, Math.floor(i / 100) / 30, i);
    expect(b.points).toHaveLength(LIMITS.maxPointsPerStroke);
    expect(b.takeUnsent()).toHaveLength(LIMITS.maxLivePointsPerEvent);
    expect(b.takeUnsent()[0]).toEqual(b.points[LIMITS.maxLivePointsPerEvent]);
  });

  it('maps pointer coordinates on the element to board units', () => {
    expect(toBoardUnits(150, 300, { left: 100, top: 100, width: 400, height: 400 })).toEqual([0.125, 0.5]);
  });

  it('an empty builder yields no stroke', () => {
    expect(new StrokeBuilder('s3', 0).finish()).toBeNull();
  });
});

describe('shortcuts', () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...mods,
  });
  it('maps the desktop-app keys', () => {
    expect(shortcutFor(key('Enter'))).toBe('recognize');
    expect(shortcutFor(key('z', { ctrlKey: true }))).toBe('undo');
    expect(shortcutFor(key('Z', { metaKey: true, shiftKey: true }))).toBe('redo');
    expect(shortcutFor(key('y', { ctrlKey: true }))).toBe('redo');
    expect(shortcutFor(key('s', { ctrlKey: true }))).toBe('save');
    expect(shortcutFor(key('Delete'))).toBe('clear');
    expect(shortcutFor(key('z'))).toBeNull();
    expect(shortcutFor(key('Enter', { altKey: true }))).toBeNull();
  });
});

describe('save files', () => {
  it('names files with a timestamp and keeps every point', () => {
    expect(fileStem(new Date(2026, 10, 25, 9, 5, 7))).toBe('inkling-2026-11-25_09-05-07');
    const strokes = [{ id: 'a', points: [[0.1, 0.2, 0] as [number, number, number]], authorId: 'u' }];
    const saved = savedDrawing(strokes, { roomId: 'r', revision: 3, prediction: null }, new Date(0));
    expect(saved).toEqual({
      format: 'inkling-drawing',
      version: 1,
      savedAt: '1970-01-01T00:00:00.000Z',
      roomId: 'r',
      revision: 3,
      prediction: null,
      strokes: [{ id: 'a', points: [[0.1, 0.2, 0]] }],
    });
  });
});
