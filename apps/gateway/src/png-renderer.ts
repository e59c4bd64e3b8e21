/**
 * Pictures of drawings, rendered in a pool of worker threads so the event loop that serves sockets and
 * `/healthz` never waits for one. The cost of one render is capped by the board budget (LIMITS: points
 * per board) and the largest size (1024 px), plus a time limit; the pool's queue is bounded (a full queue
 * answers 503 RENDER_BUSY). Pictures are cached by drawing, revision and size, with a byte budget, and
 * the same picture asked for twice at once is rendered once.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { PngTask } from './png-worker.js';

/** Characters of stroke JSON kept for rendering other sizes of the same drawing revision. */
const SOURCE_CACHE_CHARS = 8_000_000;

export class RenderBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderBusyError';
  }
}

export interface PngRendererOptions {
  threads: number;
  /** Renders running or waiting at once. */
  maxQueue: number;
  /** Longest one render may take before it is abandoned (its thread is replaced). */
  timeoutMs?: number;
  /** Bytes of PNG kept in the cache. */
  cacheBytes?: number;
  /** Called after each render (for metrics). */
  onRendered?: (ms: number) => void;
}

/** Whether this module runs from the built bundle (dist/*.js) rather than the TypeScript sources. */
const compiled = !import.meta.url.endsWith('.ts');

/** From the sources, worker threads run TypeScript like the main thread: through tsx, loaded explicitly (tests run without it). */
function workerExecArgv(): string[] {
  // The built bundle starts png-worker.js as it is; the sources need tsx in the thread.
  if (compiled || process.execArgv.some((a) => a.includes('tsx'))) return process.execArgv;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return [...process.execArgv, '--import', tsx];
}

export class PngRenderer {
  private readonly pool: Piscina<PngTask, Uint8Array>;
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  /** Strokes (JSON text) by drawing revision, oldest first. */
  private readonly sources = new Map<string, string>();
  private readonly timeoutMs: number;
  private readonly cacheBytes: number;
  private readonly maxQueue: number;
  private readonly onRendered: (ms: number) => void;
  private readonly threads: number;
  /** Slots in use (each: reading a drawing and rendering it), and renders waiting for one. */
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  /** Renders finished (for tests and metrics). */
  rendered = 0;

  constructor(options: PngRendererOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.cacheBytes = options.cacheBytes ?? 32 * 1024 * 1024;
    this.maxQueue = options.maxQueue;
    this.onRendered = options.onRendered ?? (() => undefined);
    this.threads = options.threads;
    this.pool = new Piscina<PngTask, Uint8Array>({
      filename: new URL(compiled ? './png-worker.js' : './png-worker.ts', import.meta.url).href,
      minThreads: 0,
      maxThreads: options.threads,
      idleTimeout: 30_000,
      execArgv: workerExecArgv(),
      // Rendering is CPU work: one task at a time per thread. (No lower priority: on a busy machine a niced
      // thread starves and every picture times out; PNG_THREADS below the core count keeps a core for the loop.)
      concurrentTasksPerWorker: 1,
    });
  }

  static key(drawingId: number, revision: number, sizePx: number): string {
    return `${drawingId}:${revision}:${sizePx}`;
  }

  /** A cached picture, without rendering. */
  cached(key: string): Buffer | undefined {
    const png = this.cache.get(key);
    if (png) {
      this.cache.delete(key);
      this.cache.set(key, png);
    }
    return png;
  }

  /**
   * The picture for `key`, from the cache or rendered from what `load` reads (only when it must be
   * rendered): the JSON text of the strokes' point arrays, parsed in the worker thread, and the key of
   * what was read (a drawing being drawn may have moved on since `key` was made; it is cached as what it is).
   * `source` names the drawing revision: the strokes read for one size serve the other sizes too.
   */
  async render(
    key: string,
    sizePx: number,
    source: string,
    load: () => Promise<{ key: string; source: string; pointsJson: string }>,
  ): Promise<Buffer> {
    const hit = this.cached(key);
    if (hit) return hit;
    const running = this.inFlight.get(key);
    if (running) return running;
    if (this.inFlight.size >= this.maxQueue) throw new RenderBusyError(`${this.maxQueue} pictures are being rendered; try again shortly`);
    const work = (async () => {
      const deadline = performance.now() + this.timeoutMs;
      // Read the strokes only when a thread is free for them: one drawing in memory per thread, and
      // the database is not asked for every waiting picture at once.
      await this.slot(deadline);
      try {
        const known = this.sources.get(source);
        const read = known ? { key, source, pointsJson: known } : await load();
        if (!known) this.rememberSource(read.source, read.pointsJson);
        const task: PngTask = { pointsJson: read.pointsJson, sizePx };
        const started = performance.now();
        const signal = AbortSignal.timeout(Math.max(1, Math.ceil(deadline - started)));
        const png = Buffer.from(await this.pool.run(task, { signal }));
        this.rendered++;
        this.onRendered(performance.now() - started);
        this.remember(read.key, png);
        return png;
      } finally {
        this.release();
      }
    })();
    this.inFlight.set(key, work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Keeps the strokes of the last few drawing revisions rendered (a few MB), for their other sizes. */
  private rememberSource(source: string, pointsJson: string): void {
    this.sources.set(source, pointsJson);
    let bytes = 0;
    for (const v of this.sources.values()) bytes += v.length;
    for (const [k, v] of this.sources) {
      if (bytes <= SOURCE_CACHE_CHARS || this.sources.size === 1) break;
      this.sources.delete(k);
      bytes -= v.length;
    }
  }

  /** Waits for one of the `threads` rendering slots, until `deadline` (then a TimeoutError). */
  private slot(deadline: number): Promise<void> {
    if (this.busy < this.threads) {
      this.busy++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new DOMException('the picture waited too long for a render thread', 'TimeoutError'));
      }, deadline - performance.now());
      this.waiting.push(waiter);
    });
  }

  /** Hands a slot to the next waiting render, or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }

  private remember(key: string, png: Buffer): void {
    if (png.length > this.cacheBytes) return;
    this.cache.set(key, png);
    this.cachedBytes += png.length;
    for (const [k, v] of this.cache) {
      if (this.cachedBytes <= this.cacheBytes) break;
      this.cache.delete(k);
      this.cachedBytes -= v.length;
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
