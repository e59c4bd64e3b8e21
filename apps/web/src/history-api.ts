/** The gateway's history endpoints, with responses validated against the shared schemas. */
import { type DrawingDetail, DrawingDetailSchema, type HistoryPage, HistoryPageSchema, HttpErrorSchema } from '@inkling/protocol';

export class HttpApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpApiError';
  }
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = HttpErrorSchema.safeParse(body);
    throw err.success ? new HttpApiError(err.data.error.code, err.data.error.message) : new HttpApiError('HTTP', `HTTP ${res.status}`);
  }
  return body;
}

export async function fetchHistory(base: string, roomId: string, before: number | null, limit = 20): Promise<HistoryPage> {
  const q = new URLSearchParams({ limit: String(limit), ...(before ? { before: String(before) } : {}) });
  return HistoryPageSchema.parse(await getJson(`${base}/api/rooms/${encodeURIComponent(roomId)}/history?${q}`));
}

export async function fetchDrawing(base: string, drawingId: number): Promise<DrawingDetail> {
  return DrawingDetailSchema.parse(await getJson(`${base}/api/drawings/${drawingId}`));
}

export const drawingPngUrl = (base: string, drawingId: number, size: number) => `${base}/api/drawings/${drawingId}.png?size=${size}`;
