/**
 * The network between one simulated user of `npm run chaos` and the gateways: a TCP proxy that sends each new
 * connection to the first gateway that accepts it, starting from the user's own (as a load balancer with
 * health checks would), and that can be cut like a pulled cable — every byte dropped both ways without a
 * word to either end, new connections held unanswered — and healed (connections cut stay dead, as after a
 * real outage; the client must notice and open a new one).
 */
import { createServer, type Socket, connect as tcpConnect } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket | null;
  dead: boolean;
}

export interface Balancer {
  /** `http://127.0.0.1:<port>`: the URL the user's client connects to. */
  url: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startBalancer(gatewayPorts: readonly number[], preferred: number): Promise<Balancer> {
  let blackhole = false;
  const pairs = new Set<Pair>();

  const server = createServer((client) => {
    const pair: Pair = { client, upstream: null, dead: blackhole };
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
    const tryGateway = (attempt: number) => {
      if (attempt >= gatewayPorts.length) return drop();
      const port = gatewayPorts[(preferred + attempt) % gatewayPorts.length] as number;
      const upstream = tcpConnect(port, '127.0.0.1');
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        pair.upstream = upstream;
        upstream.on('data', (chunk) => {
          if (!pair.dead) client.write(chunk);
        });
        client.on('data', (chunk) => {
          if (!pair.dead) upstream.write(chunk);
        });
        upstream.on('close', drop);
        client.resume();
      });
      upstream.on('error', () => {
        if (connected) drop();
        else tryGateway(attempt + 1);
      });
    };
    tryGateway(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the balancer has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    cut: () => {
      blackhole = true;
      for (const p of pairs) p.dead = true;
    },
    heal: () => {
      blackhole = false;
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
