export * from './engine/index.js';
export * from './worker/index.js';
