/**
 * Hop tracing of the recognition pipeline: when a gateway runs with `PIPELINE_TRACE` on, a recognition
 * request carries the times of a change's life through the pipeline — in the job's data, then in the
 * published prediction — and each process appends its hops. `npm run bench:load` aggregates them per hop to
 * show where a prediction waits. Off (no `trace` field anywhere) unless asked for.
 *
 * A trace is an array of epoch milliseconds (fractional, from `traceNowMs`) indexed by `TRACE_HOPS`; `null`
 * marks a hop that did not happen for this request (a request a worker made again itself has no commit).
 */
import { z } from 'zod';
import type { Prediction } from './events.js';

/** The hops of a recognition, in order. */
export const TRACE_HOPS = [
  /** The gateway's handler started applying the change. */
  'accepted',
  /** Postgres committed it. */
  'committed',
  /** The gateway's recognition queue took the request out of its waiting list (a batch leaves). */
  'flushed',
  /** The per-room markers are set and the job is handed to BullMQ (`queue.add` called). */
  'enqueued',
  /** A worker started the job. */
  'picked',
  /** The board was read from Postgres. */
  'read',
  /** The model answered. */
  'recognized',
  /** The prediction is stored. */
  'stored',
  /** The compare-and-publish script was sent. */
  'published',
  /** A gateway received it from Redis and emitted it to the room. */
  'emitted',
  /** A client received it (added by the bench's clients). */
  'received',
] as const;
export type TraceHop = (typeof TRACE_HOPS)[number];

export const PipelineTraceSchema = z.array(z.number().nullable()).max(TRACE_HOPS.length);
export type PipelineTrace = (number | null)[];

/** A prediction as published on the predictions channel: traced ones carry their hops so far. */
export type TracedPrediction = Prediction & { trace?: PipelineTrace };

/** Epoch ms with sub-millisecond resolution, comparable between processes of one machine. */
export function traceNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Records `hop` in `trace` (when the request is traced) and returns the trace. */
export function traceHop(trace: PipelineTrace | undefined, hop: TraceHop, atMs: number = traceNowMs()): PipelineTrace | undefined {
  if (!trace) return trace;
  const index = TRACE_HOPS.indexOf(hop);
  while (trace.length < index) trace.push(null);
  trace[index] = atMs;
  return trace;
}
