import type { Point, Prediction } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyCleared,
  applyCommitted,
  applyLive,
  applyMemberJoined,
  applyMemberLeft,
  applyPointer,
  applyPrediction,
  applyRemoved,
  emptyBoard,
  expireLive,
  hasStroke,
  liveKey,
  POINTER_MAX_AGE_MS,
  resyncBoard,
} from './board-view.js';

const points: Point[] = [
  [0.1, 0.1, 0],
  [0.2, 0.3, 8],
];
const stroke = (id: string) => ({ id, points });
const prediction = (revision: number, text: string, drawingId = 1): Prediction => ({
  roomId: 'room12345',
  drawingId,
  revision,
  text,
  digits: [],
  confidence: 0.9,
  lowConfidence: false,
  notDigit: false,
  modelVersion: 'm',
  latencyMs: 3,
  inferenceMs: 1,
});

describe('board view', () => {
  it('adds a committed stroke once however often it is confirmed; the same id by another author is another stroke', () => {
    const view = emptyBoard();
    expect(applyCommitted(view, { stroke: stroke('a'), authorId: 'u1', revision: 1 })).toBe(true);
    expect(applyCommitted(view, { stroke: stroke('a'), authorId: 'u1', revision: 1 })).toBe(false);
    expect(applyCommitted(view, { stroke: stroke('a'), authorId: 'u2', revision: 2 })).toBe(true);
    expect(view.strokes.map((s) => `${s.authorId}/${s.id}`)).toEqual(['u1/a', 'u2/a']);
    expect(hasStroke(view, 'u2', 'a')).toBe(true);
    expect(hasStroke(view, 'u3', 'a')).toBe(false);
  });

  it('removes by author and id (or by id from a server that names no author), clears, never moves the revision back', () => {
    const view = emptyBoard();
    applyCommitted(view, { stroke: stroke('a'), authorId: 'u1', revision: 3 });
    applyCommitted(view, { stroke: stroke('a'), authorId: 'u2', revision: 4 });
    applyCommitted(view, { stroke: stroke('b'), authorId: 'u2', revision: 5 });
    applyRemoved(view, { strokeId: 'a', authorId: 'u2', revision: 6 });
    expect(view.strokes.map((s) => `${s.authorId}/${s.id}`)).toEqual(['u1/a', 'u2/b']);
    applyRemoved(view, { strokeId: 'b', revision: 7 });
    expect(view.strokes.map((s) => `${s.authorId}/${s.id}`)).toEqual(['u1/a']);
    applyCommitted(view, { stroke: stroke('c'), authorId: 'u2', revision: 2 });
    expect(view.revision).toBe(7);
    applyCleared(view, { revision: 8, drawingId: 9 });
    expect(view).toMatchObject({ strokes: [], revision: 8, drawingId: 9 });
  });

  it('resync takes what the server has (strokes, removals, clears, members, prediction) and keeps our pending and refused', () => {
    const view = emptyBoard();
    applyCommitted(view, { stroke: stroke('gone'), authorId: 'u2', revision: 3 });
    applyPrediction(view, prediction(3, '1'));
    applyLive(view, { strokeId: 'x', authorId: 'u2', points }, 0);
    view.pending = [stroke('p')];
    view.refused = [{ stroke: stroke('r'), code: 'BOARD_FULL', message: 'full' }];
    const member = { userId: 'u2', name: 'Grace', color: '#000' };
    resyncBoard(view, {
      revision: 9,
      drawingId: 2,
      strokes: [{ ...stroke('new'), authorId: 'u2' }],
      members: [member],
      prediction: prediction(8, '7', 2),
    });
    expect(view).toMatchObject({ revision: 9, drawingId: 2, members: [member], prediction: { revision: 8, text: '7' } });
    expect(view.strokes.map((s) => s.id)).toEqual(['new']);
    expect(view.live.size).toBe(0);
    expect(view.pending.map((s) => s.id)).toEqual(['p']);
    expect(view.refused.map((r) => r.stroke.id)).toEqual(['r']);
    // A board with no prediction yet (a new drawing) replaces an old drawing's prediction.
    resyncBoard(view, { revision: 10, drawingId: 3, strokes: [], members: [], prediction: null });
    expect(view.prediction).toBeNull();
  });

  it('keeps the newest prediction only', () => {
    const view = emptyBoard();
    expect(applyPrediction(view, prediction(2, '4'))).toBe(true);
    expect(applyPrediction(view, prediction(1, '1'))).toBe(false);
    expect(view.prediction?.text).toBe('4');
  });

  it('collects others’ strokes in progress by author and id, drops them when committed or gone quiet', () => {
    const view = emptyBoard();
    applyLive(view, { strokeId: 's', authorId: 'u2', points: [[0.1, 0.1, 0]] }, 1000);
    applyLive(view, { strokeId: 's', authorId: 'u2', points: [[0.2, 0.2, 5]] }, 1100);
    applyLive(view, { strokeId: 's', authorId: 'u3', points: [[0.5, 0.5, 0]] }, 1100);
    expect(view.live.get(liveKey('u2', 's'))?.points).toHaveLength(2);
    applyCommitted(view, { stroke: stroke('s'), authorId: 'u2', revision: 1 });
    expect([...view.live.keys()]).toEqual([liveKey('u3', 's')]);
    expireLive(view, 7000);
    expect(view.live.size).toBe(0);
  });

  it('tracks members joining and leaving', () => {
    const view = emptyBoard();
    applyMemberJoined(view, { userId: 'u1', name: 'Ada', color: '#111' });
    applyMemberJoined(view, { userId: 'u2', name: 'Grace', color: '#222' });
    applyMemberJoined(view, { userId: 'u1', name: 'Ada L.', color: '#111' });
    expect(view.members.map((m) => m.name)).toEqual(['Grace', 'Ada L.']);
    applyMemberLeft(view, 'u2');
    expect(view.members.map((m) => m.userId)).toEqual(['u1']);
  });

  it("keeps each person's latest pointer until it leaves the board, goes quiet, or the person leaves", () => {
    const view = emptyBoard();
    applyPointer(view, { userId: 'u2', position: [0.2, 0.3] }, 1000);
    applyPointer(view, { userId: 'u2', position: [0.4, 0.5] }, 1100);
    applyPointer(view, { userId: 'u3', position: [0.9, 0.9] }, 1100);
    expect([...view.pointers].map(([id, p]) => [id, p.position])).toEqual([
      ['u2', [0.4, 0.5]],
      ['u3', [0.9, 0.9]],
    ]);
    applyPointer(view, { userId: 'u2', position: null }, 1200);
    expect([...view.pointers.keys()]).toEqual(['u3']);
    applyPointer(view, { userId: 'u4', position: [0.5, 0.5] }, 1200 + POINTER_MAX_AGE_MS);
    expireLive(view, 1101 + POINTER_MAX_AGE_MS);
    expect([...view.pointers.keys()]).toEqual(['u4']);
    applyMemberLeft(view, 'u4');
    expect(view.pointers.size).toBe(0);
  });
});
