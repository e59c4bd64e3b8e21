/** The development gateway's generated session secret: made once, private to its owner, kept across restarts. */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { persistedSecret } from './session-token.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inkling-secret-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('persisted session secret', () => {
  it('is made on first use with mode 0600 (in a folder made for it) and read back the same afterwards', async () => {
    const file = join(dir, 'nested', 'session-secret');
    const first = persistedSecret(file);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(persistedSecret(file)).toBe(first);
    expect(persistedSecret(join(dir, 'other'))).not.toBe(first);
  });

  it('replaces a file too short to be a secret', async () => {
    const file = join(dir, 'session-secret');
    await writeFile(file, 'short\n');
    const secret = persistedSecret(file);
    expect(secret).not.toBe('short');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(persistedSecret(file)).toBe(secret);
  });
});
