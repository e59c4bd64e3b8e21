/** Save (PNG + lossless JSON, named with a timestamp) and Load (JSON or PNG) of drawings, in the browser. */
import {
  imageToStrokes,
  LIMITS,
  parseSavedDrawing,
  SAVED_DRAWING_FORMAT,
  type SavedDrawing,
  SavedDrawingError,
  type Stroke,
} from '@inkling/protocol';
import { drawStrokes } from './render-strokes.js';

export const MAX_LOAD_BYTES = 5 * 1024 * 1024;

/** `inkling-2026-11-25_14-03-07`, in local time. */
export function fileStem(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `inkling-${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}_${p(date.getHours())}-${p(date.getMinutes())}-${p(date.getSeconds())}`;
}

export function savedDrawing(
  strokes: readonly Stroke[],
  extra: Omit<SavedDrawing, 'format' | 'version' | 'savedAt' | 'strokes'>,
  now: Date,
): SavedDrawing {
  return {
    format: SAVED_DRAWING_FORMAT,
    version: 1,
    savedAt: now.toISOString(),
    ...extra,
    strokes: strokes.map((s) => ({ id: s.id, points: s.points })),
  };
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function renderPng(strokes: readonly Stroke[], sizePx = 560): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = sizePx;
  canvas.height = sizePx;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  drawStrokes(
    ctx,
    strokes.map((s) => ({ points: s.points, color: '#000000' })),
    sizePx,
    '#ffffff',
  );
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}

/** Downloads `<stem>.png` and `<stem>.json`; returns the stem. */
export async function saveDrawing(drawing: SavedDrawing, now: Date): Promise<string> {
  const stem = fileStem(now);
  download(await renderPng(drawing.strokes), `${stem}.png`);
  download(new Blob([JSON.stringify(drawing)], { type: 'application/json' }), `${stem}.json`);
  return stem;
}

/** Reads a file chosen for Load: a saved JSON drawing, or a PNG/JPEG picture traced into strokes. */
export async function readDrawingFile(file: File): Promise<Stroke[]> {
  if (file.size > MAX_LOAD_BYTES) throw new SavedDrawingError(`the file is larger than ${MAX_LOAD_BYTES / 1024 / 1024} MB`);
  const isImage = file.type.startsWith('image/') || /\.(png|jpe?g)$/i.test(file.name);
  if (!isImage) return parseSavedDrawing(await file.text()).strokes;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new SavedDrawingError('the image could not be decoded');
  }
  const scale = Math.min(1, 512 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const strokes = imageToStrokes(ctx.getImageData(0, 0, canvas.width, canvas.height));
  return strokes.slice(0, LIMITS.maxStrokesPerBoard);
}
