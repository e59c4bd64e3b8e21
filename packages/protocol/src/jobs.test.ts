import { describe, expect, it } from 'vitest';
import { PointSchema } from './drawing.js';
import { BoardChangeSchema, RECOGNITION_JOB_OPTIONS, RECOGNITION_RETRY, recognitionRetryDelayMs } from './jobs.js';

/** When each attempt of a job that fails every time starts, from the first one (ms; the attempts' own run time only adds to it). */
function attemptStartsMs(): number[] {
  const starts = [0];
  for (let made = 1; made < RECOGNITION_JOB_OPTIONS.attempts; made++) starts.push((starts.at(-1) ?? 0) + recognitionRetryDelayMs(made));
  return starts;
}

describe('recognition job retries', () => {
  it('outlast a 30 s Postgres or Redis outage, and come back soon after one', () => {
    const starts = attemptStartsMs();
    expect(starts).toHaveLength(RECOGNITION_RETRY.attempts);
    // An outage that begins as the job first runs and lasts 30 s: an attempt remains after it…
    const after = starts.filter((t) => t > 30_000);
    expect(after.length).toBeGreaterThan(0);
    // …and the first of them comes at most one capped delay after the outage ends.
    expect((after[0] ?? Number.POSITIVE_INFINITY) - 30_000).toBeLessThanOrEqual(RECOGNITION_RETRY.maxMs);
  });

  it('back off exponentially from the base delay, capped', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map(recognitionRetryDelayMs)).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    // Every job gets these retries through the workers' backoff strategy.
    expect(RECOGNITION_JOB_OPTIONS.backoff).toEqual({ type: 'capped-exponential' });
  });
});

describe('a change carried in a recognition job', () => {
  const change = (points: unknown) => ({ type: 'stroke-added', drawingId: 1, baseRevision: 4, rowId: 9, strokeId: 's', points });
  it('accepts exactly the points PointSchema accepts', () => {
    const cases: unknown[] = [
      [0, 0, 0],
      [1, 1, 600_000],
      [0.5, 0.5, 12.5],
      [1.01, 0.5, 0],
      [0.5, -0.01, 0],
      [0.5, 0.5, -1],
      [0.5, 0.5, 600_001],
      [0.5, 0.5],
      [0.5, 0.5, 0, 0],
      ['0.5', 0.5, 0],
      [Number.NaN, 0.5, 0],
      null,
      {},
    ];
    for (const p of cases) expect(BoardChangeSchema.safeParse(change([p])).success).toBe(PointSchema.safeParse(p).success);
    expect(BoardChangeSchema.safeParse(change([])).success).toBe(false);
    expect(BoardChangeSchema.safeParse(change('points')).success).toBe(false);
    expect(BoardChangeSchema.parse({ type: 'cleared', drawingId: 3 })).toEqual({ type: 'cleared', drawingId: 3 });
  });
});
