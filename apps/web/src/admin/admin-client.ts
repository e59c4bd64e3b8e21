/** The admin API from the browser: bearer token, validated responses, errors with their stable codes. */
import {
  HttpErrorSchema,
  type ModelRecord,
  ModelRecordSchema,
  type QueueStats,
  QueueStatsSchema,
  type RetrainOptions,
  type ReviewItem,
  ReviewItemSchema,
  type TrainingJobView,
  TrainingJobViewSchema,
} from '@inkling/protocol';
import { z } from 'zod';

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

export function createAdminClient(base: string, token: string) {
  async function request<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const err = HttpErrorSchema.safeParse(json);
      throw err.success
        ? new AdminApiError(res.status, err.data.error.code, err.data.error.message)
        : new AdminApiError(res.status, 'HTTP', `HTTP ${res.status}`);
    }
    return schema.parse(json);
  }
  return {
    models: async (): Promise<ModelRecord[]> =>
      (await request('GET', '/api/admin/models', z.object({ models: z.array(ModelRecordSchema) }))).models,
    action: async (version: string, action: 'promote' | 'rollback' | 'reject'): Promise<ModelRecord> =>
      (await request('POST', `/api/admin/models/${encodeURIComponent(version)}/${action}`, z.object({ model: ModelRecordSchema }), {}))
        .model,
    retrain: async (options: Partial<RetrainOptions>): Promise<TrainingJobView> =>
      (await request('POST', '/api/admin/retrain', z.object({ job: TrainingJobViewSchema }), options)).job,
    jobs: async (): Promise<TrainingJobView[]> =>
      (await request('GET', '/api/admin/jobs', z.object({ jobs: z.array(TrainingJobViewSchema) }))).jobs,
    cancel: async (id: string): Promise<void> => {
      await request('POST', `/api/admin/jobs/${id}/cancel`, z.object({ cancelled: z.boolean() }));
    },
    review: async (): Promise<ReviewItem[]> =>
      (await request('GET', '/api/admin/review?limit=50', z.object({ items: z.array(ReviewItemSchema) }))).items,
    labelReview: async (item: Pick<ReviewItem, 'drawingId' | 'revision'>, text: string): Promise<void> => {
      await request('POST', '/api/admin/review/label', z.object({ labelId: z.number() }), {
        drawingId: item.drawingId,
        revision: item.revision,
        text,
      });
    },
    queues: async (): Promise<QueueStats> => request('GET', '/api/admin/queues', QueueStatsSchema),
  };
}
export type AdminClient = ReturnType<typeof createAdminClient>;
