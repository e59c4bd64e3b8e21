export * from './database.js';
export * from './history-repository.js';
export * from './migrations.js';
export * from './model-registry.js';
export * from './room-repository.js';
export * from './training-data.js';
