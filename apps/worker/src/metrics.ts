/**
 * Prometheus metrics of one worker process, served at `GET /metrics` on WORKER_METRICS_PORT when set (each
 * worker process needs its own port; the dashboard in infra/grafana sums them).
 */
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'inkling_worker_' });
  return {
    registry,
    boards: new Counter({
      name: 'inkling_worker_boards_total',
      help: 'Rooms handled in recognition jobs, by outcome (published, up-to-date, stale, gone, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    boardReads: new Counter({
      name: 'inkling_worker_board_reads_total',
      help: "Boards had for recognition: full or delta (read from Postgres: not cached on this worker, or only strokes changed since), or change (the job's change applied to the cached board: no read)",
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'inkling_worker_job_duration_seconds',
      help: 'Time from a recognition job starting on this worker to its end',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    jobFailures: new Counter({
      name: 'inkling_worker_job_failures_total',
      help: 'Recognition job attempts that failed (each is retried with backoff)',
      registers: [registry],
    }),
    postgresRetries: new Counter({
      name: 'inkling_worker_postgres_retries_total',
      help: 'Postgres calls retried after a transient fault',
      registers: [registry],
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

/** Serves the registry at /metrics on `port` (loopback unless `host` says otherwise). */
export async function serveMetrics(metrics: WorkerMetrics, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
