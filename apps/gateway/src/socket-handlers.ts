/**
 * The Socket.IO side of the gateway: one handler per client → server event. Each payload is validated with
 * its schema from `@inkling/protocol` before anything is touched, each event is acknowledged with
 * `{ ok: true, ... }` or `{ ok: false, error: { code, message } }`, and changes of one connection are
 * applied in the order they were sent.
 */
import { randomBytes } from 'node:crypto';
import {
  type AckFailure,
  type Board,
  type BoardStroke,
  type ClientToServerEvents,
  CommitPayloadSchema,
  colorFor,
  EmptyPayloadSchema,
  failure,
  InklingError,
  type InterServerEvents,
  JoinPayloadSchema,
  LabelPayloadSchema,
  LiveStrokePayloadSchema,
  LoadPayloadSchema,
  type Member,
  type ServerToClientEvents,
  type SocketData,
} from '@inkling/protocol';
import type { BoardState, RoomRepository } from '@inkling/store';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import type { GatewayPeers } from './gateway-peers.js';
import type { GatewayMetrics } from './metrics.js';
import { TokenBucket } from './rate-limiter.js';
import type { RecognitionQueue } from './recognition-queue.js';
import { isUnavailable } from './unavailable.js';

export type InklingServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type InklingSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface HandlerDeps {
  io: InklingServer;
  peers: GatewayPeers;
  rooms: RoomRepository;
  recognition: RecognitionQueue;
  metrics: GatewayMetrics;
  log: Logger;
  ratePerSec: number;
}

const newId = (prefix: string) => `${prefix}${randomBytes(12).toString('base64url')}`;

function errorAck(err: unknown, log: Logger): AckFailure {
  if (err instanceof InklingError) return failure(err.code, err.message);
  // A database or Redis fault that outlasted its retries is a retryable UNAVAILABLE, never INTERNAL.
  if (isUnavailable(err)) return failure('UNAVAILABLE', 'the server is unavailable for a moment; try again');
  log.error({ err }, 'unexpected error in a socket handler');
  return failure('INTERNAL', 'the server could not complete this request; try again');
}

/** Splits Socket.IO arguments into payload and ack (an event sent with only an ack has payload `{}`). */
function splitArgs(args: unknown[]): { payload: unknown; ack: (res: unknown) => void } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as (res: unknown) => void) : () => undefined;
  const rest = typeof last === 'function' ? args.slice(0, -1) : args;
  return { payload: rest.length === 0 ? {} : rest[0], ack };
}

function membersOf(sockets: readonly { data: SocketData }[]): Member[] {
  const byUser = new Map<string, Member>();
  for (const s of sockets) {
    if (s.data.userId && !byUser.has(s.data.userId))
      byUser.set(s.data.userId, { userId: s.data.userId, name: s.data.name, color: s.data.color });
  }
  return [...byUser.values()];
}

