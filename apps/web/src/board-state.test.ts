import { colorFor, type Prediction } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import {
  addPending,
  applyCleared,
  applyCommitted,
  applyLive,
  applyPrediction,
  applyRemoved,
  authorColor,
  emptyBoard,
  expireLive,
  fromServer,
  liveKey,
} from './board-state.js';

const stroke = (id: string) => ({ id, points: [[0.1, 0.1, 0] as [number, number, number], [0.2, 0.3, 8] as [number, number, number]] });
const prediction = (revision: number, text: string): Prediction => ({
  roomId: 'room12345',
  drawingId: 1,
  revision,
  text,
  digits: [],
  confidence: 0.9,
  lowConfidence: false,
  modelVersion: 'm',
  latencyMs: 3,
  inferenceMs: 1,
});

describe('board state', () => {
  it('a pending stroke becomes committed once, however often the server confirms it', () => {
    const view = emptyBoard();
    addPending(view, stroke('a'));
    expect(view.pending).toHaveLength(1);
    applyCommitted(view, { stroke: stroke('a'), authorId: 'u1', revision: 1 }, 'u1');
    applyCommitted(view, { stroke: stroke('a'), authorId: 'u1', revision: 1 }, 'u1');
    expect(view.pending).toHaveLength(0);
    expect(view.strokes.map((s) => s.id)).toEqual(['a']);
    expect(view.revision).toBe(1);
  });

  it("someone else's stroke with the id of ours is another stroke: ours stays pending", () => {
    const view = emptyBoard();
    addPending(view, stroke('a'));
    applyCommitted(view, { stroke: stroke('a'), authorId: 'mallory', revision: 1 }, 'u1');
    expect(view.pending.map((s) => s.id)).toEqual(['a']);
    applyCommitted(view, { stroke: stroke('a'), authorId: 'u1', revision: 2 }, 'u1');
    expect(view.pending).toHaveLength(0);
    expect(view.strokes.map((s) => `${s.authorId}/${s.id}`)).toEqual(['mallory/a', 'u1/a']);
    applyRemoved(view, { strokeId: 'a', authorId: 'mallory', revision: 3 });
    expect(view.strokes.map((s) => `${s.authorId}/${s.id}`)).toEqual(['u1/a']);
  });

  it('rejoining keeps only the pending strokes the server does not have yet', () => {
    const board = { revision: 4, drawingId: 2, strokes: [{ ...stroke('a'), authorId: 'u1' }], members: [], prediction: null };
    const view = fromServer(board, [stroke('a'), stroke('b')], 'u1');
    expect(view.pending.map((s) => s.id)).toEqual(['b']);
    expect(view.strokes.map((s) => s.id)).toEqual(['a']);
  });

  it('removes, clears, and never moves the revision backwards', () => {
    const view = emptyBoard();
    applyCommitted(view, { stroke: stroke('a'), authorId: 'u1', revision: 3 });
    applyCommitted(view, { stroke: stroke('b'), authorId: 'u2', revision: 4 });
    applyRemoved(view, { strokeId: 'a', authorId: 'u1', revision: 5 });
    expect(view.strokes.map((s) => s.id)).toEqual(['b']);
    applyCommitted(view, { stroke: stroke('c'), authorId: 'u2', revision: 2 });
    expect(view.revision).toBe(5);
    applyCleared(view, { revision: 6, drawingId: 9 });
    expect(view).toMatchObject({ strokes: [], revision: 6, drawingId: 9 });
  });

  it('shows others strokes in progress and forgets them when committed or stale', () => {
    const view = emptyBoard();
    applyLive(view, { strokeId: 'x', authorId: 'u2', points: [[0.1, 0.1, 0]] }, 1000);
    applyLive(view, { strokeId: 'x', authorId: 'u2', points: [[0.2, 0.2, 8]] }, 1010);
    applyLive(view, { strokeId: 'y', authorId: 'u3', points: [[0.5, 0.5, 0]] }, 1000);
    expect(view.live.get(liveKey('u2', 'x'))?.points).toHaveLength(2);
    applyCommitted(view, { stroke: { ...stroke('x') }, authorId: 'u2', revision: 1 });
    expect(view.live.has(liveKey('u2', 'x'))).toBe(false);
    expectLive(view, liveKey('u3', 'y'), true);
    expireLive(view, 7000);
    expectLive(view, liveKey('u3', 'y'), false);
  });

  it('never replaces a prediction with one for an older revision', () => {
    const view = emptyBoard();
    expect(applyPrediction(view, prediction(3, '7'))).toBe(true);
    expect(applyPrediction(view, prediction(2, '1'))).toBe(false);
    expect(view.prediction?.text).toBe('7');
    expect(applyPrediction(view, prediction(3, '7'))).toBe(true);
    expect(applyPrediction(view, prediction(5, '72'))).toBe(true);
    expect(view.prediction?.text).toBe('72');
  });

  it('tints strokes by member colour, falling back to the shared stable colour', () => {
    const view = emptyBoard();
    view.members = [{ userId: 'u1', name: 'Ada', color: '#123456' }];
    expect(authorColor(view, 'u1')).toBe('#123456');
    expect(authorColor(view, 'gone-user')).toBe(colorFor('gone-user'));
  });
});

function expectLive(view: ReturnType<typeof emptyBoard>, id: string, present: boolean): void {
  expect(view.live.has(id)).toBe(present);
}
