/**
 * A saved model is a folder: `model.json` (topology + weight manifest), `weights.bin`, and `metadata.json`.
 * Reading checks the metadata against what this code expects and refuses a mismatch.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ModelMetadata, ModelMetadataSchema, PREPROCESSING_VERSION } from '@inkling/protocol';
import * as tf from '@tensorflow/tfjs';

export class ModelFolderError extends Error {
  readonly code = 'MODEL_FOLDER_INVALID';
  constructor(
    readonly folder: string,
    readonly reason: string,
  ) {
    super(`cannot use model folder ${folder}: ${reason}`);
    this.name = 'ModelFolderError';
  }
}

const WEIGHTS_FILE = 'weights.bin';

/** Writes the folder atomically (to a sibling temp folder, then renamed) so a reader never sees half of it. */
export async function saveModelFolder(model: tf.LayersModel, folder: string, metadata: ModelMetadata): Promise<void> {
  const checked = ModelMetadataSchema.parse(metadata);
  const tmp = `${folder}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData;
      if (!weights || Array.isArray(weights)) throw new Error('expected a single weight buffer');
      await writeFile(join(tmp, WEIGHTS_FILE), new Uint8Array(weights));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(tmp, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  await writeFile(join(tmp, 'metadata.json'), `${JSON.stringify(checked, null, 2)}\n`);
  await rm(folder, { recursive: true, force: true });
  await rename(tmp, folder);
}

export interface ReadOptions {
  /**
   * Accept a folder made for another preprocessing version: only for tools that re-measure the model on the
   * current preprocessing and write a new folder (calibration), never for serving.
   */
  anyPreprocessingVersion?: boolean;
}

export async function readModelMetadata(folder: string, options: ReadOptions = {}): Promise<ModelMetadata> {
  let raw: string;
  try {
    raw = await readFile(join(folder, 'metadata.json'), 'utf8');
  } catch {
    throw new ModelFolderError(folder, 'metadata.json is missing');
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ModelFolderError(folder, 'metadata.json is not valid JSON');
  }
  const parsed = ModelMetadataSchema.safeParse(json);
  if (!parsed.success) throw new ModelFolderError(folder, `metadata.json does not match the schema: ${parsed.error.issues[0]?.message}`);
  if (parsed.data.preprocessingVersion !== PREPROCESSING_VERSION && !options.anyPreprocessingVersion) {
    throw new ModelFolderError(
      folder,
      `preprocessing version ${parsed.data.preprocessingVersion}, this code uses ${PREPROCESSING_VERSION}`,
    );
  }
  return parsed.data;
}

/**
 * Loads and checks a model folder; the model's input must be [null, 28, 28, 1] and output [null, 10] (digits) or
 * [null, 11] (digits and "not a digit").
 */
export async function loadModelFolder(
  folder: string,
  options: ReadOptions = {},
): Promise<{ model: tf.LayersModel; metadata: ModelMetadata }> {
  const metadata = await readModelMetadata(folder, options);
  let modelJson: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    modelJson = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
  } catch {
    throw new ModelFolderError(folder, 'model.json is missing or not JSON');
  }
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const buffers = await Promise.all(modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(folder, p))));
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData }));
  const inShape = model.inputs[0]?.shape;
  const outShape = model.outputs[0]?.shape;
  const outputs = JSON.stringify(outShape);
  if (JSON.stringify(inShape) !== JSON.stringify([null, 28, 28, 1]) || (outputs !== '[null,10]' && outputs !== '[null,11]')) {
    model.dispose();
    throw new ModelFolderError(
      folder,
      `model maps ${JSON.stringify(inShape)} → ${outputs}, expected [null,28,28,1] → [null,10] or [null,11]`,
    );
  }
  return { model, metadata };
}
