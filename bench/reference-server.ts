/**
 * The "durable limit" reference server of `npm run bench:load` (L1): the least a durable Inkling could do per
 * commit, built from the project's own packages so Inkling's figures can be read as ratios measured in the same
 * run. One process; rooms' boards in memory; every accepted stroke written to Postgres with synchronous commit
 * (one multi-row INSERT per group of commits) before its ack; recognition in one separate worker process over
 * plain IPC (latest revision wins per room); predictions broadcast, then inserted with asynchronous commit.
 * It speaks the part of the wire contract the bench clients use: room:join, stroke:commit, board:clear.
 *
 * Not a product: no identity, history, undo, labels, multi-gateway rooms or recovery of queued recognitions.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type BoardStroke,
  type ClientToServerEvents,
  CommitPayloadSchema,
  EmptyPayloadSchema,
  failure,
  type InterServerEvents,
  JoinPayloadSchema,
  LIMITS,
  type PipelineTrace,
  type Prediction,
  type ServerToClientEvents,
  type SocketData,
  type TracedPrediction,
  traceHop,
  traceNowMs,
} from '@inkling/protocol';
import { createPool, GroupCommit, type ItemResult } from '@inkling/store';
import { Server } from 'socket.io';
import type { ReferenceJob, ReferenceResult } from './reference-worker.js';

interface Room {
  id: string;
  drawingId: number;
  revision: number;
  strokes: BoardStroke[];
  prediction: Prediction | null;
  /** A recognition of this room is at the worker. */
  inFlight: boolean;
  /** The newest revision accepted while one was in flight (recognized next). */
  wanted: { revision: number; acceptedAtMs: number } | null;
}

/** Hop times as Inkling traces them (pipeline-trace.ts): accepted, committed, enqueued, recognized, emitted. */
const traceOf = (acceptedAtMs: number, committedAtMs: number | null): PipelineTrace => [acceptedAtMs, committedAtMs];

