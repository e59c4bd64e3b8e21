import { describe, expect, it } from 'vitest';
import { GroupCommit, type ItemResult } from './group-commit.js';

/** A writer whose batches finish only when the test says so. */
function controlledWriter(
  results: (items: number[]) => ItemResult<string>[] = (items) => items.map((n) => ({ ok: true, value: `v${n}` })),
) {
  const batches: number[][] = [];
  const finish: (() => void)[] = [];
  const fail: ((err: Error) => void)[] = [];
  const write = (items: number[]) => {
    batches.push(items);
    return new Promise<ItemResult<string>[]>((resolve, reject) => {
      finish.push(() => resolve(results(items)));
      fail.push(reject);
    });
  };
  return { batches, finish, fail, write };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('writes a lone item at once, and batches items that arrive while writes are in flight', async () => {
    const w = controlledWriter();
    const group = new GroupCommit(w.write, { maxInFlight: 1 });
    const first = group.submit(1);
    expect(w.batches).toEqual([[1]]);
    const rest = [group.submit(2), group.submit(3), group.submit(4)];
    expect(w.batches).toHaveLength(1);
    w.finish[0]?.();
    expect(await first).toBe('v1');
    await turn();
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
    w.finish[1]?.();
    expect(await Promise.all(rest)).toEqual(['v2', 'v3', 'v4']);
  });

  it('keeps at most maxInFlight batches going and at most maxBatch items in one', async () => {
    const w = controlledWriter();
    const group = new GroupCommit(w.write, { maxInFlight: 2, maxBatch: 2 });
    const all = [1, 2, 3, 4, 5, 6].map((n) => group.submit(n));
    expect(w.batches).toEqual([[1], [2]]);
    w.finish[0]?.();
    await all[0];
    await turn();
    expect(w.batches).toEqual([[1], [2], [3, 4]]);
    w.finish[1]?.();
    await all[1];
    await turn();
    expect(w.batches).toEqual([[1], [2], [3, 4], [5, 6]]);
    w.finish[2]?.();
    w.finish[3]?.();
    expect(await Promise.all(all)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  });

  it('with gatherTurn, sends everything submitted in one turn of the event loop as one batch', async () => {
    const w = controlledWriter();
    const group = new GroupCommit(w.write, { gatherTurn: true });
    const all = [group.submit(1), group.submit(2), group.submit(3)];
    expect(w.batches).toEqual([]);
    await turn();
    expect(w.batches).toEqual([[1, 2, 3]]);
    w.finish[0]?.();
    expect(await Promise.all(all)).toEqual(['v1', 'v2', 'v3']);
  });

  it('fails only the items the writer reports as failed', async () => {
    const w = controlledWriter((items) =>
      items.map((n) => (n % 2 === 0 ? { ok: false, error: new Error(`bad ${n}`) } : { ok: true, value: `v${n}` })),
    );
    const group = new GroupCommit(w.write, { gatherTurn: true });
    const all = [1, 2, 3].map((n) => group.submit(n).catch((err: Error) => err.message));
    await turn();
    w.finish[0]?.();
    expect(await Promise.all(all)).toEqual(['v1', 'bad 2', 'v3']);
  });

  it('when a whole batch fails, writes each item alone so one bad item fails only itself', async () => {
    const written: number[][] = [];
    const group = new GroupCommit<number, string>(
      async (items) => {
        written.push(items);
        if (items.includes(2)) throw new Error('constraint violated by 2');
        return items.map((n) => ({ ok: true, value: `v${n}` }));
      },
      { gatherTurn: true },
    );
    const all = [1, 2, 3].map((n) => group.submit(n).catch((err: Error) => err.message));
    expect(await Promise.all(all)).toEqual(['v1', 'constraint violated by 2', 'v3']);
    expect(written).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('goes on writing after a failed batch', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('connection lost');
      return items.map((n) => ({ ok: true, value: n * 10 }));
    });
    await expect(group.submit(1)).rejects.toThrow('connection lost');
    expect(await group.submit(2)).toBe(20);
  });
});
