/** The admin API from the browser: bearer token, validated responses, errors with their stable codes (HttpApiError). */
import {
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
import { requestJson } from '../http-json.js';

export function createAdminClient(base: string, token: string) {
  const request = <T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> =>
    requestJson(`${base}${path}`, schema, { method, token, body });
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
    /** Lets this browser open the queue dashboard (Bull Board): an HttpOnly session cookie, never the token itself. */
    openQueueDashboard: async (): Promise<void> => {
      await request('POST', '/api/admin/dashboard-session', z.null());
    },
  };
}
export type AdminClient = ReturnType<typeof createAdminClient>;
