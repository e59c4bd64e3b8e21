import { describe, expect, it } from 'vitest';
import { isTransientError, provesRolledBack, retryTransient, UnavailableError } from './transient.js';

const pgError = (code: string, message = 'server says no') => Object.assign(new Error(message), { code });

describe('transient Postgres faults', () => {
  it('tells "try again" faults from real errors', () => {
    for (const code of ['57P01', '57P03', '40001', '40P01', '08006', 'ECONNREFUSED', 'ECONNRESET'])
      expect(isTransientError(pgError(code)), code).toBe(true);
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    for (const code of ['23505', '42P01', 'IK409', '22P02']) expect(isTransientError(pgError(code)), code).toBe(false);
    expect(isTransientError(new Error('something else'))).toBe(false);
    expect(isTransientError('not an error')).toBe(false);
    // Only SQLSTATEs prove that a COMMIT did not happen; a lost connection leaves it unknown.
    expect(provesRolledBack(pgError('40001'))).toBe(true);
    expect(provesRolledBack(new Error('Connection terminated unexpectedly'))).toBe(false);
  });

  it('retries with backoff until the call succeeds', async () => {
    let calls = 0;
    const retries: number[] = [];
    const value = await retryTransient(
      async () => {
        calls++;
        if (calls < 4) throw pgError('57P03', 'the database system is starting up');
        return 'done';
      },
      { deadlineMs: 5000, baseDelayMs: 5, onRetry: (_, attempt) => retries.push(attempt) },
    );
    expect(value).toBe('done');
    expect(calls).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
  });

  it('gives up at the deadline with UNAVAILABLE, and never retries a real error', async () => {
    const started = Date.now();
    const failing = retryTransient(
      async () => {
        throw pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432');
      },
      { deadlineMs: 200, baseDelayMs: 10, maxDelayMs: 40 },
    );
    await expect(failing).rejects.toBeInstanceOf(UnavailableError);
    await expect(failing).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(1000);
    let calls = 0;
    await expect(
      retryTransient(async () => {
        calls++;
        throw pgError('23505', 'duplicate key');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
  });
});
