import { describe, expect, it } from 'vitest';
import { addStats, emptyStats } from './client-stats.js';
import { connectionStateOf } from './connection-state.js';
import { DEFAULT_LIVENESS, LivenessMonitor } from './liveness.js';

describe('liveness', () => {
  const opts = { probeAfterMs: 400, suspectAfterMs: 1200, closeAfterMs: 4000, tickMs: 100 };

  it('probes after a short silence, reports suspect, then dead; a sign of life makes it alive again', () => {
    const m = new LivenessMonitor(opts, 0);
    expect(m.check(300)).toEqual({ vitality: 'alive', probe: false });
    expect(m.check(400)).toEqual({ vitality: 'alive', probe: true });
    expect(m.check(500)).toEqual({ vitality: 'alive', probe: false }); // one probe per probeAfterMs
    expect(m.check(800)).toEqual({ vitality: 'alive', probe: true });
    expect(m.check(1200)).toEqual({ vitality: 'suspect', probe: true });
    m.heard(1250);
    expect(m.check(1300)).toEqual({ vitality: 'alive', probe: false });
    expect(m.check(5250)).toEqual({ vitality: 'dead', probe: false });
    m.reset(6000);
    expect(m.check(6100).vitality).toBe('alive');
  });

  it('by default reports a silent connection well within the 2 s the issue allows, checks included', () => {
    expect(DEFAULT_LIVENESS.suspectAfterMs + DEFAULT_LIVENESS.tickMs).toBeLessThanOrEqual(1400);
  });
});

describe('connection state', () => {
  const facts = { closed: false, offline: false, joined: false, suspect: false, everJoined: false };
  it('is connecting until the first join, live while joined and heard, reconnecting after a loss', () => {
    expect(connectionStateOf(facts)).toBe('connecting');
    expect(connectionStateOf({ ...facts, joined: true, everJoined: true })).toBe('live');
    expect(connectionStateOf({ ...facts, joined: true, everJoined: true, suspect: true })).toBe('reconnecting');
    expect(connectionStateOf({ ...facts, everJoined: true })).toBe('reconnecting');
    expect(connectionStateOf({ ...facts, joined: true, suspect: true })).toBe('connecting');
  });
  it('offline wins over everything but closed', () => {
    expect(connectionStateOf({ ...facts, offline: true, joined: true, everJoined: true })).toBe('offline');
    expect(connectionStateOf({ ...facts, offline: true, closed: true })).toBe('closed');
  });
});

describe('client stats', () => {
  it('add up over many clients, counters and counts by code alike', () => {
    const a = emptyStats();
    const b = emptyStats();
    a.strokesDelivered = 3;
    a.errorsByCode.UNAVAILABLE = 2;
    b.strokesDelivered = 4;
    b.errorsByCode.UNAVAILABLE = 1;
    b.errorsByCode.TIMEOUT = 5;
    const total = addStats(addStats(emptyStats(), a), b);
    expect(total.strokesDelivered).toBe(7);
    expect(total.errorsByCode).toEqual({ UNAVAILABLE: 3, TIMEOUT: 5 });
    expect(a.errorsByCode).toEqual({ UNAVAILABLE: 2 });
  });
});
