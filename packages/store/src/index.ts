export * from './database.js';
export * from './history-repository.js';
export * from './migrations.js';
export * from './room-repository.js';
