/**
 * Prometheus metrics of the recognition pipeline as a gateway sees it: requests and how they ended, the
 * queue's depth, rooms whose latest revision has no stored prediction (and for how long), and Postgres
 * faults retried. Registered on the gateway's registry; see infra/grafana for the dashboard and alerts.
 */
import type { Queue } from 'bullmq';
import { Counter, Gauge, type Registry } from 'prom-client';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

export function createRecognitionMetrics(registry: Registry, onEnqueued: (boards: number) => void = () => undefined) {
  let queue: Queue | null = null;
  let held: () => number = () => 0;
  return {
    onEnqueued,
    /** Lets the gauges read the queue's depth (from BullMQ) and the requests held here when Prometheus scrapes. */
    watchQueue(q: Queue, backlog: () => number): void {
      queue = q;
      held = backlog;
    },
    requestsHeld: new Gauge({
      name: 'inkling_recognition_requests_held',
      help: 'Rooms whose recognition request waits in this gateway (not yet in Redis: Redis slow, down or full)',
      registers: [registry],
      collect() {
        this.set(held());
      },
    }),
    requests: new Counter({
      name: 'inkling_recognition_requests_total',
      help: 'Recognition requests by outcome: enqueued (a new job), already-pending (a job for the room waits), coalesced (merged in this gateway), rate-limited (explicit Recognize refused)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    enqueueErrors: new Counter({
      name: 'inkling_recognition_enqueue_errors_total',
      help: 'Batches of recognition requests that Redis refused or failed (kept and retried)',
      registers: [registry],
    }),
    reconciled: new Counter({
      name: 'inkling_recognition_reconciled_total',
      help: 'Lagging rooms the reconciler asked to recognize again',
      registers: [registry],
    }),
    laggingRooms: new Gauge({
      name: 'inkling_recognition_lagging_rooms',
      help: 'Rooms whose latest revision has no stored prediction, at the last reconciler pass',
      registers: [registry],
    }),
    lagSeconds: new Gauge({
      name: 'inkling_recognition_lag_seconds',
      help: 'How long the longest-lagging room has gone without its recognized revision advancing (0 when none lags; resolution: the reconciler interval)',
      registers: [registry],
    }),
    postgresRetries: new Counter({
      name: 'inkling_postgres_retries_total',
      help: 'Postgres calls retried after a transient fault (restart, connection reset, serialization failure)',
      registers: [registry],
    }),
    queueJobs: new Gauge({
      name: 'inkling_recognition_queue_jobs',
      help: 'Recognition jobs in the queue by state (read from Redis when scraped)',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        if (!queue) return;
        try {
          // Commands wait for Redis while it is down: a scrape must not.
          const counts = await Promise.race([
            queue.getJobCounts(...QUEUE_STATES),
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000).unref()),
          ]);
          for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
        } catch {
          // Redis unavailable: keep the last values rather than failing the scrape.
        }
      },
    }),
  };
}
export type RecognitionMetrics = ReturnType<typeof createRecognitionMetrics>;
