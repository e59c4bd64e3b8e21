/**
 * `npm run chaos`: fault injection against a whole Inkling deployment it controls — private PostgreSQL and
 * Redis, two gateways and two workers as processes, restarted when killed as `npm start` would — with
 * simulated users (bench/chaos-client.ts, on `@inkling/client`) drawing at a steady rate. Each scenario gets its own rooms and
 * prints one row: strokes acknowledged, acknowledged strokes missing from Postgres, boards whose latest
 * revision has no stored prediction 30 s after recovery, client-visible errors by code, ink dropped by
 * clients, and the time from the faulty part being back to predictions flowing (process start-up excluded,
 * reported separately). Targets: 0 missing, 0 unrecognized, no INTERNAL, 0 dropped, ≤ 5 s.
 *
 *   npm run chaos                      all scenarios
 *   npm run chaos -- --only pg-restart one (see SCENARIOS for names)
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { type AppProcess, type FaultStack, startFaultStack } from '../scripts/fault-stack.js';
import { ChaosUser } from './chaos-client.js';
import { printTable } from './table.js';

const { values: flags } = parseArgs({
  options: { only: { type: 'string' }, users: { type: 'string' }, rooms: { type: 'string' }, rate: { type: 'string' } },
});
const USERS = Number(flags.users ?? 20);
const ROOMS = Number(flags.rooms ?? 10);
const RATE = Number(flags.rate ?? 2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);

/** The deployment: the stack, and its supervised gateways and workers. */
interface Deployment {
  stack: FaultStack;
  gateways: (AppProcess | null)[];
  workers: (AppProcess | null)[];
  ports: number[];
  /** Restarts the gateway in slot i (optionally with extra env); resolves with its start-up time (ms). */
  restartGateway: (i: number, env?: Record<string, string>) => Promise<number>;
  restartWorker: (i: number) => Promise<number>;
}

interface Fault {
  /** Breaks something; resolves when the faulty part is back, with the start-up time included in that (ms). */
  inject: (d: Deployment, users: ChaosUser[]) => Promise<{ startupMs: number }>;
}

const SCENARIOS: Record<string, { title: string } & Fault> = {
  'worker-kill': {
    title: 'worker kill -9',
    inject: async (d) => {
      await d.workers[0]?.kill('SIGKILL');
      return { startupMs: await d.restartWorker(0) };
    },
  },
  'gateway-kill-before-enqueue': {
    title: 'gateway kill -9 between commit and enqueue',
    inject: async (d) => {
      // Gateway 0 holds every recognition request back 3 s (test hook), then dies with them.
      await d.gateways[0]?.kill('SIGKILL');
      await d.restartGateway(0, { FAULT_ENQUEUE_DELAY_MS: '3000' });
      await sleep(2500);
      await d.gateways[0]?.kill('SIGKILL');
      return { startupMs: await d.restartGateway(0) };
    },
  },
  'redis-restart': {
    title: 'Redis shutdown nosave with jobs waiting',
    inject: async (d) => {
      // Workers frozen for a moment, so jobs wait in Redis when it loses everything.
      for (const w of d.workers) w?.child.kill('SIGSTOP');
      await sleep(1500);
      await d.stack.redis.restart();
      for (const w of d.workers) w?.child.kill('SIGCONT');
      return { startupMs: 0 };
    },
  },
  'pg-restart': {
    title: 'Postgres fast restart',
    inject: async (d) => {
      await d.stack.postgres.restart();
      return { startupMs: 0 };
    },
  },
  'pg-pause': {
    title: 'Postgres paused 5 s',
    inject: async (d) => {
      await d.stack.postgres.pause(5000);
      return { startupMs: 0 };
    },
  },
  'gateway-one-of-two': {
    title: 'one of two gateways killed',
    inject: async (d) => {
      await d.gateways[1]?.kill('SIGKILL');
      // Its users move to the other gateway; it comes back afterwards.
      await sleep(3000);
      return { startupMs: await d.restartGateway(1) };
    },
  },
  sigterm: {
    title: 'SIGTERM of gateway and worker',
    inject: async (d) => {
      await Promise.all([d.gateways[0]?.kill('SIGTERM'), d.workers[0]?.kill('SIGTERM')]);
      const [g, w] = await Promise.all([d.restartGateway(0), d.restartWorker(0)]);
      return { startupMs: Math.max(g, w) };
    },
  },
  'client-network-cut': {
    title: '20 s client network cut',
    inject: async (_d, users) => {
      const cut = users.filter((_, i) => i % 2 === 0);
      for (const u of cut) u.cut(20_000);
      await sleep(20_000);
      return { startupMs: 0 };
    },
  },
};

