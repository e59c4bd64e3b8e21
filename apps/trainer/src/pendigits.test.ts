import { strokesBox } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { loadPendigits, PendigitsFormatError, parsePendigits, toStrokes } from './pendigits.js';

const SAMPLE = `.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.HIERARCHY      DIGIT

.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 12  224
.PEN_DOWN
 100  400
 300  400
 150  100
.PEN_UP
.DT 100

.SEGMENT DIGIT    6-7 ? "4"
.COMMENT 4 3  11
.PEN_DOWN
 200  400
 100  200
 300  200
.PEN_UP
.DT 100
.PEN_DOWN
 250  300
 250  100
.PEN_UP
.DT 100
`;

function errorOf(text: string): PendigitsFormatError {
  try {
    parsePendigits(text, 'bad.tra');
  } catch (err) {
    if (err instanceof PendigitsFormatError) return err;
    throw err;
  }
  throw new Error('expected a PendigitsFormatError');
}

describe('pendigits parser', () => {
  it('reads labels, writers and strokes', () => {
    const digits = parsePendigits(SAMPLE);
    expect(digits.map((d) => [d.label, d.writer, d.strokes.length])).toEqual([
      [7, 12, 1],
      [4, 3, 2],
    ]);
    expect(digits[1]?.strokes[1]).toEqual([
      [250, 300],
      [250, 100],
    ]);
  });

  it('refuses a malformed file with the file and line of the problem', () => {
    const badPoint = errorOf(SAMPLE.replace(' 300  400', ' 300  abc'));
    expect(badPoint.message).toBe('bad.tra:10: expected a point line "x y" (two integers) (found "300  abc")');
    expect(badPoint.line).toBe(10);
    expect(errorOf(SAMPLE.replace('.PEN_UP\n.DT 100\n\n.SEGMENT DIGIT    6-7', '.DT 100\n\n.SEGMENT DIGIT    6-7')).message).toContain(
      'stroke not closed by .PEN_UP',
    );
    expect(errorOf(SAMPLE.replace('? "7"', '? "x"')).message).toMatch(/^bad.tra:6: expected .SEGMENT DIGIT/);
    expect(errorOf(SAMPLE.replace('.COMMENT 7 12  224\n', '')).message).toBe('bad.tra:6: digit has no .COMMENT line naming its writer');
    expect(errorOf(SAMPLE.replace('.HIERARCHY', '.BOGUS')).message).toBe('bad.tra:4: unknown directive .BOGUS');
    expect(errorOf(SAMPLE.replace(' 100  400', ' 100  4000')).message).toContain('bad.tra:9: coordinates must be within');
    expect(errorOf('').message).toContain('no digits');
  });

  it('turns a digit into board strokes: y flipped, aspect kept, half the board high in the middle', () => {
    const [seven] = parsePendigits(SAMPLE);
    const strokes = toStrokes(seven?.strokes ?? []);
    const first = strokes[0]?.points ?? [];
    // The top bar (y = 400 on the tablet, upward) is at the top of the board (small y).
    expect(first[0]?.[1]).toBeCloseTo(0.25, 6);
    expect(first[2]?.[1]).toBeCloseTo(0.75, 6);
    const box = strokesBox(strokes);
    expect(box?.height).toBeCloseTo(0.5, 6);
    expect(box?.width).toBeCloseTo((0.5 * 200) / 300, 6);
    expect(first.map((p) => p[2])).toEqual([0, 100, 200]);
  });
});

describe('the copied data and its writer split', () => {
  it('has 7,494 digits of 30 writers, each writer in exactly one of 19 train / 4 validation / 7 test', async () => {
    const sets = await loadPendigits();
    expect(sets.all).toHaveLength(7494);
    expect(new Set(sets.all.map((d) => d.writer)).size).toBe(30);
    expect([sets.split.train.length, sets.split.validation.length, sets.split.test.length]).toEqual([19, 4, 7]);
    expect(sets.train.length + sets.validation.length + sets.test.length).toBe(7494);
    const testWriters = new Set(sets.split.test);
    expect(sets.train.some((d) => testWriters.has(d.writer))).toBe(false);
    expect(sets.validation.some((d) => testWriters.has(d.writer))).toBe(false);
  });
});
