/**
 * The queue dashboard: Bull Board for the `recognition` and `training` queues at `/admin/queues`, behind
 * the admin token (a bearer header, or the dashboard cookie from POST /api/admin/dashboard-session, since
 * the dashboard's own page and requests cannot carry a header).
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { type AdminAuth, DASHBOARD_COOKIE } from './admin-auth.js';
import { HttpError, sendError } from './http-errors.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export async function registerQueueDashboard(app: FastifyInstance, auth: AdminAuth, queues: Queue[]): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q)),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Inkling queues' } },
  });
  await app.register(
    async (scope) => {
      // Answered here, not thrown: Bull Board's plugin has its own error handler, which would make any error a 500.
      scope.addHook('onRequest', async (req, reply) => {
        if (auth.token === null)
          return sendError(reply, new HttpError(503, 'ADMIN_DISABLED', 'the admin API is disabled: set ADMIN_TOKEN'));
        if (!auth.bearer(req.headers.authorization) && !auth.cookie(req.cookies[DASHBOARD_COOKIE]))
          return sendError(
            reply,
            new HttpError(401, 'ADMIN_UNAUTHORIZED', 'sign in on /admin first, then open the queue dashboard from there'),
          );
      });
      scope.addHook('onSend', async (_req, reply) => {
        reply.header('cache-control', 'no-store');
      });
      await scope.register(adapter.registerPlugin());
    },
    { prefix: QUEUE_DASHBOARD_PATH },
  );
}
