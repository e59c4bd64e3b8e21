/**
 * The Socket.IO side of the gateway: one handler per client → server event. Each payload is validated with
 * its schema from `@inkling/protocol` before anything is touched, each event is acknowledged with
 * `{ ok: true, ... }` or `{ ok: false, error: { code, message } }`, and changes of one connection are
 * applied in the order they were sent. Who acts is `socket.data.userId`: from the verified session token
 * (socket-guards.ts) or made at the first join, never from a payload. What a connection may cost is
 * bounded here: events per second, bytes per second, bytes per event, events and points waiting to be
 * applied; a connection that keeps pushing past its limits is closed with a reason.
 */
import { randomBytes } from 'node:crypto';
import {
  type AckFailure,
  type Board,
  type BoardChange,
  type BoardStroke,
  type ClientToServerEvents,
  CommitPayloadSchema,
  EmptyPayloadSchema,
  failure,
  InklingError,
  type InterServerEvents,
  JoinPayloadSchema,
  LabelPayloadSchema,
  LIMITS,
  LiveStrokePayloadSchema,
  MAX_EVENT_BYTES,
  MAX_LIVE_EVENT_BYTES,
  MAX_STROKE_EVENT_BYTES,
  type Member,
  pickColor,
  type ServerToClientEvents,
  type SocketData,
  traceNowMs,
} from '@inkling/protocol';
import type { BoardState, RoomRepository } from '@inkling/store';
import type { Logger } from 'pino';
import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import type { GatewayPeers } from './gateway-peers.js';
import { ERASE_EVENT_MAX_BYTES, registerInkToolHandlers } from './ink-tool-handlers.js';
import { registerLivenessHandler } from './liveness-handler.js';
import type { GatewayMetrics } from './metrics.js';
import { KeyedBuckets, TokenBucket } from './rate-limiter.js';
import type { RecognitionQueue } from './recognition-queue.js';
import { membersOf, RoomMembers } from './room-members.js';
import type { SessionTokens } from './session-token.js';
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
  tokens: SessionTokens;
  limits: SocketLimits;
  /** The client's address (behind trusted proxies, the forwarded one), for per-address limits. */
  clientAddress: (socket: InklingSocket) => string;
}

export interface SocketLimits {
  /** Events one connection may have waiting to be applied. */
  maxPendingEvents: number;
  /** RATE_LIMITED refusals within 10 s after which the connection is closed. */
  maxRefusalsPer10s: number;
  labelsPerMinute: number;
  roomsPerHour: number;
}

/** Largest legal size in bytes of each event as framed by Socket.IO; a bigger one is refused unread. */
export const EVENT_MAX_BYTES: Record<keyof ClientToServerEvents, number> = {
  'room:join': 2048,
  'stroke:live': MAX_LIVE_EVENT_BYTES,
  'stroke:commit': MAX_STROKE_EVENT_BYTES,
  'board:undo': 256,
  'board:redo': 256,
  'board:clear': 256,
  'board:recognize': 256,
  'board:label': 512,
  'board:load': MAX_EVENT_BYTES,
  'board:erase': ERASE_EVENT_MAX_BYTES,
  'presence:pointer': 256,
  'connection:ping': 256,
};
const KNOWN_EVENTS = new Set<string>(Object.keys(EVENT_MAX_BYTES));

/** Bytes per second one connection may send (bursts up to two full-board loads). */
const BYTES_PER_SEC = 1_000_000;
/** Points one connection may have waiting to be applied (two full boards). */
const MAX_PENDING_POINTS = 2 * LIMITS.maxPointsPerBoard;

const newId = (prefix: string) => `${prefix}${randomBytes(12).toString('base64url')}`;

function errorAck(err: unknown, log: Logger): AckFailure {
  if (err instanceof InklingError) return failure(err.code, err.message);
  // A database or Redis fault that outlasted its retries is a retryable UNAVAILABLE, never INTERNAL.
  if (isUnavailable(err)) return failure('UNAVAILABLE', 'the server is unavailable for a moment; try again');
  log.error({ err }, 'unexpected error in a socket handler');
  return failure('INTERNAL', 'the server could not complete this request; try again');
}

