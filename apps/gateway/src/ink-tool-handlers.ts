/**
 * The ink tools of a room, one handler per event: undo and redo (of strokes and of erasures), the eraser,
 * Load (adding to the board or replacing it) and where each person's pointer is. Registered on each
 * connection by socket-handlers.ts, through its `on`, so every event here is validated, rate-limited,
 * ordered and acknowledged exactly like the others.
 */
import {
  type BoardStroke,
  type ClientToServerEvents,
  EmptyPayloadSchema,
  ErasePayloadSchema,
  InklingError,
  LIMITS,
  LoadPayloadSchema,
  PointerPayloadSchema,
  pointCount,
  type ServerToClientEvents,
} from '@inkling/protocol';
import type { BoardState, RoomRepository, StepChanges } from '@inkling/store';
import type { BroadcastOperator, Socket } from 'socket.io';
import type { z } from 'zod';
import { TokenBucket } from './rate-limiter.js';

/** Largest legal `board:erase` event in bytes: a whole board's strokes, each `{"id":"…64…","authorId":"…64…"},`. */
export const ERASE_EVENT_MAX_BYTES = LIMITS.maxStrokesPerBoard * (2 * LIMITS.maxStrokeIdLength + 32) + 1024;

/** Pointer positions relayed per second and connection (clients send about 15); more are refused. */
export const POINTERS_PER_SEC = 30;

type Emitter = Pick<BroadcastOperator<ServerToClientEvents, unknown>, 'emit'>;

export interface InkToolDeps {
  socket: Socket<ClientToServerEvents, ServerToClientEvents, Record<never, never>, { userId: string; roomId: string }>;
  rooms: RoomRepository;
  /** socket-handlers.ts's registration: schema check, limits, ordering, ack, metrics. */
  on: <S extends z.ZodType, R>(
    event: keyof ClientToServerEvents,
    schema: S,
    options: { needsRoom: boolean; ordered: boolean },
    handler: (payload: z.infer<S>) => Promise<R>,
  ) => void;
  /** Everyone in the room (this connection included). */
  toRoom: (roomId: string) => Emitter;
  /** Everyone in the room but this connection. */
  toOthers: (roomId: string) => Emitter;
  /** Asks for recognition of the board's new revision (as a commit does). */
  enqueue: (board: Pick<BoardState, 'roomId' | 'revision'>, acceptedAtMs: number) => Promise<void>;
}

export function registerInkToolHandlers(deps: InkToolDeps): void {
  const { socket, rooms, on, toRoom, toOthers, enqueue } = deps;
  const pointers = new TokenBucket(POINTERS_PER_SEC);

  /** Tells the room what a step changed: strokes off the board, strokes back on it. */
  const announce = (roomId: string, step: StepChanges) => {
    for (const strokeId of step.removed)
      toRoom(roomId).emit('stroke:removed', { strokeId, authorId: socket.data.userId, revision: step.revision });
    for (const s of step.restored) announceAdded(roomId, s, step.revision);
  };
  const announceAdded = (roomId: string, s: BoardStroke, revision: number) =>
    toRoom(roomId).emit('stroke:committed', { stroke: { id: s.id, points: s.points }, authorId: s.authorId, revision });

  on('board:undo', EmptyPayloadSchema, { needsRoom: true, ordered: true }, async () => {
    const acceptedAtMs = Date.now();
    const board = await rooms.undo(socket.data.roomId, socket.data.userId);
    announce(board.roomId, board);
    await enqueue(board, acceptedAtMs);
    return { revision: board.revision };
  });

  on('board:redo', EmptyPayloadSchema, { needsRoom: true, ordered: true }, async () => {
    const acceptedAtMs = Date.now();
    const board = await rooms.redo(socket.data.roomId, socket.data.userId);
    announce(board.roomId, board);
    await enqueue(board, acceptedAtMs);
    return { revision: board.revision };
  });

  on('board:erase', ErasePayloadSchema, { needsRoom: true, ordered: true }, async (p) => {
    // Names are not authority: a stroke of someone else is refused, whatever its id.
    const foreign = p.strokes.find((s) => s.authorId !== socket.data.userId);
    if (foreign) throw new InklingError('NOT_YOUR_STROKE', `stroke ${foreign.id} is someone else's: you can erase only your own strokes`);
    const acceptedAtMs = Date.now();
    const board = await rooms.erase(
      socket.data.roomId,
      socket.data.userId,
      p.strokes.map((s) => s.id),
    );
    announce(board.roomId, { revision: board.revision, removed: board.removed, restored: [] });
    await enqueue(board, acceptedAtMs);
    return { revision: board.revision };
  });

  on('board:load', LoadPayloadSchema, { needsRoom: true, ordered: true }, async (p) => {
    const acceptedAtMs = Date.now();
    const roomId = socket.data.roomId;
    if (p.replace) {
      // Checked before the board is archived: a load that cannot fit an empty board changes nothing.
      if (pointCount(p.strokes) > LIMITS.maxPointsPerBoard)
        throw new InklingError('BOARD_FULL', `a board holds at most ${LIMITS.maxPointsPerBoard} points; this drawing has more`);
      const cleared = await rooms.clear(roomId);
      toRoom(roomId).emit('board:cleared', {
        revision: cleared.revision,
        drawingId: cleared.drawingId,
        archivedDrawingId: cleared.archivedDrawingId,
      });
    }
    const board = await rooms.addStrokes(roomId, socket.data.userId, p.strokes);
    for (const s of board.added) announceAdded(board.roomId, s, board.revision);
    await enqueue(board, acceptedAtMs);
    return { revision: board.revision };
  });

  on('presence:pointer', PointerPayloadSchema, { needsRoom: true, ordered: false }, async (p) => {
    // A pointer is a courtesy: past its own rate it is dropped with RATE_LIMITED, and never stored.
    if (!pointers.take()) throw new InklingError('RATE_LIMITED', `at most ${POINTERS_PER_SEC} pointer positions per second`);
    toOthers(socket.data.roomId).emit('presence:pointer', { userId: socket.data.userId, position: p.position });
    return {};
  });
}
