/**
 * Recognition is fair between rooms (real gateway, worker, Postgres and Redis): a room with a huge board
 * that spams Recognize and keeps adding huge strokes costs the queue one waiting job at most, is
 * rate-limited, and another room still gets each prediction within a second.
 */

import { digitDrawing, LIMITS, type Stroke } from '@inkling/protocol';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Joined, joinRoom, type Stack, startStack } from './support/stack.js';

let stack: Stack;
beforeAll(async () => {
  // The worker in its own process, as deployed (an in-process one would share the test's event loop).
  stack = await startStack({ workers: 0 });
  await stack.spawnWorker();
});
afterAll(async () => {
  await stack?.close();
});

const joined = async (roomId?: string): Promise<Joined> => joinRoom(await stack.client(), 'P', roomId);

/** A 2,000-point stroke (the most a stroke may have) scribbled around one of ten places on the board. */
function hugeStroke(id: string, slot: number): Stroke {
  const cx = 0.05 + (slot % 10) * 0.09;
  const cy = 0.1 + Math.floor(slot / 10) * 0.13;
  return {
    id,
    points: Array.from(
      { length: 2000 },
      (_, i) => [cx + 0.04 * Math.sin(i / 40 + slot), cy + 0.05 * Math.cos(i / 33), i] as [number, number, number],
    ),
  };
}

describe('fair recognition', () => {
  it('a room spamming Recognize on a huge board does not delay another room’s predictions beyond a second', async () => {
    const spammer = await joined();
    const spammer2 = await joined(spammer.roomId);
    // The largest board the budget allows: 20 strokes of 2,000 points (LIMITS.maxPointsPerBoard), megabytes as JSON.
    for (let i = 0; i < LIMITS.maxPointsPerBoard / LIMITS.maxPointsPerStroke; i++) {
      const ack = await call(spammer.client, 'stroke:commit', { stroke: hugeStroke(`h${i}`, i) });
      if (!ack.ok) throw new Error(`huge commit failed: ${ack.error.code}`);
    }
    const victim = await joined();
    const connection = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue('recognition', { connection, prefix: stack.prefix });

    let spamming = true;
    const outcomes: Record<string, number> = {};
    const recognizeSpam = (async () => {
      while (spamming) {
        const ack = await call(spammer.client, 'board:recognize', {});
        const key = ack.ok ? 'ok' : ack.error.code;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
        // Hundreds of requests a second, under the connection's own event limit (RATE_LIMIT_PER_SEC, 1,000 in the
        // stack): the per-room limit is what is tested. Unpaced, a gateway that refuses in a millisecond is sent
        // more than that, and rightly closes the connection as abusive.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const strokeSpam = (async () => {
      for (let i = 60; spamming && i < 400; i++) {
        await call(spammer2.client, 'stroke:commit', { stroke: hugeStroke(`s${i}`, i % 60) });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    let waitingMax = 0;
    const sampler = (async () => {
      while (spamming) {
        waitingMax = Math.max(waitingMax, await queue.getWaitingCount());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // What this deployment keeps in Redis (its keys only: the server is shared with other tests) while the
    // spam goes on: jobs name rooms, so the megabytes of the huge board never go there.
    let redisBytesMax = 0;
    const redisBytes = async (): Promise<number> => {
      let total = 0;
      let cursor = '0';
      do {
        const [next, keys] = await connection.scan(cursor, 'MATCH', `${stack.prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) total += (await connection.memory('USAGE', key)) ?? 0;
      } while (cursor !== '0');
      return total;
    };
    const memorySampler = (async () => {
      while (spamming) {
        redisBytesMax = Math.max(redisBytesMax, await redisBytes());
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();

    // The victim writes a digit stroke every 300 ms and times each prediction.
    const latencies: number[] = [];
    const predictions: { revision: number; at: number }[] = [];
    victim.client.on('prediction', (p) => predictions.push({ revision: p.revision, at: performance.now() }));
    for (let i = 0; i < 15; i++) {
      const sent = performance.now();
      const ack = await call(victim.client, 'stroke:commit', { stroke: { ...(digitDrawing(i % 10)[0] as Stroke), id: `v${i}` } });
      if (!ack.ok) throw new Error(`victim commit failed: ${ack.error.code}`);
      const deadline = sent + 5000;
      while (!predictions.some((p) => p.revision >= ack.revision) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const got = predictions.find((p) => p.revision >= ack.revision);
      latencies.push(got ? got.at - sent : Number.POSITIVE_INFINITY);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    spamming = false;
    await Promise.all([recognizeSpam, strokeSpam, sampler, memorySampler]);
    await queue.close();
    await connection.quit();

    expect(Math.max(...latencies), `victim latencies (ms): ${latencies.map((l) => l.toFixed(0)).join(', ')}`).toBeLessThan(1000);
    expect(outcomes.RATE_LIMITED ?? 0).toBeGreaterThan(0);
    // The board alone is megabytes as JSON (the attack once grew Redis by 170 MB); the deployment's keys stay small.
    process.stdout.write(`fairness: largest Redis footprint of the deployment during the spam: ${(redisBytesMax / 1024).toFixed(0)} KB\n`);
    expect(redisBytesMax, `largest Redis footprint of this deployment: ${redisBytesMax} bytes`).toBeGreaterThan(0);
    expect(redisBytesMax).toBeLessThan(1024 * 1024);
    expect(outcomes.ok ?? 0).toBeGreaterThan(0);
    // At most one request per room waits (two rooms here), however many were made.
    expect(waitingMax).toBeLessThanOrEqual(2);
  }, 120_000);
});
