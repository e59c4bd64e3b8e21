import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { digitDrawing, ModelMetadataSchema, type ModelRecord, type TrainingJobView } from '@inkling/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Client, call, DEFAULT_MODEL_DIR, type Stack, startStack } from './support/stack.js';

/** The learning loop against real Redis, Postgres, trainer and worker, with small fast training runs. */
describe('retraining, registry and promotion', () => {
  let stack: Stack;
  let drawer: Client;
  let roomId: string;
  const versions: string[] = [];
  const predictions: { revision: number; modelVersion: string }[] = [];

  const admin = async (method: 'GET' | 'POST', path: string, body?: unknown, token: string | null = ADMIN_TOKEN) => {
    const res = await fetch(`${stack.gateway.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const waitForJob = async (id: string, timeoutMs = 240_000): Promise<TrainingJobView> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await admin('GET', `/api/admin/jobs/${id}`);
      const job = body.job as TrainingJobView;
      if (job.state === 'completed' || job.state === 'failed') return job;
      if (Date.now() > end) throw new Error(`job ${id} still ${job.state}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const models = async () => (await admin('GET', '/api/admin/models')).body.models as ModelRecord[];
  /** Commits a stroke and resolves with the model version of the prediction for it. */
  const predictNow = async (k: number): Promise<string> => {
    const stroke = digitDrawing(k % 10, undefined, `p${k}-`)[0];
    const ack = await call(drawer, 'stroke:commit', { stroke: stroke as never });
    if (!ack.ok) throw new Error(`commit failed: ${ack.error.message}`);
    const end = Date.now() + 10_000;
    let found = predictions.find((p) => p.revision >= ack.revision);
    while (!found && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
      found = predictions.find((p) => p.revision >= ack.revision);
    }
    if (!found) throw new Error(`no prediction for revision ${ack.revision}`);
    const version = found.modelVersion;
    predictions.length = 0;
    await call(drawer, 'board:clear', {});
    return version;
  };

  beforeAll(async () => {
    stack = await startStack({ workers: 1 });
    await stack.spawnTrainer();
    drawer = await stack.client();
    drawer.on('prediction', (p) => predictions.push(p));
    const joined = await call(drawer, 'room:join', { name: 'Labeller' });
    if (!joined.ok) throw new Error('join failed');
    roomId = joined.roomId;
    // Twelve labelled drawings (label ids 5 and 10 are the held-out user test set).
    for (let i = 0; i < 12; i++) {
      const digit = i % 10;
      let revision = 0;
      for (const s of digitDrawing(digit, { x: 0.25, y: 0.2, size: 0.55 }, `l${i}-`)) {
        const ack = await call(drawer, 'stroke:commit', { stroke: s });
        if (!ack.ok) throw new Error('commit failed');
        revision = ack.revision;
      }
      expect(await call(drawer, 'board:label', { revision, text: String(digit) })).toEqual({ ok: true });
      expect((await call(drawer, 'board:clear', {})).ok).toBe(true);
    }
  }, 120_000);
  afterAll(() => stack.close());

  it('every admin endpoint refuses a missing or wrong token and changes nothing', async () => {
    const endpoints: ['GET' | 'POST', string][] = [
      ['GET', '/api/admin/models'],
      ['POST', '/api/admin/models/x/promote'],
      ['POST', '/api/admin/models/x/rollback'],
      ['POST', '/api/admin/models/x/reject'],
      ['POST', '/api/admin/retrain'],
      ['GET', '/api/admin/jobs'],
      ['GET', '/api/admin/jobs/1'],
      ['POST', '/api/admin/jobs/1/cancel'],
      ['GET', '/api/admin/review'],
      ['POST', '/api/admin/review/label'],
      ['GET', '/api/admin/queues'],
    ];
    for (const [method, path] of endpoints) {
      for (const token of [null, 'wrong-token-wrong-token', `${ADMIN_TOKEN}x`]) {
        const r = await admin(method, path, method === 'POST' ? { epochs: 1 } : undefined, token);
        expect(r.status, `${method} ${path} with ${token}`).toBe(401);
        expect((r.body.error as { code: string }).code).toBe('ADMIN_UNAUTHORIZED');
      }
    }
    expect((await admin('GET', '/api/admin/jobs')).body.jobs).toEqual([]);
  });

  it('the registry starts with the shipped model, promoted', async () => {
    const list = await models();
    expect(list).toHaveLength(1);
    expect(list[0]?.status).toBe('promoted');
    versions.push(list[0]?.version as string);
  });

  it('validates retraining options', async () => {
    const bad = await admin('POST', '/api/admin/retrain', { epochs: 0 });
    expect(bad.status).toBe(400);
    const unknown = await admin('POST', '/api/admin/retrain', { epochs: 1, colour: 'red' });
    expect(unknown.status).toBe(400);
    expect((await admin('GET', '/api/admin/jobs')).body.jobs).toEqual([]);
  });

  it('a fine-tuning job on MNIST + user drawings is promoted; workers switch with zero failed jobs', async () => {
    const started = await admin('POST', '/api/admin/retrain', {
      epochs: 1,
      mode: 'fine-tune',
      mnistLimit: 1024,
      learningRate: 0.00002,
      seed: 3,
    });
    expect(started.status).toBe(202);
    const jobId = (started.body.job as TrainingJobView).id;
    const second = await admin('POST', '/api/admin/retrain', { epochs: 1 });
    expect(second.status).toBe(409);
    expect((second.body.error as { code: string }).code).toBe('TRAINING_BUSY');

    // A stream of recognition jobs while the job trains and the workers switch models.
    const seen: string[] = [];
    let k = 0;
    let done: TrainingJobView | null = null;
    let failure: unknown = null;
    const watching = waitForJob(jobId).then(
      (j) => {
        done = j;
      },
      (err: unknown) => {
        failure = err;
      },
    );
    while (!done && !failure) seen.push(await predictNow(k++));
    await watching;
    if (failure) throw failure;
    const job = done as unknown as TrainingJobView;
    expect(job.state).toBe('completed');
    expect(job.curve.some((p) => p.type === 'epoch')).toBe(true);
    expect(job.curve.filter((p) => p.type === 'batch').length).toBeGreaterThan(2);
    expect(job.result?.decision.promoted, job.result?.decision.reason).toBe(true);
    const version = job.result?.version as string;
    versions.push(version);
    const record = (await models()).find((m) => m.version === version);
    expect(record).toMatchObject({ status: 'promoted', parentVersion: versions[0] });
    expect(record?.dataCounts.userTest).toBe(2);
    expect(record?.dataCounts.userTrain).toBe(10);
    expect(record?.metrics.userTestAccuracy).not.toBeNull();
    // A fine-tune keeps its parent's calibration: the gate measured it with the parent's "not a digit" threshold.
    const child = ModelMetadataSchema.parse(JSON.parse(await readFile(join(stack.modelsDir, version, 'metadata.json'), 'utf8')));
    const parent = ModelMetadataSchema.parse(JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'metadata.json'), 'utf8')));
    expect(parent.calibration).toBeTruthy();
    expect(child.calibration ?? null).toEqual(parent.calibration ?? null);
    expect((await models()).find((m) => m.version === versions[0])?.status).toBe('retired');

    for (let i = 0; i < 40 && seen.at(-1) !== version; i++) seen.push(await predictNow(k++));
    expect(seen.at(-1)).toBe(version);
    const queues = (await admin('GET', '/api/admin/queues')).body.queues as { name: string; counts: Record<string, number> }[];
    expect(queues.find((q) => q.name === 'recognition')?.counts.failed).toBe(0);
  }, 300_000);

  it('a worse candidate (from scratch on 256 images) is rejected and the served model stays', async () => {
    const started = await admin('POST', '/api/admin/retrain', { epochs: 1, mode: 'scratch', mnistLimit: 256, seed: 4 });
    expect(started.status).toBe(202);
    const job = await waitForJob((started.body.job as TrainingJobView).id);
    expect(job.state).toBe('completed');
    expect(job.result?.decision.promoted).toBe(false);
    expect(job.result?.decision.reason).toContain('MNIST');
    const list = await models();
    expect(list.find((m) => m.version === job.result?.version)?.status).toBe('rejected');
    expect(list.find((m) => m.status === 'promoted')?.version).toBe(versions[1]);
    expect(await predictNow(900)).toBe(versions[1]);
    const promoteRejected = await admin('POST', `/api/admin/models/${job.result?.version}/rollback`, {});
    expect(promoteRejected.status).toBe(409);
  }, 300_000);

  it('rolls back to the previous model; workers follow', async () => {
    const r = await admin('POST', `/api/admin/models/${versions[0]}/rollback`, { reason: 'test rollback' });
    expect(r.status).toBe(200);
    expect((r.body.model as ModelRecord).status).toBe('promoted');
    let served = '';
    for (let i = 0; i < 40 && served !== versions[0]; i++) served = await predictNow(1000 + i);
    expect(served).toBe(versions[0]);
    expect((await models()).find((m) => m.version === versions[1])?.status).toBe('retired');
    expect((await admin('POST', '/api/admin/models/no-such-model/promote', {})).status).toBe(404);
  });

  it('a running job can be cancelled: it fails with the reason and nothing is registered', async () => {
    const before = (await models()).length;
    const started = await admin('POST', '/api/admin/retrain', { epochs: 5, mode: 'fine-tune', mnistLimit: 60000, seed: 5 });
    const id = (started.body.job as TrainingJobView).id;
    for (let i = 0; i < 200; i++) {
      const { body } = await admin('GET', `/api/admin/jobs/${id}`);
      if ((body.job as TrainingJobView).curve.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await admin('POST', `/api/admin/jobs/${id}/cancel`)).status).toBe(200);
    const job = await waitForJob(id, 60_000);
    expect(job.state).toBe('failed');
    expect(job.failedReason).toContain('cancelled');
    expect(await models()).toHaveLength(before);
  }, 300_000);

  it('the review queue lists corrected drawings; an admin label is stored', async () => {
    const ack = await call(drawer, 'stroke:commit', { stroke: digitDrawing(1, undefined, 'rev-')[0] as never });
    if (!ack.ok) throw new Error('commit failed');
    await new Promise((r) => setTimeout(r, 500));
    expect(await call(drawer, 'board:label', { revision: ack.revision, text: '7' })).toEqual({ ok: true });
    expect((await call(drawer, 'board:clear', {})).ok).toBe(true);
    const review = await admin('GET', '/api/admin/review?limit=20');
    const items = review.body.items as { drawingId: number; revision: number; label: string | null; predictedText: string }[];
    const corrected = items.find((i) => i.label === '7');
    expect(corrected).toBeDefined();
    expect(corrected?.predictedText).not.toBe('7');
    const labelled = await admin('POST', '/api/admin/review/label', {
      drawingId: corrected?.drawingId,
      revision: corrected?.revision,
      text: '1',
    });
    expect(labelled.status).toBe(200);
    expect((await admin('POST', '/api/admin/review/label', { drawingId: 1, revision: 0, text: 'one' })).status).toBe(400);
    expect(roomId).toBeTruthy();
  });
});
