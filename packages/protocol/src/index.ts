export * from './drawing.js';
export * from './model-metadata.js';
export * from './prediction.js';
export * from './preprocess.js';
export * from './segment.js';
export * from './test-drawings.js';
export * from './training-progress.js';