/** Points carried by a validated payload (what waiting events hold in memory). */
function payloadPoints(payload: unknown): number {
  // `strokes` of an erase name strokes without points.
  const p = payload as { stroke?: { points: unknown[] }; strokes?: { points?: unknown[] }[]; points?: unknown[] };
  const loaded = p.strokes?.reduce((n, s) => n + (s.points?.length ?? 0), 0) ?? 0;
  return (p.stroke?.points.length ?? 0) + loaded + (p.points?.length ?? 0);
}

/** Splits Socket.IO arguments into payload and ack (an event sent with only an ack has payload `{}`). */
function splitArgs(args: unknown[]): { payload: unknown; ack: (res: unknown) => void } {
  const last = args[args.length - 1];
  const ack = typeof last === 'function' ? (last as (res: unknown) => void) : () => undefined;
  const rest = typeof last === 'function' ? args.slice(0, -1) : args;
  return { payload: rest.length === 0 ? {} : rest[0], ack };
}

/** Labels per minute from one client address, in people's worth of LABELS_PER_MINUTE. */
export const LABELS_PER_ADDRESS_FACTOR = 10;

/** What the handlers leave running after a socket is gone. */
export interface SocketHandlers {
  /** Resolves once every departure being announced has been sent (before the gateway closes Redis). */
  settled: () => Promise<void>;
}

