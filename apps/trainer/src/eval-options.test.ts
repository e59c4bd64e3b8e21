import { describe, expect, it } from 'vitest';
import { parseEvalArgs } from './eval-options.js';
import { CliUsageError } from './train-options.js';

describe('npm run eval options', () => {
  it('reads --pen-width-px as the inference pen width of the --pen measurement', () => {
    expect(parseEvalArgs(['models/default', '--pen', '--pen-width-px', '2.2']).penWidthPx).toBe(2.2);
    expect(parseEvalArgs(['models/default', '--pen', '--pen-width-px=3']).penWidthPx).toBe(3);
  });

  it('leaves the pen width unset without the flag (the shipped preprocessing)', () => {
    const o = parseEvalArgs(['models/default', '--pen']);
    expect(o.penWidthPx).toBeUndefined();
    expect(o).toMatchObject({ pen: true, numbers: 1000, nonDigits: 1000, pairs: 200, record: false });
  });

  it.each([
    [['models/default', '--pen', '--pen-width-px', 'wide'], /invalid --pen-width-px/],
    [['models/default', '--pen', '--pen-width-px', '0'], /invalid --pen-width-px/],
    [['models/default', '--pen', '--pen-width-px=-2'], /invalid --pen-width-px/],
    [['models/default', '--pen', '--pen-width-px', '12'], /invalid --pen-width-px/],
    [['models/default', '--pen', '--pen-width-px', ''], /invalid --pen-width-px/],
    [['models/default', '--pen', '--pen-width-px'], /--pen-width-px/],
    [['models/default', '--pen-width-px', '2.2'], /--pen-width-px needs --pen/],
    [['models/default', '--pen', '--record', '--pen-width-px', '2.2'], /--pen-width-px cannot be --record-ed/],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseEvalArgs(argv)).toThrow(CliUsageError);
    expect(() => parseEvalArgs(argv)).toThrow(message);
  });

  it('names the other flags as they are spelled', () => {
    expect(() => parseEvalArgs(['models/default', '--pen', '--non-digits', 'x'])).toThrow(/invalid --non-digits/);
    expect(() => parseEvalArgs(['models/default', '--limit', '0'])).toThrow(/invalid --limit/);
  });
});
