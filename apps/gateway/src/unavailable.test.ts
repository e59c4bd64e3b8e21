import { UnavailableError } from '@inkling/store';
import { describe, expect, it } from 'vitest';
import { isUnavailable } from './unavailable.js';

describe('errors acknowledged as UNAVAILABLE', () => {
  it('are dependency faults, not bugs', () => {
    expect(isUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isUnavailable(new Error('timeout reached while waiting for fetchSockets response'))).toBe(true);
    // Already coded errors keep their code (UnavailableError is acknowledged through its own code).
    expect(isUnavailable(new UnavailableError())).toBe(false);
    expect(isUnavailable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  });
});