export function registerSocketHandlers(deps: HandlerDeps): SocketHandlers {
  const { io, rooms, recognition, metrics, log, peers, tokens, limits } = deps;
  /** Every gateway's sockets, or only this one's while no other gateway runs (no Redis round trip). */
  const everywhere = () => (peers.alone ? io.local : io);
  const toRoom = (roomId: string) => everywhere().to(roomId);
  const toOthers = (socket: InklingSocket, roomId: string) => (peers.alone ? socket.local : socket).to(roomId);
  const members = new RoomMembers();
  /** Departures being announced: their broadcast must reach Redis before the gateway closes it. */
  const departures = new Set<Promise<void>>();
  /** Everyone in a room: this gateway's list, or (with other gateways) one look at every gateway's sockets. */
  const roomMembers = async (roomId: string): Promise<Member[]> =>
    peers.alone ? members.list(roomId) : membersOf(await io.in(roomId).fetchSockets());
  const roomsCreated = new KeyedBuckets(limits.roomsPerHour / 3600, Math.max(1, Math.ceil(limits.roomsPerHour / 3)));
  const labels = new KeyedBuckets(limits.labelsPerMinute / 60, limits.labelsPerMinute);
  // User ids cost nothing to make (a connection without a token gets a new one): one address may label at
  // most LABELS_PER_ADDRESS_FACTOR people's worth (a classroom behind one NAT still can).
  const labelsByAddress = new KeyedBuckets(
    (limits.labelsPerMinute * LABELS_PER_ADDRESS_FACTOR) / 60,
    limits.labelsPerMinute * LABELS_PER_ADDRESS_FACTOR,
  );

  /** Takes a connection out of its room's member list, telling the others when it was the person's last. */
  const leaveRoom = async (socket: InklingSocket, roomId: string, userId: string): Promise<void> => {
    if (!members.remove(roomId, userId)) return;
    // Another gateway may still hold a connection of the same person.
    if (!peers.alone && (await io.in(roomId).fetchSockets()).some((s) => s.data.userId === userId && s.id !== socket.id)) return;
    toRoom(roomId).emit('member:left', { userId });
  };

  /**
   * Asks for recognition of the room's new revision. Acknowledgements wait for Postgres only: the wish to
   * recognize is already recorded there (the room's revision is ahead of its recognized revision), so the
   * request is queued in the background and a Redis outage only delays the prediction.
   */
  const enqueue = async (board: Pick<BoardState, 'roomId' | 'revision'>, acceptedAtMs: number, change?: BoardChange) => {
    recognition.request(board.roomId, board.revision, acceptedAtMs, { committedAtMs: traceNowMs(), change });
  };

  io.on('connection', (socket: InklingSocket) => {
    metrics.connections.inc();
    registerLivenessHandler(socket);
    const bucket = new TokenBucket(deps.ratePerSec);
    const bytes = new TokenBucket(BYTES_PER_SEC, 2 * MAX_EVENT_BYTES);
    // Changes from one connection are applied one after another, in the order they arrived.
    let queue: Promise<unknown> = Promise.resolve();
    let pendingEvents = 0;
    let pendingPoints = 0;
    let refusals = 0;
    let refusalWindowStart = performance.now();
    let closed = false;

    /** Counts a refusal; a connection refused too often in 10 s is closed with the reason. */
    const refused = () => {
      const now = performance.now();
      if (now - refusalWindowStart > 10_000) {
        refusalWindowStart = now;
        refusals = 0;
      }
      if (++refusals <= limits.maxRefusalsPer10s || closed) return;
      closed = true;
      log.warn({ address: deps.clientAddress(socket), refusals }, 'closing a connection that keeps exceeding its limits');
      socket.emit('connection:closed', {
        code: 'RATE_LIMITED',
        message: 'this connection kept sending faster than allowed and was closed',
      });
      socket.disconnect(true);
    };

    // The size of each incoming event, read from the transport before Socket.IO decodes it: the bytes of
    // every message since the previous event (one text message, or a header and its binary attachments).
    let lastMessageBytes = 0;
    socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
      if (packet.type !== 'message') return;
      const data = packet.data;
      lastMessageBytes += typeof data === 'string' ? data.length : ((data as { byteLength?: number } | undefined)?.byteLength ?? 0);
    });
    // Before any handler: unknown events and oversized ones get an error ack (when they have one) and go no further.
    socket.use((packet, next) => {
      const [event] = packet;
      const last = packet[packet.length - 1];
      const ack = typeof last === 'function' ? (last as (res: unknown) => void) : undefined;
      const size = lastMessageBytes;
      lastMessageBytes = 0;
      if (typeof event !== 'string' || !KNOWN_EVENTS.has(event)) {
        metrics.events.inc({ event: 'unknown', outcome: 'UNKNOWN_EVENT' });
        ack?.(failure('UNKNOWN_EVENT', `unknown event ${JSON.stringify(String(event)).slice(0, 80)}`));
        return refused();
      }
      if (size > EVENT_MAX_BYTES[event as keyof ClientToServerEvents]) {
        metrics.events.inc({ event, outcome: 'PAYLOAD_TOO_LARGE' });
        ack?.(failure('PAYLOAD_TOO_LARGE', `${event} payloads are at most ${EVENT_MAX_BYTES[event as keyof ClientToServerEvents]} bytes`));
        return refused();
      }
      if (!bytes.take(size)) {
        metrics.events.inc({ event, outcome: 'RATE_LIMITED' });
        ack?.(failure('RATE_LIMITED', 'too much data too fast; slow down'));
        return refused();
      }
      next();
    });

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
        if (!bucket.take()) {
          refused();
          return reply(failure('RATE_LIMITED', 'too many events; slow down'));
        }
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
        // What waits in this connection's queue is bounded in events and in points held in memory.
        const points = payloadPoints(parsed.data);
        if (pendingEvents >= limits.maxPendingEvents || pendingPoints + points > MAX_PENDING_POINTS) {
          refused();
          return reply(failure('RATE_LIMITED', `more than ${limits.maxPendingEvents} events waiting on this connection; slow down`));
        }
        pendingEvents++;
        pendingPoints += points;
        const done = () => {
          pendingEvents--;
          pendingPoints -= points;
        };
        const runCounted = () => run().finally(done);
        queue = queue.then(runCounted, runCounted);
      });
    }

    on(
      'room:join',
      JoinPayloadSchema,
      { needsRoom: false, ordered: true },
      async (p): Promise<{ roomId: string; userId: string; token: string; board: Board }> => {
        if (!p.roomId && !roomsCreated.take(deps.clientAddress(socket)))
          throw new InklingError(
            'RATE_LIMITED',
            `at most ${limits.roomsPerHour} new rooms per hour from one address; join an existing room`,
          );
        let state = p.roomId ? await rooms.openRoom(p.roomId) : await rooms.createRoom(newId('r'));
        // The verified token's user, or a new person: a payload never says who acts.
        const userId = socket.data.userId ?? newId('u');
        const previousRoom = socket.data.roomId;
        if (previousRoom) {
          await socket.leave(previousRoom);
          await leaveRoom(socket, previousRoom, userId);
        }
        // Their colour if already here (another tab), else their usual one unless someone in the room has it.
        const present = await roomMembers(state.roomId);
        const color =
          present.find((m) => m.userId === userId)?.color ??
          pickColor(
            userId,
            present.map((m) => m.color),
          );
        const member: Member = { userId, name: p.name, color };
        socket.data = { userId, name: p.name, roomId: state.roomId, color: member.color };
        await socket.join(state.roomId);
        members.add(state.roomId, member);
        // Re-read after joining so a change made meanwhile is either in this board or arrives as an event.
        state = (await rooms.loadBoard(state.roomId)) ?? state;
        const [prediction, list] = await Promise.all([
          rooms.latestPrediction(state.roomId, state.drawingId, state.revision),
          roomMembers(state.roomId),
        ]);
        // Sent on every join (a second tab, a new name): clients keep one entry per user id.
        toOthers(socket, state.roomId).emit('member:joined', { member });
        return {
          roomId: state.roomId,
          userId,
          token: tokens.issue(userId),
          board: { revision: state.revision, drawingId: state.drawingId, strokes: state.strokes, members: list, prediction },
        };
      },
    );

    on('stroke:live', LiveStrokePayloadSchema, { needsRoom: true, ordered: false }, async (p) => {
      toOthers(socket, socket.data.roomId).emit('stroke:live', { strokeId: p.strokeId, authorId: socket.data.userId, points: p.points });
      return {};
    });

    on('stroke:commit', CommitPayloadSchema, { needsRoom: true, ordered: true }, async (p) => {
      const acceptedAtMs = traceNowMs();
      const board = await rooms.commitStroke(socket.data.roomId, socket.data.userId, p.stroke);
      const stroke: BoardStroke = { ...p.stroke, authorId: socket.data.userId };
      toRoom(board.roomId).emit('stroke:committed', {
        stroke: { id: stroke.id, points: stroke.points },
        authorId: stroke.authorId,
        revision: board.revision,
      });
      await enqueue(board, acceptedAtMs, {
        type: 'stroke-added',
        drawingId: board.drawingId,
        baseRevision: board.revision - 1,
        rowId: board.strokeRowId,
        strokeId: stroke.id,
        points: stroke.points,
      });
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
      await enqueue(board, acceptedAtMs, { type: 'cleared', drawingId: board.drawingId });
      return { revision: board.revision };
    });

    on('board:recognize', EmptyPayloadSchema, { needsRoom: true, ordered: true }, async () => {
      // Rate-limited per room; at most one recognition per room waits whatever the number of requests.
      return { revision: await recognition.recognizeNow(socket.data.roomId) };
    });

    on('board:label', LabelPayloadSchema, { needsRoom: true, ordered: true }, async (p) => {
      if (!labels.take(socket.data.userId))
        throw new InklingError('RATE_LIMITED', `at most ${limits.labelsPerMinute} labels per minute; try again shortly`);
      if (!labelsByAddress.take(deps.clientAddress(socket)))
        throw new InklingError('RATE_LIMITED', 'too many labels from your network; try again shortly');
      await rooms.label(socket.data.roomId, socket.data.userId, p.revision, p.text);
      return {};
    });

    // Undo, redo, the eraser, Load and pointers (ink-tool-handlers.ts), through the same `on`.
    registerInkToolHandlers({ socket, rooms, on, toRoom, toOthers: (roomId) => toOthers(socket, roomId), enqueue });

    socket.on('disconnect', () => {
      metrics.connections.dec();
      const { roomId, userId } = socket.data;
      if (!roomId || !userId) return;
      const leaving = leaveRoom(socket, roomId, userId)
        .catch((err: unknown) => log.warn({ err }, 'member:left broadcast failed'))
        .finally(() => departures.delete(leaving));
      departures.add(leaving);
    });
  });

  return {
    settled: async () => {
      while (departures.size > 0) await Promise.all(departures);
    },
  };
}
