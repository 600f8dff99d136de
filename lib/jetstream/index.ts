/**
 * `nestjs-jido-signal/jetstream`: everything that needs the optional NATS peers
 * (`@nats-io/transport-node`, `@nats-io/jetstream`) — the JetStream store, the JetStream
 * journal and the NATS pub/sub broadcast. The main entry never loads this file at start-up:
 * `JidoSignalModule.forRoot({ store: { type: 'jetstream' } })` imports it when it connects.
 */
export {
  JetStreamStore,
  logIdFor,
  sequenceOf,
  type JetStreamStoreOptions,
  type JetStreamStoreSettings,
  type NatsConnectionOptions,
  type NatsServerOptions,
  type StreamConfigMismatch,
} from '../core/store/jetstream/index.js';
export { JetStreamJournal, type JetStreamJournalStats } from '../core/journal/jetstream.journal.js';
export {
  MAX_NATS_SUBJECT_BYTES,
  NATS_PRESENCE_PREFIX,
  NatsPubSub,
  type NatsPubSubErrorHandler,
  type NatsPubSubOptions,
} from '../core/dispatch/nats-pubsub.js';
export {
  StoreError,
  StoreClosedError,
  StoreOptionError,
  StoreUnavailableError,
} from '../core/errors/store.error.js';
export {
  type JetStreamJournalOptions,
  type JetStreamJournalReadConsistency,
  type ResolvedJetStreamJournalOptions,
} from '../core/journal/jetstream-journal.options.js';
