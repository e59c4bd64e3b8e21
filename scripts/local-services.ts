/**
 * Private PostgreSQL and Redis instances started from the installed binaries, for `npm start` and the test
 * suite when `DATABASE_URL` / `REDIS_URL` are not given. Data lives in a folder of the caller's choosing;
 * PostgreSQL runs as the `postgres` user when we are root (it refuses to run as root).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
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

async function startPostgres(
  dir: string,
  log: (line: string) => void,
  durable: boolean,
): Promise<{ url: string; stop: () => Promise<void> }> {
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
  const [cmd, args] = pgCommand(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(data, 'server.log'),
    '-o',
    `-p ${port} -k ${data} -c listen_addresses=127.0.0.1 -c fsync=${durable ? 'on' : 'off'} -c max_connections=200`,
    '-w',
    'start',
  ]);
  execFileSync(cmd, args, { stdio: 'ignore' });
  log(`PostgreSQL listening on 127.0.0.1:${port}`);
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

async function startRedis(dir: string, log: (line: string) => void): Promise<{ url: string; stop: () => Promise<void> }> {
  const bin = which('redis-server');
  if (!bin) throw new MissingBinaryError('Redis', 'sudo apt-get install -y redis-server');
  const data = join(dir, 'redis');
  mkdirSync(data, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', data],
    {
      stdio: 'ignore',
    },
  );
  const started = Date.now();
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (Date.now() - started > 10_000) throw new Error('redis-server did not start within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  log(`Redis listening on 127.0.0.1:${port}`);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Uses the given URLs, or starts private instances in `dataDir` for whichever is missing. */
export async function ensureServices(opts: {
  dataDir: string;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  log?: (line: string) => void;
  /** fsync on (the default): committed data survives a machine crash. Tests turn it off for speed. */
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
      const redis = await startRedis(opts.dataDir, log);
      stops.push(redis.stop);
      redisUrl = redis.url;
    }
    return { databaseUrl, redisUrl, stop: async () => void (await Promise.all(stops.map((s) => s()))) };
  } catch (err) {
    await Promise.all(stops.map((s) => s()));
    throw err;
  }
}
