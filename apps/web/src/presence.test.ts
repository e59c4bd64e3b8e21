import { describe, expect, it } from 'vitest';
import type { LiveStroke } from './board-state.js';
import { DrawingActivity, penTags, pointerTags } from './presence.js';

const live = (entries: [string, LiveStroke][]) => new Map(entries);

describe('presence', () => {
  it('counts someone as drawing while their live stroke arrives and for a moment after', () => {
    const a = new DrawingActivity();
    expect(a.observe(live([['s1', { authorId: 'u2', points: [[0.1, 0.1, 0]], updatedAt: 0 }]]), 1000)).toBe(true);
    expect(a.observe(live([['s1', { authorId: 'u2', points: [[0.1, 0.2, 8]], updatedAt: 0 }]]), 1100)).toBe(false);
    expect(a.active()).toEqual(['u2']);
    expect(a.expire(2000)).toBe(false);
    expect(a.active()).toEqual(['u2']);
    expect(a.expire(2700)).toBe(true);
    expect(a.active()).toEqual([]);
  });

  it("puts a name tag at each live stroke's pen tip, in the author's colour", () => {
    const tags = penTags(
      live([
        [
          's1',
          {
            authorId: 'u2',
            points: [
              [0.1, 0.1, 0],
              [0.4, 0.5, 8],
            ],
            updatedAt: 0,
          },
        ],
        ['s2', { authorId: 'u9', points: [[0.7, 0.2, 0]], updatedAt: 0 }],
      ]),
      [{ userId: 'u2', name: 'Grace', color: '#117766' }],
      (id) => (id === 'u2' ? '#117766' : '#996600'),
    );
    expect(tags).toEqual([
      { strokeId: 's1', name: 'Grace', color: '#117766', x: 0.4, y: 0.5 },
      { strokeId: 's2', name: 'someone', color: '#996600', x: 0.7, y: 0.2 },
    ]);
  });

  it("shows others' pointers with their name, but not one's own, a stranger's or a person drawing (their pen tag says it)", () => {
    const members = [
      { userId: 'me', name: 'Me', color: '#111111' },
      { userId: 'u2', name: 'Ada', color: '#222222' },
      { userId: 'u3', name: 'Bob', color: '#333333' },
    ];
    const pointers = new Map([
      ['me', { position: [0.1, 0.1] as [number, number], updatedAt: 0 }],
      ['u2', { position: [0.4, 0.6] as [number, number], updatedAt: 0 }],
      ['u3', { position: [0.5, 0.5] as [number, number], updatedAt: 0 }],
      ['gone', { position: [0.5, 0.5] as [number, number], updatedAt: 0 }],
    ]);
    const drawing = live([['s1', { authorId: 'u3', points: [[0.5, 0.5, 0]], updatedAt: 0 }]]);
    const colorOf = (id: string) => members.find((m) => m.userId === id)?.color ?? '#000000';
    expect(pointerTags(pointers, drawing, members, colorOf, 'me')).toEqual([
      { userId: 'u2', name: 'Ada', color: '#222222', x: 0.4, y: 0.6 },
    ]);
  });
});
