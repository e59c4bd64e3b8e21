/**
 * The admin HTTP API (`/api/admin/*`), behind a bearer token: retraining jobs (start, watch, cancel), the
 * model registry (list, promote, reject, roll back), the review queue, and queue statistics. Every request
 * body is validated; a refused request changes nothing.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  LabelTextSchema,
  type ModelEvent,
  type ModelRecord,
  ModelVersionSchema,
  RECOGNITION_QUEUE,
  RetrainOptionsSchema,
  TRAINING_BUSY_STATES,
  TRAINING_JOB_OPTIONS,
  TRAINING_QUEUE,
  type TrainingJobData,
  type TrainingJobResult,
  TrainingJobResultSchema,
  type TrainingJobView,
  TrainingProgressSchema,
  trainingKeys,
} from '@inkling/protocol';
import type { ModelRegistry, TrainingData } from '@inkling/store';
import { type Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface AdminDeps {
  /** null: admin API disabled (production without ADMIN_TOKEN). */
  token: string | null;
  registry: ModelRegistry;
  data: TrainingData;
  redis: Redis;
  prefix: string;
  log: Logger;
}

const MAX_BODY = 64 * 1024;
const JobIdSchema = z.string().regex(/^\d{1,12}$/, 'job ids are numbers');
const ReviewLabelSchema = z
  .object({
    drawingId: z.number().int().min(1),
    revision: z.number().int().min(0),
    text: LabelTextSchema,
  })
  .strict();
const ReasonSchema = z.object({ reason: z.string().max(200).optional() }).strict();

