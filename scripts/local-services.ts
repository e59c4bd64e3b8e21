/**
 * Private PostgreSQL and Redis instances started from the installed binaries, for `npm start` and the test
 * suite when `DATABASE_URL` / `REDIS_URL` are not given. Data lives in a folder of the caller's choosing;
 * PostgreSQL runs as the `postgres` user when we are root (it refuses to run as root).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

export class MissingBinaryError extends Error {
  readonly code = 'MISSING_BINARY';
  constructor(what: string, install: string) {
    super(`${what} is not installed. Install it with: ${install}  (or run: npm run setup)`);
    this.name = 'MissingBinaryError';
  }
}

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  /** Stops what was started here (external services are left alone). */
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new MissingBinaryError('PostgreSQL', 'sudo apt-get install -y postgresql');
  return join(root, versions[0], 'bin');
}

function which(cmd: string): string | null {
  try {
    return execFileSync('which', [cmd], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const isRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL tool as the postgres user when we are root. */
function pgCommand(bin: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function ownForPostgres(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (!isRoot()) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
}

/** A private server started here, with the controls fault tests and `npm run chaos` need. */
export interface PrivatePostgres {
  url: string;
  stop: () => Promise<void>;
  /** `pg_ctl restart -m fast`: sessions are terminated, the server is down for a moment, then back. */
  restart: () => Promise<void>;
  /** Freezes the server (SIGSTOP to it and its backends) for `ms`, then lets it run again. */
  pause: (ms: number) => Promise<void>;
}

export interface PrivateRedis {
  url: string;
  stop: () => Promise<void>;
  /** `SHUTDOWN NOSAVE` (without AOF, everything in memory is lost), then the same server again on the same port. */
  restart: (downMs?: number) => Promise<void>;
  /** Stops it until `start` (same port). */
  shutdown: () => Promise<void>;
  start: () => Promise<void>;
}

/** Children of `pid` (from /proc), so a signal reaches exactly one server's processes. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (after the parenthesised command, which may contain spaces) is the parent pid.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export async function startPostgres(dir: string, log: (line: string) => void, durable: boolean): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const data = join(dir, 'pg');
  if (!existsSync(join(data, 'PG_VERSION'))) {
    rmSync(data, { recursive: true, force: true });
    ownForPostgres(dir);
    ownForPostgres(data);
    log(`initialising a private PostgreSQL cluster in ${data}`);
    const [cmd, args] = pgCommand(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    execFileSync(cmd, args, { stdio: 'ignore' });
  } else if (statSync(data).isDirectory()) {
    ownForPostgres(data);
  }
  const port = await freePort();
  const options = `-p ${port} -k ${data} -c listen_addresses=127.0.0.1 -c fsync=${durable ? 'on' : 'off'} -c max_connections=200`;
  const [cmd, args] = pgCommand(join(bin, 'pg_ctl'), ['-D', data, '-l', join(data, 'server.log'), '-o', options, '-w', 'start']);
  execFileSync(cmd, args, { stdio: 'ignore' });
  log(`PostgreSQL listening on 127.0.0.1:${port}`);
  const signalAll = (signal: NodeJS.Signals) => {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    for (const p of [pid, ...childPids(pid)]) {
      try {
        process.kill(p, signal);
      } catch {
        // exited meanwhile
      }
    }
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      const [c, a] = pgCommand(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      try {
        execFileSync(c, a, { stdio: 'ignore' });
      } catch {
        // already stopped
      }
    },
    restart: async () => {
      // With its log file, else the new server would keep pg_ctl's output open and this would never return.
      const [c, a] = pgCommand(join(bin, 'pg_ctl'), [
        '-D',
        data,
        '-l',
        join(data, 'server.log'),
        '-m',
        'fast',
        '-w',
        'restart',
        '-o',
        options,
      ]);
      await new Promise<void>((resolve, reject) =>
        execFile(c, a, (err) => (err ? reject(new Error(`pg_ctl restart failed: ${err.message}`)) : resolve())),
      );
    },
    pause: async (ms: number) => {
      signalAll('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, ms));
      signalAll('SIGCONT');
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => {
      c.destroy();
      resolve(false);
    });
  });
}

/**
 * Redis as Inkling runs it: `maxmemory` (REDIS_MAXMEMORY, default 256mb) with `noeviction`, so a full Redis
 * refuses writes (recognition requests wait in the gateways and are retried) instead of silently dropping
 * queued jobs or markers; durable instances append every write to an AOF, fsynced every second (a crash
 * loses at most about a second of queue state, which the reconciler rebuilds from Postgres).
 */
export function redisArgs(port: number, dataDir: string, durable: boolean): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dataDir,
    '--save',
    '',
    '--maxmemory',
    process.env.REDIS_MAXMEMORY ?? '256mb',
    '--maxmemory-policy',
    'noeviction',
    ...(durable ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']),
  ];
}

export async function startRedis(dir: string, log: (line: string) => void, durable: boolean): Promise<PrivateRedis> {
  const bin = which('redis-server');
  if (!bin) throw new MissingBinaryError('Redis', 'sudo apt-get install -y redis-server');
  const data = join(dir, 'redis');
  mkdirSync(data, { recursive: true });
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn(bin, redisArgs(port, data, durable), { stdio: 'ignore' });
    child = c;
    const started = Date.now();
    while (!(await canConnect(port))) {
      if (c.exitCode !== null) throw new Error(`redis-server exited with code ${c.exitCode}`);
      if (Date.now() - started > 10_000) throw new Error('redis-server did not start within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill(signal);
    await exited;
  };
  await start();
  log(`Redis listening on 127.0.0.1:${port}${durable ? ' (AOF, fsync every second)' : ''}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stop(),
    // SIGKILL is SHUTDOWN NOSAVE without the chance of an AOF rewrite: what is not on disk is gone.
    shutdown: () => stop('SIGKILL'),
    start,
    restart: async (downMs = 0) => {
      await stop('SIGKILL');
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
  };
}

/** Uses the given URLs, or starts private instances in `dataDir` for whichever is missing. */
export async function ensureServices(opts: {
  dataDir: string;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  log?: (line: string) => void;
  /**
   * Durable (the default): Postgres fsyncs, and Redis keeps an append-only file fsynced every second, so
   * committed strokes survive a machine crash and queued recognition mostly survives a Redis restart (the
   * reconciler rebuilds the rest from Postgres). Tests turn it off for speed.
   */
  durable?: boolean;
}): Promise<Services> {
  const log = opts.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  try {
    let databaseUrl = opts.databaseUrl;
    if (!databaseUrl) {
      const pg = await startPostgres(opts.dataDir, log, opts.durable ?? true);
      stops.push(pg.stop);
      databaseUrl = pg.url;
    }
    let redisUrl = opts.redisUrl;
    if (!redisUrl) {
      const redis = await startRedis(opts.dataDir, log, opts.durable ?? true);
      stops.push(redis.stop);
      redisUrl = redis.url;
    }
    return { databaseUrl, redisUrl, stop: async () => void (await Promise.all(stops.map((s) => s()))) };
  } catch (err) {
    await Promise.all(stops.map((s) => s()));
    throw err;
  }
}
