/** The gateway's history endpoints (a drawing is reached through its room), with responses validated against the shared schemas. */
import { type DrawingDetail, DrawingDetailSchema, type HistoryPage, HistoryPageSchema, HttpErrorSchema } from '@inkling/protocol';
import { HttpApiError, requestJson } from './http-json.js';

export async function fetchHistory(base: string, roomId: string, before: number | null, limit = 20): Promise<HistoryPage> {
  const q = new URLSearchParams({ limit: String(limit), ...(before ? { before: String(before) } : {}) });
  return requestJson(`${base}/api/rooms/${encodeURIComponent(roomId)}/history?${q}`, HistoryPageSchema);
}

const drawingPath = (base: string, roomId: string, drawingId: number) =>
  `${base}/api/rooms/${encodeURIComponent(roomId)}/drawings/${drawingId}`;

export async function fetchDrawing(base: string, roomId: string, drawingId: number): Promise<DrawingDetail> {
  return requestJson(drawingPath(base, roomId, drawingId), DrawingDetailSchema);
}

/**
 * Deletes an archived drawing of the room for good, with its predictions and labels (they no longer count
 * for retraining). Throws HttpApiError (NOT_FOUND when it is already gone).
 */
export async function deleteDrawing(base: string, roomId: string, drawingId: number): Promise<void> {
  const res = await fetch(drawingPath(base, roomId, drawingId), { method: 'DELETE', headers: { accept: 'application/json' } });
  if (res.ok) return;
  const body = HttpErrorSchema.safeParse(await res.json().catch(() => null));
  throw body.success
    ? new HttpApiError(res.status, body.data.error.code, body.data.error.message)
    : new HttpApiError(res.status, 'HTTP', `HTTP ${res.status}`);
}

/** A picture of the drawing; `size` is one of PNG_SIZES_PX (28, 64, 128, 280, 512, 1024). */
export const drawingPngUrl = (base: string, roomId: string, drawingId: number, size: number) =>
  `${drawingPath(base, roomId, drawingId)}.png?size=${size}`;
