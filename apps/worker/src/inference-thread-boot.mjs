// Starts an inference thread from TypeScript sources (development, tests, `npm start`): registers tsx in the
// thread, then loads the entry named in workerData. Compiled builds start inference-thread.js directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
