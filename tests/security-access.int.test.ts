/**
 * Attacks on what a stranger may see, against the real gateway, Postgres and Redis: enumerating drawings,
 * foreign origins (HTTP and WebSocket), missing security headers, malformed URLs, and the internal
 * endpoints (metrics, admin, queue dashboard). Each test asserts that the attack fails and that the
 * victim's room is exactly as it was.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Gateway, startGateway } from '@inkling/gateway';
import { digitDrawing } from '@inkling/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Client, call, SESSION_SECRET, type Stack, startStack } from './support/stack.js';

let stack: Stack;
let webDist: string;
/** Alice's room: one archived drawing (a 7) and a 4 on the board. */
const victim = { roomId: '', archivedId: 0, currentId: 0, revision: 0 };
let alice: Client;

const EVIL = 'http://evil.example';

/** A raw GET (fetch would normalise the URL), resolving with status, headers and body text. */
function rawGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The victim's room as a newcomer sees it. */
async function victimBoard() {
  const ack = await call(await stack.client(), 'room:join', { roomId: victim.roomId, name: 'Checker' });
  if (!ack.ok) throw new Error(`victim room unreadable: ${ack.error.code}`);
  return { revision: ack.board.revision, strokes: ack.board.strokes.map((s) => `${s.authorId}/${s.id}`) };
}

beforeAll(async () => {
  // A stand-in for the built web app: the headers and routing are what is tested, not the app.
  webDist = await mkdtemp(join(tmpdir(), 'inkling-web-'));
  await writeFile(join(webDist, 'index.html'), '<!doctype html><title>Inkling</title><script type="module" src="/assets/app.js"></script>');
  await writeFile(join(webDist, 'robots.txt'), 'User-agent: *\n');
  stack = await startStack({ workers: 1, webDist });
  alice = await stack.client();
  const joined = await call(alice, 'room:join', { name: 'Alice' });
  if (!joined.ok) throw new Error('join failed');
  victim.roomId = joined.roomId;
  for (const s of digitDrawing(7, undefined, 'a7-')) await call(alice, 'stroke:commit', { stroke: s });
  const cleared = await call(alice, 'board:clear', {});
  if (!cleared.ok) throw new Error('clear failed');
  let revision = 0;
  for (const s of digitDrawing(4, undefined, 'a4-')) {
    const ack = await call(alice, 'stroke:commit', { stroke: s });
    if (ack.ok) revision = ack.revision;
  }
  const board = await victimBoard();
  victim.revision = board.revision;
  expect(victim.revision).toBe(revision);
  const history = (await (await fetch(`${stack.gateway.url}/api/rooms/${victim.roomId}/history`)).json()) as {
    items: { drawingId: number }[];
  };
  victim.archivedId = history.items[0]?.drawingId ?? 0;
  victim.currentId = victim.archivedId + 1;
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await rm(webDist, { recursive: true, force: true });
});