type Write = { type: 'stroke'; room: Room; revision: number; stroke: BoardStroke } | { type: 'clear'; room: Room; revision: number };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ref_strokes (
  room_id text NOT NULL, drawing_id integer NOT NULL, revision integer NOT NULL,
  author_id text, stroke jsonb, cleared boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS ref_predictions (
  room_id text NOT NULL, drawing_id integer NOT NULL, revision integer NOT NULL, prediction jsonb NOT NULL);`;

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const strokesPool = createPool(databaseUrl, 4);
  const predictionsPool = createPool(databaseUrl, 2, { asyncCommit: true });
  await strokesPool.query(SCHEMA);
  const rooms = new Map<string, Room>();
  let nextDrawingId = 1;

  const strokeWrites = new GroupCommit<Write, void>(
    async (writes): Promise<ItemResult<void>[]> => {
      const values: unknown[] = [];
      const rows = writes.map((w, i) => {
        values.push(
          w.room.id,
          w.room.drawingId,
          w.revision,
          w.type === 'stroke' ? w.stroke.authorId : null,
          w.type === 'stroke' ? JSON.stringify(w.stroke) : null,
          w.type === 'clear',
        );
        const b = i * 6;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6})`;
      });
      await strokesPool.query(`INSERT INTO ref_strokes VALUES ${rows.join(', ')}`, values);
      return writes.map(() => ({ ok: true, value: undefined }));
    },
    { maxInFlight: 2 },
  );
  const predictionWrites = new GroupCommit<Prediction, void>(
    async (predictions): Promise<ItemResult<void>[]> => {
      await predictionsPool.query('INSERT INTO ref_predictions SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::jsonb[])', [
        predictions.map((p) => p.roomId),
        predictions.map((p) => p.drawingId),
        predictions.map((p) => p.revision),
        predictions.map((p) => JSON.stringify(p)),
      ]);
      return predictions.map(() => ({ ok: true, value: undefined }));
    },
    { maxInFlight: 1 },
  );

  const worker = fork(new URL('./reference-worker.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('exit', (code) => reject(new Error(`reference worker exited with code ${code}`)));
  });

  const http = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(http, {
    maxHttpBufferSize: 2_000_000,
  });

  const recognize = (room: Room, acceptedAtMs: number, trace: PipelineTrace) => {
    if (room.inFlight) {
      room.wanted = { revision: room.revision, acceptedAtMs };
      return;
    }
    room.inFlight = true;
    const job: ReferenceJob = {
      roomId: room.id,
      drawingId: room.drawingId,
      revision: room.revision,
      acceptedAtMs,
      strokes: room.strokes.map(({ id, points }) => ({ id, points })),
      trace: traceHop(trace, 'enqueued') as PipelineTrace,
    };
    worker.send(job);
  };

  worker.on('message', (result: ReferenceResult) => {
    const room = rooms.get(result.prediction.roomId);
    if (!room) return;
    room.inFlight = false;
    if (
      result.prediction.drawingId === room.drawingId &&
      (room.prediction === null || result.prediction.revision > room.prediction.revision)
    ) {
      room.prediction = result.prediction;
      traceHop((result.prediction as TracedPrediction).trace, 'emitted');
      io.to(room.id).emit('prediction', result.prediction);
      void predictionWrites.submit(result.prediction).catch((err: unknown) => process.stderr.write(`prediction insert failed: ${err}\n`));
    }
    const wanted = room.wanted;
    room.wanted = null;
    if (wanted && wanted.revision > result.prediction.revision) recognize(room, wanted.acceptedAtMs, traceOf(wanted.acceptedAtMs, null));
  });

  io.on('connection', (socket) => {
    let roomId = '';
    socket.on('room:join', (raw, ack) => {
      const p = JoinPayloadSchema.safeParse(raw);
      if (!p.success) return ack(failure('INVALID_PAYLOAD', p.error.issues[0]?.message ?? 'invalid'));
      let room = p.data.roomId ? rooms.get(p.data.roomId) : undefined;
      if (p.data.roomId && !room) return ack(failure('ROOM_NOT_FOUND', 'no such room'));
      if (!room) {
        room = {
          id: `r${randomBytes(12).toString('base64url')}`,
          drawingId: nextDrawingId++,
          revision: 0,
          strokes: [],
          prediction: null,
          inFlight: false,
          wanted: null,
        };
        rooms.set(room.id, room);
      }
      roomId = room.id;
      const userId = `u${randomBytes(12).toString('base64url')}`;
      socket.data = { userId, name: p.data.name, roomId, color: '#2563eb' };
      void socket.join(roomId);
      ack({
        ok: true,
        roomId,
        userId,
        // No identity in the reference: the token is never checked.
        token: '',
        board: { revision: room.revision, drawingId: room.drawingId, strokes: room.strokes, members: [], prediction: room.prediction },
      });
    });
    socket.on('stroke:commit', (raw, ack) => {
      const acceptedAtMs = traceNowMs();
      const p = CommitPayloadSchema.safeParse(raw);
      if (!p.success) return ack(failure('INVALID_PAYLOAD', p.error.issues[0]?.message ?? 'invalid'));
      const room = rooms.get(roomId);
      if (!room) return ack(failure('NOT_IN_ROOM', 'join a room first'));
      if (room.strokes.length >= LIMITS.maxStrokesPerBoard) return ack(failure('BOARD_FULL', 'the board is full'));
      const stroke: BoardStroke = { ...p.data.stroke, authorId: socket.data.userId };
      room.revision++;
      room.strokes.push(stroke);
      const revision = room.revision;
      strokeWrites.submit({ type: 'stroke', room, revision, stroke }).then(
        () => {
          io.to(room.id).emit('stroke:committed', { stroke: p.data.stroke, authorId: stroke.authorId, revision });
          ack({ ok: true, revision });
          recognize(room, acceptedAtMs, traceOf(acceptedAtMs, traceNowMs()));
        },
        () => ack(failure('INTERNAL', 'write failed')),
      );
    });
    socket.on('board:clear', (raw, ack) => {
      const acceptedAtMs = Date.now();
      if (!EmptyPayloadSchema.safeParse(raw).success) return ack(failure('INVALID_PAYLOAD', 'expected {}'));
      const room = rooms.get(roomId);
      if (!room) return ack(failure('NOT_IN_ROOM', 'join a room first'));
      const archivedDrawingId = room.drawingId;
      room.drawingId = nextDrawingId++;
      room.revision++;
      room.strokes = [];
      room.prediction = null;
      const revision = room.revision;
      strokeWrites.submit({ type: 'clear', room, revision }).then(
        () => {
          io.to(room.id).emit('board:cleared', { revision, drawingId: room.drawingId, archivedDrawingId });
          ack({ ok: true, revision });
          recognize(room, acceptedAtMs, traceOf(acceptedAtMs, null));
        },
        () => ack(failure('INTERNAL', 'write failed')),
      );
    });
  });

  await new Promise<void>((resolve) => http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  process.stdout.write(`reference server listening on ${(http.address() as AddressInfo).port} worker ${worker.pid}\n`);
  const stop = () => {
    worker.kill('SIGTERM');
    io.close();
    void Promise.all([strokesPool.end(), predictionsPool.end()]).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
