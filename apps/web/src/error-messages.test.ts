import { ERROR_CODES } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { humanError, humanizeThrown, isKnownCode, strokeRefusal } from './error-messages.js';

describe('human error messages', () => {
  const extra = ['INVALID_TOKEN', 'UNKNOWN_EVENT', 'PAYLOAD_TOO_LARGE', 'UNAVAILABLE', 'BOARD_FULL', 'RATE_LIMITED', 'NETWORK'];

  it.each([...ERROR_CODES, ...extra])('%s has a sentence without the raw detail in front', (code) => {
    expect(isKnownCode(code)).toBe(true);
    const raw = 'stroke:commit: strokes.0.points.0.0: Too big: expected number to be <=1';
    const h = humanError(code, raw);
    expect(h.text).toMatch(/^[A-Z].*[.…]$/);
    expect(h.text).not.toContain('Too big');
    expect(h.text).not.toContain(code);
    expect(h.detail).toBe(`${code}: ${raw}`);
  });

  it('an unknown code still reads as a sentence, with the detail kept', () => {
    expect(humanError('SOMETHING_NEW', 'x: y')).toEqual({
      text: 'Something went wrong. Try again in a moment.',
      detail: 'SOMETHING_NEW: x: y',
    });
  });

  it('an error without a code (written for people, e.g. a bad file) keeps its message and has no detail', () => {
    expect(humanizeThrown(new Error('this file is not an Inkling drawing'))).toEqual({
      text: 'this file is not an Inkling drawing',
      detail: null,
    });
    const coded = Object.assign(new Error('you have no stroke on this board to undo'), { code: 'NOTHING_TO_UNDO' });
    expect(humanizeThrown(coded).text).toBe('You have no stroke on this board to undo.');
  });

  it('names a refused stroke as such', () => {
    expect(strokeRefusal('BOARD_FULL', 'a board holds at most 500 strokes').text).toBe(
      'A stroke was not accepted: the board is full; clear it to keep drawing.',
    );
    expect(strokeRefusal('INVALID_PAYLOAD', 'strokes.0.points.0.0: Too big').text).toBe(
      'A stroke was not accepted: the server could not read it.',
    );
  });
});
