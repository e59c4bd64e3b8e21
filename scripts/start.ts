/**
 * `npm start`: the whole stack on one machine. Uses DATABASE_URL / REDIS_URL when given, otherwise private
 * PostgreSQL and Redis instances in ./.data; then the gateway (serving the built web app), WORKERS
 * recognition workers and the trainer, restarted if they crash. Ctrl-C stops everything cleanly. The
 * processes run built JavaScript (scripts/build-apps.ts, rebuilt at every start: it takes a fraction of a
 * second), not TypeScript through a loader: they start faster and use less memory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { buildApps } from './build-apps.js';
import { ensureServices, MissingBinaryError } from './local-services.js';

const ROOT = join(import.meta.dirname, '..');
const say = (line: string) => process.stdout.write(`[inkling] ${line}\n`);

async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Newest modification time of the files below `dir` (0 if it does not exist). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

/** True when there is no build, or the web app's or the protocol's sources are newer than it. */
function webBuildIsStale(webDist: string): boolean {
  const index = join(webDist, 'index.html');
  if (!existsSync(index)) return true;
  const sources = Math.max(newest(join(ROOT, 'apps', 'web', 'src')), newest(join(ROOT, 'packages', 'protocol', 'src')));
  return sources > statSync(index).mtimeMs;
}

interface Supervised {
  name: string;
  child: ChildProcess | null;
}

async function main(): Promise<void> {
  const workers = Number(process.env.WORKERS ?? 2);
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new Error('WORKERS must be an integer from 1 to 16');
  const port = process.env.PORT ?? '3000';
  const services = await ensureServices({
    dataDir: join(ROOT, '.data'),
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
    log: say,
  });
  const databaseUrl = process.env.DATABASE_URL ?? (await ensureDatabase(services.databaseUrl, 'inkling'));
  const webDist = join(ROOT, 'apps', 'web', 'dist');
  if (webBuildIsStale(webDist)) {
    say('building the web app (sources changed since the last build)…');
    await new Promise<void>((resolve, reject) => {
      const build = spawn('npm', ['run', 'build', '-w', '@inkling/web'], { cwd: ROOT, stdio: 'inherit' });
      build.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`web build failed with code ${code}`))));
    });
  }
  await buildApps(say);
  const adminToken = process.env.ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
  mkdirSync(join(ROOT, '.data'), { recursive: true });
  // Lets `npm run retrain` and other local tools find this stack's services and admin token.
  writeFileSync(
    join(ROOT, '.data', 'services.json'),
    JSON.stringify({ databaseUrl, redisUrl: services.redisUrl, adminToken, url: `http://localhost:${port}` }, null, 2),
    { mode: 0o600 },
  );
  const env = {
    ...process.env,
    ADMIN_TOKEN: adminToken,
    DATABASE_URL: databaseUrl,
    REDIS_URL: services.redisUrl,
    PORT: port,
    WEB_DIST: existsSync(join(webDist, 'index.html')) ? webDist : '',
  };
  let stopping = false;
  const procs: Supervised[] = [];
  const launch = (p: Supervised, script: string) => {
    const child = spawn(process.execPath, ['--enable-source-maps', join(ROOT, script)], { cwd: ROOT, env, stdio: 'inherit' });
    p.child = child;
    child.once('exit', (code, signal) => {
      p.child = null;
      if (stopping) return;
      say(`${p.name} exited (${signal ?? code}); restarting in 1 s`);
      setTimeout(() => !stopping && launch(p, script), 1000);
    });
  };
  const gateway: Supervised = { name: 'gateway', child: null };
  procs.push(gateway);
  launch(gateway, 'apps/gateway/dist/main.js');
  for (let i = 1; i <= workers; i++) {
    const w: Supervised = { name: `worker ${i}`, child: null };
    procs.push(w);
    launch(w, 'apps/worker/dist/main.js');
  }
  const trainer: Supervised = { name: 'trainer', child: null };
  procs.push(trainer);
  launch(trainer, 'apps/trainer/dist/trainer-main.js');
  say(`Inkling is starting at http://localhost:${port}  (Ctrl-C to stop)`);
  say(`admin page: http://localhost:${port}/admin  token: ${process.env.ADMIN_TOKEN ? '(your ADMIN_TOKEN)' : adminToken}`);

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (!p.child) return resolve();
            const timer = setTimeout(() => p.child?.kill('SIGKILL'), 10_000);
            p.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            p.child.kill('SIGTERM');
          }),
      ),
    );
    await services.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`[inkling] ${err instanceof MissingBinaryError ? err.message : (err as Error).stack}\n`);
  process.exit(1);
});
