/**
 * A client of one Inkling room, for any Node or browser program: the Socket.IO connection and its state,
 * the identity the server issued (a session token sent in every handshake), an outbox that keeps each
 * stroke until the server acknowledges or definitively refuses it (persisted across reloads), reconnection
 * after any kind of disconnect, and a resync of the board on every (re)join. Changes are reported as typed
 * events and in `state`, which a UI framework can observe (`observe: reactive` in Vue).
 */
import {
  type AckResult,
  type ClientToServerEvents,
  type ErrorCode,
  JoinPayloadSchema,
  type LabelPayload,
  type Member,
  type Point,
  type Prediction,
  PredictionSchema,
  type ServerToClientEvents,
  type Stroke,
  type StrokeRef,
} from '@inkling/protocol';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  applyCleared,
  applyCommitted,
  applyLive,
  applyMemberJoined,
  applyMemberLeft,
  applyPointer,
  applyPrediction,
  applyRemoved,
  type BoardView,
  emptyBoard,
  expireLive,
  type RefusedStroke,
  resyncBoard,
} from './board-view.js';
import { type ClientStats, emptyStats } from './client-stats.js';
import { type ConnectionState, connectionStateOf } from './connection-state.js';
import { type BackoffOptions, DEFAULT_BACKOFF, dispositionOf, retryDelayMs } from './delivery-policy.js';
import { indexedDbOutboxStore } from './indexeddb-outbox-store.js';
import { DEFAULT_LIVENESS, LivenessMonitor, type LivenessOptions } from './liveness.js';
import { browserNetworkMonitor, type NetworkMonitor } from './network-monitor.js';
import { Outbox, type SendOutcome, type Settlement } from './outbox.js';
import { memoryOutboxStore, type OutboxStore } from './outbox-store.js';
import { defaultTokenStorage, type TokenStorage } from './token-storage.js';
import { TypedEmitter } from './typed-emitter.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface InklingClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:3000` (the page's origin in a browser). */
  url: string;
  /** Display name (validated like the server does). */
  name: string;
  /** The room to join; omitted, the first join creates one (`state.roomId` then names it). */
  roomId?: string | undefined;
  /** Where the session token lives (default: localStorage in a browser, memory elsewhere). */
  tokens?: TokenStorage;
  /** Where undelivered strokes live (default: IndexedDB in a browser, memory elsewhere). */
  outbox?: OutboxStore;
  /** Wait for an acknowledgement this long before resending on the same connection (ms, default 5000). */
  ackTimeoutMs?: number;
  /** Application-level liveness check (default: on, see `DEFAULT_LIVENESS`); `false` turns it off. */
  liveness?: Partial<LivenessOptions> | false;
  /** The platform's network status (default: the browser's online/offline events; none in Node); null for none. */
  network?: NetworkMonitor | null;
  /** Wraps `state` once, e.g. Vue's `reactive`; the client then changes state only through the returned object. */
  observe?: <T extends object>(value: T) => T;
  /** Retry delays of strokes refused with a retryable code or unanswered. */
  backoff?: BackoffOptions;
  /** Extra Socket.IO options (tests: transports, timeouts). */
  socket?: Partial<ManagerOptions & SocketOptions>;
  /** Clock (ms) and randomness, replaceable in tests. */
  now?: () => number;
  random?: () => number;
}

/** Something worth telling the person: a refusal with the server's code, or a network problem. */
export interface ClientError {
  code: ErrorCode | 'NETWORK';
  message: string;
}

export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode | 'NETWORK',
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface ClientStatus {
  connection: ConnectionState;
  /** Strokes drawn here and not acknowledged yet. */
  pendingCount: number;
  /** Strokes the server refused for good (still shown). */
  refusedCount: number;
}

export interface ClientState extends ClientStatus {
  roomId: string | null;
  userId: string | null;
  name: string;
  board: BoardView;
  /** The last problem worth telling the person about (cleared by `clearError`). */
  error: ClientError | null;
}

export type DeliveryRoute =
  /** Acknowledged `{ ok: true }`. */
  | 'ack'
  /** Answered DUPLICATE_STROKE: it had landed before (a resend after a lost ack). */
  | 'duplicate'
  /** Its `stroke:committed` broadcast arrived before the ack. */
  | 'broadcast'
  /** The board of a (re)join holds it: it had landed before the connection dropped. */
  | 'resync';

