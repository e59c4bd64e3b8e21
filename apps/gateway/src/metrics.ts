/** Prometheus metrics of one gateway process, served at GET /metrics. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'inkling_gateway_' });
  return {
    registry,
    events: new Counter({
      name: 'inkling_socket_events_total',
      help: 'Client → server socket events by event and outcome (ok or error code)',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    }),
    eventDuration: new Histogram({
      name: 'inkling_socket_event_duration_seconds',
      help: 'Time to handle and acknowledge a socket event',
      labelNames: ['event'] as const,
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    connections: new Gauge({ name: 'inkling_socket_connections', help: 'Open socket connections on this gateway', registers: [registry] }),
    predictionsRelayed: new Counter({
      name: 'inkling_predictions_relayed_total',
      help: 'Predictions delivered to rooms on this gateway',
      registers: [registry],
    }),
    jobsEnqueued: new Counter({
      name: 'inkling_recognition_jobs_enqueued_total',
      help: 'Recognition jobs enqueued (each carries one or more board revisions)',
      registers: [registry],
    }),
    boardsEnqueued: new Counter({
      name: 'inkling_recognition_boards_enqueued_total',
      help: 'Board revisions enqueued for recognition',
      registers: [registry],
    }),
    pngRender: new Histogram({
      name: 'inkling_png_render_seconds',
      help: 'Time to render one PNG of a drawing in the worker pool (cache misses only)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    predictionLatency: new Histogram({
      name: 'inkling_prediction_latency_seconds',
      help: 'Change accepted → prediction published, as reported by the worker',
      buckets: [0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}
export type GatewayMetrics = ReturnType<typeof createMetrics>;
