import { ERROR_CODES } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { dispositionOf, isRetryable, retryDelayMs } from './delivery-policy.js';

describe('delivery policy', () => {
  it('follows PLAN.md §2: definitive refusals, retryable faults, duplicates delivered', () => {
    expect(['INVALID_PAYLOAD', 'BOARD_FULL', 'ROOM_NOT_FOUND'].map(dispositionOf)).toEqual(['refused', 'refused', 'refused']);
    expect(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL'].map(isRetryable)).toEqual([true, true, true]);
    expect(dispositionOf('DUPLICATE_STROKE')).toBe('delivered');
    expect(dispositionOf('NOT_IN_ROOM')).toBe('rejoin');
    expect(dispositionOf('INVALID_TOKEN')).toBe('reidentify');
    expect(dispositionOf('toString')).toBe('refused'); // not fooled by the prototype
  });

  it('has a disposition for every code of the contract', () => {
    for (const code of ERROR_CODES) expect(['delivered', 'refused', 'retry', 'rejoin', 'reidentify']).toContain(dispositionOf(code));
  });

  it('doubles the delay up to the cap, with equal jitter', () => {
    const opts = { baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 9].map((a) => retryDelayMs(a, opts, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 5].map((a) => retryDelayMs(a, opts, () => 0))).toEqual([50, 100, 500]);
  });
});
