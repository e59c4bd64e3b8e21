import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PREPROCESSING_VERSION, testModelMetadata } from '@inkling/protocol';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from './architecture.js';
import { initBackend } from './backend.js';
import { loadModelFolder, ModelFolderError, saveModelFolder } from './model-folder.js';

describe('model folders', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'model-folder-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('round-trips weights and metadata', async () => {
    const model = buildModel({ filters: [4, 4, 4], denseUnits: 16, dropout: 0, seed: 1 });
    const folder = join(dir, 'a');
    await saveModelFolder(model, folder, testModelMetadata('a1'));
    const loaded = await loadModelFolder(folder);
    expect(loaded.metadata.version).toBe('a1');
    const x = tf.randomUniform([3, 28, 28, 1]);
    const expected = (model.predict(x) as tf.Tensor).arraySync();
    expect((loaded.model.predict(x) as tf.Tensor).arraySync()).toEqual(expected);
    x.dispose();
    model.dispose();
    loaded.model.dispose();
  });

  it('is a plain tfjs layers model that tf.loadLayersModel reads without Inkling code', async () => {
    const folder = join(dir, 'a');
    const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
  });

  it('refuses a folder whose preprocessing version differs', async () => {
    const folder = join(dir, 'b');
    const model = buildModel({ filters: [4, 4, 4], denseUnits: 16, dropout: 0, seed: 1 });
    await saveModelFolder(model, folder, { ...testModelMetadata('b1'), preprocessingVersion: PREPROCESSING_VERSION });
    const meta = JSON.parse(await readFile(join(folder, 'metadata.json'), 'utf8'));
    await writeFile(join(folder, 'metadata.json'), JSON.stringify({ ...meta, preprocessingVersion: PREPROCESSING_VERSION + 1 }));
    await expect(loadModelFolder(folder)).rejects.toThrow(/preprocessing version/);
    await expect(loadModelFolder(folder)).rejects.toBeInstanceOf(ModelFolderError);
    model.dispose();
  });

  it('refuses missing, corrupt or schema-breaking metadata', async () => {
    await expect(loadModelFolder(join(dir, 'missing'))).rejects.toThrow(/metadata.json is missing/);
    const folder = join(dir, 'a');
    await writeFile(join(folder, 'metadata.json'), '{not json');
    await expect(loadModelFolder(folder)).rejects.toThrow(/not valid JSON/);
    await writeFile(join(folder, 'metadata.json'), JSON.stringify({ format: 'inkling-model' }));
    await expect(loadModelFolder(folder)).rejects.toThrow(/does not match the schema/);
  });
});
