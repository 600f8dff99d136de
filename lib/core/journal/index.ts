export type {
  JournalAdapter,
  JournalEntry,
  JournalMeta,
  JournalScan,
  StagedSignal,
} from './journal-adapter.interface.js';
export { SignalJournal } from './signal-journal.js';
export { MemoryJournal } from './memory.journal.js';
export { FileJournal } from './file.journal.js';
export {
  applyCausality,
  CausalityContext,
  causalityDeliveryScope,
  type CausalityContextApi,
} from './causality-context.js';
export {
  recordPublished,
  type RecordFailure,
  type RecordPublishedOptions,
  type RecordPublishedResult,
} from './record-published.js';
export { crc32 } from './crc32.js';
export type { RecordDamage } from './record-codec.js';
export { formatEntry, formatTrace } from './format-trace.js';
export {
  type JournalQuery,
  type JournalRecordErrorMessage,
  type JournalRecordMessage,
  type JournalTime,
  type RecordOptions,
  type SignalJournalOptions,
  type TraceDirection,
  type TraceOptions,
  type TraceStep,
  type UnknownCausePolicy,
} from './signal-journal.types.js';
export {
  type FileJournalOptions,
  type FileJournalStats,
  type JournalDurability,
  type JournalFlushMessage,
  type JournalRecoveryReport,
} from './file-journal.types.js';
export type { ResolvedFileJournalOptions } from './file-journal-options.js';
