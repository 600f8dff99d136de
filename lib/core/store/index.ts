export * from './signal-store.interface.js';
export * from './memory.store.js';
export * from './distributed-store.interface.js';
