import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { imageToStrokes, LIMITS, StrokeSchema } from '@inkling/protocol';
import { readPngFile } from '@inkling/protocol/test-png';
import { initBackend, Recognizer } from '@inkling/recognizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Typed numbers loaded as pictures (issue 11: a typed "42" was read as "612"), through the path the product
 * takes: the picture's pixels (as the browser's canvas gives them) traced into strokes by the web's Load, then
 * segmented, preprocessed and recognized as the workers do, by the shipped model. The fixtures are DejaVu Sans,
 * Serif, Mono, bold, oblique and light renderings from 24 to 150 pt; each file is named after the number it shows.
 */
const fixtures = join(import.meta.dirname, '../../../packages/protocol/fixtures/typed');
const models = join(import.meta.dirname, '../../../models');
const pictures = readdirSync(fixtures).filter((f) => f.endsWith('.png'));

describe('typed numbers loaded as pictures, read by the shipped model', () => {
  let recognizer: Recognizer;
  beforeAll(async () => {
    await initBackend('wasm');
    recognizer = await Recognizer.load(join(models, 'default'));
  });
  afterAll(() => recognizer?.dispose());

  it('has fixtures of several fonts and sizes', () => {
    expect(pictures.length).toBeGreaterThanOrEqual(10);
    expect(pictures.filter((f) => f.startsWith('42-')).length).toBeGreaterThanOrEqual(6);
  });

  it.each(pictures)('reads %s as the number it shows', (file) => {
    const strokes = imageToStrokes(readPngFile(join(fixtures, file))).slice(0, LIMITS.maxStrokesPerBoard);
    for (const s of strokes) expect(StrokeSchema.safeParse(s).success).toBe(true);
    const reading = recognizer.recognize(strokes);
    expect(reading.text).toBe(file.split('-')[0]);
    expect(reading.notDigit).toBe(false);
  });
});
