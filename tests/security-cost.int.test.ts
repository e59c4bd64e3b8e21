/**
 * Attacks on what a stranger may cost, against the real gateway (in this process, or as its own process
 * where its memory is measured), workers, Postgres and Redis: ink past the board budget (redo, load,
 * commit), oversized and flooded events, PNG rendering, label amplification, rooms and connections per
 * address, idle rooms, 300 joins to one room, and input that hides or disorders. Each test asserts that the
 * attack fails and that the victim's room still works and is as it was.
 */
import { readFileSync } from 'node:fs';
import { LABELS_PER_ADDRESS_FACTOR } from '@inkling/gateway';
import { digitDrawing, LIMITS, MAX_EVENT_BYTES, type Stroke } from '@inkling/protocol';
import { createPool, TrainingData } from '@inkling/store';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from './support/database.js';
import { type Client, call, type Joined, joinRoom, nextEvent, type Stack, startStack } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  // No recognition worker: nothing here waits for predictions, and this process also measures the gateway.
  stack = await startStack({ workers: 0, gatewayEnv: { LABELS_PER_MINUTE: 5 } });
});
afterAll(async () => {
  await stack?.close();
});

const join = async (name: string, roomId?: string, url?: string): Promise<Joined> => joinRoom(await stack.client(url), name, roomId);

async function board(roomId: string): Promise<{ revision: number; strokes: number; points: number }> {
  const ack = await call(await stack.client(), 'room:join', { roomId, name: 'Checker' });
  if (!ack.ok) throw new Error(`room unreadable: ${ack.error.code}`);
  return {
    revision: ack.board.revision,
    strokes: ack.board.strokes.length,
    points: ack.board.strokes.reduce((n, s) => n + s.points.length, 0),
  };
}

/** A stroke of `n` points zig-zagging across the whole board (the most ink per point). */
function zigzag(id: string, n: number, row = 0): Stroke {
  return {
    id,
    points: Array.from(
      { length: n },
      (_, i) => [i % 2 === 0 ? 0.02 : 0.98, Math.min(1, (row * 0.05 + (i / n) * 0.9) % 1), i] as [number, number, number],
    ),
  };
}

const tiny = (id: string): Stroke => ({ id, points: [[0.5, 0.5, 0]] });

describe('the board budget holds for every way of adding ink', () => {
  it(`redo past ${LIMITS.maxStrokesPerBoard} strokes is refused with BOARD_FULL`, async () => {
    const alice = await join('Alice');
    const bob = await join('Bob', alice.roomId);
    for (const id of ['a1', 'a2', 'a3']) await call(alice.client, 'stroke:commit', { stroke: tiny(id) });
    for (let i = 0; i < 3; i++) expect((await call(alice.client, 'board:undo', {})).ok).toBe(true);
    // Bob fills the board while Alice's strokes wait in her redo history.
    const fill = Array.from({ length: LIMITS.maxStrokesPerBoard }, (_, i) => tiny(`b${i}`));
    expect(await call(bob.client, 'board:load', { strokes: fill })).toMatchObject({ ok: true });
    const full = await board(alice.roomId);
    expect(full.strokes).toBe(LIMITS.maxStrokesPerBoard);
    for (let i = 0; i < 3; i++)
      expect(await call(alice.client, 'board:redo', {})).toMatchObject({ ok: false, error: { code: 'BOARD_FULL' } });
    expect(await call(alice.client, 'stroke:commit', { stroke: tiny('a4') })).toMatchObject({ ok: false, error: { code: 'BOARD_FULL' } });
    expect(await call(alice.client, 'board:load', { strokes: [tiny('x')] })).toMatchObject({ ok: false, error: { code: 'BOARD_FULL' } });
    expect(await board(alice.roomId)).toEqual(full);
    // Once there is room again, her redo works.
    expect((await call(bob.client, 'board:undo', {})).ok).toBe(true);
    expect(await call(alice.client, 'board:redo', {})).toMatchObject({ ok: true });
    expect((await board(alice.roomId)).strokes).toBe(LIMITS.maxStrokesPerBoard);
  });

  it(`ink past ${LIMITS.maxPointsPerBoard} points on a board is refused, however it arrives`, async () => {
    const alice = await join('Alice');
    const bob = await join('Bob', alice.roomId);
    const strokes = Math.floor(LIMITS.maxPointsPerBoard / LIMITS.maxPointsPerStroke);
    const heavy = Array.from({ length: strokes }, (_, i) => zigzag(`z${i}`, LIMITS.maxPointsPerStroke, i));
    // One stroke over in a single Load is refused whole.
    expect(await call(bob.client, 'board:load', { strokes: [...heavy, tiny('extra')] })).toMatchObject({
      ok: false,
      error: { code: 'BOARD_FULL' },
    });
    expect((await board(alice.roomId)).points).toBe(0);
    await call(alice.client, 'stroke:commit', { stroke: zigzag('mine', 100) });
    await call(alice.client, 'board:undo', {});
    expect(await call(bob.client, 'board:load', { strokes: heavy })).toMatchObject({ ok: true });
    const full = await board(alice.roomId);
    expect(full.points).toBe(LIMITS.maxPointsPerBoard);
    expect(await call(alice.client, 'stroke:commit', { stroke: tiny('one-more') })).toMatchObject({
      ok: false,
      error: { code: 'BOARD_FULL' },
    });
    expect(await call(alice.client, 'board:redo', {})).toMatchObject({ ok: false, error: { code: 'BOARD_FULL' } });
    expect(await board(alice.roomId)).toEqual(full);
  });
});

