import { SignalParseError } from '../../errors/parse.error.js';
import { isJsonMediaType } from '../attributes.js';
import { UnsafeKeyError } from '../../errors/parse.error.js';
import {
  assertSize,
  parseJsonSafely,
  resolveMaxDepth,
  UNSAFE_KEYS,
  type JsonLimits,
} from '../safe-input.js';
import { expectEnvelope } from '../envelope.js';
import {
  getDefaultSignalFactory,
  signalFromEnvelope,
  type Signal,
  type SignalParseOptions,
} from '../signal.js';
import { CLOUDEVENTS_BATCH_JSON, CLOUDEVENTS_JSON, stringifySignal } from './json.serializer.js';
import { decodeSignals } from './decode-signals.js';

/** An HTTP request or response as far as the CloudEvents binding cares. */
export interface HttpMessage {
  /** Lower-case header names → values (what node:http gives); a `Headers` instance works too. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>> | Headers;
  /** Raw body. @default undefined (no body) */
  body?: string | Uint8Array;
}

/** An encoded HTTP message ready to send. */
export interface EncodedHttpMessage {
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** CloudEvents HTTP content modes. */
export type HttpMode = 'binary' | 'structured';

// Header values: percent-encode space, '"', '%' and everything outside printable ASCII
// (CloudEvents HTTP binding 1.0, §3.1.3.2).
const NEEDS_ENCODING_RE = /[^\x21\x23\x24\x26-\x7e]/;

function encodeHeaderValue(value: string): string {
  if (!NEEDS_ENCODING_RE.test(value)) return value;
  let out = '';
  for (const ch of value) {
    if (NEEDS_ENCODING_RE.test(ch)) {
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}

function decodeHeaderValue(name: string, value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch (cause) {
    throw new SignalParseError(`Header "${name}" has malformed percent-encoding`, {
      cause,
      details: { header: name },
    });
  }
}

/**
 * Encode a signal for HTTP. Binary mode puts attributes in `ce-*` headers and `data` in the
 * body (`datacontenttype` becomes `content-type`); structured mode sends the JSON envelope.
 * @throws SerializationError when data is not encodable
 */
export function toHttp(signal: Signal, mode: HttpMode = 'binary'): EncodedHttpMessage {
  if (mode === 'structured') {
    return {
      headers: { 'content-type': `${CLOUDEVENTS_JSON}; charset=utf-8` },
      body: stringifySignal(signal),
    };
  }
  const structured = signal.toJSON();
  const headers: Record<string, string> = {};
  for (const key of Object.keys(structured)) {
    if (key === 'data' || key === 'data_base64' || key === 'datacontenttype') continue;
    headers[`ce-${key}`] = encodeHeaderValue(String(structured[key]));
  }
  const data: unknown = signal.data;
  let body: string | Uint8Array = '';
  if (data !== undefined) {
    if (signal.datacontenttype !== undefined) headers['content-type'] = signal.datacontenttype;
    if (data instanceof Uint8Array) body = data;
    else if (typeof data === 'string' && !isJsonMediaType(signal.datacontenttype)) body = data;
    else body = stringifySignal(data);
  }
  return { headers, body };
}

/** Encode several signals as one CloudEvents JSON batch. */
export function toHttpBatch(signals: readonly Signal[]): EncodedHttpMessage {
  return {
    headers: { 'content-type': `${CLOUDEVENTS_BATCH_JSON}; charset=utf-8` },
    body: stringifySignal(signals),
  };
}

function headerGetter(headers: HttpMessage['headers']): (name: string) => string | undefined {
  if (typeof Headers !== 'undefined' && headers instanceof Headers)
    return (name) => headers.get(name) ?? undefined;
  const lower = new Map<string, string>();
  for (const [k, v] of Object.entries(
    headers as Record<string, string | readonly string[] | undefined>,
  )) {
    if (v === undefined) continue;
    lower.set(k.toLowerCase(), typeof v === 'string' ? v : v.join(', '));
  }
  return (name) => lower.get(name);
}

function headerNames(headers: HttpMessage['headers']): string[] {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return [...headers.keys()];
  return Object.keys(headers).map((k) => k.toLowerCase());
}

/**
 * Decode an HTTP message in binary, structured or batch mode (detected from
 * `content-type` and `ce-specversion`).
 * @throws SignalParseError (not a CloudEvent, unsupported format) | PayloadTooLargeError |
 *   NestingTooDeepError | UnsafeKeyError | SignalValidationError
 */
export function fromHttp(
  message: HttpMessage,
  options: SignalParseOptions = {},
): Signal | Signal[] {
  const factory = getDefaultSignalFactory();
  const limit = options.maxPayloadBytes ?? factory.maxPayloadBytes;
  const json = (kind: JsonLimits['kind']): JsonLimits => ({
    maxBytes: limit,
    maxDepth: resolveMaxDepth(options.maxDepth, factory.maxDepth),
    kind,
  });
  const get = headerGetter(message.headers);
  const contentType = get('content-type');
  const media = contentType?.split(';', 1)[0]!.trim().toLowerCase();
  const body = message.body ?? '';

  if (media === CLOUDEVENTS_BATCH_JSON) {
    const value = parseJsonSafely(body, json('signals'));
    if (!Array.isArray(value))
      throw new SignalParseError('A CloudEvents batch must be a JSON array');
    return decodeSignals(value, options, true);
  }
  if (media !== undefined && media.startsWith('application/cloudevents')) {
    if (media !== CLOUDEVENTS_JSON) {
      throw new SignalParseError(`Unsupported structured-mode format "${media}"`, {
        details: { contentType: media },
      });
    }
    return signalFromEnvelope(expectEnvelope(parseJsonSafely(body, json('signal'))), options);
  }
  if (get('ce-specversion') === undefined) {
    throw new SignalParseError(
      'Not a CloudEvents HTTP message: no ce-specversion header and no CloudEvents content type',
    );
  }

  assertSize(body, limit);
  const attrs: Record<string, unknown> = {};
  for (const name of headerNames(message.headers)) {
    if (!name.startsWith('ce-')) continue;
    const key = name.slice(3);
    if (UNSAFE_KEYS.has(key)) throw new UnsafeKeyError(name);
    attrs[key] = decodeHeaderValue(name, get(name)!);
  }
  if (contentType !== undefined) attrs.datacontenttype = contentType;
  const size = typeof body === 'string' ? body.length : body.byteLength;
  if (size > 0) {
    if (isJsonMediaType(contentType)) attrs.data = parseJsonSafely(body, json('value'));
    else if (media !== undefined && media.startsWith('text/'))
      attrs.data = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    else attrs.data = typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : body;
  }
  return signalFromEnvelope(attrs, options);
}
