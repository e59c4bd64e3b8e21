/**
 * One room, live: the socket connection and its state (connecting / live / reconnecting), the board view
 * kept up to date from server events, and an outbox so strokes drawn while offline are sent once the
 * connection is back: never lost, never duplicated (the server refuses a stroke id it already has).
 */
import {
  type AckResult,
  type ClientToServerEvents,
  type ErrorCode,
  JoinPayloadSchema,
  type LabelPayload,
  PredictionSchema,
  type ServerToClientEvents,
  type Stroke,
} from '@inkling/protocol';
import { io, type Socket } from 'socket.io-client';
import { reactive } from 'vue';
import {
  addPending,
  applyCleared,
  applyCommitted,
  applyLive,
  applyPrediction,
  applyRemoved,
  type BoardView,
  dropPending,
  emptyBoard,
  expireLive,
  fromServer,
} from './board-state.js';
import { browserTokenStorage, type TokenStorage } from './identity.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface RoomState {
  connection: ConnectionState;
  roomId: string | null;
  userId: string | null;
  name: string;
  board: BoardView;
  /** The last error worth telling the person about, with its stable code. */
  error: { code: ErrorCode | 'NETWORK'; message: string } | null;
}

export interface RoomStoreOptions {
  url: string;
  name: string;
  roomId?: string | undefined;
  /** Where the session token is kept between page loads (default: the browser's localStorage). */
  tokens?: TokenStorage;
  /** Called whenever the server confirms who we are in which room. */
  onJoined?: (roomId: string, userId: string) => void;
  ackTimeoutMs?: number;
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type Ack<E extends keyof ClientToServerEvents> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK',
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export type RoomStore = ReturnType<typeof createRoomStore>;

export function createRoomStore(opts: RoomStoreOptions) {
  const name = JoinPayloadSchema.shape.name.parse(opts.name);
  const tokens = opts.tokens ?? browserTokenStorage;
  // Who we are: proven with the server's token in every handshake, never claimed in a payload.
  let token = tokens.get();
  const state = reactive<RoomState>({
    connection: 'connecting',
    roomId: opts.roomId ?? null,
    userId: null,
    name,
    board: emptyBoard(),
    error: null,
  });
  const ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  const socket: ClientSocket = io(opts.url, {
    transports: ['websocket'],
    reconnectionDelay: 300,
    reconnectionDelayMax: 3000,
    // Read at every (re)connection, so a token received or forgotten since is used.
    auth: (cb) => cb(token ? { token } : {}),
  });
  let joined = false;
  let flushing = false;
  const joinWaiters: (() => void)[] = [];

  const call = async <E extends keyof ClientToServerEvents>(event: E, payload: Parameters<ClientToServerEvents[E]>[0]): Promise<Ack<E>> => {
    if (!joined) throw new RequestError('NETWORK', 'not connected to the room right now');
    try {
      // biome-ignore lint/suspicious/noExplicitAny: socket.io cannot narrow emitWithAck's overloads per event here
      return (await (socket.timeout(ackTimeoutMs) as any).emitWithAck(event, payload)) as Ack<E>;
    } catch {
      throw new RequestError('NETWORK', 'the server did not answer in time');
    }
  };

  const fail = (code: ErrorCode | 'NETWORK', message: string) => {
    state.error = { code, message };
  };

  /** Unwraps an ack: the ok value, or a RequestError carrying the server's code. */
  const okOrThrow = <T extends object>(ack: AckResult<T>): T => {
    if (ack.ok) return ack;
    fail(ack.error.code, ack.error.message);
    throw new RequestError(ack.error.code, ack.error.message);
  };

  async function join(): Promise<void> {
    let ack: Ack<'room:join'>;
    try {
      ack = (await (socket.timeout(ackTimeoutMs) as ClientSocket).emitWithAck('room:join', {
        ...(state.roomId ? { roomId: state.roomId } : {}),
        name: state.name,
      })) as Ack<'room:join'>;
    } catch {
      fail('NETWORK', 'joining the room timed out; retrying');
      socket.disconnect().connect();
      return;
    }
    if (!ack.ok) {
      fail(ack.error.code, ack.error.message);
      state.connection = 'closed';
      socket.disconnect();
      return;
    }
    state.roomId = ack.roomId;
    state.userId = ack.userId;
    token = ack.token;
    tokens.set(ack.token);
    state.board = fromServer(ack.board, state.board.pending, ack.userId);
    state.connection = 'live';
    joined = true;
    opts.onJoined?.(ack.roomId, ack.userId);
    for (const w of joinWaiters.splice(0)) w();
    void flush();
  }

  /** Sends pending strokes in order, one at a time; stops when the connection drops and resumes on rejoin. */
  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      for (let next = state.board.pending[0]; next && joined; next = state.board.pending[0]) {
        let ack: Ack<'stroke:commit'>;
        try {
          ack = await call('stroke:commit', { stroke: { id: next.id, points: next.points } });
        } catch {
          return; // offline or no answer: the stroke stays pending and goes out after the next join
        }
        if (ack.ok) {
          // The stroke:committed broadcast normally arrives first; this covers a lost broadcast.
          applyCommitted(state.board, { stroke: next, authorId: state.userId ?? '', revision: ack.revision }, state.userId);
        } else if (ack.error.code === 'DUPLICATE_STROKE') {
          dropPending(state.board, next.id); // delivered before the connection dropped
        } else {
          dropPending(state.board, next.id);
          fail(ack.error.code, ack.error.message);
        }
      }
    } finally {
      flushing = false;
    }
  }

  socket.on('connect', () => {
    void join();
  });
  socket.on('disconnect', (reason) => {
    joined = false;
    // Nothing queued by socket.io while offline: the outbox resends what matters, after rejoining.
    socket.sendBuffer = [];
    state.board.live.clear();
    if (reason === 'io client disconnect') state.connection = 'closed';
    else state.connection = 'reconnecting';
  });
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    if (err.data?.code === 'INVALID_TOKEN') {
      // Forged, expired or from another deployment: forget it and come back as a new person.
      token = null;
      tokens.forget();
      if (!socket.active) socket.connect();
    }
    if (state.connection !== 'closed') state.connection = state.roomId && state.board.revision > 0 ? 'reconnecting' : 'connecting';
  });
  socket.on('connection:closed', (e) => fail(e.code, e.message));
  socket.on('stroke:committed', (e) => applyCommitted(state.board, e, state.userId));
  socket.on('stroke:removed', (e) => applyRemoved(state.board, e));
  socket.on('board:cleared', (e) => applyCleared(state.board, e));
  socket.on('stroke:live', (e) => applyLive(state.board, e, Date.now()));
  socket.on('member:joined', ({ member }) => {
    state.board.members = [...state.board.members.filter((m) => m.userId !== member.userId), member];
  });
  socket.on('member:left', ({ userId }) => {
    state.board.members = state.board.members.filter((m) => m.userId !== userId);
  });
  socket.on('prediction', (p) => {
    const parsed = PredictionSchema.safeParse(p);
    if (parsed.success && parsed.data.roomId === state.roomId) applyPrediction(state.board, parsed.data);
  });
  const expiry = setInterval(() => expireLive(state.board, Date.now()), 1000);

  return {
    state,
    /** Resolves once joined (immediately if already). */
    ready(): Promise<void> {
      return joined ? Promise.resolve() : new Promise((resolve) => joinWaiters.push(resolve));
    },
    /** A finished stroke: shown at once as pending, committed when possible. */
    commit(stroke: Stroke): void {
      addPending(state.board, stroke);
      void flush();
    },
    /** Points of the stroke being drawn, for the others (dropped while offline). */
    sendLive(strokeId: string, points: Stroke['points']): void {
      if (joined && points.length > 0) socket.volatile.emit('stroke:live', { strokeId, points }, () => undefined);
    },
    async undo(): Promise<number> {
      return okOrThrow(await call('board:undo', {})).revision;
    },
    async redo(): Promise<number> {
      return okOrThrow(await call('board:redo', {})).revision;
    },
    async clear(): Promise<number> {
      return okOrThrow(await call('board:clear', {})).revision;
    },
    async recognize(): Promise<number> {
      return okOrThrow(await call('board:recognize', {})).revision;
    },
    async label(payload: LabelPayload): Promise<void> {
      okOrThrow(await call('board:label', payload));
    },
    async load(strokes: Stroke[]): Promise<number> {
      return okOrThrow(await call('board:load', { strokes })).revision;
    },
    clearError(): void {
      state.error = null;
    },
    /** For tests and the offline toggle: drop and restore the connection. */
    goOffline(): void {
      socket.disconnect();
      state.connection = 'reconnecting';
    },
    goOnline(): void {
      if (!socket.connected) socket.connect();
    },
    close(): void {
      clearInterval(expiry);
      socket.disconnect();
      state.connection = 'closed';
    },
  };
}
