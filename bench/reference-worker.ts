/**
 * The recognition process of the bench's reference server (see reference-server.ts): receives board
 * revisions over IPC, recognizes those that arrive in the same turn with one batched call of the project's
 * own `Recognizer` (the shipped model, folded graph, digit cache), and sends the predictions back.
 */
import { join } from 'node:path';
import { type PipelineTrace, type Stroke, type TracedPrediction, traceHop, traceNowMs } from '@inkling/protocol';
import { initBackend, Recognizer } from '@inkling/recognizer';

export interface ReferenceJob {
  roomId: string;
  drawingId: number;
  revision: number;
  acceptedAtMs: number;
  strokes: Stroke[];
  /** Hop times so far (as Inkling's pipeline-trace.ts). */
  trace: PipelineTrace;
}

export interface ReferenceResult {
  prediction: TracedPrediction;
}

async function main(): Promise<void> {
  await initBackend();
  const recognizer = await Recognizer.load(process.env.MODEL_DIR ?? join(import.meta.dirname, '..', 'models', 'default'));
  let batch: ReferenceJob[] = [];
  const flush = () => {
    const jobs = batch;
    batch = [];
    const started = performance.now();
    const results = recognizer.recognizeMany(
      jobs.map((j) => j.strokes),
      jobs.map((j) => `${j.roomId}/${j.drawingId}`),
    );
    const inferenceMs = (performance.now() - started) / jobs.length;
    const recognizedAtMs = traceNowMs();
    jobs.forEach((j, i) => {
      const prediction: TracedPrediction = {
        ...(results[i] as (typeof results)[number]),
        roomId: j.roomId,
        drawingId: j.drawingId,
        revision: j.revision,
        inferenceMs,
        latencyMs: Math.max(0, Date.now() - j.acceptedAtMs),
        trace: traceHop(j.trace, 'recognized', recognizedAtMs),
      };
      process.send?.({ prediction } satisfies ReferenceResult);
    });
  };
  process.on('message', (job: ReferenceJob) => {
    if (batch.push(job) === 1) setImmediate(flush);
  });
  process.on('SIGTERM', () => process.exit(0));
  process.send?.('ready');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
