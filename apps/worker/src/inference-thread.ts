/**
 * An inference thread: holds the model (and its per-digit cache) and recognizes batches of drawings sent by
 * the worker's main thread, so the model never blocks the main thread's event loop — BullMQ lock renewal,
 * Redis and Postgres keep their pace whatever a board costs.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend, Recognizer } from '@inkling/recognizer';
import { type FromInference, type ToInference, unpackBatch } from './inference-messages.js';

const port = parentPort;
if (!port) throw new Error('inference-thread.ts runs as a worker thread');
const send = (message: FromInference) => port.postMessage(message);

// The backend starts at once, while the main thread is still finding out which model to serve.
const backend = initBackend(undefined, 'serving');
let recognizer: Recognizer | null = null;
// Swaps run one after another; recognitions meanwhile use the model current at their start.
let swapping: Promise<unknown> = Promise.resolve();

async function load(folder: string): Promise<void> {
  try {
    await backend;
    recognizer = await Recognizer.load(folder);
    send({ type: 'ready', backend: await backend, modelVersion: recognizer.modelVersion, folder: recognizer.folder });
  } catch (err) {
    send({ type: 'load-failed', message: (err as Error).message });
  }
}

port.on('message', (message: ToInference) => {
  switch (message.type) {
    case 'load': {
      void load(message.folder);
      return;
    }
    case 'recognize': {
      try {
        if (!recognizer) throw new Error('no model loaded yet');
        const started = performance.now();
        const recognitions = recognizer.recognizeMany(
          unpackBatch(message),
          message.drawings.map((d) => d.key),
        );
        send({ type: 'recognized', id: message.id, recognitions, inferenceMs: (performance.now() - started) / message.drawings.length });
      } catch (err) {
        send({ type: 'failed', id: message.id, message: (err as Error).message });
      }
      return;
    }
    case 'swap': {
      const current = recognizer;
      if (!current) {
        send({ type: 'failed', id: message.id, message: 'no model loaded yet' });
        return;
      }
      swapping = swapping.then(() =>
        current.swap(message.folder).then(
          (meta) => send({ type: 'swapped', id: message.id, modelVersion: meta.version, folder: message.folder }),
          (err: unknown) => send({ type: 'failed', id: message.id, message: (err as Error).message }),
        ),
      );
      return;
    }
    default: {
      const never: never = message;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
});
