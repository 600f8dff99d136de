import { createHash } from 'node:crypto';
import {
  assertStoreBusName,
  assertStorePrefix,
  MAX_BUS_NAME_LENGTH,
  type PrefixRule,
} from '../shared/names.js';
import { ValidationError } from '../../errors/validation.error.js';
import { parsePattern, WILDCARD_SOME } from '../../router/pattern.js';
import { formatIdParts, parseIdParts, SignalId, type IdParts } from '../../signal/signal-id.js';

/**
 * Names of the NATS resources of a {@link JetStreamStore}, and the mapping of signal types and
 * router patterns onto NATS subjects.
 *
 * With prefix `p` and bus `b`:
 *
 * | what                         | stream      | subjects                                 |
 * | ---------------------------- | ----------- | ---------------------------------------- |
 * | bus log (one per bus)        | `p_LOG_b`   | `p.log.b.<type tokens>`                  |
 * | subscription state, metadata | `p_STATE`   | `p.state.b.sub.<id>`, `p.state.b.snap.<id>` |
 * | dead letters                 | `p_DLQ`     | `p.dlq.b.<subscription id>`              |
 * | snapshot entries (chunked)   | `p_SNAP`    | `p.snap.b.<snapshot id>`                 |
 *
 * The prefix has no `_` so the first `_` of a stream name ends it: stores with different
 * prefixes never share a stream. Ids are encoded with {@link encodeIdToken}.
 *
 * @module
 */

const STORE = 'JetStreamStore';
export { MAX_BUS_NAME_LENGTH };
/** Longest prefix. */
export const MAX_PREFIX_LENGTH = 32;
const PREFIX_RULE: PrefixRule = {
  pattern: /^[A-Za-z0-9-]+$/,
  maxLength: MAX_PREFIX_LENGTH,
  allowed: 'A-Z, a-z, 0-9 and "-"',
};

/**
 * Assert that `bus` can be a stream-name and subject token: 1 to 128 characters of
 * `[A-Za-z0-9_-]`.
 * @throws InvalidBusNameError (`invalid_bus_name`)
 */
export function assertBusName(bus: unknown): asserts bus is string {
  assertStoreBusName(STORE, bus);
}

/**
 * Assert that `prefix` is usable: 1 to 32 characters of `[A-Za-z0-9-]` (no `_`, which separates
 * the prefix from the rest of a stream name).
 * @throws StoreOptionError (`invalid_option`)
 */
export function assertPrefix(prefix: unknown): asserts prefix is string {
  assertStorePrefix(STORE, prefix, PREFIX_RULE);
}

/** Stream and subject names of one store prefix. */
export class JetStreamNames {
  /** Subscription state and snapshot metadata (one message per subject). */
  readonly stateStream: string;
  /** Dead letters. */
  readonly dlqStream: string;
  /** Snapshot entries, chunked. */
  readonly snapshotStream: string;

  constructor(readonly prefix: string) {
    assertPrefix(prefix);
    this.stateStream = `${prefix}_STATE`;
    this.dlqStream = `${prefix}_DLQ`;
    this.snapshotStream = `${prefix}_SNAP`;
  }

  /** The log stream of a bus: `<prefix>_LOG_<bus>`. */
  logStream(bus: string): string {
    return `${this.prefix}_LOG_${bus}`;
  }

  /** Every subject of a bus log: `<prefix>.log.<bus>.>`. */
  logSubjects(bus: string): string {
    return `${this.prefix}.log.${bus}.>`;
  }

  /** Subject a signal of `type` is published to. */
  logSubject(bus: string, type: string): string {
    return `${this.prefix}.log.${bus}.${encodeType(type)}`;
  }

  /** The narrowest subject filter that selects every entry whose type matches `pattern`. */
  logFilter(bus: string, pattern: string): string {
    return `${this.prefix}.log.${bus}.${patternFilter(pattern)}`;
  }

  /** Subjects of the state stream. */
  stateSubjects(): string {
    return `${this.prefix}.state.>`;
  }

  subscriptionSubject(bus: string, id: string): string {
    return `${this.prefix}.state.${bus}.sub.${encodeIdToken(id)}`;
  }

  subscriptionSubjects(bus: string): string {
    return `${this.prefix}.state.${bus}.sub.>`;
  }

  snapshotMetaSubject(bus: string, id: string): string {
    return `${this.prefix}.state.${bus}.snap.${encodeIdToken(id)}`;
  }

  snapshotMetaSubjects(bus: string): string {
    return `${this.prefix}.state.${bus}.snap.>`;
  }

  snapshotSubjects(): string {
    return `${this.prefix}.snap.>`;
  }

  snapshotSubject(bus: string, id: string): string {
    return `${this.prefix}.snap.${bus}.${encodeIdToken(id)}`;
  }

  dlqSubjects(): string {
    return `${this.prefix}.dlq.>`;
  }

  dlqSubject(bus: string, subscriptionId: string): string {
    return `${this.prefix}.dlq.${bus}.${encodeIdToken(subscriptionId)}`;
  }

  dlqBusSubjects(bus: string): string {
    return `${this.prefix}.dlq.${bus}.>`;
  }
}

// --- signal types → subject tokens -----------------------------------------------------------