export interface ClientEvents {
  /** The connection state or a count changed. */
  state: ClientStatus;
  /** Joined (again): the board was replaced by the server's. */
  joined: { roomId: string; userId: string; rejoin: boolean; revision: number };
  /** The server gave a different identity than before (e.g. the stored token was refused). */
  identity: { userId: string; previousUserId: string | null };
  'stroke:committed': { stroke: Stroke; authorId: string; revision: number };
  'stroke:removed': { strokeId: string; authorId?: string; revision: number };
  'board:cleared': { revision: number; drawingId: number; archivedDrawingId: number };
  'stroke:live': { strokeId: string; authorId: string; points: Point[] };
  /** Someone's pointer moved over the board or left it (`null`); `board.pointers` holds where each one is. */
  'presence:pointer': { userId: string; position: [number, number] | null };
  /** Everyone in the room now (after a join, or someone arriving or leaving). */
  members: Member[];
  prediction: Prediction;
  /** One of our strokes is on the server's board; each stroke is reported once. */
  'stroke:delivered': { roomId: string; authorId: string; stroke: Stroke; revision: number | null; route: DeliveryRoute };
  /** One of our strokes was refused for good; it stays in `board.refused`. */
  'stroke:refused': RefusedStroke;
  /** A send of one of our strokes ended without a verdict; it goes again after `delayMs`. */
  'stroke:retrying': { strokeId: string; reason: string; attempt: number; delayMs: number };
  error: ClientError;
}

type EventName = keyof ClientToServerEvents;
type Payload<E extends EventName> = Parameters<ClientToServerEvents[E]>[0];
type Ack<E extends EventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
type Answer<E extends EventName> = { type: 'ack'; ack: Ack<E> } | { type: 'timeout' } | { type: 'disconnected' };
type OkOf<A> = A extends { ok: true } ? A : never;

type RoomEventName = Exclude<keyof ServerToClientEvents, 'connection:closed'>;
/** Room events that arrive while a join is in flight, applied after the join's board. */
type Buffered = { [K in RoomEventName]: { event: K; payload: Parameters<ServerToClientEvents[K]>[0] } }[RoomEventName];

const identity = <T>(value: T): T => value;

/** Shortest time between two pointer positions sent (about 15 per second; the server relays up to 30). */
export const POINTER_INTERVAL_MS = 66;

/** Wait after the server closed the connection with a stated reason (`connection:closed`), in ms. */
const PENALTY_RECONNECT_MS = 5000;

/** Events that change the board's strokes: already in a join's board when not newer than its revision. */
const changesBoard = (b: Buffered): b is Extract<Buffered, { event: 'stroke:committed' | 'stroke:removed' | 'board:cleared' }> =>
  b.event === 'stroke:committed' || b.event === 'stroke:removed' || b.event === 'board:cleared';

export class InklingClient extends TypedEmitter<ClientEvents> {
  readonly state: ClientState;
  /** Counters for load and chaos runs (never reset). */
  readonly stats: ClientStats = emptyStats();
  /** The underlying Socket.IO socket (read-only use: tests, diagnostics). */
  readonly socket: ClientSocket;

  private readonly outbox: Outbox;
  private readonly store: OutboxStore;
  private readonly tokens: TokenStorage;
  private readonly liveness: LivenessMonitor | null;
  private readonly livenessOptions: LivenessOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly ackTimeoutMs: number;

  private token: string | null;
  private closed = false;
  private userOffline = false;
  private networkOffline = false;
  private joined = false;
  private everJoined = false;
  private suspect = false;
  private joining = false;
  private buffered: Buffered[] = [];
  /** Increases with every new connection, so an answer from an old one is recognised as such. */
  private connectionSeq = 0;
  private reconnectAttempts = 0;
  /** When the server last announced it would close the connection (`connection:closed`). */
  private closedByServerAt: number | null = null;
  private lastSeq = 0;
  private pumping = false;
  private storeRoomId: string | null = null;
  private storeWrites: Promise<void> = Promise.resolve();
  private lastStatus: ClientStatus | null = null;
  private readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Called after every change of the outbox. */
  private outboxWatchers: (() => void)[] = [];
  private pumpTimer: ReturnType<typeof setTimeout> | null = null;
  /** The pointer position waiting to be sent (undefined: none), and when the last one went. */
  private pointerNext: [number, number] | null | undefined = undefined;
  private pointerSentAt = Number.NEGATIVE_INFINITY;
  private pointerTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private livenessTimer: ReturnType<typeof setInterval> | null = null;
  private readonly expiryTimer: ReturnType<typeof setInterval>;
  private readonly unsubscribeNetwork: () => void;

