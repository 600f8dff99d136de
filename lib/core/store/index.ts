export type {
  DlqEntry,
  LogQuery,
  RecordedSignal,
  SignalStore,
  SnapshotRecord,
  SubscriptionState,
  TrimOptions,
} from './signal-store.interface.js';
export { MemoryStore } from './memory.store.js';
export {
  isDistributedStore,
  type ConsumerStart,
  type DistributedSignalStore,
  type DurableConsumer,
  type DurableConsumerInfo,
  type DurableConsumerSpec,
  type DurableMessage,
  type LogTail,
} from './distributed-store.interface.js';
