/**
 * The client side of `npm run bench:load`, run as its own process: `clients` socket.io clients in `rooms`
 * rooms, each committing one stroke of a hand-drawn digit every 1/rate seconds, measuring the time from
 * emitting `stroke:commit` to receiving a prediction that covers that revision. Prints one JSON line.
 */
import { digitDrawing, type PipelineTrace, type Stroke, type TracedPrediction, traceHop, traceNowMs } from '@inkling/protocol';
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';

export const LoadStepSchema = z.object({
  url: z.string().url(),
  clients: z.number().int().min(1).max(5000),
  rooms: z.number().int().min(1).max(5000),
  strokesPerSec: z.number().positive().max(50),
  warmupSec: z.number().min(0),
  measureSec: z.number().positive(),
  drainSec: z.number().positive(),
});
export type LoadStep = z.infer<typeof LoadStepSchema>;

export interface LoadResult {
  commits: number;
  latenciesMs: number[];
  lost: number;
  errors: number;
  predictions: number;
  measuredSec: number;
  /** Hop times of the traced predictions received in the measured window (servers that trace; see pipeline-trace.ts). */
  traces: PipelineTrace[];
}

interface Pending {
  sentAt: number;
  revision: number | null;
  measured: boolean;
}

interface SimClient {
  socket: Socket;
  roomId: string;
  pending: Pending[];
  /** Revisions of predictions received, with arrival times, in arrival order. */
  seen: { revision: number; at: number }[];
  strokesOnBoard: number;
  digitsDrawn: number;
  queue: Stroke[];
}

const now = () => performance.now();

async function connect(url: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

function ack<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  return socket.timeout(30_000).emitWithAck(event, payload) as Promise<T>;
}

/** Printed on stdout when the measured window starts and ends, so the parent can read CPU times then. */
export const MEASURE_MARK = 'MEASURE';

export async function runLoad(step: LoadStep, onMeasure: (edge: 'start' | 'end') => void = () => undefined): Promise<LoadResult> {
  const clients: SimClient[] = [];
  let errors = 0;
  let measuring = false;
  let predictions = 0;
  const traces: PipelineTrace[] = [];
  const roomIds: string[] = [];
  for (let i = 0; i < step.clients; i++) {
    const socket = await connect(step.url);
    const room = i % step.rooms;
    const joined = await ack<{ ok: boolean; roomId: string }>(socket, 'room:join', { roomId: roomIds[room], name: `bot ${i}` });
    if (!joined.ok) throw new Error(`join failed: ${JSON.stringify(joined)}`);
    roomIds[room] = joined.roomId;
    const client: SimClient = { socket, roomId: joined.roomId, pending: [], seen: [], strokesOnBoard: 0, digitsDrawn: 0, queue: [] };
    const countsPredictions = i < step.rooms; // one client per room counts the room's predictions
    socket.on('prediction', (p: TracedPrediction) => {
      const at = now();
      client.seen.push({ revision: p.revision, at });
      if (measuring && countsPredictions) {
        predictions++;
        if (p.trace) traces.push(traceHop(p.trace, 'received', traceNowMs()) as PipelineTrace);
      }
      client.pending = client.pending.filter((q) => {
        if (q.revision === null || q.revision > p.revision) return true;
        if (q.measured) latencies.push(at - q.sentAt);
        return false;
      });
    });
    socket.on('stroke:committed', () => {
      client.strokesOnBoard++;
    });
    socket.on('board:cleared', () => {
      client.strokesOnBoard = 0;
    });
    clients.push(client);
  }
  const latencies: number[] = [];
  let commits = 0;
  let stopped = false;

  const commitOne = async (c: SimClient, index: number) => {
    if (c.queue.length === 0) {
      if (c.strokesOnBoard >= 6) {
        const cleared = await ack<{ ok: boolean }>(c.socket, 'board:clear', {});
        if (!cleared.ok) errors++;
      }
      const slot = c.digitsDrawn++ % 3;
      c.queue = digitDrawing((index + c.digitsDrawn) % 10, { x: 0.04 + slot * 0.32, y: 0.3, size: 0.3 }, `b${index}-${c.digitsDrawn}-`);
    }
    const stroke = c.queue.shift() as Stroke;
    const entry: Pending = { sentAt: now(), revision: null, measured: measuring };
    c.pending.push(entry);
    if (measuring) commits++;
    const result = await ack<{ ok: boolean; revision?: number }>(c.socket, 'stroke:commit', { stroke });
    if (!result.ok || result.revision === undefined) {
      errors++;
      c.pending = c.pending.filter((q) => q !== entry);
      if (measuring) commits--;
      return;
    }
    const revision = result.revision;
    const covered = c.seen.find((s) => s.revision >= revision && s.at >= entry.sentAt);
    if (covered) {
      if (entry.measured) latencies.push(covered.at - entry.sentAt);
      c.pending = c.pending.filter((q) => q !== entry);
    } else {
      entry.revision = revision;
    }
  };

  const intervalMs = 1000 / step.strokesPerSec;
  const loops = clients.map(async (c, index) => {
    await new Promise((r) => setTimeout(r, Math.random() * intervalMs));
    let next = now();
    while (!stopped) {
      commitOne(c, index).catch(() => {
        errors++;
      });
      next += intervalMs;
      await new Promise((r) => setTimeout(r, Math.max(0, next - now())));
    }
  });

  await new Promise((r) => setTimeout(r, step.warmupSec * 1000));
  measuring = true;
  const started = now();
  onMeasure('start');
  await new Promise((r) => setTimeout(r, step.measureSec * 1000));
  measuring = false;
  const measuredSec = (now() - started) / 1000;
  onMeasure('end');
  stopped = true;
  await Promise.all(loops);
  const drainUntil = now() + step.drainSec * 1000;
  while (now() < drainUntil && clients.some((c) => c.pending.some((q) => q.measured))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const lost = clients.reduce((n, c) => n + c.pending.filter((q) => q.measured).length, 0);
  for (const c of clients) c.socket.disconnect();
  return { commits, latenciesMs: latencies, lost, errors, predictions, measuredSec, traces };
}

if (process.argv[1]?.endsWith('load-clients.ts')) {
  const step = LoadStepSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  runLoad(step, (edge) => process.stdout.write(`${MEASURE_MARK} ${edge}\n`)).then(
    (result) => {
      // Exit once the (large) result has been handed to the pipe.
      process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
