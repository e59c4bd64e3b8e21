/**
 * A simulated user for `npm run chaos`, built on `@inkling/client` (the same client the web app uses): joins a
 * room and commits digit strokes at a steady rate; the client keeps every stroke until it is acknowledged or
 * refused for good, resends on timeouts and retryable errors, reconnects after any disconnect and resyncs.
 * Its connection goes through its own small proxy (scripts/net-cut.ts) that balances over the gateways, so a
 * dead gateway sends it to the other one, and a network cut is a real silence on the wire.
 */
import { type ClientStats, createInklingClient, type InklingClient } from '@inkling/client';
import { digitDrawing } from '@inkling/protocol';
import { type NetCut, startNetCut } from '../scripts/net-cut.js';

export interface ChaosUserStats {
  /** Every stroke id this user drew (gave to the client), whatever became of it: the ground truth of "ink dropped". */
  drawn: string[];
  /** Stroke ids the server acknowledged, or answered DUPLICATE_STROKE for, or showed on a rejoin's board. */
  acknowledged: string[];
  /** Predictions received: room, revision, and arrival time (ms, performance.now). */
  predictions: { roomId: string; revision: number; atMs: number }[];
  /**
   * Arrival time (performance.now) of the last stroke committed through the live connection (its `{ ok: true }`
   * or its own broadcast, whichever came first), and of the last join.
   */
  lastAckAtMs: number;
  lastJoinAtMs: number;
}

export class ChaosUser {
  private client: InklingClient | null = null;
  private balancer: NetCut | null = null;
  private timer: NodeJS.Timeout | null = null;
  private strokes = 0;
  readonly stats: ChaosUserStats = { drawn: [], acknowledged: [], predictions: [], lastAckAtMs: 0, lastJoinAtMs: 0 };

  /**
   * @param gatewayPorts every gateway of the deployment (fixed ports: a restarted one comes back there)
   * @param preferred the index of this user's own gateway
   */
  constructor(
    private readonly gatewayPorts: readonly number[],
    readonly name: string,
    private readonly strokesPerSec: number,
    readonly preferred = 0,
  ) {}

  /** Connects and joins `roomId` (a new room when absent); resolves with the room id. */
  async start(roomId?: string): Promise<string> {
    this.balancer = await startNetCut(
      this.gatewayPorts.map((port) => `http://127.0.0.1:${port}`),
      this.preferred,
    );
    const client = createInklingClient({ url: this.balancer.url, name: this.name, roomId, socket: { transports: ['websocket'] } });
    this.client = client;
    client.on('prediction', (p) => this.stats.predictions.push({ roomId: p.roomId, revision: p.revision, atMs: performance.now() }));
    client.on('stroke:delivered', ({ stroke, route }) => {
      this.stats.acknowledged.push(stroke.id);
      if (route === 'ack' || route === 'broadcast') this.stats.lastAckAtMs = performance.now();
    });
    client.on('joined', () => {
      this.stats.lastJoinAtMs = performance.now();
    });
    await client.ready();
    const joined = client.state.roomId;
    if (!joined) throw new Error(`${this.name} could not join a room`);
    return joined;
  }

  /** Starts committing strokes at the configured rate. */
  draw(): void {
    this.timer = setInterval(() => this.commitNext(), 1000 / this.strokesPerSec);
  }

  /** Stops drawing; the client keeps resending what is unacknowledged. */
  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Strokes drawn and not acknowledged yet (refused ones excluded). */
  get pending(): number {
    return this.client?.state.pendingCount ?? 0;
  }

  /** Strokes the server refused for good (kept and shown by the client, never dropped). */
  get refused(): number {
    return this.client?.state.refusedCount ?? 0;
  }

  /** Ids of the strokes the client still holds: waiting for the server, or refused for good (shown as refused). */
  heldIds(): { pending: string[]; refused: string[] } {
    const board = this.client?.state.board;
    return { pending: board?.pending.map((s) => s.id) ?? [], refused: board?.refused.map((r) => r.stroke.id) ?? [] };
  }

  /** The gateways (URLs) this user's open connections reach through its balancer. */
  get upstreams(): string[] {
    return this.balancer?.upstreams ?? [];
  }

  /** Closes this user's connections at once (as a balancer restart would): the client reconnects, to its preferred gateway if it answers. */
  resetConnection(): void {
    this.balancer?.cut('reset');
  }

  get clientStats(): ClientStats | null {
    return this.client?.stats ?? null;
  }

  /** Silences the network for `ms`: strokes drawn meanwhile wait in the client's outbox. */
  cut(ms: number): void {
    this.balancer?.cut('blackhole');
    setTimeout(() => this.balancer?.heal(), ms);
  }

  async stop(): Promise<void> {
    this.pause();
    await this.client?.close();
    await this.balancer?.close();
  }

  private commitNext(): void {
    const n = this.strokes++;
    const [stroke] = digitDrawing(n % 10, { x: 0.05 + (n % 3) * 0.3, y: 0.3, size: 0.3 }, `${this.name}-${n}-`);
    if (!stroke) return;
    this.stats.drawn.push(stroke.id);
    this.client?.commit(stroke);
  }
}
