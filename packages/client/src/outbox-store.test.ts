import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stroke } from '@inkling/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { fileOutboxStore } from './file-outbox-store.js';
import { memoryOutboxStore, type OutboxStore } from './outbox-store.js';

const stroke = (id: string): Stroke => ({ id, points: [[0.5, 0.5, 0]] });

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempFile = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'inkling-outbox-'));
  dirs.push(dir);
  return join(dir, 'nested', 'outbox.json');
};

describe.each([
  ['memory', async () => ({ open: () => memoryOutboxStore() })],
  [
    'file',
    async () => {
      const path = await tempFile();
      return { open: () => fileOutboxStore(path) };
    },
  ],
] as const)('%s outbox store', (_name, make) => {
  it('keeps records per room and stroke, in drawing order, with their refusal', async () => {
    const { open } = await make();
    const store: OutboxStore = open();
    await store.put({ roomId: 'r1', stroke: stroke('b'), seq: 2, refusal: null });
    await store.put({ roomId: 'r1', stroke: stroke('a'), seq: 1, refusal: null });
    await store.put({ roomId: 'r2', stroke: stroke('a'), seq: 3, refusal: null });
    await store.put({ roomId: 'r1', stroke: stroke('b'), seq: 2, refusal: { code: 'BOARD_FULL', message: 'full' } });
    await store.remove('r1', 'a');
    await store.remove('r1', 'nope');
    expect(await store.load('r1')).toEqual([
      { roomId: 'r1', stroke: stroke('b'), seq: 2, refusal: { code: 'BOARD_FULL', message: 'full' } },
    ]);
    expect((await store.load('r2')).map((r) => r.stroke.id)).toEqual(['a']);
    expect(await store.load('r3')).toEqual([]);
  });
});

describe('file outbox store', () => {
  it('survives a restart: a new store on the same file reads what the last one wrote', async () => {
    const path = await tempFile();
    const first = fileOutboxStore(path);
    await Promise.all([
      first.put({ roomId: 'r', stroke: stroke('a'), seq: 1, refusal: null }),
      first.put({ roomId: 'r', stroke: stroke('b'), seq: 2, refusal: null }),
      first.remove('r', 'a'),
    ]);
    const second = fileOutboxStore(path);
    expect((await second.load('r')).map((r) => r.stroke.id)).toEqual(['b']);
    expect(JSON.parse(await readFile(path, 'utf8'))).toHaveLength(1);
  });
});
