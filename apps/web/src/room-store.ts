/**
 * One room, live, for the Vue app: a thin reactive wrapper over `@inkling/client`, which owns the
 * connection and its state (connecting / live / offline / reconnecting / closed), the session token, the
 * outbox (strokes kept until acknowledged or refused, in IndexedDB across reloads), reconnection and the
 * board's resync. `state` is the client's own state made reactive, so components read it directly.
 */
import { createInklingClient, type InklingClient, type OutboxStore, type TokenStorage } from '@inkling/client';
import type { LabelPayload, Stroke, StrokeRef } from '@inkling/protocol';
import { reactive } from 'vue';
import { browserTokenStorage } from './identity.js';

export type { BoardView, ClientState as RoomState, ConnectionState, RefusedStroke } from '@inkling/client';
export { RequestError } from '@inkling/client';

export interface RoomStoreOptions {
  url: string;
  name: string;
  roomId?: string | undefined;
  /** Where the session token is kept between page loads (default: the browser's localStorage). */
  tokens?: TokenStorage;
  /** Where undelivered strokes are kept between page loads (default: IndexedDB). */
  outbox?: OutboxStore;
  /** Called whenever the server confirms who we are in which room. */
  onJoined?: (roomId: string, userId: string) => void;
  ackTimeoutMs?: number;
}

export type RoomStore = ReturnType<typeof createRoomStore>;

export function createRoomStore(opts: RoomStoreOptions) {
  const client: InklingClient = createInklingClient({
    url: opts.url,
    name: opts.name,
    roomId: opts.roomId,
    tokens: opts.tokens ?? browserTokenStorage,
    ...(opts.outbox ? { outbox: opts.outbox } : {}),
    ...(opts.ackTimeoutMs ? { ackTimeoutMs: opts.ackTimeoutMs } : {}),
    // The client changes its state only through this proxy, so Vue sees every change.
    observe: (value) => reactive(value) as typeof value,
  });
  if (opts.onJoined) {
    const onJoined = opts.onJoined;
    client.on('joined', (e) => onJoined(e.roomId, e.userId));
  }

  return {
    /** Reactive: connection, roomId, userId, name, board (strokes, pending, refused, …), counts, error. */
    state: client.state,
    /** The underlying client (events, counters). */
    client,
    /** Resolves once joined (immediately if already). */
    ready: (): Promise<void> => client.ready(),
    /** A finished stroke: shown at once as pending, committed when possible, kept until the server answers. */
    commit(stroke: Stroke): void {
      client.commit(stroke);
    },
    /** Points of the stroke being drawn, for the others (dropped while offline). */
    sendLive(strokeId: string, points: Stroke['points']): void {
      client.sendLive(strokeId, points);
    },
    undo: (): Promise<number> => client.undo(),
    redo: (): Promise<number> => client.redo(),
    clear: (): Promise<number> => client.clear(),
    recognize: (): Promise<number> => client.recognize(),
    label: (payload: LabelPayload): Promise<void> => client.label(payload),
    /** Adds strokes to the board, or with `replace` puts them on a fresh one (the old drawing goes to the history). */
    load: (strokes: Stroke[], options: { replace?: boolean } = {}): Promise<number> => client.load(strokes, options),
    /** The eraser: takes these strokes of ours off the board (one undo step). */
    erase: (strokes: StrokeRef[]): Promise<number> => client.erase(strokes),
    /** Where our pointer is over the board, or null when it left (throttled by the client). */
    sendPointer(position: [number, number] | null): void {
      client.sendPointer(position);
    },
    /** Sends a refused stroke again (e.g. after clearing a full board). */
    retryRefused: (strokeId: string): boolean => client.retryRefused(strokeId),
    /** Lets a refused stroke go once the person has seen it. */
    dismissRefused: (strokeId: string): boolean => client.dismissRefused(strokeId),
    clearError(): void {
      client.clearError();
    },
    /** For tests and an offline toggle: drop the connection (strokes keep queueing) and restore it. */
    goOffline(): void {
      client.goOffline();
    },
    goOnline(): void {
      client.goOnline();
    },
    close(): void {
      void client.close();
    },
  };
}
