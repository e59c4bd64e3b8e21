/**
 * The real-time pipeline end to end against real Redis, Postgres, BullMQ workers and the shipped model:
 * rooms, strokes, undo/redo/clear/label, validation of every event, recognition ordering and coalescing,
 * worker crashes and gateway restarts.
 */

import type { DrawingDetail, HistoryPage } from '@inkling/protocol';
import { digitDrawing, MEMBER_PALETTE, numberDrawing, type Prediction, type Stroke } from '@inkling/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, call, commitStroke, type Joined, joinRoom, nextEvent, type Stack, startStack } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ workers: 2 });
});
afterAll(async () => {
  await stack?.close();
});

const joined = async (name: string, roomId?: string): Promise<Joined> => joinRoom(await stack.client(), name, roomId);
const commit = commitStroke;

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const predictionAt = (client: Client, revision: number) => nextEvent(client, 'prediction', (p) => p.revision >= revision, 20_000);

describe('rooms and live strokes', () => {
  it('creates a room with an unguessable id and lets a second person join it', async () => {
    const a = await joined('Ada');
    expect(a.roomId).toMatch(/^r[A-Za-z0-9_-]{16}$/);
    const memberSeen = nextEvent(a.client, 'member:joined');
    const b = await call(await stack.client(), 'room:join', { roomId: a.roomId, name: 'Bob' });
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.board.members.map((m) => m.name).sort()).toEqual(['Ada', 'Bob']);
    expect(b.board.members.every((m) => /^#[0-9a-f]{6}$/.test(m.color))).toBe(true);
    expect((await memberSeen).member).toEqual({ userId: b.userId, name: 'Bob', color: expect.stringMatching(/^#[0-9a-f]{6}$/) });
    // The server gave each person an id and a token naming it.
    expect(b.userId).not.toBe(a.userId);
    expect(b.token).toMatch(/^v1\./);
  });

  it('gives the eight people of a room eight different colours (a colour is never shared while the palette lasts)', async () => {
    const first = await joined('P0');
    const second = await call(await stack.client(), 'room:join', { roomId: first.roomId, name: 'P1' });
    if (!second.ok) throw new Error('join failed');
    let board = second.board;
    for (let i = 2; i < MEMBER_PALETTE.length; i++) {
      const ack = await call(await stack.client(), 'room:join', { roomId: first.roomId, name: `P${i}` });
      if (!ack.ok) throw new Error(`join failed: ${ack.error.code}`);
      board = ack.board;
    }
    // By hash alone, eight random ids share no colour in only 0.24 % of rooms (8! / 8^8).
    expect(board.members).toHaveLength(MEMBER_PALETTE.length);
    expect(new Set(board.members.map((m) => m.color)).size).toBe(MEMBER_PALETTE.length);
  });

  it('refuses an unknown room', async () => {
    const c = await stack.client();
    const ack = await call(c, 'room:join', { roomId: 'doesnotexist123', name: 'Cy' });
    expect(ack).toEqual({ ok: false, error: { code: 'ROOM_NOT_FOUND', message: expect.any(String) } });
  });

  it('relays live points to the others and committed strokes to everyone, then both get the same prediction', async () => {
    const a = await joined('Ada');
    const b = await joined('Bob', a.roomId);
    const [seven] = digitDrawing(7);
    if (!seven) throw new Error('fixture');
    const live = nextEvent(b.client, 'stroke:live');
    expect(await call(a.client, 'stroke:live', { strokeId: seven.id, points: seven.points.slice(0, 5) })).toEqual({ ok: true });
    expect(await live).toEqual({ strokeId: seven.id, authorId: a.userId, points: seven.points.slice(0, 5) });

    const committedA = nextEvent(a.client, 'stroke:committed');
    const committedB = nextEvent(b.client, 'stroke:committed');
    const predA = predictionAt(a.client, 1);
    const predB = predictionAt(b.client, 1);
    const revision = await commit(a.client, seven);
    expect(revision).toBe(1);
    expect((await committedB).stroke).toEqual(seven);
    expect((await committedA).authorId).toBe(a.userId);
    const [pa, pb] = await Promise.all([predA, predB]);
    expect(pa).toEqual(pb);
    expect(pa.revision).toBe(1);
    expect(pa.text).toBe('7');
    expect(pa.digits[0]?.probabilities).toHaveLength(10);
    expect(pa.digits[0]?.strokeIds).toEqual([seven.id]);
    expect(pa.modelVersion).toBe(stack.workers[0]?.recognizer.modelVersion);
    expect(pa.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('reads a number written side by side, left to right', async () => {
    const a = await joined('Ada');
    const strokes = numberDrawing('2026');
    const ack = await call(a.client, 'board:load', { strokes });
    expect(ack.ok).toBe(true);
    if (!ack.ok) return;
    const p = await predictionAt(a.client, ack.revision);
    expect(p.digits).toHaveLength(4);
    expect(p.text).toBe('2026');
    for (let i = 1; i < p.digits.length; i++) expect(p.digits[i]?.box.x).toBeGreaterThan(p.digits[i - 1]?.box.x ?? 1);
  });
});

describe('undo, redo, clear and label', () => {
  it('undo removes only your own last stroke; redo puts it back; a new stroke clears redo', async () => {
    const a = await joined('Ada');
    const b = await joined('Bob', a.roomId);
    const [one] = digitDrawing(1, undefined, 'a');
    const [zero] = digitDrawing(0, { x: 0.5, y: 0.2, size: 0.5 }, 'b');
    if (!one || !zero) throw new Error('fixture');
    await commit(a.client, one);
    await commit(b.client, zero);

    expect(await call(await (await joined('Cy', a.roomId)).client, 'board:undo', {})).toMatchObject({
      ok: false,
      error: { code: 'NOTHING_TO_UNDO' },
    });
    const removed = nextEvent(b.client, 'stroke:removed');
    const undo = await call(a.client, 'board:undo', {});
    expect(undo).toEqual({ ok: true, revision: 3 });
    expect(await removed).toEqual({ strokeId: one.id, authorId: a.userId, revision: 3 });

    const afterUndo = await call(await stack.client(), 'room:join', { roomId: a.roomId, name: 'Dee' });
    expect(afterUndo.ok && afterUndo.board.strokes.map((s) => s.id)).toEqual([zero.id]);

    const restored = nextEvent(b.client, 'stroke:committed');
    expect(await call(a.client, 'board:redo', {})).toEqual({ ok: true, revision: 4 });
    expect((await restored).stroke.id).toBe(one.id);
    expect(await call(a.client, 'board:redo', {})).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_REDO' } });

    await call(a.client, 'board:undo', {});
    await commit(a.client, {
      id: 'a-new',
      points: [
        [0.2, 0.2, 0],
        [0.3, 0.3, 10],
      ],
    });
    expect(await call(a.client, 'board:redo', {})).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_REDO' } });
  });

  it('clear archives the drawing with its final prediction; labels are stored for current and archived drawings', async () => {
    const a = await joined('Ada');
    const strokes = digitDrawing(4);
    let revision = 0;
    for (const s of strokes) revision = await commit(a.client, s);
    await predictionAt(a.client, revision);
    expect(await call(a.client, 'board:label', { revision, text: '4' })).toEqual({ ok: true });

    const cleared = nextEvent(a.client, 'board:cleared');
    const clear = await call(a.client, 'board:clear', {});
    expect(clear).toEqual({ ok: true, revision: revision + 1 });
    const { archivedDrawingId, drawingId } = await cleared;
    expect(drawingId).not.toBe(archivedDrawingId);
    // Labelling the archived drawing by its final revision (e.g. from History) works too.
    expect(await call(a.client, 'board:label', { revision, text: '4' })).toEqual({ ok: true });
    expect(await call(a.client, 'board:label', { revision: revision + 50, text: '4' })).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_REVISION' },
    });
    expect(await call(a.client, 'board:label', { revision: revision + 1, text: '4' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_PAYLOAD' },
    });

    const history = (await (await fetch(`${stack.gateway.url}/api/rooms/${a.roomId}/history`)).json()) as HistoryPage;
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({ drawingId: archivedDrawingId, finalRevision: revision, strokeCount: 2, label: { text: '4' } });
    expect(history.items[0]?.prediction?.text).toBe('4');

    const detail = (await (
      await fetch(`${stack.gateway.url}/api/rooms/${a.roomId}/drawings/${archivedDrawingId}`)
    ).json()) as DrawingDetail;
    expect(detail.strokes.map((s: Stroke) => s.id)).toEqual(strokes.map((s) => s.id));
    expect(detail.predictions.length).toBeGreaterThanOrEqual(1);
    // The same person labelling the same drawing revision twice (board, then History) keeps one label.
    expect(detail.labels.map((l: { text: string }) => l.text)).toEqual(['4']);

    const png = await fetch(`${stack.gateway.url}/api/rooms/${a.roomId}/drawings/${archivedDrawingId}.png?size=64`);
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = new Uint8Array(await png.arrayBuffer());
    expect(Array.from(bytes.subarray(1, 4), (c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect(new DataView(bytes.buffer).getUint32(16)).toBe(64);
  });
});

describe('bad input changes nothing', () => {
  const tooManyPoints = Array.from({ length: 2001 }, (_, i) => [0.5, 0.5, i] as [number, number, number]);
  const cases: [string, string, unknown][] = [
    ['stroke:live', 'no points', { strokeId: 'x', points: [] }],
    ['stroke:live', '201 points in one event', { strokeId: 'x', points: Array.from({ length: 201 }, () => [0.1, 0.1, 0]) }],
    ['stroke:live', 'a string payload', 'not an object'],
    ['stroke:commit', 'x outside [0, 1]', { stroke: { id: 'x', points: [[2, 0.5, 0]] } }],
    ['stroke:commit', '2,001 points (oversized)', { stroke: { id: 'x', points: tooManyPoints } }],
    ['stroke:commit', 'an id with spaces', { stroke: { id: 'bad id!', points: [[0.1, 0.1, 0]] } }],
    ['stroke:commit', 'an unknown field', { stroke: { id: 'x', points: [[0.1, 0.1, 0]] }, extra: 1 }],
    ['stroke:commit', 'null', null],
    ['board:undo', 'an unknown field', { junk: true }],
    ['board:redo', 'an array', [1, 2]],
    ['board:clear', 'a string', 'now'],
    ['board:recognize', 'an unknown field', { please: 1 }],
    ['board:label', 'a negative revision', { revision: -1, text: '7' }],
    ['board:label', 'words instead of digits', { revision: 1, text: 'seven' }],
    ['board:label', '13 digits', { revision: 1, text: '1234567890123' }],
    ['board:load', 'no strokes', { strokes: [] }],
    ['board:load', 'a NaN coordinate', { strokes: [{ id: 'x', points: [[0.1, Number.NaN, 0]] }] }],
    ['room:join', 'an empty name', { name: '' }],
    ['room:join', 'a 41-character name', { name: 'x'.repeat(41) }],
    ['room:join', 'a path as room id', { roomId: '../../etc', name: 'Eve' }],
    ['room:join', 'a userId (who you are comes from the session token)', { name: 'Eve', userId: 'u-someone-else-123' }],
    ['room:join', 'a right-to-left override in the name', { name: 'Eve\u202Eevil' }],
    ['room:join', 'a name of zero-width spaces', { name: '\u200B\u200B' }],
    [
      'stroke:commit',
      'times going backwards',
      {
        stroke: {
          id: 'x',
          points: [
            [0.1, 0.1, 50],
            [0.2, 0.2, 10],
          ],
        },
      },
    ],
  ];

  it.each(cases)('%s with %s gets INVALID_PAYLOAD and leaves the board as it was', async (event, _what, payload) => {
    const a = await joined('Ada');
    const [seven] = digitDrawing(7);
    if (!seven) throw new Error('fixture');
    await commit(a.client, seven);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately sending payloads outside the typed contract
    const ack = await (a.client.timeout(5000) as any).emitWithAck(event, payload);
    expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.any(String) } });
    const check = await call(await stack.client(), 'room:join', { roomId: a.roomId, name: 'Checker' });
    expect(check.ok && check.board.revision).toBe(1);
    expect(check.ok && check.board.strokes.map((s) => s.id)).toEqual([seven.id]);
  });

  it('events before joining a room get NOT_IN_ROOM', async () => {
    const c = await stack.client();
    expect(await call(c, 'board:undo', {})).toMatchObject({ ok: false, error: { code: 'NOT_IN_ROOM' } });
    expect(await call(c, 'stroke:commit', { stroke: { id: 'x', points: [[0.1, 0.1, 0]] } })).toMatchObject({
      ok: false,
      error: { code: 'NOT_IN_ROOM' },
    });
  });

  it('a resent stroke (same id) is refused as a duplicate, not drawn twice', async () => {
    const a = await joined('Ada');
    const [seven] = digitDrawing(7);
    if (!seven) throw new Error('fixture');
    await commit(a.client, seven);
    expect(await call(a.client, 'stroke:commit', { stroke: seven })).toMatchObject({ ok: false, error: { code: 'DUPLICATE_STROKE' } });
  });

  it('HTTP endpoints refuse bad ids and queries with a JSON error', async () => {
    const base = stack.gateway.url;
    expect((await fetch(`${base}/api/rooms/bad!id/history`)).status).toBe(400);
    expect((await fetch(`${base}/api/rooms/abcdefgh12345/history`)).status).toBe(404);
    const { roomId } = await joined('Ada');
    const badQuery = await fetch(`${base}/api/rooms/${roomId}/history?limit=5000`);
    expect(badQuery.status).toBe(400);
    expect(((await badQuery.json()) as { error: { code: string } }).error.code).toBe('INVALID_QUERY');
    expect((await fetch(`${base}/api/rooms/${roomId}/drawings/abc`)).status).toBe(400);
    expect((await fetch(`${base}/api/rooms/${roomId}/drawings/999999`)).status).toBe(404);
    expect((await fetch(`${base}/api/rooms/${roomId}/drawings/1.png?size=5`)).status).toBe(400);
  });
});

describe('recognition ordering', () => {
  it('a burst of strokes ends with a prediction for the latest revision, and predictions only move forward', async () => {
    const a = await joined('Ada');
    const b = await joined('Bob', a.roomId);
    const seen: Record<string, Prediction[]> = { a: [], b: [] };
    a.client.on('prediction', (p) => seen.a?.push(p));
    b.client.on('prediction', (p) => seen.b?.push(p));
    const strokes = numberDrawing('31415926');
    const acks = await Promise.all(strokes.map((s) => call(a.client, 'stroke:commit', { stroke: s })));
    const last = Math.max(...acks.map((x) => (x.ok ? x.revision : 0)));
    expect(last).toBe(strokes.length);
    await Promise.all([predictionAt(a.client, last), predictionAt(b.client, last)]);
    for (const list of [seen.a ?? [], seen.b ?? []]) {
      const revisions = list.map((p) => p.revision);
      expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
      expect(new Set(revisions).size).toBe(revisions.length);
      expect(revisions.at(-1)).toBe(last);
    }
    expect(seen.a?.map((p) => p.revision)).toEqual(seen.b?.map((p) => p.revision));
  });

  it('strokes committed at the same moment in many rooms share recognition jobs, and each room gets its own prediction', async () => {
    const counter = async (name: string) => {
      const text = await (await fetch(stack.gateway.metricsUrl)).text();
      return Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
    };
    const people = await Promise.all(Array.from({ length: 10 }, (_, i) => joined(`P${i}`)));
    const [jobsBefore, boardsBefore] = [
      await counter('inkling_recognition_jobs_enqueued_total'),
      await counter('inkling_recognition_boards_enqueued_total'),
    ];
    const predictions = people.map((p) => predictionAt(p.client, 1));
    const acks = await Promise.all(
      people.map((p, i) => call(p.client, 'stroke:commit', { stroke: digitDrawing(i === 1 ? 7 : 0)[0] as Stroke })),
    );
    expect(acks.every((a) => a.ok && a.revision === 1)).toBe(true);
    const received = await Promise.all(predictions);
    received.forEach((p, i) => {
      expect(p.roomId).toBe(people[i]?.roomId);
      expect(p.text).toBe(i === 1 ? '7' : '0');
    });
    const boards = (await counter('inkling_recognition_boards_enqueued_total')) - boardsBefore;
    const jobs = (await counter('inkling_recognition_jobs_enqueued_total')) - jobsBefore;
    expect(boards).toBe(10);
    expect(jobs).toBeGreaterThanOrEqual(1);
    expect(jobs).toBeLessThan(10);
  });

  it('an explicit Recognize re-announces the current revision', async () => {
    const a = await joined('Ada');
    const [three] = digitDrawing(3);
    if (!three) throw new Error('fixture');
    const revision = await commit(a.client, three);
    await predictionAt(a.client, revision);
    const again = nextEvent(a.client, 'prediction', (p) => p.revision === revision);
    expect(await call(a.client, 'board:recognize', {})).toEqual({ ok: true, revision });
    expect((await again).text).toBe('3');
  });
});

describe('several gateways', () => {
  it('people on two gateways share one room: live points, strokes, members and predictions cross over, and one board results', async () => {
    // Alone, a gateway keeps room events local; a second one is heard before it accepts anyone.
    await until(() => stack.gateway.peers.alone);
    const second = await stack.startExtraGateway();
    await until(() => !stack.gateway.peers.alone);
    expect(second.peers.alone).toBe(false);
    const a = await joined('Ada');
    const bClient = await stack.client(second.url);
    const memberSeen = nextEvent(a.client, 'member:joined');
    const joinB = await call(bClient, 'room:join', { roomId: a.roomId, name: 'Bob' });
    if (!joinB.ok) throw new Error(`join failed: ${joinB.error.code}`);
    expect((await memberSeen).member.name).toBe('Bob');
    expect(joinB.board.members.map((m) => m.name).sort()).toEqual(['Ada', 'Bob']);

    const at = (digit: number, slot: number, id: string): Stroke => ({
      ...(digitDrawing(digit, { x: 0.04 + slot * 0.32, y: 0.3, size: 0.3 })[0] as Stroke),
      id,
    });
    const [one, zero, third] = [at(1, 0, 'g-a1'), at(0, 1, 'g-b1'), at(1, 2, 'g-a2')];
    const live = nextEvent(bClient, 'stroke:live');
    await call(a.client, 'stroke:live', { strokeId: one.id, points: one.points.slice(0, 3) });
    expect((await live).authorId).toBe(a.userId);

    // Commits alternate between the gateways; each one's cached board must not go stale.
    const seenByB = nextEvent(bClient, 'stroke:committed', (e) => e.stroke.id === 'g-a1');
    const r1 = await commit(a.client, one);
    expect((await seenByB).revision).toBe(r1);
    const seenByA = nextEvent(a.client, 'stroke:committed', (e) => e.stroke.id === 'g-b1');
    const r2 = await commit(bClient, zero);
    expect((await seenByA).revision).toBe(r2);
    const r3 = await commit(a.client, third);
    expect([r1, r2, r3]).toEqual([1, 2, 3]);
    const [pa, pb] = await Promise.all([predictionAt(a.client, r3), predictionAt(bClient, r3)]);
    expect(pa).toEqual(pb);
    expect(pa.digits.flatMap((d) => d.strokeIds)).toEqual(['g-a1', 'g-b1', 'g-a2']);
    expect(pa.text).toBe('101');
    const rejoined = await call(await stack.client(second.url), 'room:join', { roomId: a.roomId, name: 'Cy' });
    expect(rejoined.ok && rejoined.board.strokes.map((s) => s.id)).toEqual(['g-a1', 'g-b1', 'g-a2']);
    // When the other gateway goes, this one is alone again within a few checks.
    await second.close();
    await until(() => stack.gateway.peers.alone);
  });
});

describe('failures', () => {
  it('a worker killed in the middle of a job loses nothing: another worker delivers the prediction', async () => {
    // Only a slow child worker is running: stop the in-process ones so the job must go to it.
    for (const w of stack.workers.splice(0)) await w.close();
    const slow = await stack.spawnWorker({ WORKER_FAULT_DELAY_MS: '60000', WORKER_CONCURRENCY: '1' });
    const a = await joined('Ada');
    const [two] = digitDrawing(2);
    if (!two) throw new Error('fixture');
    const prediction = predictionAt(a.client, 1);
    await commit(a.client, two);
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const queue = new Queue('recognition', { connection: new Redis(stack.redisUrl, { maxRetriesPerRequest: null }), prefix: stack.prefix });
    while ((await queue.getActiveCount()) === 0) await new Promise((r) => setTimeout(r, 20));
    // The replacement is ready before the kill (its start-up is not what this measures); the job is held
    // by the slow worker until its lock expires.
    await stack.startWorker();
    slow.kill('SIGKILL');
    const p = await prediction;
    expect(p.revision).toBe(1);
    expect(p.text).toBe('2');
    await queue.close();
  });

  it('a gateway restart keeps every committed stroke, and the room keeps working', async () => {
    const a = await joined('Ada');
    const strokes = digitDrawing(5);
    for (const s of strokes) await commit(a.client, s);
    await stack.restartGateway();
    const again = await joined('Ada again', a.roomId);
    const board = await call(again.client, 'room:join', { roomId: a.roomId, name: 'Ada again' });
    expect(board.ok && board.board.strokes.map((s) => s.id)).toEqual(strokes.map((s) => s.id));
    expect(board.ok && board.board.revision).toBe(2);
    const next = await commit(again.client, { id: 'after-restart', points: [[0.9, 0.9, 0]] });
    expect(next).toBe(3);
  });
});

describe('operations endpoints', () => {
  it('reports health and Prometheus metrics', async () => {
    const health = await fetch(`${stack.gateway.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { postgres: true, redis: true } });
    const metrics = await (await fetch(stack.gateway.metricsUrl)).text();
    expect(metrics).toMatch(/inkling_socket_events_total\{event="stroke:commit",outcome="ok"\} \d+/);
    expect(metrics).toContain('inkling_prediction_latency_seconds_bucket');
  });
});
