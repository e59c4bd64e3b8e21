/**
 * The gateway's HTTP API: room history, drawings (JSON and PNG), health and Prometheus metrics, and the
 * built web app when configured. Bad input gets a 400 with `{ error: { code, message } }`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { RoomIdSchema } from '@inkling/protocol';
import type { HistoryRepository } from '@inkling/store';
import { z } from 'zod';
import type { GatewayMetrics } from './metrics.js';
import { renderDrawingPng } from './png.js';

export interface HttpDeps {
  history: HistoryRepository;
  metrics: GatewayMetrics;
  health: () => Promise<Record<string, boolean>>;
  webDist?: string | undefined;
  admin?: { handle: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> };
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], query: URLSearchParams) => Promise<void>;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}

const HistoryQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: z.coerce.number().int().min(1).optional(),
});
const DrawingIdSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const PngQuerySchema = z.object({ size: z.coerce.number().int().min(28).max(1024).default(280) });

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

export function createHttpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: [RegExp, Handler][] = [
    [
      /^\/healthz$/,
      async (_req, res) => {
        const checks = await deps.health();
        const ok = Object.values(checks).every(Boolean);
        send(res, ok ? 200 : 503, { status: ok ? 'ok' : 'degraded', checks });
      },
    ],
    [
      /^\/metrics$/,
      async (_req, res) => {
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(await deps.metrics.registry.metrics());
      },
    ],
    [
      /^\/api\/rooms\/([^/]+)\/history$/,
      async (_req, res, [roomId], query) => {
        const id = RoomIdSchema.safeParse(roomId);
        if (!id.success) return error(res, 400, 'INVALID_ROOM_ID', 'room ids are 8–64 letters, digits, "_" or "-"');
        const q = HistoryQuerySchema.safeParse(Object.fromEntries(query));
        if (!q.success) return error(res, 400, 'INVALID_QUERY', `${q.error.issues[0]?.path.join('.')}: ${q.error.issues[0]?.message}`);
        if (!(await deps.history.roomExists(id.data))) return error(res, 404, 'ROOM_NOT_FOUND', `room ${id.data} does not exist`);
        send(res, 200, await deps.history.list(id.data, q.data.limit, q.data.before ?? null));
      },
    ],
    [
      /^\/api\/drawings\/([^/]+?)(\.png)?$/,
      async (_req, res, [rawId, png], query) => {
        const id = DrawingIdSchema.safeParse(rawId);
        if (!id.success) return error(res, 400, 'INVALID_DRAWING_ID', 'drawing ids are positive integers');
        const q = PngQuerySchema.safeParse(Object.fromEntries(query));
        if (png && !q.success) return error(res, 400, 'INVALID_QUERY', 'size must be an integer from 28 to 1024');
        const drawing = await deps.history.drawing(id.data);
        if (!drawing) return error(res, 404, 'DRAWING_NOT_FOUND', `drawing ${id.data} does not exist`);
        if (!png) return send(res, 200, drawing);
        const body = renderDrawingPng(drawing.strokes, q.success ? q.data.size : 280);
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length, 'cache-control': 'public, max-age=60' });
        res.end(body);
      },
    ],
  ];

  const serveStatic = async (res: ServerResponse, pathname: string): Promise<boolean> => {
    if (!deps.webDist) return false;
    const root = normalize(deps.webDist);
    const wanted = normalize(join(root, decodeURIComponent(pathname)));
    if (wanted !== root && !wanted.startsWith(root + sep)) return false;
    for (const file of [wanted, join(root, 'index.html')]) {
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) continue;
      const immutable = file.includes(`${sep}assets${sep}`);
      res.writeHead(200, {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
      createReadStream(file).pipe(res);
      return true;
    }
    return false;
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const run = async () => {
      if (url.pathname.startsWith('/api/admin/')) {
        if (deps.admin) return deps.admin.handle(req, res, url);
        return error(res, 503, 'ADMIN_DISABLED', 'the admin API is not available on this gateway');
      }
      for (const [pattern, handler] of routes) {
        const m = pattern.exec(url.pathname);
        if (!m) continue;
        if (req.method !== 'GET' && req.method !== 'HEAD')
          return error(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here`);
        return handler(req, res, m.slice(1) as string[], url.searchParams);
      }
      if (req.method === 'GET' && !url.pathname.startsWith('/api/') && (await serveStatic(res, url.pathname))) return;
      error(res, 404, 'NOT_FOUND', `no route for ${req.method} ${url.pathname}`);
    };
    run().catch(() => {
      if (!res.headersSent) error(res, 500, 'INTERNAL', 'the server could not complete this request');
      else res.destroy();
    });
  };
}
