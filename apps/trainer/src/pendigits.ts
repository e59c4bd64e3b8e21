/**
 * Real pen-drawn digits (UCI "Pen-Based Recognition of Handwritten Digits", data/pendigits, CC BY 4.0): parses
 * the UNIPEN-format file with validation, turns each digit into Inkling strokes (board units, y downward) and
 * splits the writers into fixed train / validation / test sets recorded in data/pendigits/split.json.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Point, Stroke } from '@inkling/protocol';
import { z } from 'zod';
import { extent } from './stroke-augment.js';

export class PendigitsFormatError extends Error {
  readonly code = 'PENDIGITS_FORMAT';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'PendigitsFormatError';
  }
}

/** One digit as written: tablet units, y growing upward, one array of [x, y] per stroke. */
export interface PenDigit {
  label: number;
  writer: number;
  strokes: [number, number][][];
}

const TABLET_MAX = 1000;
const PointLineSchema = z
  .string()
  .regex(/^\s*-?\d+\s+-?\d+\s*$/, 'expected a point line "x y" (two integers)')
  .transform((s) => s.trim().split(/\s+/).map(Number) as [number, number])
  .refine(([x, y]) => x >= 0 && y >= 0 && x <= TABLET_MAX && y <= TABLET_MAX, `coordinates must be within 0–${TABLET_MAX}`);
const SegmentSchema = z
  .string()
  .regex(/^\.SEGMENT\s+DIGIT\s+\S+\s+\S+\s+"(\d)"\s*$/, 'expected .SEGMENT DIGIT <n> ? "<digit>"')
  .transform((s) => Number(/"(\d)"/.exec(s)?.[1]));
const CommentSchema = z
  .string()
  .regex(/^\.COMMENT\s+\d+\s+\d+\s+\d+\s*$/, 'expected .COMMENT <digit> <writer> <n>')
  .transform((s) => Number(s.trim().split(/\s+/)[2]));

function check<T>(schema: z.ZodType<T>, text: string, file: string, line: number): T {
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new PendigitsFormatError(file, line, `${parsed.error.issues[0]?.message} (found "${text.trim()}")`);
  return parsed.data;
}

/** Parses the UNIPEN text; throws PendigitsFormatError naming the file and line of the first problem. */
export function parsePendigits(text: string, file = 'pendigits'): PenDigit[] {
  const digits: PenDigit[] = [];
  let current: { label: number; writer: number | null; strokes: [number, number][][]; line: number } | null = null;
  let stroke: [number, number][] | null = null;
  const finish = (line: number) => {
    if (!current) return;
    if (stroke) throw new PendigitsFormatError(file, line, 'stroke not closed by .PEN_UP before the next digit');
    if (current.writer === null) throw new PendigitsFormatError(file, current.line, 'digit has no .COMMENT line naming its writer');
    if (current.strokes.length === 0) throw new PendigitsFormatError(file, current.line, 'digit has no strokes');
    digits.push({ label: current.label, writer: current.writer, strokes: current.strokes });
    current = null;
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    if (!trimmed.startsWith('.')) {
      if (!stroke) throw new PendigitsFormatError(file, line, `point outside a .PEN_DOWN … .PEN_UP stroke (found "${trimmed}")`);
      stroke.push(check(PointLineSchema, raw, file, line));
      return;
    }
    const keyword = trimmed.split(/\s+/)[0];
    switch (keyword) {
      case '.INCLUDE':
      case '.LEXICON':
      case '.HIERARCHY':
        if (current) throw new PendigitsFormatError(file, line, `${keyword} inside a digit`);
        return;
      case '.SEGMENT':
        finish(line);
        current = { label: check(SegmentSchema, trimmed, file, line), writer: null, strokes: [], line };
        return;
      case '.COMMENT':
        if (!current) throw new PendigitsFormatError(file, line, '.COMMENT before any .SEGMENT');
        current.writer = check(CommentSchema, trimmed, file, line);
        return;
      case '.PEN_DOWN':
        if (!current) throw new PendigitsFormatError(file, line, '.PEN_DOWN before any .SEGMENT');
        if (stroke) throw new PendigitsFormatError(file, line, '.PEN_DOWN inside a stroke (missing .PEN_UP)');
        stroke = [];
        return;
      case '.PEN_UP':
        if (!stroke || !current) throw new PendigitsFormatError(file, line, '.PEN_UP without .PEN_DOWN');
        if (stroke.length === 0) throw new PendigitsFormatError(file, line, 'empty stroke');
        current.strokes.push(stroke);
        stroke = null;
        return;
      case '.DT':
        if (!/^\.DT\s+\d+$/.test(trimmed)) throw new PendigitsFormatError(file, line, `expected .DT <ms> (found "${trimmed}")`);
        return;
      default:
        throw new PendigitsFormatError(file, line, `unknown directive ${keyword}`);
    }
  });
  finish(lines.length);
  if (digits.length === 0) throw new PendigitsFormatError(file, lines.length, 'no digits in file');
  return digits;
}

