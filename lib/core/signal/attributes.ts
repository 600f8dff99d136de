import { SignalValidationError } from '../errors/validation.error.js';

// RFC 3339 date-time (the profile of ISO 8601 CloudEvents requires for `time`).
const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;
// RFC 3986 URI-reference: allowed characters, valid percent-escapes, scheme syntax if present.
const URI_CHARS_RE = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// RFC 2046 media type, loosely: type "/" subtype, optional parameters.
const MEDIA_TYPE_RE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?$/;

/**
 * Milliseconds since the epoch of a date-time `Date.parse` reads, or of an RFC 3339 one it
 * does not: with a lower-case `t`/`z`, or a leap second (`23:59:60`), taken as the instant one
 * second after `23:59:59` since JavaScript time has no leap seconds. `NaN` for anything else.
 */
export function dateTimeMillis(text: string): number {
  const ms = Date.parse(text);
  if (!Number.isNaN(ms)) return ms;
  const m = RFC3339_RE.exec(text);
  if (m === null) return NaN;
  const upper = text.toUpperCase();
  // The seconds are characters 17–18 of an RFC 3339 date-time.
  if (m[6] !== '60') return Date.parse(upper);
  return Date.parse(`${upper.slice(0, 17)}59${upper.slice(19)}`) + 1000;
}

/** `true` for a valid RFC 3339 date-time string. */
export function isRfc3339(value: string): boolean {
  const m = RFC3339_RE.exec(value);
  if (m === null) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return false;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return false;
  const daysInMonth = new Date(Date.UTC(Number(m[1]), month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/** `true` for a syntactically valid RFC 3986 URI-reference (absolute or relative). */
export function isUriReference(value: string): boolean {
  if (!URI_CHARS_RE.test(value)) return false;
  // A colon before any "/", "?" or "#" makes the first segment a scheme, which must be valid.
  const firstDelim = value.search(/[/?#]/);
  const head = firstDelim === -1 ? value : value.slice(0, firstDelim);
  if (head.includes(':') && !SCHEME_RE.test(value)) return false;
  return true;
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** @throws SignalValidationError unless `value` is a non-empty string */
export function requireString(field: string, value: unknown): string {
  if (typeof value !== 'string') {
    if (value === undefined || value === null) {
      throw new SignalValidationError(
        'missing_attribute',
        field,
        `Signal attribute "${field}" is required`,
      );
    }
    throw new SignalValidationError(
      'invalid_attribute',
      field,
      `Signal attribute "${field}" must be a string, got ${typeName(value)}`,
    );
  }
  if (value.length === 0) {
    throw new SignalValidationError(
      'missing_attribute',
      field,
      `Signal attribute "${field}" must not be empty`,
    );
  }
  return value;
}

/** Longest signal `type`, in characters. */
export const MAX_TYPE_LENGTH = 1024;
/** Most dot-separated segments a signal `type` may have (as many as a pattern may have). */
export const MAX_TYPE_SEGMENTS = 128;

/**
 * A signal `type`: a non-empty string of at most {@link MAX_TYPE_LENGTH} characters and
 * {@link MAX_TYPE_SEGMENTS} segments, so routing it against any pattern stays cheap.
 * @throws SignalValidationError
 */
export function requireType(value: unknown): string {
  const type = requireString('type', value);
  if (type.length > MAX_TYPE_LENGTH) {
    throw new SignalValidationError(
      'invalid_attribute',
      'type',
      `Signal attribute "type" is longer than ${MAX_TYPE_LENGTH} characters`,
      { details: { limit: MAX_TYPE_LENGTH, length: type.length } },
    );
  }
  // n segments need at least 2n - 1 characters: short types cannot have too many.
  if (type.length >= 2 * MAX_TYPE_SEGMENTS + 1) {
    let dots = 0;
    for (let at = type.indexOf('.'); at !== -1; at = type.indexOf('.', at + 1)) {
      if (++dots >= MAX_TYPE_SEGMENTS) {
        throw new SignalValidationError(
          'invalid_attribute',
          'type',
          `Signal attribute "type" has more than ${MAX_TYPE_SEGMENTS} segments`,
          { details: { limit: MAX_TYPE_SEGMENTS } },
        );
      }
    }
  }
  return type;
}

/** @throws SignalValidationError unless `value` is undefined or a non-empty string */
export function optionalString(field: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new SignalValidationError(
      'invalid_attribute',
      field,
      `Signal attribute "${field}" must be a string, got ${typeName(value)}`,
    );
  }
  if (value.length === 0) {
    throw new SignalValidationError(
      'invalid_attribute',
      field,
      `Signal attribute "${field}" must not be empty when present`,
    );
  }
  return value;
}

/** Normalizes `time` (string or Date) to an RFC 3339 string. @throws SignalValidationError (`invalid_time`) */
export function optionalTime(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new SignalValidationError(
        'invalid_time',
        'time',
        'Signal attribute "time" is an invalid Date',
      );
    }
    return value.toISOString();
  }
  if (typeof value !== 'string' || !isRfc3339(value)) {
    throw new SignalValidationError(
      'invalid_time',
      'time',
      `Signal attribute "time" must be an RFC 3339 timestamp, got ${typeof value === 'string' ? JSON.stringify(value) : typeName(value)}`,
    );
  }
  return value;
}

/** @throws SignalValidationError (`invalid_uri_reference`) */
export function optionalUriReference(field: string, value: unknown): string | undefined {
  const s = optionalString(field, value);
  if (s !== undefined && !isUriReference(s)) {
    throw new SignalValidationError(
      'invalid_uri_reference',
      field,
      `Signal attribute "${field}" must be a URI-reference (RFC 3986), got ${JSON.stringify(s)}`,
    );
  }
  return s;
}

/** @throws SignalValidationError unless a media type like `application/json` */
export function optionalMediaType(value: unknown): string | undefined {
  const s = optionalString('datacontenttype', value);
  if (s !== undefined && !MEDIA_TYPE_RE.test(s)) {
    throw new SignalValidationError(
      'invalid_attribute',
      'datacontenttype',
      `Signal attribute "datacontenttype" must be a media type (RFC 2046), got ${JSON.stringify(s)}`,
    );
  }
  return s;
}

/** Specversions accepted on input: CloudEvents `1.0` and jido_signal's `1.0.2`. */
export const ACCEPTED_SPECVERSIONS: ReadonlySet<string> = new Set(['1.0', '1.0.2']);

/** @throws SignalValidationError (`invalid_specversion`) */
export function checkSpecversion(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !ACCEPTED_SPECVERSIONS.has(value)) {
    throw new SignalValidationError(
      'invalid_specversion',
      'specversion',
      `Signal attribute "specversion" must be "1.0" (or jido's "1.0.2"), got ${typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeName(value)}`,
    );
  }
}

/** `true` when the media type is JSON (`application/json`, `*+json`, `text/json`). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const base = contentType.split(';', 1)[0].trim().toLowerCase();
  return base === 'application/json' || base === 'text/json' || base.endsWith('+json');
}
