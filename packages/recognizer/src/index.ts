export * from './architecture.js';
export * from './backend.js';
export * from './batchnorm-gradient.js';
export * from './digit-cache.js';
export * from './inference-graph.js';
export * from './model-folder.js';
export * from './recognizer.js';
export * from './wasm-conv-gradients.js';