describe('oversized and flooded events', () => {
  it('unknown events and payloads bigger than their largest legal form get an error ack and change nothing', async () => {
    const alice = await join('Alice');
    await call(alice.client, 'stroke:commit', { stroke: tiny('keep') });
    const before = await board(alice.roomId);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately outside the typed contract
    const raw = alice.client.timeout(5000) as any;
    expect(await raw.emitWithAck('board:explode', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    expect(await raw.emitWithAck('__proto__', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    const longNumbers = (n: number) => Array.from({ length: n }, (_, i) => [0.123456789012345, 0.987654321098765, i + 0.123456789]);
    expect(await raw.emitWithAck('stroke:live', { strokeId: 'x', points: longNumbers(1000) })).toMatchObject({
      ok: false,
      error: { code: 'PAYLOAD_TOO_LARGE' },
    });
    expect(await raw.emitWithAck('stroke:commit', { stroke: { id: 'x', points: longNumbers(4000) } })).toMatchObject({
      ok: false,
      error: { code: 'PAYLOAD_TOO_LARGE' },
    });
    expect(await raw.emitWithAck('board:label', { revision: 1, text: '1'.repeat(5000) })).toMatchObject({
      ok: false,
      error: { code: 'PAYLOAD_TOO_LARGE' },
    });
    expect(await board(alice.roomId)).toEqual(before);
    expect(alice.client.connected).toBe(true);
  });

  it(`a frame over the largest legal event (${MAX_EVENT_BYTES} bytes) closes that connection unread; nothing else is affected`, async () => {
    const alice = await join('Alice');
    const mallory = await join('Mallory', alice.roomId);
    const closed = new Promise<string>((resolve) => mallory.client.once('disconnect', resolve));
    // biome-ignore lint/suspicious/noExplicitAny: deliberately outside the typed contract
    (mallory.client as any).emit('board:load', { strokes: [{ id: 'x', points: [[0.5, 0.5, 0]] }], pad: 'x'.repeat(MAX_EVENT_BYTES + 10) });
    expect(await closed).toMatch(/transport (close|error)/);
    expect((await call(alice.client, 'stroke:commit', { stroke: tiny('after') })).ok).toBe(true);
    expect((await board(alice.roomId)).strokes).toBe(1);
  });

  it('events beyond the pending queue of one connection are refused with RATE_LIMITED; the accepted ones all land, in order', async () => {
    const alice = await join('Alice');
    // 250 at once: more than the 64 that may wait, fewer refusals than would close the connection (200).
    const acks = await Promise.all(Array.from({ length: 250 }, (_, i) => call(alice.client, 'stroke:commit', { stroke: tiny(`q${i}`) })));
    const ok = acks.filter((a) => a.ok);
    const limited = acks.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED');
    expect(ok.length + limited.length).toBe(250);
    expect(limited.length).toBeGreaterThan(0);
    expect(ok.map((a) => (a.ok ? a.revision : 0))).toEqual(ok.map((_, i) => i + 1));
    expect((await board(alice.roomId)).strokes).toBe(ok.length);
  });

  it('a flood of large events from one socket is cut off with a reason, the gateway’s memory stays under 200 MB above its start, and another room keeps working', async () => {
    const gateway = await stack.spawnGateway();
    const pid = gateway.child.pid as number;
    const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const victim = await join('Victim', undefined, gateway.url);
    await call(victim.client, 'stroke:commit', { stroke: tiny('v1') });
    const flooder = await join('Flooder', undefined, gateway.url);
    const baseline = rssMb();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb());
    }, 25);
    const reason = nextEvent(flooder.client, 'connection:closed', () => true, 60_000);
    const disconnected = new Promise<string>((resolve) => flooder.client.once('disconnect', resolve));
    const codes = new Map<string, number>();
    // 1,000 strokes of 2,000 points (~140 KB each, ~140 MB in all), sent without waiting for any ack.
    const points = zigzag('f', LIMITS.maxPointsPerStroke).points.map(
      ([x, y, t]) => [x + 1e-9 * Math.random(), y, t] as [number, number, number],
    );
    for (let i = 0; i < 1000; i++) {
      flooder.client.emit('stroke:commit', { stroke: { id: `f${i}`, points } }, (ack: { ok: boolean; error?: { code: string } }) => {
        const code = ack.ok ? 'ok' : (ack.error?.code ?? '?');
        codes.set(code, (codes.get(code) ?? 0) + 1);
      });
    }
    expect(await reason).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await disconnected).toBe('io server disconnect');
    // The victim's room on the same gateway still works, and holds exactly what the victim put there.
    expect(await call(victim.client, 'stroke:commit', { stroke: tiny('v2') })).toMatchObject({ ok: true, revision: 2 });
    const check = await call(await stack.client(gateway.url), 'room:join', { roomId: victim.roomId, name: 'Checker' });
    expect(check.ok && check.board.strokes.map((s) => s.id)).toEqual(['v1', 'v2']);
    clearInterval(sampler);
    const growthMb = peak - baseline;
    process.stdout.write(
      `flood: gateway RSS ${baseline.toFixed(0)} MB → peak ${peak.toFixed(0)} MB (+${growthMb.toFixed(0)} MB); acks ${JSON.stringify(Object.fromEntries(codes))}\n`,
    );
    expect(codes.get('RATE_LIMITED') ?? 0).toBeGreaterThan(0);
    expect(growthMb).toBeLessThan(200);
  }, 120_000);
});

