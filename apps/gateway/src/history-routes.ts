/**
 * `/api/rooms/:roomId/…`: a room's history and its drawings (JSON and PNG). The room id is the capability:
 * a drawing is found only through its own room, and any other drawing id is answered exactly like one
 * that does not exist.
 */
import {
  DrawingDetailSchema,
  DrawingParamsSchema,
  HistoryPageSchema,
  HistoryQuerySchema,
  HttpErrorSchema,
  PngQuerySchema,
  RoomParamsSchema,
} from '@inkling/protocol';
import type { HistoryRepository } from '@inkling/store';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { drawingNotFound, roomNotFound } from './http-errors.js';
import { PngRenderer } from './png-renderer.js';

export interface HistoryRoutesOptions {
  history: HistoryRepository;
  png: PngRenderer;
  /** PNG requests per minute per client address (each may cost a render). */
  pngPerMinute: number;
}

const errors = { 400: HttpErrorSchema, 404: HttpErrorSchema, 429: HttpErrorSchema };

export const historyRoutes: FastifyPluginAsync<HistoryRoutesOptions> = async (app, { history, png, pngPerMinute }) => {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/:roomId/history',
    {
      schema: {
        tags: ['rooms'],
        summary: "A page of the room's archived drawings, newest first",
        params: RoomParamsSchema,
        querystring: HistoryQuerySchema,
        response: { 200: HistoryPageSchema, ...errors },
      },
    },
    async (req) => {
      if (!(await history.roomExists(req.params.roomId))) throw roomNotFound();
      return history.list(req.params.roomId, req.query.limit, req.query.before ?? null);
    },
  );

  api.get(
    '/:roomId/drawings/:drawingId',
    {
      schema: {
        tags: ['rooms'],
        summary: "A drawing of the room: strokes, predictions and labels (404 for another room's drawing)",
        params: DrawingParamsSchema,
        response: { 200: DrawingDetailSchema, ...errors },
      },
    },
    async (req, reply) => {
      const drawing = await history.drawing(req.params.roomId, req.params.drawingId);
      if (!drawing) throw drawingNotFound();
      reply.header('cache-control', 'private, no-cache');
      return drawing;
    },
  );

  api.delete(
    '/:roomId/drawings/:drawingId',
    {
      schema: {
        tags: ['rooms'],
        summary:
          "Deletes an archived drawing of the room for good, with its predictions and labels (its labels no longer count for retraining); 404 for the drawing on the board or another room's",
        params: DrawingParamsSchema,
        response: { 204: z.null().describe('deleted'), ...errors },
      },
    },
    async (req, reply) => {
      if (!(await history.deleteArchived(req.params.roomId, req.params.drawingId))) throw drawingNotFound();
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/:roomId/drawings/:drawingId.png',
    {
      config: { rateLimit: { max: pngPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['rooms'],
        summary: 'A picture of a drawing of the room, black ink on white (cached by drawing, revision and size)',
        params: DrawingParamsSchema,
        querystring: PngQuerySchema,
        produces: ['image/png'],
        response: { 200: z.any().describe('image/png'), ...errors, 503: HttpErrorSchema },
      },
    },
    async (req, reply) => {
      const { roomId, drawingId } = req.params;
      const sizePx = req.query.size;
      const revision = await history.drawingRevision(roomId, drawingId);
      if (revision === null) throw drawingNotFound();
      const key = PngRenderer.key(drawingId, revision, sizePx);
      const etag = `"${key.replaceAll(':', '-')}"`;
      reply.header('etag', etag).header('cache-control', 'private, no-cache').type('image/png');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      const picture = await png.render(key, sizePx, `${drawingId}:${revision}`, async () => {
        const read = await history.drawingPointsJson(roomId, drawingId);
        if (!read) throw drawingNotFound();
        return {
          key: PngRenderer.key(drawingId, read.revision, sizePx),
          source: `${drawingId}:${read.revision}`,
          pointsJson: read.pointsJson,
        };
      });
      return reply.send(picture);
    },
  );
};
