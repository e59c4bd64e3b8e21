import { startGateway } from '@inkling/gateway';
import { startRecognitionWorker } from '@inkling/worker';
import { createTestDatabase } from '@inkling/store';
import { digitDrawing } from '@inkling/protocol';
import pino from 'pino';
import { io } from 'socket.io-client';
const db = await createTestDatabase('postgres://postgres@127.0.0.1:5432/postgres');
const log = pino({ level: 'silent' });
const base = { DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: 'scratch', LOG_LEVEL: 'silent' as const };
const gw = await startGateway({ ...base, PORT: 0, HOST: '127.0.0.1', RATE_LIMIT_PER_SEC: 1000 }, log);
const w = await startRecognitionWorker({ ...base, MODEL_DIR: '/tmp/smoke-model', WORKER_CONCURRENCY: 16, WORKER_LOCK_MS: 5000, WORKER_STALLED_INTERVAL_MS: 2000, WORKER_FAULT_DELAY_MS: 0 }, log);
const s = io(gw.url, { transports: ['websocket'] });
await new Promise((r) => s.once('connect', r));
const j: any = await s.emitWithAck('room:join', { name: 'x' });
for (let i = 0; i < 15; i++) {
  const strokes = digitDrawing(i % 10, undefined, `a${i}-`);
  const t0 = performance.now();
  const got = new Promise<any>((r) => s.once('prediction', (p) => r([p, performance.now()])));
  const ack: any = await s.emitWithAck('stroke:commit', { stroke: strokes[0] });
  const tAck = performance.now();
  const [p, tP] = await got;
  console.log(`ack ${(tAck - t0).toFixed(1)} pred ${(tP - t0).toFixed(1)} server latency ${p.latencyMs} infer ${p.inferenceMs.toFixed(2)} rev ${ack.revision}/${p.revision}`);
  if (i % 4 === 3) await s.emitWithAck('board:clear', {}), await new Promise((r) => s.once('prediction', r));
  await new Promise((r) => setTimeout(r, 100));
}
s.disconnect(); await w.close(); await gw.close(); await db.drop(); process.exit(0);
