/**
 * `/api/admin/*`, behind the admin token (`Authorization: Bearer …`): retraining jobs (start, watch,
 * cancel), the model registry (list, promote, reject, roll back), the review queue, queue statistics, and
 * a session cookie for the queue dashboard (Bull Board at /admin/queues). Every request is validated; a
 * refused request changes nothing.
 */
import {
  HttpErrorSchema,
  JobIdParamsSchema,
  ModelActionBodySchema,
  type ModelEvent,
  type ModelRecord,
  ModelRecordSchema,
  ModelVersionSchema,
  QueueStatsSchema,
  RetrainOptionsSchema,
  ReviewItemSchema,
  ReviewLabelSchema,
  ReviewQuerySchema,
  TRAINING_BUSY_STATES,
  type TrainingJobData,
  type TrainingJobResult,
  TrainingJobResultSchema,
  type TrainingJobView,
  TrainingJobViewSchema,
  TrainingProgressSchema,
  trainingKeys,
} from '@inkling/protocol';
import type { ModelRegistry, TrainingData } from '@inkling/store';
import type { Job, Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type AdminAuth, DASHBOARD_COOKIE } from './admin-auth.js';
import { HttpError } from './http-errors.js';

export interface AdminRoutesOptions {
  auth: AdminAuth;
  registry: ModelRegistry;
  data: TrainingData;
  redis: Redis;
  redisPrefix: string;
  training: Queue<TrainingJobData, TrainingJobResult>;
  recognition: Queue;
  log: Logger;
}

