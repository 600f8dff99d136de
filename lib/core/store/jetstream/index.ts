export { JetStreamStore } from './jetstream.store.js';
export type { JetStreamStoreOptions } from './options.js';
export type { NatsConnectionOptions } from './connection.js';
export { logIdFor, sequenceOf } from './subjects.js';
export type { StreamConfigMismatch } from './stream-config.js';
