import { randomBytes } from 'node:crypto';

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** A parsed W3C `traceparent` header. */
export interface TraceParent {
  /** Two hex digits; `00` for the current spec. */
  readonly version: string;
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits (the parent span), not all zero. */
  readonly spanId: string;
  /** Two hex digits; bit 0 is "sampled". */
  readonly flags: string;
}

/**
 * Parse a W3C trace-context `traceparent` value. Returns `undefined` for anything that is
 * not valid per the W3C recommendation (version `ff`, all-zero ids, upper case, wrong length).
 */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT_RE.exec(value);
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  // Version 00 has exactly four fields; later versions may append more, which the regex excludes.
  return { version, traceId, spanId, flags };
}

/** Format a `traceparent` value. */
export function formatTraceparent(
  tp: Pick<TraceParent, 'traceId' | 'spanId'> & { flags?: string },
): string {
  return `00-${tp.traceId}-${tp.spanId}-${tp.flags ?? '01'}`;
}

/** A new root `traceparent`: fresh trace id and span id, sampled. */
export function createTraceparent(): string {
  return formatTraceparent({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
  });
}

/**
 * A child of `parent`: same trace id and flags, a new span id. An invalid or missing parent
 * yields a new root.
 */
export function childTraceparent(parent: string | undefined): string {
  const p = parseTraceparent(parent);
  if (p === undefined) return createTraceparent();
  return formatTraceparent({
    traceId: p.traceId,
    spanId: randomBytes(8).toString('hex'),
    flags: p.flags,
  });
}
