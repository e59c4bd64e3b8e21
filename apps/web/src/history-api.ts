/** The gateway's history endpoints (a drawing is reached through its room), with responses validated against the shared schemas. */
import { type DrawingDetail, DrawingDetailSchema, type HistoryPage, HistoryPageSchema } from '@inkling/protocol';
import { requestJson } from './http-json.js';

export async function fetchHistory(base: string, roomId: string, before: number | null, limit = 20): Promise<HistoryPage> {
  const q = new URLSearchParams({ limit: String(limit), ...(before ? { before: String(before) } : {}) });
  return requestJson(`${base}/api/rooms/${encodeURIComponent(roomId)}/history?${q}`, HistoryPageSchema);
}

const drawingPath = (base: string, roomId: string, drawingId: number) =>
  `${base}/api/rooms/${encodeURIComponent(roomId)}/drawings/${drawingId}`;

export async function fetchDrawing(base: string, roomId: string, drawingId: number): Promise<DrawingDetail> {
  return requestJson(drawingPath(base, roomId, drawingId), DrawingDetailSchema);
}

/** A picture of the drawing; `size` is one of PNG_SIZES_PX (28, 64, 128, 280, 512, 1024). */
export const drawingPngUrl = (base: string, roomId: string, drawingId: number, size: number) =>
  `${drawingPath(base, roomId, drawingId)}.png?size=${size}`;
