import { SignalParseError } from '../errors/parse.error.js';
import { SignalValidationError } from '../errors/validation.error.js';
import { RESERVED_ATTRIBUTE_NAMES, type ExtensionRegistry } from './extensions.js';
import type { SignalInit } from './signal.types.js';

// Not exported from the package: `signalFromEnvelope` trusts that its input is plain JSON
// data (checked by `Signal.from`, or produced by `parseJsonSafely`).

// jido_signal's flattened attribute names that predate CloudEvents naming rules.
const JIDO_RENAMED: Readonly<Record<string, string>> = {
  causation_id: 'causationid',
  correlation_id: 'correlationid',
};
const JIDO_DROPPED = new Set([
  'trace_id',
  'span_id',
  'parent_span_id',
  'jido_schema_version',
  'jido_dispatch',
]);
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * `value` as an envelope object.
 * @throws SignalParseError for anything but a non-array object
 * @internal
 */
export function expectEnvelope(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SignalParseError(
      `Expected a signal object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * The constructor input of a signal from an envelope already known to be plain JSON data
 * (checked by `assertJsonEnvelope` or produced by `parseJsonSafely`). Extensions that
 * `registry` keeps off the wire (`wire: false`, such as `dispatch`) are dropped: a serialized
 * signal never carries them, so one that does came from elsewhere and is not taken (a
 * dispatch config from an untrusted sender would name where to send requests).
 * @internal
 */
export function initFromEnvelope(
  v: Record<string, unknown>,
  registry: ExtensionRegistry,
): SignalInit {
  if (v.specversion === undefined) {
    throw new SignalValidationError(
      'missing_attribute',
      'specversion',
      'Signal attribute "specversion" is required',
    );
  }
  let data: unknown = v.data;
  if (v.data_base64 !== undefined) {
    if (v.data !== undefined) {
      throw new SignalParseError('A signal cannot have both "data" and "data_base64"');
    }
    if (typeof v.data_base64 !== 'string' || !BASE64_RE.test(v.data_base64)) {
      throw new SignalValidationError(
        'invalid_attribute',
        'data_base64',
        'Signal attribute "data_base64" must be base64 text',
      );
    }
    data = new Uint8Array(Buffer.from(v.data_base64, 'base64'));
  }
  let extensions: Record<string, unknown> | undefined;
  const nested = v.extensions;
  if (nested !== undefined && nested !== null) {
    if (typeof nested !== 'object' || Array.isArray(nested)) {
      throw new SignalValidationError(
        'invalid_attribute',
        'extensions',
        'Signal attribute "extensions" must be an object',
      );
    }
    for (const name of Object.keys(nested)) {
      if (registry.isWire(name))
        (extensions ??= {})[name] = (nested as Record<string, unknown>)[name];
    }
  }
  for (const key of Object.keys(v)) {
    if (RESERVED_ATTRIBUTE_NAMES.has(key) || JIDO_DROPPED.has(key)) continue;
    const name = Object.hasOwn(JIDO_RENAMED, key) ? JIDO_RENAMED[key] : key;
    if (registry.isWire(name)) (extensions ??= {})[name] = v[key];
  }
  return {
    specversion: v.specversion as string,
    id: v.id as string,
    source: v.source as string,
    type: v.type as string,
    subject: v.subject as string | undefined,
    time: v.time as string | undefined,
    datacontenttype: v.datacontenttype as string | undefined,
    dataschema: v.dataschema as string | undefined,
    data,
    extensions,
  };
}
