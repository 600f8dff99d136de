export * from './journal-adapter.interface.js';
export * from './signal-journal.js';
export * from './memory.journal.js';
export * from './file.journal.js';
export * from './causality-context.js';
export * from './record-published.js';
export { crc32 } from './crc32.js';
export type { RecordDamage } from './record-codec.js';
export { formatEntry, formatTrace } from './format-trace.js';
