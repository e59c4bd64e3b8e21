/**
 * Who may open a socket, checked before any event: the browser's Origin against the allow-list, the
 * client address's number of open connections and rate of new ones, and the session token of the
 * handshake (`auth: { token }`), which becomes `socket.data.userId`.
 */
import type { IncomingMessage } from 'node:http';
import { InklingError } from '@inkling/protocol';
import type { Logger } from 'pino';
import proxyaddr from 'proxy-addr';
import type { Server } from 'socket.io';
import { KeyedBuckets } from './rate-limiter.js';
import type { SessionTokens } from './session-token.js';

export type TrustProxy = (addr: string, hop: number) => boolean;

/** TRUST_PROXY as a trust function: `false`, `true`, a number of hops, or addresses/CIDRs/`loopback`… */
export function parseTrustProxy(value: string): TrustProxy {
  const v = value.trim();
  if (v === '' || v === 'false') return () => false;
  if (v === 'true') return () => true;
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return (_addr, hop) => hop < hops;
  }
  return proxyaddr.compile(v.split(',').map((s) => s.trim()));
}

/** The client's address: the peer, or behind trusted proxies the address they forwarded. */
export function clientAddressOf(req: IncomingMessage, trust: TrustProxy): string {
  return proxyaddr(req as Parameters<typeof proxyaddr>[0], trust);
}

/**
 * Whether a browser on `origin` may use this gateway: one of `allowed`, or when the list is empty, the
 * app's own origin (same host as the request's Host header). Requests without an Origin (not from a
 * browser page: server-side clients, curl) are not subject to it.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

export interface SocketGuardOptions {
  allowedOrigins: readonly string[];
  trustProxy: TrustProxy;
  maxConnectionsPerAddress: number;
  connectionsPerMinute: number;
  tokens: SessionTokens;
  log: Logger;
}

/** Installs the checks on `io`; returns how to read a socket's client address. */
export function installSocketGuards(
  // biome-ignore lint/suspicious/noExplicitAny: works on any Server<…> whatever its event maps
  io: Server<any, any, any, any>,
  opts: SocketGuardOptions,
): { clientAddress: (socket: { request: IncomingMessage }) => string } {
  const open = new Map<string, number>();
  const newConnections = new KeyedBuckets(opts.connectionsPerMinute / 60, opts.connectionsPerMinute);
  const clientAddress = (socket: { request: IncomingMessage }) => clientAddressOf(socket.request, opts.trustProxy);

  // Runs for every handshake (not for each later request of the same connection).
  io.engine.opts.allowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
    if (!originAllowed(req.headers.origin, req.headers.host, opts.allowedOrigins)) {
      opts.log.info({ origin: req.headers.origin }, 'refused a socket from a foreign origin');
      return callback('origin not allowed', false);
    }
    const address = clientAddressOf(req, opts.trustProxy);
    if ((open.get(address) ?? 0) >= opts.maxConnectionsPerAddress) return callback('too many connections from this address', false);
    if (!newConnections.take(address)) return callback('too many new connections from this address; slow down', false);
    callback(null, true);
  };
  // Counted per underlying connection, from handshake to close.
  io.engine.on('connection', (raw: { request: IncomingMessage; once: (e: 'close', f: () => void) => void }) => {
    const address = clientAddressOf(raw.request, opts.trustProxy);
    open.set(address, (open.get(address) ?? 0) + 1);
    raw.once('close', () => {
      const n = (open.get(address) ?? 1) - 1;
      if (n <= 0) open.delete(address);
      else open.set(address, n);
    });
  });

  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    if (token === undefined || token === null) return next();
    try {
      socket.data.userId = opts.tokens.verify(token);
      next();
    } catch (err) {
      const refusal = err instanceof InklingError ? err : new InklingError('INVALID_TOKEN', 'session token refused');
      // socket.io-client shows `message` and `data` of a middleware error in its connect_error.
      const error = Object.assign(new Error(refusal.message), { data: { code: refusal.code, message: refusal.message } });
      next(error);
    }
  });
  return { clientAddress };
}