function isPlainToken(segment: string): boolean {
  const n = segment.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = segment.charCodeAt(i);
    if (!(
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 57) ||
      c === 95 || // _
      c === 45 // -
    )) {
      return false;
    }
  }
  return true;
}

const HEX = '0123456789ABCDEF';

/**
 * Encode one type segment as a NATS subject token. Segments of `[A-Za-z0-9_-]` (every segment a
 * pattern can name literally) are kept as they are; any other segment has each UTF-8 byte
 * outside that set written as `%XX`, and the empty segment becomes `%`. The result is never
 * empty and holds no `.`, `*`, `>`, whitespace or control character, and an encoded segment
 * always contains `%`, so it never equals a literal pattern segment.
 */
export function encodeTypeSegment(segment: string): string {
  if (isPlainToken(segment)) return segment;
  if (segment.length === 0) return '%';
  let out = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    if (
      (byte >= 97 && byte <= 122) ||
      (byte >= 65 && byte <= 90) ||
      (byte >= 48 && byte <= 57) ||
      byte === 95 ||
      byte === 45
    ) {
      out += String.fromCharCode(byte);
    } else {
      out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    }
  }
  return out;
}

/** Encode a signal type as subject tokens (segment by segment, see {@link encodeTypeSegment}). */
export function encodeType(type: string): string {
  // Fast path: a type of plain segments is its own subject suffix.
  let plain = type.length > 0;
  let start = 0;
  for (let i = 0; i <= type.length && plain; i++) {
    if (i === type.length || type.charCodeAt(i) === 46) {
      if (i === start) plain = false;
      start = i + 1;
    } else {
      const c = type.charCodeAt(i);
      if (!(
        (c >= 97 && c <= 122) ||
        (c >= 65 && c <= 90) ||
        (c >= 48 && c <= 57) ||
        c === 95 ||
        c === 45
      )) {
        plain = false;
      }
    }
  }
  return plain ? type : type.split('.').map(encodeTypeSegment).join('.');
}

/**
 * The subject filter (relative to `<prefix>.log.<bus>.`) that selects a superset of the types
 * matching `pattern`; the store then applies `matches()` on the real type.
 *
 * - literal segments and `*` map one to one (`user.*.updated` → `user.*.updated`);
 * - the first `**` cuts the filter: with segments after it the type has at least one more
 *   token, so `a.**.b` → `a.>`; a trailing `**` also matches zero segments, so the last
 *   segment before it is dropped too (`a.b.**` → `a.>`, `a.**` → `>`);
 * - a pattern starting with `**` → `>`.
 *
 * @throws InvalidPatternError (`invalid_pattern`) for a pattern outside the grammar
 */
export function patternFilter(pattern: string): string {
  const segments = parsePattern(pattern);
  const at = segments.indexOf(WILDCARD_SOME);
  if (at === -1) return segments.join('.');
  const head = at === segments.length - 1 ? segments.slice(0, at - 1) : segments.slice(0, at);
  return head.length === 0 ? '>' : `${head.join('.')}.>`;
}

// --- ids → tokens and consumer names ---------------------------------------------------------

/**
 * Encode an arbitrary id (subscription, snapshot) as one subject token: `i` followed by the
 * base64url of its UTF-8 bytes (`i` alone for the empty id). Injective and reversible.
 */
export function encodeIdToken(id: string): string {
  return `i${Buffer.from(id, 'utf8').toString('base64url')}`;
}

/** Inverse of {@link encodeIdToken}. */
export function decodeIdToken(token: string): string {
  return Buffer.from(token.slice(1), 'base64url').toString('utf8');
}

const MAX_CONSUMER_NAME = 64;

/**
 * Durable consumer name of a subscription id: `s_` + base64url of the id, or `h_` + a
 * SHA-256 digest when that would exceed 64 characters. Every instance derives the same name.
 */
export function consumerName(subscriptionId: string): string {
  const encoded = `s_${Buffer.from(subscriptionId, 'utf8').toString('base64url')}`;
  if (encoded.length <= MAX_CONSUMER_NAME) return encoded;
  return `h_${createHash('sha256').update(subscriptionId, 'utf8').digest('base64url')}`;
}

// --- log ids --------------------------------------------------------------------------------

const TWO_32 = 2 ** 32;
const scratch: IdParts = { ms: 0, seq: 0, hi: 0, lo: 0 };

/**
 * The log id of the entry stored at stream sequence `seq` and recorded at `ms`: a UUIDv7 whose
 * timestamp is `ms`, whose 12-bit counter is 0 and whose 62 random bits carry `seq`
 * (`hi` = the bits above 32, `lo` = the low 32 bits). Ids of one store object are strictly
 * increasing because `ms` never decreases and `seq` always increases.
 */
export function logIdFor(ms: number, seq: number): string {
  return formatIdParts(ms, 0, Math.floor(seq / TWO_32) & 0x3fffffff, seq >>> 0);
}

/**
 * The stream sequence carried by a log id from {@link logIdFor}.
 * @throws ValidationError (`invalid_id`) when `logId` is not a UUIDv7
 */
export function sequenceOf(logId: string, field = 'logId'): number {
  if (!SignalId.isValid(logId)) {
    throw new ValidationError('invalid_id', field, `"${String(logId)}" is not a log id (UUIDv7)`);
  }
  const parts = parseIdParts(logId, scratch);
  return parts.hi * TWO_32 + parts.lo;
}
