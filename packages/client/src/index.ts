/**
 * `@inkling/client`: a typed client of Inkling's wire contract for Node and browsers. Create one per room
 * with `createInklingClient({ url, name, roomId })`; see the README's "@inkling/client" section.
 * Node-only pieces (the file outbox store) come from `@inkling/client/node`.
 */
export {
  applyCleared,
  applyCommitted,
  applyLive,
  applyMemberJoined,
  applyMemberLeft,
  applyMembers,
  applyPointer,
  applyPrediction,
  applyRemoved,
  type BoardView,
  emptyBoard,
  expireLive,
  hasStroke,
  type LiveStroke,
  liveKey,
  POINTER_MAX_AGE_MS,
  type PointerView,
  type RefusedStroke,
  resyncBoard,
} from './board-view.js';
export { addStats, type ClientStats, emptyStats } from './client-stats.js';
export { type ConnectionFacts, type ConnectionState, connectionStateOf } from './connection-state.js';
export { type BackoffOptions, DEFAULT_BACKOFF, type Disposition, dispositionOf, isRetryable, retryDelayMs } from './delivery-policy.js';
export { indexedDbOutboxStore } from './indexeddb-outbox-store.js';
export {
  type ClientError,
  type ClientEvents,
  type ClientSocket,
  type ClientState,
  type ClientStatus,
  createInklingClient,
  type DeliveryRoute,
  InklingClient,
  type InklingClientOptions,
  POINTER_INTERVAL_MS,
  RequestError,
} from './inkling-client.js';
export { DEFAULT_LIVENESS, LivenessMonitor, type LivenessOptions, type Vitality } from './liveness.js';
export { browserNetworkMonitor, type NetworkMonitor } from './network-monitor.js';
export { Outbox, type OutboxEntry, type SendOutcome, type Settlement } from './outbox.js';
export { memoryOutboxStore, type OutboxStore, type StoredStroke } from './outbox-store.js';
export {
  DEFAULT_TOKEN_KEY,
  defaultTokenStorage,
  localStorageTokenStorage,
  memoryTokenStorage,
  type TokenStorage,
} from './token-storage.js';
export { TypedEmitter } from './typed-emitter.js';
