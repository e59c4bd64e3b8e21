/**
 * The worker's model, run in inference threads. Boards are recognized in two lanes, each its own thread:
 * ordinary boards, batched together (requests of one event-loop turn, or made while the previous batch ran,
 * share one model call), and large boards (more points than `largeBoardPoints`), one at a time, so a room
 * with a huge board never holds up other rooms' predictions. The large lane's thread starts on first use.
 * A batch that fails is retried board by board, so one bad board fails only itself; a thread that dies is
 * replaced on the next request.
 */
import { Worker } from 'node:worker_threads';
import type { Recognition, Stroke } from '@inkling/protocol';
import { GroupCommit, type ItemResult } from '@inkling/store';
import type { Logger } from 'pino';
import { type FromInference, packBatch, type ToInference } from './inference-messages.js';

export interface BoardToRecognize {
  /** The board's strokes; with their authors, since stroke ids are unique per author only (the digit cache). */
  strokes: readonly (Stroke & { authorId?: string })[];
  /** Room and drawing id: digits whose strokes did not change come from the thread's cache. */
  drawingKey: string;
  points: number;
}

export interface RecognitionResult {
  recognition: Recognition;
  /** Model time per drawing of the batch this board was in. */
  inferenceMs: number;
}

type Pending = { resolve: (m: FromInference) => void; reject: (err: unknown) => void };

/** The thread's entry: compiled JavaScript directly, TypeScript sources through a tsx boot file. */
function threadEntry(): { file: URL; workerData: Record<string, string> } {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    return {
      file: new URL('./inference-thread-boot.mjs', self),
      workerData: { entry: new URL('./inference-thread.ts', self).href },
    };
  }
  return { file: new URL('./inference-thread.js', self), workerData: {} };
}

/** One inference thread and the batches sent to it (one at a time). */
class Lane {
  private thread: Worker | null = null;
  private ready: Promise<Extract<FromInference, { type: 'ready' }>> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly batches: GroupCommit<BoardToRecognize, RecognitionResult>;
  modelVersion = '';

  constructor(
    readonly name: string,
    /** The model to load when the thread starts (known later than the thread is started). */
    private folder: () => Promise<string>,
    private readonly log: Logger,
    maxBatch: number,
  ) {
    this.batches = new GroupCommit((boards) => this.recognizeBatch(boards), { maxInFlight: 1, maxBatch, gatherTurn: true });
  }

  get started(): boolean {
    return this.thread !== null;
  }

  /** Starts the thread if it is not running; resolves when its model is loaded. */
  start(): Promise<Extract<FromInference, { type: 'ready' }>> {
    if (this.ready) return this.ready;
    const { file, workerData } = threadEntry();
    const thread = new Worker(file, { workerData });
    this.thread = thread;
    this.ready = new Promise((resolve, reject) => {
      this.folder().then(
        (folder) => thread.postMessage({ type: 'load', folder } satisfies ToInference),
        (err: unknown) => {
          reject(err);
          void thread.terminate();
        },
      );
      const onMessage = (message: FromInference) => {
        if (message.type === 'ready') {
          this.modelVersion = message.modelVersion;
          resolve(message);
          return;
        }
        if (message.type === 'load-failed') {
          reject(new Error(`inference thread ${this.name} could not load its model: ${message.message}`));
          void thread.terminate();
          return;
        }
        const waiter = this.pending.get(message.id);
        if (!waiter) return;
        this.pending.delete(message.id);
        waiter.resolve(message);
      };
      thread.on('message', onMessage);
      thread.once('error', (err) => this.log.error({ err: err.message, lane: this.name }, 'inference thread failed'));
      thread.once('exit', (code) => {
        // Everything in flight fails (its jobs are retried); the next request starts a new thread.
        if (this.thread === thread) {
          this.thread = null;
          this.ready = null;
        }
        const err = new Error(`inference thread ${this.name} exited with code ${code}`);
        reject(err);
        for (const waiter of this.pending.values()) waiter.reject(err);
        this.pending.clear();
      });
    });
    // Whoever awaits `ready` sees a failure to start; nobody waiting must not be an unhandled rejection.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  private async call(message: Extract<ToInference, { id: number }>): Promise<FromInference> {
    await this.start();
    const thread = this.thread;
    if (!thread) throw new Error(`inference thread ${this.name} is not running`);
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      // A batch's points are handed over, not copied.
      thread.postMessage(message, message.type === 'recognize' ? [message.points.buffer] : []);
    });
  }

  recognize(board: BoardToRecognize): Promise<RecognitionResult> {
    return this.batches.submit(board);
  }

  private async recognizeBatch(boards: BoardToRecognize[]): Promise<ItemResult<RecognitionResult>[]> {
    const batch = packBatch(boards.map((b) => ({ strokes: b.strokes, key: b.drawingKey })));
    const reply = await this.call({ type: 'recognize', id: this.nextId++, ...batch });
    if (reply.type === 'failed') throw new Error(`recognition failed: ${reply.message}`);
    if (reply.type !== 'recognized') throw new Error(`unexpected reply ${reply.type}`);
    return reply.recognitions.map((recognition) => ({ ok: true, value: { recognition, inferenceMs: reply.inferenceMs } }));
  }

  async swap(folder: string): Promise<string> {
    const reply = await this.call({ type: 'swap', id: this.nextId++, folder });
    if (reply.type === 'failed') throw new Error(reply.message);
    if (reply.type !== 'swapped') throw new Error(`unexpected reply ${reply.type}`);
    this.modelVersion = reply.modelVersion;
    return reply.modelVersion;
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    this.ready = null;
    if (thread) await thread.terminate();
  }
}

export class InferencePool {
  private currentFolder: Promise<string>;
  private readonly small: Lane;
  private readonly large: Lane;

  private constructor(
    folder: Promise<string>,
    private readonly largeBoardPoints: number,
    log: Logger,
  ) {
    this.currentFolder = folder;
    const current = () => this.currentFolder;
    this.small = new Lane('small', current, log, 64);
    this.large = new Lane('large', current, log, 1);
  }

  /**
   * Starts the ordinary lane's thread on the model in `folder`. The thread starts at once and sets up its
   * backend while `folder` is still being found (database, registry), so the two overlap.
   */
  static async start(opts: {
    folder: string | Promise<string>;
    largeBoardPoints: number;
    log: Logger;
  }): Promise<{ pool: InferencePool; backend: string }> {
    const pool = new InferencePool(Promise.resolve(opts.folder), opts.largeBoardPoints, opts.log);
    const ready = await pool.small.start();
    pool.served = ready.folder;
    return { pool, backend: ready.backend };
  }

  private served = '';

  get modelVersion(): string {
    return this.small.modelVersion;
  }

  get folder(): string {
    return this.served;
  }

  recognize(board: BoardToRecognize): Promise<RecognitionResult> {
    return (board.points > this.largeBoardPoints ? this.large : this.small).recognize(board);
  }

  /**
   * Switches every running thread to the model in `folder` (threads started later load it). Recognitions
   * already sent finish on the old model. A folder that fails to load leaves the current model and rejects.
   */
  async swap(folder: string): Promise<{ version: string }> {
    const lanes = [this.small, this.large].filter((l) => l.started);
    const [version] = await Promise.all(lanes.map((l) => l.swap(folder)));
    this.currentFolder = Promise.resolve(folder);
    this.served = folder;
    return { version: version ?? this.modelVersion };
  }

  async close(): Promise<void> {
    await Promise.all([this.small.close(), this.large.close()]);
  }
}
