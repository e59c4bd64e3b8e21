/**
 * Attacks on who acts, against the real gateway, workers, Postgres and Redis: impersonating another member
 * (a user id in a payload, forged, altered, expired and foreign session tokens), stealing a stroke id seen
 * in `stroke:live`, and claiming the ids a Load will make. Each test asserts that the attack fails and
 * that the victim's board and abilities are exactly as they were.
 */
import { SessionTokens } from '@inkling/gateway';
import { digitDrawing, type Stroke } from '@inkling/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from './support/database.js';
import { call, commitStroke, type Joined, joinRoom, nextEvent, SESSION_SECRET, type Stack, startStack } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => {
  await stack?.close();
});

type Person = Joined;

const join = async (name: string, roomId?: string, token?: string): Promise<Person> =>
  joinRoom(await stack.client(undefined, token ? { token } : {}), name, roomId);
const commit = commitStroke;

/** The room's board as a newcomer sees it: `author/id` of every stroke, and the revision. */
async function board(roomId: string): Promise<{ revision: number; strokes: string[] }> {
  const ack = await call(await stack.client(), 'room:join', { roomId, name: 'Checker' });
  if (!ack.ok) throw new Error(`room unreadable: ${ack.error.code}`);
  return { revision: ack.board.revision, strokes: ack.board.strokes.map((s) => `${s.authorId}/${s.id}`) };
}

/** Connects with `token` and resolves with the refusal (connect_error) or null when it connected. */
async function refusal(token: unknown): Promise<{ message: string; data?: { code: string; message: string } } | null> {
  return stack.client(undefined, { token: token as string }).then(
    () => null,
    (err: Error & { data?: { code: string; message: string } }) => ({ message: err.message, ...(err.data ? { data: err.data } : {}) }),
  );
}

describe('impersonation', () => {
  it("naming Alice's user id in room:join is refused, and Mallory cannot undo, redo or label as Alice", async () => {
    const alice = await join('Alice');
    const [one, two] = digitDrawing(4, undefined, 'alice-');
    if (!one || !two) throw new Error('fixture');
    await commit(alice.client, one);
    const revision = await commit(alice.client, two);
    expect(await call(alice.client, 'board:label', { revision, text: '4' })).toEqual({ ok: true });
    const before = await board(alice.roomId);

    const mallory = await stack.client();
    // biome-ignore lint/suspicious/noExplicitAny: deliberately sending a field outside the contract
    const claimed = await (mallory.timeout(5000) as any).emitWithAck('room:join', {
      roomId: alice.roomId,
      name: 'Alice',
      userId: alice.userId,
    });
    expect(claimed).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    const m = await call(mallory, 'room:join', { roomId: alice.roomId, name: 'Alice' });
    if (!m.ok) throw new Error('join failed');
    expect(m.userId).not.toBe(alice.userId);
    expect(await call(mallory, 'board:undo', {})).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_UNDO' } });
    expect(await call(mallory, 'board:redo', {})).toMatchObject({ ok: false, error: { code: 'NOTHING_TO_REDO' } });
    // Mallory's label is Mallory's: Alice's stays as she gave it.
    expect(await call(mallory, 'board:label', { revision, text: '9' })).toEqual({ ok: true });
    const { rows } = await query(stack, 'SELECT user_id, text FROM labels ORDER BY id');
    expect(rows).toEqual([
      { user_id: alice.userId, text: '4' },
      { user_id: m.userId, text: '9' },
    ]);

    expect(await board(alice.roomId)).toEqual(before);
    // Alice still undoes her own last stroke.
    expect(await call(alice.client, 'board:undo', {})).toMatchObject({ ok: true });
    expect((await board(alice.roomId)).strokes).toEqual([`${alice.userId}/${one.id}`]);
  });

  it('a returning person proves who they are with the token, keeping their undo history across connections', async () => {
    const alice = await join('Alice');
    await commit(alice.client, digitDrawing(1, undefined, 'back-')[0] as Stroke);
    alice.client.disconnect();
    const again = await join('Alice', alice.roomId, alice.token);
    expect(again.userId).toBe(alice.userId);
    expect(await call(again.client, 'board:undo', {})).toMatchObject({ ok: true });
  });
});

