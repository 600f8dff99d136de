import { Signal } from './signal.js';

const SIGNAL_PROTOTYPE: object = Signal.prototype;

/** Most JSON string literals kept by {@link quoted} before it starts over. */
const MAX_QUOTED = 512;
/**
 * JSON string literals of attribute values that repeat from signal to signal (`type`,
 * `source`, `datacontenttype`, `dataschema`): an application has few of each, and a lookup is
 * cheaper than escaping the string again. Bounded: cleared when full.
 */
const quotedCache = new Map<string, string>();
let lastTime = '';
let lastTimeJson = '""';

/** Longest string {@link quoted} keeps. */
const MAX_QUOTED_LENGTH = 256;
let lastId = '';
let lastIdJson = '""';

/** `JSON.stringify(text)` of a value that usually repeats. */
function quoted(text: string): string {
  let json = quotedCache.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    if (text.length <= MAX_QUOTED_LENGTH) {
      if (quotedCache.size >= MAX_QUOTED) quotedCache.clear();
      quotedCache.set(text, json);
    }
  }
  return json;
}

/**
 * `JSON.stringify(id)`, remembering the last one: the journal writes a record's id twice
 * (its META line and the signal), one right after the other.
 * @internal
 */
export function quotedId(id: string): string {
  if (id !== lastId) {
    lastId = id;
    lastIdJson = JSON.stringify(id);
  }
  return lastIdJson;
}

/** `true` when `JSON.stringify` would call a `toJSON` method of `value`. */
function hasToJSON(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

/**
 * `JSON.stringify(signal)` — the CloudEvents JSON structured form of {@link Signal.toJSON} —
 * without building the intermediate object: the known attributes are written by hand, `data`
 * and extension values go through `JSON.stringify`. The output is byte for byte what
 * `JSON.stringify(signal)` returns (same attributes, same order, same escaping); a signal
 * of a subclass (which may override `toJSON`), or whose `data` or an extension value has its own
 * `toJSON`, takes the generic path.
 * @throws whatever `JSON.stringify(signal)` throws (a BigInt, a cycle, …)
 * @internal
 */
export function stringifySignal(signal: Signal): string {
  const data: unknown = signal.data;
  if (Object.getPrototypeOf(signal) !== SIGNAL_PROTOTYPE || hasToJSON(data)) {
    return JSON.stringify(signal);
  }
  let out = '{"specversion":"1.0","id":';
  out += quotedId(signal.id);
  out += ',"source":';
  out += quoted(signal.source);
  out += ',"type":';
  out += quoted(signal.type);
  if (signal.subject !== undefined) {
    out += ',"subject":';
    out += JSON.stringify(signal.subject);
  }
  const time = signal.time;
  if (time !== undefined) {
    // Signals recorded together mostly share their millisecond.
    if (time !== lastTime) {
      lastTime = time;
      lastTimeJson = JSON.stringify(time);
    }
    out += ',"time":';
    out += lastTimeJson;
  }
  if (signal.datacontenttype !== undefined) {
    out += ',"datacontenttype":';
    out += quoted(signal.datacontenttype);
  }
  if (signal.dataschema !== undefined) {
    out += ',"dataschema":';
    out += quoted(signal.dataschema);
  }
  const extensions = signal.extensions;
  let registry: Signal['extensionRegistry'] | undefined;
  for (const name in extensions) {
    registry ??= signal.extensionRegistry;
    if (!registry.isWire(name)) continue;
    const value: unknown = extensions[name];
    // An integer-like name ('123') is put before every other key of the object; rare enough to
    // leave to the generic path, as a value with its own toJSON.
    const first = name.charCodeAt(0);
    if ((first >= 48 && first <= 57) || hasToJSON(value)) return JSON.stringify(signal);
    const json = JSON.stringify(value) as string | undefined;
    // A value JSON cannot hold (undefined, a function) leaves the attribute out, as in an object.
    if (json === undefined) continue;
    out += ',';
    out += JSON.stringify(name);
    out += ':';
    out += json;
  }
  if (data instanceof Uint8Array) {
    out += ',"data_base64":"';
    out += Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    out += '"';
  } else if (data !== undefined) {
    const json = JSON.stringify(data) as string | undefined;
    if (json !== undefined) {
      out += ',"data":';
      out += json;
    }
  }
  return out + '}';
}
