/**
 * `--from <model>`: a fresh model of the source's architecture carrying its trained weights, optionally with more
 * output classes. Going from 10 to 11 classes keeps the 10 digit columns of the output layer and starts the
 * "not a digit" column at zero weights with a negative bias, so the digits' probabilities are unchanged at first.
 */

import type { ModelMetadata } from '@inkling/protocol';
import { type ArchitectureOptions, ArchitectureOptionsSchema, buildModel, loadModelFolder } from '@inkling/recognizer';
import * as tf from '@tensorflow/tfjs';

export class FineTuneError extends Error {
  readonly code = 'FINE_TUNE_SOURCE';
  constructor(message: string) {
    super(message);
    this.name = 'FineTuneError';
  }
}

/** The source's architecture options with `classes` set (default: as many as the source model outputs). */
export async function loadForFineTune(
  folder: string,
  wanted?: 10 | 11,
): Promise<{ model: tf.LayersModel; architecture: ArchitectureOptions; source: ModelMetadata }> {
  const { model: source, metadata } = await loadModelFolder(folder);
  const parsed = ArchitectureOptionsSchema.safeParse(metadata.architecture.options);
  if (!parsed.success) {
    source.dispose();
    throw new FineTuneError(`${folder}: architecture options not understood: ${parsed.error.issues[0]?.message}`);
  }
  const sourceClasses = source.outputs[0]?.shape[1] as 10 | 11;
  const classes = wanted ?? sourceClasses;
  if (sourceClasses > classes) {
    source.dispose();
    throw new FineTuneError(`${folder} has ${sourceClasses} classes; cannot fine-tune it to ${classes}`);
  }
  const architecture: ArchitectureOptions = { ...parsed.data, classes };
  const model = buildModel(architecture);
  for (const layer of model.layers) {
    const from = source.getLayer(layer.name);
    const weights = from.getWeights();
    if (weights.length === 0) continue;
    if (layer.name !== 'probabilities' || sourceClasses === classes) {
      layer.setWeights(weights);
      continue;
    }
    const [kernel, bias] = weights as [tf.Tensor2D, tf.Tensor1D];
    const extra = classes - sourceClasses;
    const [newKernel, newBias] = tf.tidy(() => [
      tf.concat([kernel, tf.zeros([kernel.shape[0], extra])], 1),
      tf.concat([bias, tf.fill([extra], -3)], 0),
    ]);
    layer.setWeights([newKernel as tf.Tensor, newBias as tf.Tensor]);
    newKernel?.dispose();
    newBias?.dispose();
  }
  source.dispose();
  return { model, architecture, source: metadata };
}