describe('forged tokens', () => {
  it('forged, altered, expired, foreign and malformed tokens are refused with INVALID_TOKEN; the victim is untouched', async () => {
    const alice = await join('Alice');
    await commit(alice.client, digitDrawing(7, undefined, 'own-')[0] as Stroke);
    const before = await board(alice.roomId);

    const [, claims = '', signature = ''] = alice.token.split('.');
    const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { sub: string; exp: number };
    const altered = (c: object) => `v1.${Buffer.from(JSON.stringify({ ...decoded, ...c })).toString('base64url')}.${signature}`;
    const otherDeployment = new SessionTokens('another-deployments-secret-0123456789abcdef', 3_600_000);
    const pastIssuer = new SessionTokens(SESSION_SECRET, 60_000, () => Date.now() - 3_600_000);
    const attempts: [string, unknown][] = [
      ["another deployment's token naming Alice", otherDeployment.issue(alice.userId)],
      ['claims changed to another user, old signature', altered({ sub: 'u-mallory-000000' })],
      ['expiry pushed forward, old signature', altered({ exp: decoded.exp + 1e6 })],
      ['an expired token', pastIssuer.issue(alice.userId)],
      ['no signature', `v1.${claims}.`],
      ['a JWT with alg none', `eyJhbGciOiJub25lIn0.${claims}.`],
      ['garbage', 'not-a-token'],
      ['10 KB of garbage', 'x'.repeat(10_000)],
      ['a number', 12345],
      ['an object', { sub: alice.userId }],
    ];
    for (const [what, token] of attempts) {
      const refused = await refusal(token);
      expect(refused, what).not.toBeNull();
      expect(refused?.data?.code, what).toBe('INVALID_TOKEN');
    }
    expect(await board(alice.roomId)).toEqual(before);
    // Alice's own token still works, as Alice.
    expect(await refusal(alice.token)).toBeNull();
    const again = await join('Alice', alice.roomId, alice.token);
    expect(again.userId).toBe(alice.userId);
  });
});

describe('stroke-id theft', () => {
  it('Mallory committing the id she saw in stroke:live first neither blocks nor replaces Alice’s stroke', async () => {
    const alice = await join('Alice');
    const mallory = await join('Mallory', alice.roomId);
    const [seven] = digitDrawing(7, undefined, 'a-');
    if (!seven) throw new Error('fixture');
    const seen = nextEvent(mallory.client, 'stroke:live');
    await call(alice.client, 'stroke:live', { strokeId: seven.id, points: seven.points.slice(0, 3) });
    const { strokeId, authorId } = await seen;
    expect(authorId).toBe(alice.userId);
    const fake: Stroke = { id: strokeId, points: [[0.9, 0.9, 0]] };
    expect((await call(mallory.client, 'stroke:commit', { stroke: fake })).ok).toBe(true);
    expect((await call(mallory.client, 'stroke:commit', { stroke: fake })).ok).toBe(false); // her own duplicate, as before

    const ack = await call(alice.client, 'stroke:commit', { stroke: seven });
    expect(ack).toMatchObject({ ok: true });
    const now = await board(alice.roomId);
    expect(now.strokes).toEqual([`${mallory.userId}/${seven.id}`, `${alice.userId}/${seven.id}`]);
    const { rows } = await query(stack, 'SELECT points FROM strokes WHERE author_id = $1 AND stroke_id = $2', [alice.userId, seven.id]);
    expect(rows[0]?.points).toEqual(seven.points);
    // Undo by Alice takes Alice's stroke, by Mallory Mallory's; the event names the author.
    const removed = nextEvent(alice.client, 'stroke:removed');
    await call(mallory.client, 'board:undo', {});
    expect(await removed).toMatchObject({ strokeId: seven.id, authorId: mallory.userId });
    expect((await board(alice.roomId)).strokes).toEqual([`${alice.userId}/${seven.id}`]);
  });
});

describe('load-id pre-claiming', () => {
  it('ids a Load makes cannot be claimed in advance: every guess at them leaves the Load working', async () => {
    const alice = await join('Alice');
    const mallory = await join('Mallory', alice.roomId);
    // The old scheme's ids for the next revisions, and look-alikes of the new ones.
    for (let r = 1; r <= 4; r++) {
      for (const id of [`load${r}-0`, `load${r}-1`, `srv-${r}`])
        await call(mallory.client, 'stroke:commit', { stroke: { id, points: [[0.1, 0.1, 0]] } });
    }
    // Alice herself having used such an id does not break her Load either.
    await commit(alice.client, { id: 'load14-0', points: [[0.2, 0.2, 0]] });
    const strokes = digitDrawing(0, undefined, 'saved-').concat(digitDrawing(1, { x: 0.6, y: 0.2, size: 0.3 }, 'saved-b-'));
    const loaded = nextEvent(mallory.client, 'stroke:committed', (e) => e.authorId === alice.userId && e.stroke.id.startsWith('srv-'));
    const ack = await call(alice.client, 'board:load', { strokes });
    expect(ack).toMatchObject({ ok: true });
    const made = (await loaded).stroke.id;
    expect(made).toMatch(/^srv-[A-Za-z0-9_-]{16}$/);
    // Seeing the made id and committing it is Mallory's own stroke, no collision with Alice's.
    expect((await call(mallory.client, 'stroke:commit', { stroke: { id: made, points: [[0.3, 0.3, 0]] } })).ok).toBe(true);
    const now = await board(alice.roomId);
    expect(now.strokes.filter((s) => s.startsWith(`${alice.userId}/srv-`))).toHaveLength(strokes.length);
    // A second Load still works.
    expect(await call(alice.client, 'board:load', { strokes })).toMatchObject({ ok: true });
  });
});
