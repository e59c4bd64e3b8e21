/** `@inkling/client/node`: the parts of the client that need Node (a file to keep undelivered strokes in). */
export { fileOutboxStore } from './file-outbox-store.js';