/** Decides the admin token: the configured one, none in production, or a fresh one (logged) in development. */
export function resolveAdminToken(configured: string | undefined, production: boolean, log: Logger): string | null {
  if (configured) return configured;
  if (production) {
    log.warn('ADMIN_TOKEN is not set: the admin API is disabled');
    return null;
  }
  const token = randomBytes(18).toString('base64url');
  log.warn({ adminToken: token }, 'ADMIN_TOKEN is not set; using a random admin token for this run (development mode)');
  return token;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'BODY_TOO_LARGE', `request bodies are limited to ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'the request body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new HttpError(400, 'INVALID_PAYLOAD', `${issue?.path.join('.') || 'body'}: ${issue?.message}`);
  }
  return r.data;
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : String(req.headers['x-admin-token'] ?? '');
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

type Route = [
  method: 'GET' | 'POST',
  pattern: RegExp,
  handler: (req: IncomingMessage, params: string[], query: URLSearchParams) => Promise<[number, unknown]>,
];

export function createAdminApi(deps: AdminDeps) {
  const connection = deps.redis.duplicate();
  const training = new Queue<TrainingJobData, TrainingJobResult>(TRAINING_QUEUE, {
    connection,
    prefix: deps.prefix,
    defaultJobOptions: TRAINING_JOB_OPTIONS,
  });
  const recognition = new Queue(RECOGNITION_QUEUE, { connection, prefix: deps.prefix });
  const keys = trainingKeys(deps.prefix);

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

  /** The model named in the path and the optional reason in the body of a promote/rollback/reject request. */
  const modelAction = async (req: IncomingMessage, rawVersion: string | undefined): Promise<{ model: ModelRecord; reason?: string }> => {
    const version = parse(ModelVersionSchema, rawVersion);
    const { reason } = parse(ReasonSchema, await readJson(req));
    const model = await deps.registry.get(version);
    if (!model) throw new HttpError(404, 'MODEL_NOT_FOUND', `no model with version ${version}`);
    return { model, ...(reason === undefined ? {} : { reason }) };
  };

  const routes: Route[] = [
    ['GET', /^\/api\/admin\/models$/, async () => [200, { models: await deps.registry.list() }]],
    [
      'POST',
      /^\/api\/admin\/models\/([^/]+)\/promote$/,
      async (req, [v]) => {
        const { model, reason } = await modelAction(req, v);
        if (model.status === 'promoted') throw new HttpError(409, 'ALREADY_PROMOTED', `${model.version} is already being served`);
        return [200, { model: await promote(model.version, reason ?? 'promoted by an admin') }];
      },
    ],
    [
      'POST',
      /^\/api\/admin\/models\/([^/]+)\/rollback$/,
      async (req, [v]) => {
        const { model, reason } = await modelAction(req, v);
        if (model.status !== 'retired') {
          throw new HttpError(
            409,
            'NOT_ROLLBACK_TARGET',
            `only a previously served (retired) model can be rolled back to; ${model.version} is ${model.status}`,
          );
        }
        return [200, { model: await promote(model.version, reason ?? 'rolled back by an admin') }];
      },
    ],
    [
      'POST',
      /^\/api\/admin\/models\/([^/]+)\/reject$/,
      async (req, [v]) => {
        const { model, reason } = await modelAction(req, v);
        if (model.status === 'promoted')
          throw new HttpError(409, 'MODEL_SERVED', `${model.version} is being served; promote another model first`);
        return [200, { model: await deps.registry.reject(model.version, reason ?? 'rejected by an admin') }];
      },
    ],
    [
      'POST',
      /^\/api\/admin\/retrain$/,
      async (req) => {
        const options = parse(RetrainOptionsSchema, await readJson(req));
        const busy = await training.getJobs([...TRAINING_BUSY_STATES]);
        if (busy.length > 0) {
          throw new HttpError(
            409,
            'TRAINING_BUSY',
            `retraining job ${busy[0]?.id} is already ${await busy[0]?.getState()}; wait for it or cancel it`,
          );
        }
        const job = await training.add('retrain', { options, requestedBy: 'admin', requestedAt: new Date().toISOString() });
        deps.log.info({ jobId: job.id, options }, 'retraining requested');
        return [202, { job: await view(job) }];
      },
    ],
    [
      'GET',
      /^\/api\/admin\/jobs$/,
      async () => {
        const jobs = await training.getJobs(['active', 'waiting', 'delayed', 'completed', 'failed'], 0, 19);
        jobs.sort((a, b) => Number(b.id) - Number(a.id));
        return [200, { jobs: await Promise.all(jobs.slice(0, 20).map(view)) }];
      },
    ],
    [
      'GET',
      /^\/api\/admin\/jobs\/([^/]+)$/,
      async (_req, [id]) => {
        const job = await training.getJob(parse(JobIdSchema, id));
        if (!job) throw new HttpError(404, 'JOB_NOT_FOUND', `no training job ${id}`);
        return [200, { job: await view(job) }];
      },
    ],
    [
      'POST',
      /^\/api\/admin\/jobs\/([^/]+)\/cancel$/,
      async (_req, [id]) => {
        const job = await training.getJob(parse(JobIdSchema, id));
        if (!job) throw new HttpError(404, 'JOB_NOT_FOUND', `no training job ${id}`);
        const state = await job.getState();
        if (state === 'completed' || state === 'failed') throw new HttpError(409, 'JOB_FINISHED', `job ${id} has already ${state}`);
        if (state === 'active') await deps.redis.set(keys.cancel(String(job.id)), '1', 'EX', 3600);
        else await job.remove();
        return [200, { cancelled: true, state }];
      },
    ],
    [
      'GET',
      /^\/api\/admin\/review$/,
      async (_req, _p, query) => {
        const limit = parse(z.coerce.number().int().min(1).max(200).default(50), query.get('limit') ?? undefined);
        return [200, { items: await deps.data.reviewQueue(limit) }];
      },
    ],
    [
      'POST',
      /^\/api\/admin\/review\/label$/,
      async (req) => {
        const body = parse(ReviewLabelSchema, await readJson(req));
        try {
          const labelId = await deps.data.labelRevision(body.drawingId, body.revision, body.text, 'admin');
          return [200, { labelId }];
        } catch (err) {
          if (err instanceof RangeError) throw new HttpError(404, 'UNKNOWN_REVISION', err.message);
          throw err;
        }
      },
    ],
    [
      'GET',
      /^\/api\/admin\/queues$/,
      async () => {
        const queues = await Promise.all(
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
        );
        return [200, { queues }];
      },
    ],
  ];

  return {
    /** Handles `/api/admin/*`; sends the response itself. */
    async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      try {
        if (deps.token === null) throw new HttpError(503, 'ADMIN_DISABLED', 'the admin API is disabled: set ADMIN_TOKEN');
        if (!authorized(req, deps.token))
          throw new HttpError(401, 'ADMIN_UNAUTHORIZED', 'a valid admin token is required (Authorization: Bearer <token>)');
        for (const [method, pattern, handler] of routes) {
          const m = pattern.exec(url.pathname);
          if (!m) continue;
          if (req.method !== method) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${method} for ${url.pathname}`);
          const [status, body] = await handler(req, m.slice(1) as string[], url.searchParams);
          return send(status, body);
        }
        throw new HttpError(404, 'NOT_FOUND', `no admin route ${req.method} ${url.pathname}`);
      } catch (err) {
        if (err instanceof HttpError) return send(err.status, { error: { code: err.code, message: err.message } });
        deps.log.error({ err }, 'admin request failed');
        send(500, { error: { code: 'INTERNAL', message: 'the server could not complete this request' } });
      }
    },
    close: async () => {
      await training.close();
      await recognition.close();
      await connection.quit().catch(() => undefined);
    },
  };
}
