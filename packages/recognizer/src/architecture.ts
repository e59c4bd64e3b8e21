/**
 * The digit classifier's architecture. Three small conv blocks (BatchNorm, ReLU, 2×2 max-pool) keep the
 * multiply-adds per image low (≈2 M) so CPUs can train it, then a small dense head. Input is the 28×28 image
 * with values in [0, 1] (white ink on black), output the 10 digit probabilities, or 11 when the model also has
 * the "not a digit" class (index 10).
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

export const ArchitectureOptionsSchema = z
  .object({
    filters: z.tuple([z.number().int().min(4).max(256), z.number().int().min(4).max(256), z.number().int().min(4).max(256)]),
    denseUnits: z.number().int().min(16).max(1024),
    dropout: z.number().min(0).max(0.9),
    seed: z.number().int().min(0).optional(),
    /** 10 digits, or 11 with "not a digit" as the last class. */
    classes: z.union([z.literal(10), z.literal(11)]).optional(),
  })
  .strict();
export type ArchitectureOptions = z.infer<typeof ArchitectureOptionsSchema>;

export const DEFAULT_ARCHITECTURE: ArchitectureOptions = { filters: [16, 32, 64], denseUnits: 128, dropout: 0.3 };
export const ARCHITECTURE_NAME = 'inkling-cnn-v1';
/** Index of the "not a digit" class in an 11-class model's output. */
export const NOT_DIGIT_CLASS = 10;

/** Builds a fresh, untrained model. Throws a ZodError for invalid options. */
export function buildModel(options: ArchitectureOptions = DEFAULT_ARCHITECTURE): tf.LayersModel {
  const o = ArchitectureOptionsSchema.parse(options);
  const init = (k: number) => tf.initializers.heNormal(o.seed === undefined ? {} : { seed: o.seed + k });
  const input = tf.input({ shape: [28, 28, 1], name: 'image' });
  let x: tf.SymbolicTensor = input;
  o.filters.forEach((filters, i) => {
    x = tf.layers
      .conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(i), name: `conv${i + 1}` })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `bn${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `relu${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: o.denseUnits, useBias: false, kernelInitializer: init(10), name: 'dense1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn_dense' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu_dense' }).apply(x) as tf.SymbolicTensor;
  if (o.dropout > 0) x = tf.layers.dropout({ rate: o.dropout, name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: o.classes ?? 10,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform(o.seed === undefined ? {} : { seed: o.seed + 20 }),
      name: 'probabilities',
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: ARCHITECTURE_NAME });
}

/** Multiply-adds for one 28×28 image through the convolutions and dense layers (for docs and benchmarks). */
export function multiplyAdds(options: ArchitectureOptions = DEFAULT_ARCHITECTURE): number {
  let size = 28;
  let channels = 1;
  let total = 0;
  for (const f of options.filters) {
    total += size * size * f * channels * 9;
    channels = f;
    size = Math.floor(size / 2);
  }
  total += size * size * channels * options.denseUnits + options.denseUnits * (options.classes ?? 10);
  return total;
}