  constructor(options: InklingClientOptions) {
    super();
    const name = JoinPayloadSchema.shape.name.parse(options.name);
    const browser = typeof globalThis.window === 'object';
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5000;
    this.tokens = options.tokens ?? defaultTokenStorage();
    this.store = options.outbox ?? (browser ? indexedDbOutboxStore() : memoryOutboxStore());
    this.token = this.tokens.get();
    this.outbox = new Outbox({ backoff: this.backoff, random: this.random });
    this.livenessOptions = { ...DEFAULT_LIVENESS, ...(options.liveness || {}) };
    this.liveness = options.liveness === false ? null : new LivenessMonitor(this.livenessOptions, this.now());
    this.state = (options.observe ?? identity)<ClientState>({
      connection: 'connecting',
      pendingCount: 0,
      refusedCount: 0,
      roomId: options.roomId ?? null,
      userId: null,
      name,
      board: emptyBoard(),
      error: null,
    });

    this.socket = io(options.url, {
      transports: ['websocket'],
      // Each client its own connection: simulated clients in one process must not share (and drop) one.
      forceNew: true,
      autoConnect: false,
      reconnectionDelay: 300,
      reconnectionDelayMax: 3000,
      // A connection attempt into a dead network gives up after this and tries again.
      timeout: 5000,
      // Read at every (re)connection, so a token received or forgotten since is the one sent.
      auth: (cb) => cb(this.token ? { token: this.token } : {}),
      ...options.socket,
    });
    this.wireSocket();

    const network = options.network === undefined ? browserNetworkMonitor() : options.network;
    this.networkOffline = network ? !network.isOnline() : false;
    this.unsubscribeNetwork = network ? network.subscribe((online) => this.setNetworkOffline(!online)) : () => undefined;
    this.expiryTimer = setInterval(() => expireLive(this.state.board, this.now()), 1000);
    this.updateState();
    void this.start(options.roomId ?? null);
  }

  // ---- public API ----

