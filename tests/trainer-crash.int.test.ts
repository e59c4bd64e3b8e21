import type { ModelRecord, TrainingJobView } from '@inkling/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Stack, startStack } from './support/stack.js';

/** A trainer killed in the middle of a job: the job ends failed with its reason, the served model stays. */
describe('a crashed trainer', () => {
  let stack: Stack;
  const fastStall = { TRAINER_LOCK_MS: '8000', TRAINER_STALLED_INTERVAL_MS: '1000' };
  const admin = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${stack.gateway.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const job = async (id: string) => (await admin('GET', `/api/admin/jobs/${id}`)).job as TrainingJobView;

  beforeAll(async () => {
    stack = await startStack({ workers: 0 });
  });
  afterAll(() => stack.close());

  it('leaves the job failed with the reason and the current model untouched', async () => {
    const trainer = await stack.spawnTrainer(fastStall);
    const started = await admin('POST', '/api/admin/retrain', { epochs: 5, mnistLimit: 60000, seed: 9 });
    const id = (started.job as TrainingJobView).id;
    // Wait for the first point of the live curve: the trainer is then inside the job. A loaded machine can take
    // a while to start a trainer and read MNIST, so the wait is long; it ends as soon as training is under way.
    const deadline = Date.now() + 150_000;
    while ((await job(id)).curve.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await job(id)).state).toBe('active');
    trainer.kill('SIGKILL');
    // A new trainer finds the job's lock expired and fails it (never reruns it).
    await stack.spawnTrainer(fastStall);
    let view = await job(id);
    for (let i = 0; i < 300 && view.state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      view = await job(id);
    }
    expect(view.state).toBe('failed');
    expect(view.failedReason).toMatch(/stalled/);
    const models = (await admin('GET', '/api/admin/models')).models as ModelRecord[];
    expect(models).toHaveLength(1);
    expect(models[0]?.status).toBe('promoted');
  }, 240_000);
});