export function registerSocketHandlers(deps: HandlerDeps): void {
  const { io, rooms, recognition, metrics, log, peers } = deps;
  /** Every gateway's sockets, or only this one's while no other gateway runs (no Redis round trip). */
  const everywhere = () => (peers.alone ? io.local : io);
  const toRoom = (roomId: string) => everywhere().to(roomId);
  const toOthers = (socket: InklingSocket, roomId: string) => (peers.alone ? socket.local : socket).to(roomId);
  const roomMembers = async (roomId: string) => membersOf(await everywhere().in(roomId).fetchSockets());

  const broadcastMembers = async (roomId: string) => {
    toRoom(roomId).emit('members', { members: await roomMembers(roomId) });
  };

  /**
   * Asks for recognition of the room's new revision. Acknowledgements wait for Postgres only: the wish to
   * recognize is already recorded there (the room's revision is ahead of its recognized revision), so the
   * request is queued in the background and a Redis outage only delays the prediction.
   */
  const enqueue = async (board: Pick<BoardState, 'roomId' | 'revision'>, acceptedAtMs: number) => {
    recognition.request(board.roomId, board.revision, acceptedAtMs);
  };

  io.on('connection', (socket: InklingSocket) => {
    metrics.connections.inc();
    const bucket = new TokenBucket(deps.ratePerSec);
    // Changes from one connection are applied one after another, in the order they arrived.
    let queue: Promise<unknown> = Promise.resolve();

    function on<S extends z.ZodType, R>(
      event: keyof ClientToServerEvents,
      schema: S,
      options: { needsRoom: boolean; ordered: boolean },
      handler: (payload: z.infer<S>) => Promise<R>,
    ): void {
      socket.on(event, (...args: unknown[]) => {
        const { payload, ack } = splitArgs(args);
        const started = performance.now();
        const reply = (res: { ok: boolean; error?: { code: string } }) => {
          metrics.events.inc({ event, outcome: res.ok ? 'ok' : (res.error?.code ?? 'error') });
          metrics.eventDuration.observe({ event }, (performance.now() - started) / 1000);
          ack(res);
        };
        if (!bucket.take()) return reply(failure('RATE_LIMITED', 'too many events; slow down'));
        const parsed = schema.safeParse(payload);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return reply(failure('INVALID_PAYLOAD', `${event}: ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`));
        }
        if (options.needsRoom && !socket.data.roomId) return reply(failure('NOT_IN_ROOM', 'join a room first (room:join)'));
        const run = () =>
          handler(parsed.data).then(
            (result) => reply({ ok: true, ...(result as object) }),
            (err: unknown) => reply(errorAck(err, log)),
          );
        if (!options.ordered) return void run();
        queue = queue.then(run, run);
      });
    }

    on(
      'room:join',
      JoinPayloadSchema,
      { needsRoom: false, ordered: true },
      async (p): Promise<{ roomId: string; userId: string; board: Board }> => {
        let state = p.roomId ? await rooms.loadBoard(p.roomId) : await rooms.createRoom(newId('r'));
        if (!state) throw new InklingError('ROOM_NOT_FOUND', `room ${p.roomId} does not exist`);
        const previousRoom = socket.data.roomId;
        if (previousRoom && previousRoom !== state.roomId) {
          await socket.leave(previousRoom);
          void broadcastMembers(previousRoom).catch((err: unknown) => log.warn({ err }, 'members broadcast failed'));
        }
        const userId = p.userId ?? socket.data.userId ?? newId('u');
        socket.data = { userId, name: p.name, roomId: state.roomId, color: colorFor(userId) };
        await socket.join(state.roomId);
        // Re-read after joining so a change made meanwhile is either in this board or arrives as an event.
        state = (await rooms.loadBoard(state.roomId)) ?? state;
        const [prediction, members] = await Promise.all([
          rooms.latestPrediction(state.roomId, state.drawingId, state.revision),
          roomMembers(state.roomId),
        ]);
        toOthers(socket, state.roomId).emit('members', { members });
        return {
          roomId: state.roomId,
          userId,
          board: { revision: state.revision, drawingId: state.drawingId, strokes: state.strokes, members, prediction },
        };
      },
    );

    on('stroke:live', LiveStrokePayloadSchema, { needsRoom: true, ordered: false }, async (p) => {
      toOthers(socket, socket.data.roomId).emit('stroke:live', { strokeId: p.strokeId, authorId: socket.data.userId, points: p.points });
      return {};
    });

    on('stroke:commit', CommitPayloadSchema, { needsRoom: true, ordered: true }, async (p) => {
      const acceptedAtMs = Date.now();
      const board = await rooms.commitStroke(socket.data.roomId, socket.data.userId, p.stroke);
      const stroke: BoardStroke = { ...p.stroke, authorId: socket.data.userId };
      toRoom(board.roomId).emit('stroke:committed', {
        stroke: { id: stroke.id, points: stroke.points },
        authorId: stroke.authorId,
        revision: board.revision,
      });
      await enqueue(board, acceptedAtMs);
      return { revision: board.revision };
    });

    on('board:undo', EmptyPayloadSchema, { needsRoom: true, ordered: true }, async () => {
      const acceptedAtMs = Date.now();
      const board = await rooms.undo(socket.data.roomId, socket.data.userId);
      toRoom(board.roomId).emit('stroke:removed', { strokeId: board.strokeId, revision: board.revision });
      await enqueue(board, acceptedAtMs);
      return { revision: board.revision };
    });

    on('board:redo', EmptyPayloadSchema, { needsRoom: true, ordered: true }, async () => {
      const acceptedAtMs = Date.now();
      const board = await rooms.redo(socket.data.roomId, socket.data.userId);
      toRoom(board.roomId).emit('stroke:committed', {
        stroke: { id: board.stroke.id, points: board.stroke.points },
        authorId: board.stroke.authorId,
        revision: board.revision,
      });
      await enqueue(board, acceptedAtMs);
      return { revision: board.revision };
    });

    on('board:clear', EmptyPayloadSchema, { needsRoom: true, ordered: true }, async () => {
      const acceptedAtMs = Date.now();
      const board = await rooms.clear(socket.data.roomId);
      toRoom(board.roomId).emit('board:cleared', {
        revision: board.revision,
        drawingId: board.drawingId,
        archivedDrawingId: board.archivedDrawingId,
      });
      await enqueue(board, acceptedAtMs);
      return { revision: board.revision };
    });

    on('board:recognize', EmptyPayloadSchema, { needsRoom: true, ordered: true }, async () => {
      // Rate-limited per room; at most one recognition per room waits whatever the number of requests.
      return { revision: await recognition.recognizeNow(socket.data.roomId) };
    });

    on('board:load', LoadPayloadSchema, { needsRoom: true, ordered: true }, async (p) => {
      const acceptedAtMs = Date.now();
      const board = await rooms.addStrokes(socket.data.roomId, socket.data.userId, p.strokes);
      for (const s of board.added) {
        toRoom(board.roomId).emit('stroke:committed', {
          stroke: { id: s.id, points: s.points },
          authorId: s.authorId,
          revision: board.revision,
        });
      }
      await enqueue(board, acceptedAtMs);
      return { revision: board.revision };
    });

    on('board:label', LabelPayloadSchema, { needsRoom: true, ordered: true }, async (p) => {
      await rooms.label(socket.data.roomId, socket.data.userId, p.revision, p.text);
      return {};
    });

    socket.on('disconnect', () => {
      metrics.connections.dec();
      const roomId = socket.data.roomId;
      if (roomId) void broadcastMembers(roomId).catch((err: unknown) => log.warn({ err }, 'members broadcast failed'));
    });
  });
}
