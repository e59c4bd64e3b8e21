import type { ErrorCode, Stroke } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.js';

const stroke = (id: string): Stroke => ({ id, points: [[0.5, 0.5, 0]] });
/** Jitter pinned to its ceiling: delays are exactly 250, 500, 1000, … ms. */
/** Codes announced in PLAN.md §2 that the protocol on this branch may not list yet. */
const code = (c: string) => c as ErrorCode;
const outbox = () => new Outbox({ backoff: { baseMs: 250, maxMs: 2000 }, random: () => 1 });

describe('outbox', () => {
  it('sends strokes one at a time in drawing order; an ack delivers the head and the next one follows', () => {
    const o = outbox();
    o.add(stroke('b'), 2);
    o.add(stroke('a'), 1);
    expect(o.pending.map((s) => s.id)).toEqual(['a', 'b']);
    const first = o.next(0);
    expect(first).toMatchObject({ entry: { stroke: { id: 'a' } } });
    o.begin('a');
    expect(o.next(0)).toBeNull(); // one in flight at a time
    expect(o.settle('a', { type: 'ack', revision: 7 }, 0)).toMatchObject({ type: 'delivered', revision: 7, duplicate: false });
    expect(o.next(0)).toMatchObject({ entry: { stroke: { id: 'b' } } });
    expect(o.size).toBe(1);
  });

  it('ignores a second stroke with the same id', () => {
    const o = outbox();
    expect(o.add(stroke('a'), 1)).toBe(true);
    expect(o.add(stroke('a'), 2)).toBe(false);
    expect(o.size).toBe(1);
  });

  it('DUPLICATE_STROKE means delivered before (a lost ack), not an error', () => {
    const o = outbox();
    o.add(stroke('a'), 1);
    o.begin('a');
    const s = o.settle('a', { type: 'error', code: 'DUPLICATE_STROKE', message: 'dup' }, 0);
    expect(s).toMatchObject({ type: 'delivered', duplicate: true });
    expect(o.size).toBe(0);
    expect(o.refused).toEqual([]);
  });

  it.each(['INVALID_PAYLOAD', 'BOARD_FULL', 'ROOM_NOT_FOUND'] as const)(
    '%s refuses the stroke for good: kept as refused, not dropped',
    (code) => {
      const o = outbox();
      o.add(stroke('a'), 1);
      o.add(stroke('b'), 2);
      o.begin('a');
      const s = o.settle('a', { type: 'error', code, message: 'no' }, 0);
      expect(s).toMatchObject({ type: 'refused', refused: { stroke: { id: 'a' }, code, message: 'no' } });
      expect(o.refused).toEqual([{ stroke: stroke('a'), code, message: 'no' }]);
      // The refusal does not block the strokes after it.
      expect(o.next(0)).toMatchObject({ entry: { stroke: { id: 'b' } } });
    },
  );

  it.each(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL'].map(code))(
    '%s is retried with a growing delay, and the stroke stays first',
    (retryable) => {
      const o = outbox();
      o.add(stroke('a'), 1);
      o.add(stroke('b'), 2);
      const delays: number[] = [];
      let now = 0;
      for (let i = 0; i < 5; i++) {
        const next = o.next(now);
        if (!next || !('entry' in next)) throw new Error('expected the head to be sendable');
        expect(next.entry.stroke.id).toBe('a');
        o.begin('a');
        const s = o.settle('a', { type: 'error', code: retryable, message: 'later' }, now);
        if (s.type !== 'retry') throw new Error(`expected a retry, got ${s.type}`);
        delays.push(s.delayMs);
        expect(o.next(now + s.delayMs - 1)).toEqual({ waitMs: 1 });
        now += s.delayMs;
      }
      expect(delays).toEqual([250, 500, 1000, 2000, 2000]);
      expect(o.pending.map((p) => p.id)).toEqual(['a', 'b']);
    },
  );

  it('an unanswered send is retried on the same connection', () => {
    const o = outbox();
    o.add(stroke('a'), 1);
    o.begin('a');
    expect(o.settle('a', { type: 'timeout' }, 1000)).toMatchObject({ type: 'retry', reason: 'TIMEOUT', delayMs: 250 });
    expect(o.next(1250)).toMatchObject({ entry: { stroke: { id: 'a' }, attempts: 1, lastFailure: 'TIMEOUT' } });
  });

  it('a disconnect mid-send keeps the stroke; a new connection sends at once what waited out a backoff', () => {
    const o = outbox();
    o.add(stroke('a'), 1);
    o.begin('a');
    o.settle('a', { type: 'error', code: code('UNAVAILABLE'), message: 'x' }, 0);
    o.begin('a');
    expect(o.settle('a', { type: 'disconnected' }, 10)).toMatchObject({ type: 'interrupted' });
    expect(o.next(10)).toMatchObject({ waitMs: expect.any(Number) });
    o.reconnected();
    expect(o.next(10)).toMatchObject({ entry: { stroke: { id: 'a' } } });
  });

  it('NOT_IN_ROOM asks for a rejoin and INVALID_TOKEN for a new identity, keeping the stroke', () => {
    const o = outbox();
    o.add(stroke('a'), 1);
    o.begin('a');
    expect(o.settle('a', { type: 'error', code: 'NOT_IN_ROOM', message: 'join' }, 0)).toMatchObject({ type: 'rejoin' });
    o.begin('a');
    expect(o.settle('a', { type: 'error', code: code('INVALID_TOKEN'), message: 'who?' }, 0)).toMatchObject({ type: 'reidentify' });
    expect(o.pending.map((p) => p.id)).toEqual(['a']);
  });

  it('a code this client does not know counts as a refusal (shown), not as an endless retry', () => {
    const o = outbox();
    o.add(stroke('a'), 1);
    o.begin('a');
    expect(o.settle('a', { type: 'error', code: code('SOMETHING_NEW'), message: '?' }, 0)).toMatchObject({ type: 'refused' });
  });

  it('a broadcast confirming the stroke in flight settles it; the late ack then finds nothing', () => {
    const o = outbox();
    o.add(stroke('a'), 1);
    o.begin('a');
    expect(o.confirm('a')?.stroke.id).toBe('a');
    expect(o.settle('a', { type: 'ack', revision: 3 }, 0)).toEqual({ type: 'gone' });
    expect(o.inFlight).toBeNull();
  });

  it('a refused stroke can be sent again (keeping its place) or let go', () => {
    const o = outbox();
    o.add(stroke('a'), 1);
    o.add(stroke('b'), 2);
    o.begin('a');
    o.settle('a', { type: 'error', code: 'BOARD_FULL', message: 'full' }, 0);
    expect(o.retryRefused('a')?.id).toBe('a');
    expect(o.pending.map((p) => p.id)).toEqual(['a', 'b']);
    o.begin('a');
    o.settle('a', { type: 'error', code: 'BOARD_FULL', message: 'full' }, 0);
    expect(o.dismissRefused('a')).toBe(true);
    expect(o.refused).toEqual([]);
    expect(o.retryRefused('a')).toBeNull();
  });

  it('restores pending and refused strokes of an earlier session, in order, without doubling what is here', () => {
    const o = outbox();
    o.add(stroke('c'), 30);
    const added = o.restore([
      { roomId: 'r', stroke: stroke('a'), seq: 10, refusal: null },
      { roomId: 'r', stroke: stroke('x'), seq: 15, refusal: { code: 'BOARD_FULL', message: 'full' } },
      { roomId: 'r', stroke: stroke('c'), seq: 30, refusal: null },
      { roomId: 'r', stroke: stroke('b'), seq: 20, refusal: null },
    ]);
    expect(added).toBe(3);
    expect(o.pending.map((p) => p.id)).toEqual(['a', 'b', 'c']);
    expect(o.refused.map((r) => r.stroke.id)).toEqual(['x']);
    expect(o.stored('r', 'x')).toEqual({ roomId: 'r', stroke: stroke('x'), seq: 15, refusal: { code: 'BOARD_FULL', message: 'full' } });
    expect(o.stored('r', 'b')).toEqual({ roomId: 'r', stroke: stroke('b'), seq: 20, refusal: null });
  });

  it('a stroke restored with an earlier order never jumps ahead of the one in flight', () => {
    const o = outbox();
    o.add(stroke('b'), 20);
    o.begin('b');
    o.restore([{ roomId: 'r', stroke: stroke('a'), seq: 10, refusal: null }]);
    expect(o.pending.map((p) => p.id)).toEqual(['b', 'a']);
  });
});