  /** Resolves once joined (at once if joined now); rejects if the client closes first. */
  ready(): Promise<void> {
    if (this.joined) return Promise.resolve();
    if (this.closed) return Promise.reject(new RequestError('NETWORK', 'the client is closed'));
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /**
   * A finished stroke: shown at once as pending, sent as soon as possible, kept until the server answers.
   * False when the client is closed or already has a stroke with this id.
   */
  commit(stroke: Stroke): boolean {
    if (this.closed) return false;
    this.lastSeq = Math.max(this.lastSeq + 1, this.now() * 1000);
    if (!this.outbox.add(stroke, this.lastSeq)) return false;
    this.stats.strokesQueued++;
    this.persist(stroke.id);
    this.syncOutbox();
    void this.pump();
    return true;
  }

  /** Points of the stroke being drawn, for the others (dropped while not live: only finished strokes matter). */
  sendLive(strokeId: string, points: Point[]): void {
    if (this.joined && points.length > 0) this.socket.volatile.emit('stroke:live', { strokeId, points }, () => undefined);
  }

  /** Undoes this person's last stroke, after the strokes drawn before it have been delivered. */
  async undo(): Promise<number> {
    return (await this.call('board:undo', {})).revision;
  }

  async redo(): Promise<number> {
    return (await this.call('board:redo', {})).revision;
  }

  /** Clears the board for everyone; strokes refused here are let go too (they were on this board). */
  async clear(): Promise<number> {
    const { revision } = await this.call('board:clear', {});
    for (const r of this.outbox.refused) this.dismissRefused(r.stroke.id);
    return revision;
  }

  async recognize(): Promise<number> {
    return (await this.call('board:recognize', {})).revision;
  }

  async label(payload: LabelPayload): Promise<void> {
    await this.call('board:label', payload);
  }

  /** Adds saved strokes to the board, or with `replace` puts them on a fresh board (the old one goes to the history). */
  async load(strokes: Stroke[], options: { replace?: boolean } = {}): Promise<number> {
    return (await this.call('board:load', options.replace ? { strokes, replace: true } : { strokes })).revision;
  }

  /**
   * The eraser: takes these strokes of ours off the board (one step of our undo history). Refused with
   * NOT_YOUR_STROKE for someone else's, STROKE_NOT_FOUND for one no longer on the board; then nothing changed.
   */
  async erase(strokes: StrokeRef[]): Promise<number> {
    return (await this.call('board:erase', { strokes })).revision;
  }

  /**
   * Where our pointer is over the board (board units), or `null` when it left: sent at most every
   * POINTER_INTERVAL_MS (the latest position wins), only while joined, never queued or retried.
   */
  sendPointer(position: [number, number] | null): void {
    if (!this.joined) return;
    this.pointerNext = position;
    const waitMs = this.pointerSentAt + POINTER_INTERVAL_MS - this.now();
    if (waitMs <= 0) this.flushPointer();
    else
      this.pointerTimer ??= setTimeout(() => {
        this.pointerTimer = null;
        this.flushPointer();
      }, waitMs);
  }

  private flushPointer(): void {
    const position = this.pointerNext;
    if (position === undefined || !this.joined) return;
    this.pointerNext = undefined;
    this.pointerSentAt = this.now();
    this.socket.volatile.emit('presence:pointer', { position }, () => undefined);
  }

  /** Sends a refused stroke again (e.g. after the board was cleared). */
  retryRefused(strokeId: string): boolean {
    if (!this.outbox.retryRefused(strokeId)) return false;
    this.persist(strokeId);
    this.syncOutbox();
    void this.pump();
    return true;
  }

  /** Lets a refused stroke go (the person has seen it). */
  dismissRefused(strokeId: string): boolean {
    if (!this.outbox.dismissRefused(strokeId)) return false;
    this.stats.strokesDismissed++;
    this.unpersist(strokeId);
    this.syncOutbox();
    return true;
  }

  clearError(): void {
    this.state.error = null;
  }

  /** Resolves true when no stroke is pending (all delivered or refused), or false after `timeoutMs`. */
  drained(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    return this.outboxUntil(() => this.outbox.size === 0, timeoutMs);
  }

  /** Strokes ever given to this client that are neither delivered, refused, dismissed nor pending: always 0. */
  inkDropped(): number {
    const s = this.stats;
    return s.strokesQueued + s.strokesRestored - s.strokesDelivered - s.strokesDismissed - this.outbox.size - this.outbox.refused.length;
  }

  /** Stay offline (strokes keep queueing) until `goOnline()`. */
  goOffline(): void {
    this.userOffline = true;
    this.applyOffline();
  }

  goOnline(): void {
    this.userOffline = false;
    this.applyOffline();
  }

  /** Disconnects for good; undelivered strokes stay in the outbox store for the next client of this room. */
  async close(): Promise<void> {
    if (this.closed) return this.storeWrites;
    this.closed = true;
    this.joined = false;
    for (const t of [this.pumpTimer, this.reconnectTimer, this.pointerTimer]) if (t) clearTimeout(t);
    this.stopLiveness();
    clearInterval(this.expiryTimer);
    this.unsubscribeNetwork();
    this.socket.disconnect();
    for (const w of this.readyWaiters.splice(0)) w.reject(new RequestError('NETWORK', 'the client is closed'));
    this.updateState();
    await this.storeWrites;
  }

  // ---- start-up, connection and identity ----

  private async start(roomId: string | null): Promise<void> {
    if (roomId) await this.restore(roomId);
    if (!this.closed && !this.userOffline && !this.networkOffline) this.socket.connect();
  }

  /** Puts back the strokes an earlier session of this room could not deliver. */
  private async restore(roomId: string): Promise<void> {
    this.storeRoomId = roomId;
    try {
      const stored = await this.store.load(roomId);
      const added = this.outbox.restore(stored);
      this.stats.strokesRestored += added;
      for (const s of stored) this.lastSeq = Math.max(this.lastSeq, s.seq);
      if (added > 0) this.syncOutbox();
    } catch (err) {
      this.fail('NETWORK', `could not read strokes kept from earlier: ${(err as Error).message}`);
    }
  }

  private wireSocket(): void {
    const socket = this.socket;
    socket.io.on('open', () => {
      // Anything from the server, heartbeats included, is a sign of life.
      socket.io.engine.on('packet', () => this.liveness?.heard(this.now()));
    });
    socket.on('connect', () => this.onConnected());
    socket.on('disconnect', (reason) => this.onDisconnected(reason));
    socket.on('connect_error', (err: Error & { data?: { code?: string; message?: string } }) => this.onConnectError(err));
    socket.on('stroke:committed', (e) => this.onRoomEvent({ event: 'stroke:committed', payload: e }));
    socket.on('stroke:removed', (e) => this.onRoomEvent({ event: 'stroke:removed', payload: e }));
    socket.on('board:cleared', (e) => this.onRoomEvent({ event: 'board:cleared', payload: e }));
    socket.on('stroke:live', (e) => this.onRoomEvent({ event: 'stroke:live', payload: e }));
    socket.on('member:joined', (e) => this.onRoomEvent({ event: 'member:joined', payload: e }));
    socket.on('member:left', (e) => this.onRoomEvent({ event: 'member:left', payload: e }));
    socket.on('connection:closed', (e) => this.onClosedByServer(e.code, e.message));
    socket.on('prediction', (e) => this.onRoomEvent({ event: 'prediction', payload: e }));
    socket.on('presence:pointer', (e) => this.onRoomEvent({ event: 'presence:pointer', payload: e }));
  }

  private onConnected(): void {
    this.connectionSeq++;
    this.stats.connects++;
    this.suspect = false;
    this.liveness?.reset(this.now());
    this.outbox.reconnected();
    this.startLiveness();
    void this.join();
  }

  private onDisconnected(reason: string): void {
    this.joined = false;
    this.joining = false;
    this.buffered = [];
    this.stats.disconnects++;
    this.stats.disconnectsByReason[reason] = (this.stats.disconnectsByReason[reason] ?? 0) + 1;
    this.stopLiveness();
    // Nothing queued by Socket.IO while disconnected: the outbox resends what matters after the next join.
    this.socket.sendBuffer = [];
    this.state.board.live.clear();
    // After these two Socket.IO does not reconnect by itself; a server that closed the connection
    // (shutting down, or another gateway's turn) gets a new attempt, a client that closed it does not.
    if (reason === 'io server disconnect') {
      const told = this.closedByServerAt !== null && this.now() - this.closedByServerAt < 5000;
      this.closedByServerAt = null;
      this.scheduleReconnect(told ? PENALTY_RECONNECT_MS : undefined);
    }
    this.updateState();
  }

  /** The server says why it is about to close this connection (e.g. RATE_LIMITED for a flood). */
  private onClosedByServer(code: ErrorCode, message: string): void {
    this.countError(code);
    this.fail(code, message);
    // Come back, but not at once: the server closed it for a reason.
    this.closedByServerAt = this.now();
  }

  private onConnectError(err: Error & { data?: { code?: string; message?: string } }): void {
    const code = err.data?.code ?? 'CONNECT_ERROR';
    this.countError(code);
    if (code === 'INVALID_TOKEN') {
      // Forged, expired or from another deployment: forget it and come back as a new person.
      this.forgetToken();
    }
    // A refusal by the server's middleware leaves reconnecting to us; a transport error does not.
    if (!this.socket.active) this.scheduleReconnect(code === 'INVALID_TOKEN' ? 0 : undefined);
    this.updateState();
  }

  private forgetToken(): void {
    this.token = null;
    this.tokens.forget();
    this.stats.tokensRefused++;
  }

  private scheduleReconnect(delayMs = retryDelayMs(++this.reconnectAttempts, this.backoff, this.random)): void {
    if (this.closed || this.userOffline || this.networkOffline) return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closed && !this.userOffline && !this.networkOffline && !this.socket.connected) this.socket.connect();
    }, delayMs);
  }

  /** Drops the current transport; Socket.IO then reconnects with its backoff. */
  private restartConnection(): void {
    this.stats.restarts++;
    const engine = this.socket.io.engine;
    if (engine) engine.close();
    else this.scheduleReconnect();
  }

  private setNetworkOffline(offline: boolean): void {
    this.networkOffline = offline;
    this.applyOffline();
  }

  private applyOffline(): void {
    if (this.closed) return;
    if (this.userOffline || this.networkOffline) {
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.socket.disconnect();
    } else if (!this.socket.connected && !this.socket.active) {
      this.reconnectAttempts = 0;
      this.socket.connect();
    }
    this.updateState();
  }

  private async join(): Promise<void> {
    const seq = this.connectionSeq;
    this.joining = true;
    this.buffered = [];
    // Who we are is not in the payload: the handshake carried the token.
    const payload: Payload<'room:join'> = { ...(this.state.roomId ? { roomId: this.state.roomId } : {}), name: this.state.name };
    const answer = await this.request('room:join', payload, this.ackTimeoutMs);
    if (seq !== this.connectionSeq || this.closed || !this.socket.connected) return; // a newer connection joins for itself
    if (answer.type === 'timeout') {
      this.countError('TIMEOUT');
      this.fail('NETWORK', 'joining the room timed out; retrying');
      this.restartConnection();
      return;
    }
    if (answer.type === 'disconnected') return;
    const ack = answer.ack;
    if (!ack.ok) return this.joinRefused(ack.error.code, ack.error.message);
    this.joinAccepted(ack);
  }

  private joinRefused(code: ErrorCode, message: string): void {
    this.joining = false;
    this.countError(code);
    this.fail(code, message);
    switch (dispositionOf(code)) {
      case 'retry':
      case 'rejoin':
      case 'delivered': {
        const seq = this.connectionSeq;
        setTimeout(
          () => {
            if (seq === this.connectionSeq && this.socket.connected && !this.closed) void this.join();
          },
          retryDelayMs(++this.reconnectAttempts, this.backoff, this.random),
        );
        return;
      }
      case 'reidentify':
        this.forgetToken();
        this.restartConnection();
        return;
      case 'refused':
        // The room does not exist (any more), or this name is not acceptable: retrying cannot help.
        for (const w of this.readyWaiters.splice(0)) w.reject(new RequestError(code, message));
        void this.close();
        return;
    }
  }

  private joinAccepted(ack: OkOf<Ack<'room:join'>>): void {
    const board = this.state.board;
    const previousUserId = this.state.userId;
    this.token = ack.token;
    this.tokens.set(ack.token);
    this.state.roomId = ack.roomId;
    this.state.userId = ack.userId;
    if (previousUserId && previousUserId !== ack.userId) this.emit('identity', { userId: ack.userId, previousUserId });
    if (this.storeRoomId !== ack.roomId) {
      // A new room: the strokes drawn before it had an id are stored under it from now on.
      this.storeRoomId = ack.roomId;
      for (const s of this.outbox.pending) this.persist(s.id);
    }

    resyncBoard(board, ack.board);
    for (const s of ack.board.strokes) {
      if (s.authorId === ack.userId && this.outbox.isPending(s.id)) this.delivered(s.id, ack.board.revision, 'resync');
    }
    // Events that arrived while the join was answered: those newer than its board still apply.
    const buffered = this.buffered;
    this.buffered = [];
    this.joining = false;
    for (const b of buffered) if (!changesBoard(b) || b.payload.revision > ack.board.revision) this.applyRoomEvent(b);

    this.joined = true;
    const rejoin = this.everJoined;
    this.everJoined = true;
    this.reconnectAttempts = 0;
    this.stats.joins++;
    if (this.state.error?.code === 'NETWORK') this.state.error = null;
    this.syncOutbox();
    this.emit('joined', { roomId: ack.roomId, userId: ack.userId, rejoin, revision: ack.board.revision });
    for (const w of this.readyWaiters.splice(0)) w.resolve();
    void this.pump();
  }

  // ---- room events ----

  private onRoomEvent(b: Buffered): void {
    if (this.joining) this.buffered.push(b);
    else if (this.joined) this.applyRoomEvent(b);
  }

  private applyRoomEvent(b: Buffered): void {
    const board = this.state.board;
    switch (b.event) {
      case 'stroke:committed': {
        applyCommitted(board, b.payload);
        if (b.payload.authorId === this.state.userId && this.outbox.isPending(b.payload.stroke.id)) {
          this.delivered(b.payload.stroke.id, b.payload.revision, 'broadcast');
          this.syncOutbox();
        }
        this.emit('stroke:committed', b.payload);
        return;
      }
      case 'stroke:removed':
        applyRemoved(board, b.payload);
        this.emit('stroke:removed', b.payload);
        return;
      case 'board:cleared':
        applyCleared(board, b.payload);
        this.emit('board:cleared', b.payload);
        return;
      case 'stroke:live':
        applyLive(board, b.payload, this.now());
        this.emit('stroke:live', b.payload);
        return;
      case 'member:joined':
        applyMemberJoined(board, b.payload.member);
        this.emit('members', board.members);
        return;
      case 'member:left':
        applyMemberLeft(board, b.payload.userId);
        this.emit('members', board.members);
        return;
      case 'presence:pointer':
        applyPointer(board, b.payload, this.now());
        this.emit('presence:pointer', b.payload);
        return;
      case 'prediction': {
        const parsed = PredictionSchema.safeParse(b.payload);
        if (parsed.success && parsed.data.roomId === this.state.roomId && applyPrediction(board, parsed.data))
          this.emit('prediction', parsed.data);
        return;
      }
      default: {
        const never: never = b;
        throw new Error(`unhandled room event ${JSON.stringify(never)}`);
      }
    }
  }

  // ---- the outbox ----

  /** Sends pending strokes in order, one at a time, while joined. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.joined && !this.closed) {
        const next = this.outbox.next(this.now());
        if (!next) break;
        if ('waitMs' in next) {
          this.schedulePump(next.waitMs);
          break;
        }
        const { stroke } = next.entry;
        this.outbox.begin(stroke.id);
        const answer = await this.request('stroke:commit', { stroke }, this.ackTimeoutMs);
        let outcome: SendOutcome;
        if (answer.type !== 'ack') outcome = answer;
        else if (answer.ack.ok) outcome = { type: 'ack', revision: answer.ack.revision };
        else outcome = { type: 'error', code: answer.ack.error.code, message: answer.ack.error.message };
        if (outcome.type === 'error') this.countError(outcome.code);
        if (outcome.type === 'timeout') this.countError('TIMEOUT');
        this.settled(this.outbox.settle(stroke.id, outcome, this.now()));
      }
    } finally {
      this.pumping = false;
    }
  }

  private schedulePump(delayMs: number): void {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      void this.pump();
    }, delayMs);
  }

  private settled(s: Settlement): void {
    switch (s.type) {
      case 'delivered':
        if (s.duplicate) this.stats.strokesAlreadyDelivered++;
        else this.stats.strokesAcknowledged++;
        // Normally its broadcast came first; this covers a lost one (the board shows each stroke once).
        if (this.state.userId)
          applyCommitted(this.state.board, { stroke: s.entry.stroke, authorId: this.state.userId, revision: s.revision ?? 0 });
        this.afterDelivery(s.entry.stroke, s.revision, s.duplicate ? 'duplicate' : 'ack');
        break;
      case 'refused':
        this.stats.strokesRefused++;
        this.persist(s.entry.stroke.id);
        this.fail(s.refused.code, s.refused.message);
        this.emit('stroke:refused', s.refused);
        break;
      case 'retry':
        this.stats.strokeRetries++;
        this.emit('stroke:retrying', { strokeId: s.entry.stroke.id, reason: s.reason, attempt: s.entry.attempts, delayMs: s.delayMs });
        break;
      case 'rejoin':
        this.joined = false;
        void this.join();
        break;
      case 'reidentify':
        this.forgetToken();
        this.restartConnection();
        break;
      case 'interrupted':
      case 'gone':
        break;
      default: {
        const never: never = s;
        throw new Error(`unhandled settlement ${JSON.stringify(never)}`);
      }
    }
    this.syncOutbox();
  }

  /** A stroke of ours seen on the server's board before its ack (broadcast or rejoin). */
  private delivered(strokeId: string, revision: number, route: 'broadcast' | 'resync'): void {
    const entry = this.outbox.confirm(strokeId);
    if (!entry) return;
    if (route === 'resync') this.stats.strokesAlreadyDelivered++;
    else this.stats.strokesAcknowledged++;
    this.afterDelivery(entry.stroke, revision, route);
  }

  private afterDelivery(stroke: Stroke, revision: number | null, route: DeliveryRoute): void {
    this.stats.strokesDelivered++;
    this.unpersist(stroke.id);
    this.emit('stroke:delivered', { roomId: this.state.roomId ?? '', authorId: this.state.userId ?? '', stroke, revision, route });
  }

  /** Mirrors the outbox into `state` and tells waiters and listeners. */
  private syncOutbox(): void {
    const board = this.state.board;
    board.pending = this.outbox.pending;
    board.refused = this.outbox.refused;
    this.updateState();
    for (const w of [...this.outboxWatchers]) w();
  }

  private persist(strokeId: string): void {
    const roomId = this.storeRoomId;
    const record = roomId ? this.outbox.stored(roomId, strokeId) : null;
    if (record) this.storeOp(() => this.store.put(record));
  }

  private unpersist(strokeId: string): void {
    const roomId = this.storeRoomId;
    if (roomId) this.storeOp(() => this.store.remove(roomId, strokeId));
  }

  /** Store writes in the order they were made; a failing store never stops delivery. */
  private storeOp(op: () => Promise<void>): void {
    this.storeWrites = this.storeWrites.then(op).catch((err: unknown) => {
      this.stats.storeErrors++;
      this.emit('error', { code: 'NETWORK', message: `could not keep strokes for later: ${(err as Error).message}` });
    });
  }

  // ---- requests ----

  private request<E extends EventName>(event: E, payload: Payload<E>, timeoutMs: number): Promise<Answer<E>> {
    const socket = this.socket;
    if (!socket.connected) return Promise.resolve({ type: 'disconnected' });
    return new Promise((resolve) => {
      // biome-ignore lint/suspicious/noExplicitAny: socket.io cannot narrow emit's overloads for a generic event name
      (socket.timeout(timeoutMs) as any).emit(event, payload, (err: Error | null, ack: Ack<E>) => {
        if (!err) resolve({ type: 'ack', ack });
        else resolve({ type: socket.connected ? 'timeout' : 'disconnected' });
      });
    });
  }

  /**
   * A one-shot request of the person (undo, clear, …): only while joined, after the strokes drawn before
   * it are delivered (so an undo takes back the stroke just drawn), never retried (an undo sent twice
   * would undo twice). Resolves with the ok ack or throws a RequestError with the server's code.
   */
  private async call<E extends Exclude<EventName, 'room:join' | 'stroke:commit' | 'stroke:live' | 'presence:pointer' | 'connection:ping'>>(
    event: E,
    payload: Payload<E>,
  ): Promise<OkOf<Ack<E>>> {
    if (!this.joined) throw this.networkError('not connected to the room right now');
    const before = new Set(this.outbox.pending.map((s) => s.id));
    if (
      before.size > 0 &&
      !(await this.outboxUntil(() => !this.joined || !this.outbox.pending.some((s) => before.has(s.id)), this.ackTimeoutMs))
    ) {
      throw this.networkError('strokes drawn before are still being sent; try again');
    }
    if (!this.joined) throw this.networkError('not connected to the room right now');
    const answer = await this.request(event, payload, this.ackTimeoutMs);
    if (answer.type === 'timeout') this.countError('TIMEOUT');
    if (answer.type !== 'ack') throw this.networkError('the server did not answer in time');
    const ack = answer.ack as AckResult;
    if (!ack.ok) {
      this.countError(ack.error.code);
      this.fail(ack.error.code, ack.error.message);
      throw new RequestError(ack.error.code, ack.error.message);
    }
    return ack as OkOf<Ack<E>>;
  }

  /** Resolves true once `done()` holds (checked after each outbox change), false after `timeoutMs`. */
  private outboxUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        if (timer) clearTimeout(timer);
        this.outboxWatchers = this.outboxWatchers.filter((w) => w !== check);
        resolve(ok);
      };
      const check = () => {
        if (done()) finish(true);
      };
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => finish(false), timeoutMs) : null;
      this.outboxWatchers.push(check);
    });
  }

  private networkError(message: string): RequestError {
    this.fail('NETWORK', message);
    return new RequestError('NETWORK', message);
  }

  // ---- liveness and state ----

  private startLiveness(): void {
    const liveness = this.liveness;
    if (!liveness || this.livenessTimer) return;
    this.livenessTimer = setInterval(() => {
      const { vitality, probe } = liveness.check(this.now());
      if (probe) void this.request('connection:ping', {}, this.livenessOptions.closeAfterMs);
      const suspect = vitality !== 'alive';
      if (suspect !== this.suspect) {
        this.suspect = suspect;
        if (suspect) this.stats.livenessLosses++;
        this.updateState();
      }
      if (vitality === 'dead') {
        this.stopLiveness();
        this.restartConnection();
      }
    }, this.livenessOptions.tickMs);
  }

  private stopLiveness(): void {
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.livenessTimer = null;
  }

  private updateState(): void {
    const connection = connectionStateOf({
      closed: this.closed,
      offline: this.userOffline || this.networkOffline,
      joined: this.joined,
      suspect: this.suspect,
      everJoined: this.everJoined,
    });
    const status: ClientStatus = { connection, pendingCount: this.outbox.size, refusedCount: this.outbox.refused.length };
    const s = this.state;
    if (s.connection !== connection) s.connection = connection;
    if (s.pendingCount !== status.pendingCount) s.pendingCount = status.pendingCount;
    if (s.refusedCount !== status.refusedCount) s.refusedCount = status.refusedCount;
    const last = this.lastStatus;
    if (last && last.connection === connection && last.pendingCount === status.pendingCount && last.refusedCount === status.refusedCount)
      return;
    this.lastStatus = status;
    this.emit('state', status);
  }

  private fail(code: ErrorCode | 'NETWORK', message: string): void {
    this.state.error = { code, message };
    this.emit('error', { code, message });
  }

  private countError(code: string): void {
    this.stats.errorsByCode[code] = (this.stats.errorsByCode[code] ?? 0) + 1;
  }
}

/** A client joined (or joining) a room; see `InklingClientOptions`. */
export function createInklingClient(options: InklingClientOptions): InklingClient {
  return new InklingClient(options);
}
