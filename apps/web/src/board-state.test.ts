import { emptyBoard } from '@inkling/client';
import { colorFor } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { authorColor, ownStrokeIds } from './board-state.js';

const points: [number, number, number][] = [[0.1, 0.1, 0]];

describe('board state helpers', () => {
  it('tints strokes by member colour, falling back to the shared stable colour', () => {
    const view = emptyBoard();
    view.members = [{ userId: 'u1', name: 'Ada', color: '#123456' }];
    expect(authorColor(view, 'u1')).toBe('#123456');
    expect(authorColor(view, 'gone-user')).toBe(colorFor('gone-user'));
  });

  it('lists a user’s own strokes, newest last', () => {
    const view = emptyBoard();
    view.strokes = [
      { id: 'a', points, authorId: 'u1' },
      { id: 'b', points, authorId: 'u2' },
      { id: 'c', points, authorId: 'u1' },
    ];
    expect(ownStrokeIds(view, 'u1')).toEqual(['a', 'c']);
  });
});
