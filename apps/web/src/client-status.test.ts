import { describe, expect, it } from 'vitest';
import { statusView } from './client-status.js';

describe('client status view', () => {
  it('live with nothing waiting is one calm word', () => {
    expect(statusView({ connection: 'live', pendingCount: 0, refusedCount: 0 }, false)).toEqual({
      label: 'live',
      tone: 'ok',
      extras: [],
      sentence: 'Connected: drawing is shared live.',
    });
  });

  it('does not mention a stroke in flight on a live connection until it has waited', () => {
    expect(statusView({ connection: 'live', pendingCount: 1, refusedCount: 0 }, false).extras).toEqual([]);
    expect(statusView({ connection: 'live', pendingCount: 2, refusedCount: 0 }, true).extras).toEqual(['2 strokes waiting to send']);
  });

  it('offline and reconnecting say what happens to the ink', () => {
    const off = statusView({ connection: 'offline', pendingCount: 3, refusedCount: 0 }, false);
    expect(off.tone).toBe('bad');
    expect(off.sentence).toBe('Offline: keep drawing, strokes are sent when the connection is back. 3 strokes waiting to send.');
    expect(statusView({ connection: 'reconnecting', pendingCount: 1, refusedCount: 0 }, false).extras).toEqual([
      '1 stroke waiting to send',
    ]);
  });

  it('a refused stroke turns the badge to a warning', () => {
    const v = statusView({ connection: 'live', pendingCount: 0, refusedCount: 1 }, false);
    expect(v.tone).toBe('bad');
    expect(v.sentence).toBe('Connected: drawing is shared live. 1 stroke refused.');
  });
});
