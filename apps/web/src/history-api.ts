/** The gateway's history endpoints, with responses validated against the shared schemas. */
import { type DrawingDetail, DrawingDetailSchema, type HistoryPage, HistoryPageSchema } from '@inkling/protocol';
import { requestJson } from './http-json.js';

export async function fetchHistory(base: string, roomId: string, before: number | null, limit = 20): Promise<HistoryPage> {
  const q = new URLSearchParams({ limit: String(limit), ...(before ? { before: String(before) } : {}) });
  return requestJson(`${base}/api/rooms/${encodeURIComponent(roomId)}/history?${q}`, HistoryPageSchema);
}

export async function fetchDrawing(base: string, drawingId: number): Promise<DrawingDetail> {
  return requestJson(`${base}/api/drawings/${drawingId}`, DrawingDetailSchema);
}

export const drawingPngUrl = (base: string, drawingId: number, size: number) => `${base}/api/drawings/${drawingId}.png?size=${size}`;