describe('enumeration', () => {
  it('walking drawing ids from another room finds nothing, and "other room" answers exactly like "no such drawing"', async () => {
    const mallory = await stack.client();
    const own = await call(mallory, 'room:join', { name: 'Mallory' });
    if (!own.ok) throw new Error('join failed');
    const base = stack.gateway.url;
    const bodies = new Set<string>();
    for (let id = 1; id <= victim.currentId + 5; id++) {
      for (const path of [`/api/rooms/${own.roomId}/drawings/${id}`, `/api/rooms/${own.roomId}/drawings/${id}.png`]) {
        const res = await fetch(`${base}${path}`);
        const text = await res.text();
        expect(text).not.toContain(victim.roomId);
        if (res.status === 404) bodies.add(text);
        else expect(res.status).toBe(200); // Mallory's own (empty) current drawing
      }
      // The old unscoped route is gone.
      const old = await fetch(`${base}/api/drawings/${id}`);
      expect(old.status).toBe(404);
      expect(await old.text()).not.toContain(victim.roomId);
    }
    // A foreign drawing and one that never existed are indistinguishable.
    expect([...bodies]).toEqual([JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such drawing in this room' } })]);
    // Guessing rooms gets nothing either.
    expect((await fetch(`${base}/api/rooms/r${'A'.repeat(16)}/history`)).status).toBe(404);
    // The victim still reads both of their drawings through their room, and nothing changed.
    for (const id of [victim.archivedId, victim.currentId]) {
      const res = await fetch(`${base}/api/rooms/${victim.roomId}/drawings/${id}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { roomId: string }).roomId).toBe(victim.roomId);
    }
    expect((await victimBoard()).revision).toBe(victim.revision);
  });
});

describe('foreign origins', () => {
  it('HTTP: a page of another origin is refused, gets no CORS headers, and the own origin and non-browsers are served', async () => {
    const path = `/api/rooms/${victim.roomId}/history`;
    const evil = await fetch(`${stack.gateway.url}${path}`, { headers: { origin: EVIL } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('ORIGIN_NOT_ALLOWED');
    const preflight = await fetch(`${stack.gateway.url}/api/admin/retrain`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    const own = await fetch(`${stack.gateway.url}${path}`, { headers: { origin: stack.gateway.url } });
    expect(own.status).toBe(200);
    expect((await fetch(`${stack.gateway.url}${path}`)).status).toBe(200);
  });

  it('WebSocket and polling: a socket from another origin is refused before it can join; the victim room is untouched', async () => {
    for (const transports of [['websocket'], ['polling']] as const) {
      const error = await stack.client(undefined, { origin: EVIL, transports: [...transports] }).then(
        () => null,
        (err: Error) => err,
      );
      expect(error, `${transports[0]} from ${EVIL}`).toBeInstanceOf(Error);
    }
    const own = await stack.client(undefined, { origin: stack.gateway.url });
    expect((await call(own, 'room:join', { roomId: victim.roomId, name: 'Neighbour' })).ok).toBe(true);
    expect((await victimBoard()).revision).toBe(victim.revision);
  });

  it('with ALLOWED_ORIGINS set, exactly the listed origins may call the API and open sockets', async () => {
    const app = 'https://ink.example.com';
    const g: Gateway = await stack.startExtraGateway({ ALLOWED_ORIGINS: app });
    const listed = await fetch(`${g.url}/healthz`, { headers: { origin: app } });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe(app);
    expect((await fetch(`${g.url}/healthz`, { headers: { origin: EVIL } })).status).toBe(403);
    // Only the list: even the gateway's own host is not assumed (no DNS-rebinding shortcut).
    expect((await fetch(`${g.url}/healthz`, { headers: { origin: g.url } })).status).toBe(403);
    const ok = await stack.client(g.url, { origin: app });
    expect(ok.connected).toBe(true);
    await expect(stack.client(g.url, { origin: EVIL })).rejects.toThrow();
    await g.close();
  });
});

describe('security headers', () => {
  const expectHardened = (headers: Headers | Record<string, string | string[] | undefined>, what: string) => {
    const get = (name: string) => (headers instanceof Headers ? headers.get(name) : (headers[name] as string | undefined)) ?? null;
    const csp = get('content-security-policy') ?? '';
    const directives = Object.fromEntries(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name ?? '', values];
      }),
    );
    expect(directives['script-src'], `${what}: script-src`).toEqual(["'self'"]);
    expect(directives['default-src'], `${what}: default-src`).toEqual(["'self'"]);
    expect(directives['frame-ancestors'], `${what}: frame-ancestors`).toEqual(["'none'"]);
    expect(directives['object-src'], `${what}: object-src`).toEqual(["'none'"]);
    expect(get('x-content-type-options'), `${what}: nosniff`).toBe('nosniff');
    expect(get('referrer-policy'), `${what}: Referrer-Policy`).toBe('no-referrer');
    expect(get('x-frame-options'), `${what}: X-Frame-Options`).toBe('DENY');
  };

  it('every page, file, API answer and error carries CSP without inline script, nosniff, frame-ancestors none and Referrer-Policy', async () => {
    const base = stack.gateway.url;
    const paths: [string, number][] = [
      ['/', 200],
      [`/?room=${victim.roomId}`, 200],
      ['/admin', 200],
      ['/robots.txt', 200],
      ['/healthz', 200],
      [`/api/rooms/${victim.roomId}/history`, 200],
      [`/api/rooms/${victim.roomId}/drawings/${victim.archivedId}`, 200],
      [`/api/rooms/${victim.roomId}/drawings/${victim.archivedId}.png?size=64`, 200],
      ['/api/docs/json', 200],
      ['/api/admin/models', 401],
      ['/api/rooms/bad!id/history', 400],
      ['/api/nothing-here', 404],
      ['/missing.js', 404],
      ['/admin/queues', 401],
    ];
    for (const [path, status] of paths) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(status);
      expectHardened(res.headers, path);
      await res.arrayBuffer();
    }
    expect((await fetch(`${base}/`)).headers.get('content-type')).toContain('text/html');
    // Refusals are hardened like everything else: another origin's request…
    const foreign = await fetch(`${base}/api/rooms/${victim.roomId}/history`, { headers: { origin: EVIL } });
    expect(foreign.status).toBe(403);
    expectHardened(foreign.headers, 'a foreign origin');
    // …and a URL Fastify cannot decode, answered before any hook: a page-less policy (nothing loads, no framing).
    const undecodable = await rawGet(base, '/api/rooms/%E0%A4%A/history');
    expect(undecodable.status).toBe(400);
    expect(JSON.parse(undecodable.body)).toMatchObject({ error: { code: 'BAD_URL' } });
    expect(undecodable.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(undecodable.headers['x-content-type-options']).toBe('nosniff');
    expect(undecodable.headers['referrer-policy']).toBe('no-referrer');
    expect(undecodable.headers['x-frame-options']).toBe('DENY');
    // Socket.IO's own HTTP answers (polling transport) are hardened too.
    const polling = await rawGet(base, '/socket.io/?EIO=4&transport=polling');
    expect(polling.status).toBe(200);
    expect(polling.headers['x-content-type-options']).toBe('nosniff');
    expect(polling.headers['referrer-policy']).toBe('no-referrer');
  });

  it('the interactive API documentation is served from this gateway (works offline) and describes the room-scoped routes', async () => {
    const page = await fetch(`${stack.gateway.url}/api/docs`, { redirect: 'follow' });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/); // no inline script
    expect(html).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)/); // nothing from the network
    const doc = (await (await fetch(`${stack.gateway.url}/api/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/rooms/{roomId}/history',
        '/api/rooms/{roomId}/drawings/{drawingId}',
        '/api/rooms/{roomId}/drawings/{drawingId}.png',
        '/healthz',
        '/api/admin/models',
      ]),
    );
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/drawings'))).toBe(false);
  });
});

describe('malformed requests', () => {
  it('bad %-encodings, traversal, junk queries and odd paths all get a 4xx JSON error, never a 500', async () => {
    const base = stack.gateway.url;
    const paths = [
      '/%',
      '/%E0%A4%A',
      '/api/rooms/%E0%A4%A/history',
      `/api/rooms/${victim.roomId}/history?limit=%`,
      `/api/rooms/${victim.roomId}/history?limit=%ZZ`,
      `/api/rooms/${victim.roomId}/history?limit=1&limit=2`,
      `/api/rooms/${victim.roomId}/history?junk=1`,
      `/api/rooms/${victim.roomId}/drawings/1e3`,
      `/api/rooms/${victim.roomId}/drawings/-1`,
      `/api/rooms/${victim.roomId}/drawings/99999999999999999999999`,
      `/api/rooms/${victim.roomId}/drawings/${victim.archivedId}.png?size=281`,
      `/api/rooms/${victim.roomId}/drawings/${victim.archivedId}.png?size=64&cachebuster=${Math.random()}`,
      '/api/rooms/..%2F..%2Fetc/history',
      '/..%2F..%2F..%2Fetc%2Fpasswd',
      '/assets/..%2F..%2Fpackage.json',
      '/%00',
      '/api/rooms/abc%00def/history',
      `/api/${'x'.repeat(5000)}`,
      '/api/rooms//history',
    ];
    for (const path of paths) {
      const res = await rawGet(base, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.headers['content-type'], path).toContain('application/json');
      const body = JSON.parse(res.body) as { error: { code: string; message: string } };
      expect(body.error.code, path).toMatch(/^[A-Z_]+$/);
      expect(typeof body.error.message, path).toBe('string');
      expect(res.body, path).not.toContain('root:');
    }
    // Bodies: not JSON, wrong type, too big.
    const post = (body: string, type = 'application/json') =>
      fetch(`${base}/api/admin/retrain`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': type },
        body,
      });
    for (const [res, code] of [
      [await post('{not json'), 'INVALID_JSON'],
      [await post('x=1', 'application/x-www-form-urlencoded'), 'UNSUPPORTED_MEDIA_TYPE'],
      [await post(JSON.stringify({ epochs: 1, pad: 'x'.repeat(100_000) })), 'BODY_TOO_LARGE'],
      [await post(JSON.stringify({ epochs: 0 })), 'INVALID_PAYLOAD'],
      [await post('{"__proto__": {"polluted": true}, "epochs": 1}'), 'INVALID_JSON'],
    ] as const) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    expect((await victimBoard()).revision).toBe(victim.revision);
  });
});

