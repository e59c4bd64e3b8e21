/**
 * A TCP proxy in front of a gateway that a test cuts like a network. `cut('blackhole')` silently drops
 * every byte both ways and holds new connections open without an answer, as a pulled cable or a dead
 * Wi-Fi does (nothing tells either end); `cut('reset')` closes every connection at once, as a process or a
 * NAT killing the transport does. `heal()` lets new connections through again (those cut stay dead, as
 * after a real outage). `retarget()` points it at another server (a restarted gateway on a new port).
 *
 * Given several servers it is also a load balancer with health checks: each new connection goes to the
 * first that accepts it, starting from the preferred one (`npm run chaos` gives every simulated user one).
 * Used by the client tests and by `npm run chaos`.
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';

export interface NetCut {
  /** `http://127.0.0.1:<port>`: give this to the client instead of the gateway's URL. */
  url: string;
  cut(mode?: 'blackhole' | 'reset'): void;
  heal(): void;
  /** Sends new connections to this one server from now on. */
  retarget(url: string): void;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** The server (URL) each open connection reached, in no particular order (connections still being set up omitted). */
  readonly upstreams: string[];
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | null;
  /** The server `upstream` is connected to. */
  target: URL | null;
  dead: boolean;
}

/** @param targets one server's URL, or several to balance over (new connections try `preferred` first). */
export async function startNetCut(targets: string | readonly string[], preferred = 0): Promise<NetCut> {
  let servers = (typeof targets === 'string' ? [targets] : [...targets]).map((t) => new URL(t));
  if (servers.length === 0) throw new Error('startNetCut needs at least one server');
  let blackhole = false;
  const pairs = new Set<Pair>();

  const server = createServer((client) => {
    const pair: Pair = { client, upstream: null, target: null, dead: blackhole };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop);
    client.on('close', drop);
    if (pair.dead) {
      client.on('data', () => undefined); // swallowed: the far end never answers
      return;
    }
    client.pause();
    const tryServer = (attempt: number) => {
      if (attempt >= servers.length) return drop();
      const target = servers[(preferred + attempt) % servers.length] as URL;
      const upstream = tcpConnect(Number(target.port), target.hostname);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        pair.upstream = upstream;
        pair.target = target;
        upstream.on('close', drop);
        client.on('data', (chunk) => {
          if (!pair.dead) upstream.write(chunk);
        });
        upstream.on('data', (chunk) => {
          if (!pair.dead) client.write(chunk);
        });
        client.resume();
      });
      // Refused before it connected: the next server, as a balancer would; afterwards: the pair is gone.
      upstream.on('error', () => (connected ? drop() : tryServer(attempt + 1)));
    };
    tryServer(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no port');

  return {
    url: `http://127.0.0.1:${address.port}`,
    cut(mode = 'blackhole') {
      if (mode === 'reset') {
        for (const p of [...pairs]) {
          p.client.resetAndDestroy();
          p.upstream?.destroy();
        }
        return;
      }
      blackhole = true;
      for (const p of pairs) p.dead = true;
    },
    heal() {
      blackhole = false;
      // A connection that lost bytes cannot carry on: both ends find it closed, as after a long outage.
      for (const p of [...pairs]) {
        if (!p.dead) continue;
        p.client.destroy();
        p.upstream?.destroy();
        pairs.delete(p);
      }
    },
    retarget(url) {
      servers = [new URL(url)];
      preferred = 0;
    },
    get connections() {
      return pairs.size;
    },
    get upstreams() {
      return [...pairs].flatMap((p) => (p.target && !p.dead ? [p.target.origin] : []));
    },
    close: async () => {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