async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function runScenario(d: Deployment, name: string, scenario: (typeof SCENARIOS)[string]): Promise<Record<string, string | number>> {
  log(`${scenario.title}: starting ${USERS} users in ${ROOMS} rooms`);
  const users: ChaosUser[] = [];
  const roomIds: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const user = new ChaosUser(d.ports, `${name}-${i}`, RATE, i % d.ports.length);
    roomIds[i % ROOMS] = await user.start(roomIds[i % ROOMS]);
    users.push(user);
  }
  for (const u of users) u.draw();
  await sleep(4000);
  log(`${scenario.title}: injecting`);
  const { startupMs } = await scenario.inject(d, users);
  const backAt = performance.now();
  log(`${scenario.title}: back (start-up ${startupMs} ms); drawing on for 6 s`);
  await sleep(6000);
  for (const u of users) u.pause();
  // Outboxes drain (resends after reconnecting), then every board must get its prediction within 30 s of recovery.
  for (let i = 0; i < 300 && users.some((u) => u.pending > 0); i++) await sleep(100);
  let unrecognized = Number.NaN;
  for (let first = true; first || performance.now() - backAt < 30_000; first = false) {
    const rows = await query<{ n: string }>(
      d.stack.databaseUrl,
      `SELECT count(*) AS n FROM rooms r WHERE r.id = ANY($1) AND (r.recognized_revision < r.revision OR NOT EXISTS
         (SELECT 1 FROM predictions p WHERE p.drawing_id = r.current_drawing_id AND p.revision = r.revision))`,
      [roomIds],
    ).catch(() => [{ n: 'NaN' }]);
    unrecognized = Number(rows[0]?.n);
    if (unrecognized === 0) break;
    await sleep(250);
  }
  const stillPending = users.reduce((n, u) => n + u.pending, 0);
  const refused = users.reduce((n, u) => n + u.refused, 0);
  const inkDropped = users.reduce((n, u) => n + u.inkDropped, 0);
  await Promise.all(users.map((u) => u.stop()));
  const acknowledged = users.flatMap((u) => u.stats.acknowledged);
  const stored = await query<{ stroke_id: string }>(
    d.stack.databaseUrl,
    'SELECT s.stroke_id FROM strokes s JOIN drawings dr ON dr.id = s.drawing_id WHERE dr.room_id = ANY($1)',
    [roomIds],
  );
  const storedIds = new Set(stored.map((r) => r.stroke_id));
  const errors: Record<string, number> = {};
  for (const u of users) for (const [code, n] of Object.entries(u.clientStats?.errorsByCode ?? {})) errors[code] = (errors[code] ?? 0) + n;
  const firstPrediction = Math.min(...users.flatMap((u) => u.stats.predictionsAt.filter((t) => t >= backAt)));
  return {
    scenario: scenario.title,
    acknowledged: acknowledged.length,
    'missing from Postgres': acknowledged.filter((id) => !storedIds.has(id)).length,
    'unrecognized after 30 s': unrecognized,
    'errors by code':
      Object.entries(errors)
        .map(([code, n]) => `${code} ${n}`)
        .join(', ') || 'none',
    'ink dropped': inkDropped,
    'refused / still pending': `${refused} / ${stillPending}`,
    'back → predictions': Number.isFinite(firstPrediction) ? `${((firstPrediction - backAt) / 1000).toFixed(2)} s` : 'none',
    'start-up': startupMs > 0 ? `${(startupMs / 1000).toFixed(1)} s` : '–',
  };
}

async function main(): Promise<void> {
  const names = flags.only ? flags.only.split(',') : Object.keys(SCENARIOS);
  for (const n of names) if (!SCENARIOS[n]) throw new Error(`unknown scenario ${n}; one of ${Object.keys(SCENARIOS).join(', ')}`);
  log('starting private Postgres and Redis, 2 gateways, 2 workers');
  const stack = await startFaultStack({ env: { LOG_LEVEL: 'info', RECONCILE_INTERVAL_MS: '2000', GATEWAY_PEER_CHECK_MS: '500' } });
  const { freePort } = await import('../scripts/local-services.js');
  const ports = [await freePort(), await freePort()];
  const d: Deployment = {
    stack,
    gateways: [null, null],
    workers: [null, null],
    ports,
    restartGateway: async (i, env = {}) => {
      const started = performance.now();
      d.gateways[i] = await stack.spawnGateway({ PORT: String(ports[i]), ...env });
      return Math.round(performance.now() - started);
    },
    restartWorker: async (i) => {
      const started = performance.now();
      d.workers[i] = await stack.spawnWorker();
      return Math.round(performance.now() - started);
    },
  };
  const rows: Record<string, string | number>[] = [];
  try {
    await Promise.all([d.restartGateway(0), d.restartGateway(1), d.restartWorker(0), d.restartWorker(1)]);
    for (const name of names) {
      const scenario = SCENARIOS[name] as (typeof SCENARIOS)[string];
      rows.push(await runScenario(d, name, scenario));
      printTable('chaos — progress', rows.slice(-1));
    }
    printTable(`chaos — ${USERS} users in ${ROOMS} rooms @ ${RATE} strokes/s, 2 gateways, 2 workers`, rows);
  } finally {
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