/** Milliseconds between consecutive tablet samples (the data set's README). */
export const PEN_SAMPLE_MS = 100;

export interface Placement {
  /** Centre of the digit's box on the board. */
  cx: number;
  cy: number;
  /** Height of the digit's box in board units (a wide digit is limited to this width instead). */
  size: number;
}

/** Where a person typically writes one digit: in the middle, about half the board high. */
export const DEFAULT_PLACEMENT: Placement = { cx: 0.5, cy: 0.5, size: 0.5 };

/**
 * Turns a digit into Inkling strokes: y flipped to grow downward, uniformly scaled (aspect ratio kept) so its
 * box is `size` high (or wide, if wider than high), centred at (cx, cy); clamped to the board.
 */
export function toStrokes(
  strokes: readonly (readonly (readonly [number, number])[])[],
  placement: Placement = DEFAULT_PLACEMENT,
  idPrefix = 'p',
): Stroke[] {
  const { cx: midX, cy: midY, size: longest } = extent(strokes);
  const scale = placement.size / longest;
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return strokes.map((s, k) => ({
    id: `${idPrefix}${k}`,
    points: s.map(
      ([x, y], i): Point => [clamp(placement.cx + (x - midX) * scale), clamp(placement.cy - (y - midY) * scale), i * PEN_SAMPLE_MS],
    ),
  }));
}

export const PENDIGITS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../data/pendigits');
export const PENDIGITS_FILE = 'pendigits-orig.tra';

export const WriterSplitSchema = z.object({
  rule: z.string(),
  seed: z.number().int(),
  train: z.array(z.number().int()).min(1),
  validation: z.array(z.number().int()).min(1),
  test: z.array(z.number().int()).min(1),
});
export type WriterSplit = z.infer<typeof WriterSplitSchema>;

export interface PendigitsSets {
  all: PenDigit[];
  train: PenDigit[];
  validation: PenDigit[];
  test: PenDigit[];
  split: WriterSplit;
}

export async function loadWriterSplit(dir = PENDIGITS_DIR): Promise<WriterSplit> {
  const file = join(dir, 'split.json');
  const parsed = WriterSplitSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new PendigitsFormatError(file, 1, `split.json: ${parsed.error.issues[0]?.message}`);
  const { train, validation, test } = parsed.data;
  const seen = new Set<number>();
  for (const w of [...train, ...validation, ...test]) {
    if (seen.has(w)) throw new PendigitsFormatError(file, 1, `writer ${w} is in more than one set`);
    seen.add(w);
  }
  return parsed.data;
}

/** Loads the digits and splits them by writer as split.json says; every writer must be in exactly one set. */
export async function loadPendigits(dir = PENDIGITS_DIR): Promise<PendigitsSets> {
  const file = join(dir, PENDIGITS_FILE);
  const all = parsePendigits(await readFile(file, 'utf8'), file);
  const split = await loadWriterSplit(dir);
  const sets = { train: new Set(split.train), validation: new Set(split.validation), test: new Set(split.test) };
  for (const d of all) {
    if (!sets.train.has(d.writer) && !sets.validation.has(d.writer) && !sets.test.has(d.writer)) {
      throw new PendigitsFormatError(join(dir, 'split.json'), 1, `writer ${d.writer} is in no set`);
    }
  }
  return {
    all,
    train: all.filter((d) => sets.train.has(d.writer)),
    validation: all.filter((d) => sets.validation.has(d.writer)),
    test: all.filter((d) => sets.test.has(d.writer)),
    split,
  };
}