const errors = { 400: HttpErrorSchema, 401: HttpErrorSchema, 404: HttpErrorSchema, 409: HttpErrorSchema, 503: HttpErrorSchema };
const ModelParamsSchema = z.object({ version: ModelVersionSchema }).strict();
const ModelReplySchema = z.object({ model: ModelRecordSchema });
const JobReplySchema = z.object({ job: TrainingJobViewSchema });

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, deps) => {
  const { auth, training, recognition } = deps;
  const keys = trainingKeys(deps.redisPrefix);

  app.addHook('onRequest', async (req) => {
    if (auth.token === null) throw new HttpError(503, 'ADMIN_DISABLED', 'the admin API is disabled: set ADMIN_TOKEN');
    if (!auth.bearer(req.headers.authorization))
      throw new HttpError(401, 'ADMIN_UNAUTHORIZED', 'a valid admin token is required (Authorization: Bearer <token>)');
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const view = async (loaded: Job<TrainingJobData, TrainingJobResult>): Promise<TrainingJobView> => {
    // State first, data after: a job that finished in between is then shown finished with its result or reason.
    const state = (await loaded.getState()) as TrainingJobView['state'];
    const job = state === 'completed' || state === 'failed' ? ((await training.getJob(String(loaded.id))) ?? loaded) : loaded;
    const curve = (await deps.redis.lrange(keys.curve(String(job.id)), 0, -1)).flatMap((line) => {
      const p = TrainingProgressSchema.safeParse(JSON.parse(line));
      return p.success ? [p.data] : [];
    });
    const result = TrainingJobResultSchema.safeParse(job.returnvalue);
    return {
      id: String(job.id),
      state,
      options: job.data.options,
      requestedAt: job.data.requestedAt,
      curve,
      result: result.success ? result.data : null,
      failedReason: job.failedReason ?? null,
    };
  };

  const promote = async (version: string, reason: string): Promise<ModelRecord> => {
    const model = await deps.registry.promote(version, reason);
    const event: ModelEvent = { type: 'promoted', version, folder: model.folder };
    await deps.redis.publish(keys.models, JSON.stringify(event));
    deps.log.info({ version, reason }, 'model promoted by an admin');
    return model;
  };

  const findModel = async (version: string): Promise<ModelRecord> => {
    const model = await deps.registry.get(version);
    if (!model) throw new HttpError(404, 'MODEL_NOT_FOUND', `no model with version ${version}`);
    return model;
  };

  const findJob = async (id: string) => {
    const job = await training.getJob(id);
    if (!job) throw new HttpError(404, 'JOB_NOT_FOUND', `no training job ${id}`);
    return job;
  };

  const api = app.withTypeProvider<ZodTypeProvider>();
  const admin = { tags: ['admin'], security: [{ adminToken: [] }] };

  api.get(
    '/models',
    { schema: { ...admin, summary: 'The model registry', response: { 200: z.object({ models: z.array(ModelRecordSchema) }), ...errors } } },
    async () => ({ models: await deps.registry.list() }),
  );

  const modelAction = {
    ...admin,
    params: ModelParamsSchema,
    body: ModelActionBodySchema.optional(),
    response: { 200: ModelReplySchema, ...errors },
  };
  api.post('/models/:version/promote', { schema: { ...modelAction, summary: 'Serve this model' } }, async (req) => {
    const model = await findModel(req.params.version);
    if (model.status === 'promoted') throw new HttpError(409, 'ALREADY_PROMOTED', `${model.version} is already being served`);
    return { model: await promote(model.version, req.body?.reason ?? 'promoted by an admin') };
  });
  api.post('/models/:version/rollback', { schema: { ...modelAction, summary: 'Serve a previously served model again' } }, async (req) => {
    const model = await findModel(req.params.version);
    if (model.status !== 'retired')
      throw new HttpError(
        409,
        'NOT_ROLLBACK_TARGET',
        `only a previously served (retired) model can be rolled back to; ${model.version} is ${model.status}`,
      );
    return { model: await promote(model.version, req.body?.reason ?? 'rolled back by an admin') };
  });
  api.post('/models/:version/reject', { schema: { ...modelAction, summary: 'Reject a candidate model' } }, async (req) => {
    const model = await findModel(req.params.version);
    if (model.status === 'promoted')
      throw new HttpError(409, 'MODEL_SERVED', `${model.version} is being served; promote another model first`);
    return { model: await deps.registry.reject(model.version, req.body?.reason ?? 'rejected by an admin') };
  });

  api.post(
    '/retrain',
    { schema: { ...admin, summary: 'Start a retraining job', body: RetrainOptionsSchema, response: { 202: JobReplySchema, ...errors } } },
    async (req, reply) => {
      const busy = await training.getJobs([...TRAINING_BUSY_STATES]);
      if (busy.length > 0)
        throw new HttpError(
          409,
          'TRAINING_BUSY',
          `retraining job ${busy[0]?.id} is already ${await busy[0]?.getState()}; wait for it or cancel it`,
        );
      const job = await training.add('retrain', { options: req.body, requestedBy: 'admin', requestedAt: new Date().toISOString() });
      deps.log.info({ jobId: job.id, options: req.body }, 'retraining requested');
      return reply.code(202).send({ job: await view(job) });
    },
  );

  api.get(
    '/jobs',
    {
      schema: {
        ...admin,
        summary: 'The 20 newest retraining jobs',
        response: { 200: z.object({ jobs: z.array(TrainingJobViewSchema) }), ...errors },
      },
    },
    async () => {
      const jobs = await training.getJobs(['active', 'waiting', 'delayed', 'completed', 'failed'], 0, 19);
      jobs.sort((a, b) => Number(b.id) - Number(a.id));
      return { jobs: await Promise.all(jobs.slice(0, 20).map(view)) };
    },
  );
  api.get(
    '/jobs/:id',
    {
      schema: {
        ...admin,
        summary: 'One retraining job with its curves',
        params: JobIdParamsSchema,
        response: { 200: JobReplySchema, ...errors },
      },
    },
    async (req) => ({ job: await view(await findJob(req.params.id)) }),
  );
  api.post(
    '/jobs/:id/cancel',
    {
      schema: {
        ...admin,
        summary: 'Cancel a waiting or running retraining job',
        params: JobIdParamsSchema,
        response: { 200: z.object({ cancelled: z.boolean(), state: z.string() }), ...errors },
      },
    },
    async (req) => {
      const job = await findJob(req.params.id);
      const state = await job.getState();
      if (state === 'completed' || state === 'failed')
        throw new HttpError(409, 'JOB_FINISHED', `job ${req.params.id} has already ${state}`);
      if (state === 'active') await deps.redis.set(keys.cancel(String(job.id)), '1', 'EX', 3600);
      else await job.remove();
      return { cancelled: true, state };
    },
  );

  api.get(
    '/review',
    {
      schema: {
        ...admin,
        summary: 'Low-confidence and user-corrected drawings',
        querystring: ReviewQuerySchema,
        response: { 200: z.object({ items: z.array(ReviewItemSchema) }), ...errors },
      },
    },
    async (req) => ({ items: await deps.data.reviewQueue(req.query.limit) }),
  );
  api.post(
    '/review/label',
    {
      schema: {
        ...admin,
        summary: 'Label a drawing revision (one admin label per revision; labelling again replaces it)',
        body: ReviewLabelSchema,
        response: { 200: z.object({ labelId: z.number().int() }), ...errors },
      },
    },
    async (req) => {
      try {
        return { labelId: await deps.data.labelRevision(req.body.drawingId, req.body.revision, req.body.text, 'admin') };
      } catch (err) {
        if (err instanceof RangeError) throw new HttpError(404, 'UNKNOWN_REVISION', err.message);
        throw err;
      }
    },
  );

  api.get(
    '/queues',
    {
      schema: {
        ...admin,
        summary: 'Job counts and recent failures of the queues (details: /admin/queues)',
        response: { 200: QueueStatsSchema, ...errors },
      },
    },
    async () => ({
      queues: await Promise.all(
        [recognition, training].map(async (q) => ({
          name: q.name,
          counts: await q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'paused'),
          workers: (await q.getWorkers()).length,
          failed: (await q.getFailed(0, 9)).map((j) => ({
            id: String(j.id),
            name: j.name,
            failedReason: j.failedReason ?? '',
            at: new Date(j.finishedOn ?? j.timestamp).toISOString(),
          })),
        })),
      ),
    }),
  );

  api.post(
    '/dashboard-session',
    {
      schema: {
        ...admin,
        summary: 'Opens the queue dashboard (/admin/queues) in this browser: an HttpOnly, SameSite=Strict session cookie, honoured 8 hours',
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      reply.setCookie(DASHBOARD_COOKIE, auth.issueCookie(), {
        path: '/admin/queues',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        // A session cookie (gone with the browser session); the server honours it for DASHBOARD_SESSION_MS.
      });
      return reply.code(204).send(null);
    },
  );
};