describe('internal endpoints', () => {
  it('/metrics is not on the public port; it is on the internal listener (loopback)', async () => {
    const pub = await fetch(`${stack.gateway.url}/metrics`);
    expect(pub.status).toBe(404);
    expect(await pub.text()).not.toContain('inkling_');
    expect(stack.gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(await (await fetch(stack.gateway.metricsUrl)).text()).toContain('inkling_socket_events_total');
  });

  it('the admin API takes only `Authorization: Bearer`; the undocumented X-Admin-Token header no longer works', async () => {
    const viaHeader = await fetch(`${stack.gateway.url}/api/admin/models`, { headers: { 'x-admin-token': ADMIN_TOKEN } });
    expect(viaHeader.status).toBe(401);
    expect((await fetch(`${stack.gateway.url}/api/admin/models`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(
      200,
    );
  });

  it('the queue dashboard (Bull Board) needs the admin token or its session cookie, and shows both queues', async () => {
    const base = stack.gateway.url;
    expect((await fetch(`${base}/admin/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues/api/queues`)).status).toBe(401);
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: 'inkling_queues=9999999999999.forged' } })).status).toBe(
      401,
    );
    const session = await fetch(`${base}/api/admin/dashboard-session`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(session.status).toBe(204);
    const cookie = session.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/admin\/queues/);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const value = cookie.split(';')[0] ?? '';
    const page = await fetch(`${base}/admin/queues`, { headers: { cookie: value } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Inkling queues');
    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie: value } });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['recognition', 'training']);
    // A state-changing dashboard request from another origin is refused even with the cookie.
    const csrf = await fetch(`${base}/admin/queues/api/queues/recognition/retry/failed`, {
      method: 'PUT',
      headers: { cookie: value, origin: EVIL },
    });
    expect(csrf.status).toBe(403);
  });

  it('in production without ADMIN_TOKEN or SESSION_SECRET, or with the example placeholders, the gateway refuses to start or to serve admin routes', async () => {
    await expect(
      startGateway(
        { DATABASE_URL: stack.databaseUrl, REDIS_URL: stack.redisUrl, NODE_ENV: 'production', PORT: 0, METRICS_PORT: 0 },
        pino({ level: 'silent' }),
      ),
    ).rejects.toThrow(/SESSION_SECRET/);
    // Nor with the example configuration's placeholders left in place.
    const placeholders = {
      SESSION_SECRET: 'change-me-to-a-long-random-secret-of-32-or-more-characters',
      ADMIN_TOKEN: 'change-me-to-a-long-random-token',
    };
    await expect(
      startGateway(
        { DATABASE_URL: stack.databaseUrl, REDIS_URL: stack.redisUrl, NODE_ENV: 'production', PORT: 0, METRICS_PORT: 0, ...placeholders },
        pino({ level: 'silent' }),
      ),
    ).rejects.toThrow(/SESSION_SECRET is still the example's placeholder[\s\S]*ADMIN_TOKEN is still/);
    const g = await startGateway(
      {
        DATABASE_URL: stack.databaseUrl,
        REDIS_URL: stack.redisUrl,
        REDIS_PREFIX: stack.prefix,
        NODE_ENV: 'production',
        SESSION_SECRET,
        PORT: 0,
        HOST: '127.0.0.1',
        METRICS_PORT: 0,
      },
      pino({ level: 'silent' }),
    );
    try {
      const res = await fetch(`${g.url}/api/admin/models`, { headers: { authorization: 'Bearer anything-at-all-here' } });
      expect(res.status).toBe(503);
      expect((await fetch(`${g.url}/admin/queues`)).status).toBe(503);
    } finally {
      await g.close();
    }
  });
});