describe('PNG rendering', () => {
  it('rendering the largest legal board at every size leaves /healthz answering in < 100 ms (90 % of probes; worst < 500 ms; both scaled by the idle probes on a loaded machine), and each picture is rendered once', async () => {
    // The gateway as its own process, so its event loop is measured alone (this process also runs a worker).
    // (A generous render time limit: this test is about the event loop, not about how fast renders finish.)
    const gateway = await stack.spawnGateway({ PNG_TIMEOUT_MS: '120000' });
    const alice = await join('Alice', undefined, gateway.url);
    const heavy = Array.from({ length: LIMITS.maxPointsPerBoard / LIMITS.maxPointsPerStroke }, (_, i) =>
      zigzag(`h${i}`, LIMITS.maxPointsPerStroke, i),
    );
    expect(await call(alice.client, 'board:load', { strokes: heavy })).toMatchObject({ ok: true });
    const cleared = nextEvent(alice.client, 'board:cleared');
    await call(alice.client, 'board:clear', {});
    const drawingId = (await cleared).archivedDrawingId;
    const base = `${gateway.url}/api/rooms/${alice.roomId}/drawings/${drawingId}.png`;
    const renders = async () =>
      Number(/^inkling_png_render_seconds_count (\d+)/m.exec(await (await fetch(gateway.metricsUrl)).text())?.[1]);
    const failures: string[] = [];
    const once = async () => {
      const t0 = performance.now();
      try {
        const res = await fetch(`${gateway.url}/healthz`);
        await res.arrayBuffer();
        if (res.status !== 200) failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push(String((err as Error).cause ?? err));
      }
      return performance.now() - t0;
    };
    // One probe is three /healthz requests at once, counted by the fastest: a blocked event loop holds all
    // three, while a request that met a descheduled database backend on the busy machine does not count.
    const probe = async () => Math.min(...(await Promise.all([once(), once(), once()])));
    await probe(); // connections warm
    const idleMs: number[] = [];
    for (let i = 0; i < 40; i++) {
      idleMs.push(await probe());
      await new Promise((r) => setTimeout(r, 20));
    }

    const probesMs: number[] = [];
    let rendering = true;
    const probing = (async () => {
      while (rendering) {
        probesMs.push(await probe());
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const sizes = [1024, 512, 280, 128, 64, 28];
    // Every size twice at once: the second asks for a picture already being rendered.
    const responses = await Promise.all([...sizes, ...sizes].map((size) => fetch(`${base}?size=${size}`)));
    for (const res of responses) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      await res.arrayBuffer();
    }
    rendering = false;
    await probing;
    expect(await renders()).toBe(sizes.length);
    // Asked again (the cache), with its ETag (no body), or with a cache-busting query (refused): no new render.
    expect((await fetch(`${base}?size=1024`)).status).toBe(200);
    const etag = responses[0]?.headers.get('etag') ?? '';
    expect((await fetch(`${base}?size=1024`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(`${base}?size=1024&r=${Math.random()}`)).status).toBe(400);
    expect(await renders()).toBe(sizes.length);

    // The bound, < 100 ms, judged against the machine's own state: 90 % of the probes taken while
    // the pictures render must meet it, or four times what the idle probes before showed when the machine is
    // that busy (a render on the event loop holds most probes for a whole render: 1.5–11.7 s); the worst one
    // must stay under 500 ms, or four times the idle worst, so the scheduler's occasional stall of a loaded
    // machine (which the idle probes show too) does not decide it.
    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    const pct = (xs: number[], p: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? 0;
    const show = (xs: number[]) =>
      `median ${pct(xs, 50).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, worst ${Math.max(...xs).toFixed(1)} ms`;
    process.stdout.write(`png: ${probesMs.length} /healthz probes while rendering: ${show(probesMs)} (idle before: ${show(idleMs)})\n`);
    expect(failures).toEqual([]);
    expect(probesMs.length).toBeGreaterThanOrEqual(10);
    expect(pct(probesMs, 90)).toBeLessThan(Math.max(100, 4 * pct(idleMs, 90)));
    expect(Math.max(...probesMs)).toBeLessThan(Math.max(500, 4 * Math.max(...idleMs)));
  }, 180_000);
});

describe('label amplification', () => {
  it("new identities do not evade the label limit: one address labels at most ten people's worth a minute", async () => {
    const g = await stack.startExtraGateway({ LABELS_PER_MINUTE: 2 });
    const alice = await join('Alice', undefined, g.url);
    const committed = await call(alice.client, 'stroke:commit', { stroke: tiny('lbl') });
    if (!committed.ok) throw new Error('commit failed');
    const codes: string[] = [];
    // Mallory reconnects without a token for a fresh user id each time, labelling twice as each.
    for (let i = 0; i < 12; i++) {
      const mallory = await join(`Mallory ${i}`, alice.roomId, g.url);
      for (const text of ['1', '2']) {
        const ack = await call(mallory.client, 'board:label', { revision: committed.revision, text });
        codes.push(ack.ok ? 'ok' : ack.error.code);
      }
      mallory.client.disconnect();
    }
    expect(codes.filter((c) => c === 'ok')).toHaveLength(2 * LABELS_PER_ADDRESS_FACTOR);
    expect(codes.slice(2 * LABELS_PER_ADDRESS_FACTOR).every((c) => c === 'RATE_LIMITED')).toBe(true);
    alice.client.disconnect();
    await g.close();
  });

  it('labelling one revision again and again stores one reference per person, is rate-limited, and retraining still reads the strokes', async () => {
    const alice = await join('Alice');
    const mallory = await join('Mallory', alice.roomId);
    const heavy = Array.from({ length: 10 }, (_, i) => zigzag(`l${i}`, LIMITS.maxPointsPerStroke, i));
    const loaded = await call(alice.client, 'board:load', { strokes: heavy });
    if (!loaded.ok) throw new Error('load failed');
    expect(await call(alice.client, 'board:label', { revision: loaded.revision, text: '1' })).toEqual({ ok: true });
    const sizeBefore = Number((await query(stack, "SELECT pg_total_relation_size('labels') AS n")).rows[0]?.n);
    const codes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ack = await call(mallory.client, 'board:label', { revision: loaded.revision, text: String(i % 10) });
      codes.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(codes.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(codes.slice(5).every((c) => c === 'RATE_LIMITED')).toBe(true);
    const { rows } = await query(
      stack,
      `SELECT user_id, text, strokes IS NULL AS reference FROM labels
        WHERE revision = $1 AND drawing_id IN (SELECT id FROM drawings WHERE room_id = $2) ORDER BY id`,
      [loaded.revision, alice.roomId],
    );
    expect(rows).toEqual([
      { user_id: alice.userId, text: '1', reference: true },
      { user_id: mallory.userId, text: '4', reference: true },
    ]);
    const sizeAfter = Number((await query(stack, "SELECT pg_total_relation_size('labels') AS n")).rows[0]?.n);
    expect(sizeAfter - sizeBefore).toBeLessThan(64 * 1024);
    // Retraining reads the labelled strokes through the reference.
    const pool = createPool(stack.databaseUrl, 1);
    try {
      const labelled = await new TrainingData(pool).labelledDrawings();
      const mine = labelled.filter((l) => l.strokes.length === heavy.length);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine[0]?.strokes.map((s) => s.points)).toEqual(heavy.map((s) => s.points));
    } finally {
      await pool.end();
    }
  });
});

describe('per-address limits', () => {
  it('room creation and open connections are limited per client address; spoofed X-Forwarded-For does not evade them', async () => {
    const g = await stack.startExtraGateway({ ROOMS_PER_HOUR: 30, MAX_CONNECTIONS_PER_ADDRESS: 4 });
    const clients: Client[] = [];
    for (let i = 0; i < 4; i++) clients.push(await stack.client(g.url));
    // Not even with a forged forwarding header (the gateway trusts no proxy by default).
    await expect(stack.client(g.url)).rejects.toThrow();
    const spoofed = connect(g.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { 'x-forwarded-for': '203.0.113.9' },
    });
    await expect(
      new Promise<void>((resolve, reject) => spoofed.once('connect', () => resolve()).once('connect_error', reject)),
    ).rejects.toThrow();
    const [first] = clients;
    if (!first) throw new Error('no client');
    const created: string[] = [];
    for (let i = 0; i < 12; i++) {
      const ack = await call(first, 'room:join', { name: `Spammer ${i}` });
      created.push(ack.ok ? 'ok' : ack.error.code);
    }
    expect(created.slice(0, 10)).toEqual(Array(10).fill('ok'));
    expect(created.slice(10)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    // Joining existing rooms is not limited, and a closed connection frees its place.
    const victim = await join('Victim');
    expect((await call(clients[1] as Client, 'room:join', { roomId: victim.roomId, name: 'Guest' })).ok).toBe(true);
    clients[3]?.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    expect((await stack.client(g.url)).connected).toBe(true);
    await g.close();
  });

  it('behind a trusted proxy the forwarded client address is the one limited', async () => {
    const g = await stack.startExtraGateway({ TRUST_PROXY: 'loopback', MAX_CONNECTIONS_PER_ADDRESS: 1 });
    const from = (ip: string) =>
      new Promise<Client>((resolve, reject) => {
        const c: Client = connect(g.url, {
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          extraHeaders: { 'x-forwarded-for': ip },
        });
        c.once('connect', () => resolve(c)).once('connect_error', reject);
      });
    const a = await from('198.51.100.1');
    const b = await from('198.51.100.2');
    await expect(from('198.51.100.1')).rejects.toThrow();
    a.disconnect();
    b.disconnect();
    await g.close();
  });
});

describe('idle rooms', () => {
  it('a room idle past ROOM_IDLE_DAYS expires: no more changes or members, its drawing archived and its history still readable', async () => {
    const alice = await join('Alice');
    const drawn = digitDrawing(4, undefined, 'idle-');
    for (const s of drawn) await call(alice.client, 'stroke:commit', { stroke: s });
    const other = await join('Busy');
    // Thirty-one days later (for this room only); a gateway checking often expires it.
    await query(stack, "UPDATE rooms SET last_active_at = now() - interval '31 days' WHERE id = $1", [alice.roomId]);
    const g = await stack.startExtraGateway({ ROOM_EXPIRY_CHECK_MS: 100 });
    const deadline = Date.now() + 10_000;
    while ((await query(stack, 'SELECT expired_at FROM rooms WHERE id = $1', [alice.roomId])).rows[0]?.expired_at === null) {
      if (Date.now() > deadline) throw new Error('the room did not expire');
      await new Promise((r) => setTimeout(r, 50));
    }
    await g.close();
    expect(await call(await stack.client(), 'room:join', { roomId: alice.roomId, name: 'Late' })).toMatchObject({
      ok: false,
      error: { code: 'ROOM_EXPIRED' },
    });
    expect(await call(alice.client, 'stroke:commit', { stroke: tiny('late') })).toMatchObject({
      ok: false,
      error: { code: 'ROOM_EXPIRED' },
    });
    expect(await call(alice.client, 'board:clear', {})).toMatchObject({ ok: false, error: { code: 'ROOM_EXPIRED' } });
    const history = (await (await fetch(`${stack.gateway.url}/api/rooms/${alice.roomId}/history`)).json()) as {
      items: { drawingId: number; strokeCount: number }[];
    };
    expect(history.items).toHaveLength(1);
    expect(history.items[0]?.strokeCount).toBe(drawn.length);
    expect((await fetch(`${stack.gateway.url}/api/rooms/${alice.roomId}/drawings/${history.items[0]?.drawingId}`)).status).toBe(200);
    // A room in use is not touched.
    expect((await call(other.client, 'stroke:commit', { stroke: tiny('busy') })).ok).toBe(true);
  });
});

describe('300 joins to one room', () => {
  it('each join sends the others one member, not the whole list again: O(n) per join', async () => {
    const n = 300;
    const first = await join('Member 0');
    const received: number[] = [];
    let listEntries = 0;
    const clients: Client[] = [first.client];
    const count = (c: Client, i: number) => {
      received[i] = 0;
      c.on('member:joined', (e) => {
        received[i] = (received[i] ?? 0) + 1;
        listEntries += e.member ? 1 : 0;
      });
    };
    count(first.client, 0);
    let lastAck = 0;
    for (let i = 1; i < n; i++) {
      const c = await stack.client();
      count(c, i);
      clients.push(c);
      const ack = await call(c, 'room:join', { roomId: first.roomId, name: `Member ${i}` });
      if (!ack.ok) throw new Error(`join ${i} failed: ${ack.error.code}`);
      lastAck = ack.board.members.length;
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(lastAck).toBe(n);
    // The k-th person hears of the n - 1 - k who came after, one member per event.
    expect(received).toEqual(Array.from({ length: n }, (_, k) => n - 1 - k));
    expect(listEntries).toBe((n * (n - 1)) / 2);
    const left = nextEvent(first.client, 'member:left');
    clients[n - 1]?.disconnect();
    expect((await left).userId).toBeTruthy();
  }, 120_000);
});

describe('input that hides or disorders', () => {
  it('names with bidi overrides, invisible or control characters are refused; ordinary names in any script are welcome', async () => {
    const c = await stack.client();
    const refused = [
      'Eve\u202Eevil',
      'Eve\u2066x\u2069',
      '\u200B\u200D',
      '\u3164',
      '\u2800\u2800',
      'A\u0301\u0301\u0301\u0301',
      'line\nbreak',
      'tab\tname',
      'nul\u0000',
      '\u00A0\u00A0',
    ];
    for (const name of refused)
      expect(await call(c, 'room:join', { name }), JSON.stringify(name)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    for (const name of ['Ada', 'Zoë', '李小龙', 'Ngũgĩ', 'Ада Лавлейс', '🦊 fox', 'O’Brien'])
      expect((await call(c, 'room:join', { name })).ok, name).toBe(true);
  });

  it('strokes whose point times go backwards are refused (commit, load and live points)', async () => {
    const alice = await join('Alice');
    const backwards: Stroke = {
      id: 'b',
      points: [
        [0.1, 0.1, 20],
        [0.2, 0.2, 10],
      ],
    };
    expect(await call(alice.client, 'stroke:commit', { stroke: backwards })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PAYLOAD' },
    });
    expect(await call(alice.client, 'board:load', { strokes: [backwards] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PAYLOAD' },
    });
    expect(await call(alice.client, 'stroke:live', { strokeId: 'b', points: backwards.points })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PAYLOAD' },
    });
    expect((await board(alice.roomId)).strokes).toBe(0);
  });
});
