/** Metadata of a throw-away model (test folders and registry records): the smallest valid `ModelMetadata`. */
import { type ModelMetadata, PREPROCESSING_VERSION } from './model-metadata.js';

export function testModelMetadata(version: string): ModelMetadata {
  return {
    format: 'inkling-model',
    version,
    parentVersion: null,
    architecture: { name: 'inkling-cnn-v1', options: {}, multiplyAdds: 1 },
    input: { shape: [28, 28, 1], range: [0, 1], ink: 'white-on-black' },
    preprocessingVersion: PREPROCESSING_VERSION,
    dataset: { fingerprint: 'test', mnistTrainCount: 0, userTrainCount: 0, userTestCount: 0 },
    training: { command: 'test', epochs: 0, batchSize: 1, seed: 0, trainingTimeMs: 0, backend: 'wasm', imagesPerSec: 0 },
    metrics: {
      mnistTestAccuracy: 0.1,
      userTestAccuracy: null,
      userTestCount: 0,
      perClassAccuracy: new Array(10).fill(0.1),
      confusionMatrix: Array.from({ length: 10 }, () => new Array(10).fill(0)),
    },
    createdAt: new Date(0).toISOString(),
  };
}
