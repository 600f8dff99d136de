export { JetStreamStore } from './jetstream.store.js';
export type { JetStreamStoreSettings } from './options.js';
export type { JetStreamStoreOptions } from './jetstream.store.js';
export type { NatsServerOptions } from '../../nats/server-options.js';
export type { NatsConnectionOptions } from '../../nats/connection.js';
export { logIdFor, sequenceOf } from './subjects.js';
export type { StreamConfigMismatch } from '../../nats/stream-config.js';
