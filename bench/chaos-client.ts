/**
 * A simulated user for `npm run chaos`, on plain socket.io-client: joins a room and commits digit strokes at
 * a steady rate, keeping every stroke in an outbox until it is acknowledged (or refused for good), resending
 * on timeouts and retryable errors and after reconnecting. When its connection drops it reconnects — to the
 * next gateway of the list, as a load balancer would send it — rejoins and resends.
 *
 * This is the seam for `@inkling/client`: `ChaosUser` is what the runner needs (start, cut, stop, stats);
 * a version on the client package replaces the socket handling below and keeps this interface.
 */
import { digitDrawing, type ErrorCode, type Stroke } from '@inkling/protocol';
import { io, type Socket } from 'socket.io-client';

export interface ChaosUserStats {
  /** Stroke ids acknowledged ok, or answered DUPLICATE_STROKE (already stored). */
  acknowledged: string[];
  /** Error codes (and 'TIMEOUT') seen in acknowledgements, by code. */
  errors: Partial<Record<ErrorCode | 'TIMEOUT', number>>;
  /** Strokes given up on (refused for good, or still unacknowledged when stopped). */
  dropped: string[];
  /** Arrival times (ms, performance.now) of predictions. */
  predictionsAt: number[];
}

/** Refusals after which resending cannot help. */
const DEFINITIVE: readonly string[] = ['INVALID_PAYLOAD', 'BOARD_FULL', 'ROOM_NOT_FOUND'];

export class ChaosUser {
  private socket: Socket | null = null;
  private urlIndex: number;
  private roomId: string | undefined;
  private readonly outbox = new Map<string, Stroke>();
  private sending = false;
  private timer: NodeJS.Timeout | null = null;
  private cutUntil = 0;
  private stopped = false;
  private strokes = 0;
  private joined = false;
  readonly stats: ChaosUserStats = { acknowledged: [], errors: {}, dropped: [], predictionsAt: [] };

  constructor(
    private readonly urls: readonly string[],
    private readonly name: string,
    private readonly strokesPerSec: number,
    startAt = 0,
  ) {
    this.urlIndex = startAt % urls.length;
  }

  /** Connects and joins `roomId` (a new room when absent); resolves with the room id. */
  async start(roomId?: string): Promise<string> {
    this.roomId = roomId;
    await this.connect();
    for (let i = 0; i < 200 && !this.joined; i++) await new Promise((r) => setTimeout(r, 25));
    if (!this.roomId) throw new Error(`${this.name} could not join a room`);
    return this.roomId;
  }

  /** Starts committing strokes at the configured rate. */
  draw(): void {
    const interval = 1000 / this.strokesPerSec;
    this.timer = setInterval(() => this.commitNext(), interval);
  }

  /** Stops drawing; keeps resending what is unacknowledged. */
  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  get pending(): number {
    return this.outbox.size;
  }

  /** Drops the network for `ms`: the connection goes away, strokes drawn meanwhile wait in the outbox. */
  cut(ms: number): void {
    this.cutUntil = performance.now() + ms;
    this.socket?.disconnect();
    this.socket = null;
    setTimeout(() => void this.connect(), ms);
  }

  stop(): void {
    this.stopped = true;
    this.pause();
    this.stats.dropped.push(...this.outbox.keys());
    this.socket?.disconnect();
  }

  private countError(code: ErrorCode | 'TIMEOUT'): void {
    this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
  }

  private async connect(): Promise<void> {
    if (this.stopped || performance.now() < this.cutUntil) return;
    const url = this.urls[this.urlIndex] as string;
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 2000 });
    this.socket = socket;
    this.joined = false;
    socket.on('prediction', () => this.stats.predictionsAt.push(performance.now()));
    socket.on('connect', () => void this.join(socket));
    const retry = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      // The next gateway, as a load balancer would pick a live one.
      this.urlIndex = (this.urlIndex + 1) % this.urls.length;
      setTimeout(() => void this.connect(), 250);
    };
    socket.on('connect_error', retry);
    socket.on('disconnect', retry);
  }

  private async join(socket: Socket): Promise<void> {
    try {
      const ack = (await socket
        .timeout(5000)
        .emitWithAck('room:join', this.roomId ? { roomId: this.roomId, name: this.name } : { name: this.name })) as
        | { ok: true; roomId: string }
        | { ok: false; error: { code: ErrorCode } };
      if (!ack.ok) {
        this.countError(ack.error.code);
        socket.disconnect();
        return;
      }
      this.roomId = ack.roomId;
      this.joined = true;
      void this.flush();
    } catch {
      this.countError('TIMEOUT');
      socket.disconnect();
    }
  }

  private commitNext(): void {
    const n = this.strokes++;
    const [stroke] = digitDrawing(n % 10, { x: 0.05 + (n % 3) * 0.3, y: 0.3, size: 0.3 }, `${this.name}-${n}-`);
    if (!stroke) return;
    this.outbox.set(stroke.id, stroke);
    void this.flush();
  }

  /**
   * Sends the outbox in order, one stroke at a time (the ack orders strokes on the board), backing off on
   * retryable errors and timeouts so a slow server is not flooded with resends.
   */
  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      let backoffMs = 250;
      while (!this.stopped) {
        const socket = this.socket;
        const next = this.outbox.entries().next();
        if (next.done || !socket?.connected || !this.joined) return;
        const [id, stroke] = next.value;
        let code: ErrorCode | 'TIMEOUT' | null = null;
        try {
          const ack = (await socket.timeout(5000).emitWithAck('stroke:commit', { stroke })) as
            | { ok: true }
            | { ok: false; error: { code: ErrorCode } };
          if (!ack.ok && ack.error.code !== 'DUPLICATE_STROKE') code = ack.error.code;
        } catch {
          // Timed out, or the connection went away (then resent after reconnecting).
          if (!socket.connected) return;
          code = 'TIMEOUT';
        }
        if (code === null) {
          this.outbox.delete(id);
          this.stats.acknowledged.push(id);
          backoffMs = 250;
          continue;
        }
        this.countError(code);
        if (DEFINITIVE.includes(code)) {
          this.outbox.delete(id);
          this.stats.dropped.push(id);
          continue;
        }
        await new Promise((resolve) => setTimeout(resolve, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 4000);
      }
    } finally {
      this.sending = false;
    }
  }
}
