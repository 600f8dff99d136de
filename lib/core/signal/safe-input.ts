import { SignalValidationError } from '../errors/validation.error.js';
import {
  NestingTooDeepError,
  PayloadTooLargeError,
  SignalParseError,
  UnsafeKeyError,
  UnsupportedValueError,
} from '../errors/parse.error.js';

/** Keys refused anywhere in untrusted input: assigning them can rewrite object prototypes. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Default limit for encoded input: 10 MB, as jido_signal's `max_payload_bytes`. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 10_000_000;

/**
 * Default nesting limit of decoded input: objects and arrays nest at most 64 levels inside
 * a signal's attributes (`data: { a: [1] }` is 2 levels). Deeper data is refused before it
 * can reach code that recurses (`JSON.stringify`, `structuredClone`, journals, loggers).
 */
export const DEFAULT_MAX_DEPTH = 64;

/**
 * Nesting limit for reading back what a store or journal wrote itself: a signal built in the
 * application (`createSignal` does not walk `data`) may be deeper than {@link DEFAULT_MAX_DEPTH},
 * and once recorded it must read back as it was written. @internal
 */
export const STORED_MAX_DEPTH = Number.MAX_SAFE_INTEGER;

/**
 * Walks `value` (iteratively, so deep input cannot overflow the stack) and throws on the
 * first prototype-polluting key.
 * @throws UnsafeKeyError
 */
export function assertSafeKeys(value: unknown, root = ''): void {
  if (typeof value !== 'object' || value === null) return;
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (ArrayBuffer.isView(node)) continue;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null) stack.push([child, `${path}[${i}]`]);
      }
      continue;
    }
    for (const key of Object.keys(node as object)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (UNSAFE_KEYS.has(key)) throw new UnsafeKeyError(at);
      const child: unknown = (node as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) stack.push([child, at]);
    }
  }
}

/** Byte length of text or bytes. */
export function byteLength(input: string | Uint8Array): number {
  return typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
}

/** @throws PayloadTooLargeError when `input` is over `limit` bytes */
export function assertSize(input: string | Uint8Array, limit: number): void {
  // A UTF-8 string is at most 3 bytes per UTF-16 unit: skip the exact count when clearly small.
  if (typeof input === 'string' && input.length * 3 <= limit) return;
  const size = byteLength(input);
  if (size > limit) throw new PayloadTooLargeError(size, limit);
}

// Keys can also hide behind \u escapes, so any escape sequence triggers the full scan.
const UNSAFE_TEXT_RE = /__proto__|"constructor"|"prototype"|\\u/;

/**
 * A `maxDepth` option, checked: `fallback` when undefined.
 * @throws SignalValidationError unless a positive integer
 * @internal
 */
export function resolveMaxDepth(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new SignalValidationError(
      'invalid_attribute',
      'maxDepth',
      `maxDepth must be a positive integer, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * What a JSON text holds, which fixes how many bracket levels sit above a signal's
 * attribute values: `'value'` a bare value such as an HTTP binary-mode body (none),
 * `'signal'` one structured envelope (one), `'signals'` one envelope or a batch array of
 * them (two when the text starts with `[`).
 * @internal
 */
export type JsonDocumentKind = 'value' | 'signal' | 'signals';

/** `true` when the backslashes before `at` escape it (an odd number of them). */
function isEscaped(text: string, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === 92; i--) n++;
  return (n & 1) === 1;
}

/**
 * `true` when valid JSON `text` nests brackets deeper than `max`. A linear scan that skips
 * strings; it allocates nothing and never recurses.
 */
function bracketDepthExceeds(text: string, max: number): boolean {
  // n containers need at least 2n characters.
  if (text.length <= 2 * max) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false;
      i = end;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return false;
}

function startsWithBracket(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c === 91;
  }
  return false;
}

/** Options of {@link parseJsonSafely}. @internal */
export interface JsonLimits {
  /** Largest input in bytes. */
  readonly maxBytes: number;
  /** Nesting limit of attribute values (see {@link DEFAULT_MAX_DEPTH}). */
  readonly maxDepth: number;
  /** What the text holds. */
  readonly kind: JsonDocumentKind;
}

/**
 * Size-checks and parses JSON; never throws a raw `SyntaxError`, refuses nesting deeper
 * than `maxDepth` and rejects prototype-polluting keys (scanning only when the text
 * mentions one). The result is plain JSON data by construction.
 * @throws PayloadTooLargeError | SignalParseError | NestingTooDeepError | UnsafeKeyError
 */
export function parseJsonSafely(input: string | Uint8Array, limits: JsonLimits): unknown {
  assertSize(input, limits.maxBytes);
  const text =
    typeof input === 'string'
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new SignalParseError(`Malformed JSON: ${(cause as Error).message}`, { cause });
  }
  const above =
    limits.kind === 'value' ? 0 : limits.kind === 'signal' || !startsWithBracket(text) ? 1 : 2;
  if (bracketDepthExceeds(text, limits.maxDepth + above)) {
    throw new NestingTooDeepError(limits.maxDepth);
  }
  if (UNSAFE_TEXT_RE.test(text)) assertSafeKeys(value);
  return value;
}

interface Frame {
  readonly node: object;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number;
}

function pathOf(frame: Frame | undefined, key: string | number): string {
  const parts: (string | number)[] = [key];
  for (let f = frame; f !== undefined && f.parent !== undefined; f = f.parent) parts.push(f.key);
  let out = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i];
    out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  }
  return out;
}

/**
 * `true` for `Object.prototype` of any realm (objects that went through `structuredClone`, a
 * `MessagePort` or a `vm` context have another realm's): a root prototype whose own
 * `constructor` is a function named `Object` owning it.
 */
function isObjectPrototype(proto: object): boolean {
  if (proto === Object.prototype) return true;
  if (Object.getPrototypeOf(proto) !== null) return false;
  const ctor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  return typeof ctor === 'function' && ctor.name === 'Object' && ctor.prototype === proto;
}

/** A plain object: prototype `Object.prototype` (any realm) or `null`. @internal */
export function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || isObjectPrototype(proto);
}

// `Array.prototype` (of any realm) is itself an array; a subclass's prototype is not.
function isPlainArray(value: readonly unknown[]): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Array.prototype || Array.isArray(proto);
}

function isBytes(value: object): boolean {
  return (
    ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]'
  );
}

function kindOf(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  const name =
    typeof proto === 'object' && proto !== null
      ? (proto as { constructor?: { name?: unknown } }).constructor?.name
      : undefined;
  return typeof name === 'string' && name !== '' ? name : 'an object with a custom prototype';
}

/**
 * Check that a decoded signal envelope is plain JSON data: strings, finite numbers,
 * booleans, `null`, plain objects (prototype `Object.prototype` or `null`) and arrays,
 * nested at most `maxDepth` levels below the envelope, as a tree (no shared or circular
 * references), without prototype-polluting keys. `undefined` is accepted as an object
 * property (JSON leaves it out); the envelope's own `data` may be bytes (`Uint8Array`,
 * binary content). Iterative: deep input cannot overflow the stack.
 * @throws UnsupportedValueError | NestingTooDeepError | UnsafeKeyError
 */
export function assertJsonEnvelope(envelope: object, maxDepth: number): void {
  const seen = new Set<object>([envelope]);
  const stack: Frame[] = [{ node: envelope, depth: 0, parent: undefined, key: '' }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const node = frame.node;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) visit(frame, i, node[i] as unknown, true);
    } else {
      for (const key of Object.keys(node)) {
        if (UNSAFE_KEYS.has(key)) throw new UnsafeKeyError(pathOf(frame, key));
        visit(frame, key, (node as Record<string, unknown>)[key], false);
      }
    }
  }

  function visit(frame: Frame, key: string | number, value: unknown, inArray: boolean): void {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(value))
          throw new UnsupportedValueError(pathOf(frame, key), 'a non-finite number');
        return;
      case 'undefined':
        if (inArray) throw new UnsupportedValueError(pathOf(frame, key), 'undefined');
        return;
      case 'object':
        break;
      default:
        throw new UnsupportedValueError(pathOf(frame, key), `a ${typeof value}`);
    }
    if (value === null) return;
    if (frame.parent === undefined && key === 'data' && isBytes(value)) return;
    if (!(Array.isArray(value) ? isPlainArray(value) : isPlainObject(value))) {
      throw new UnsupportedValueError(pathOf(frame, key), `a ${kindOf(value)}`);
    }
    if (frame.depth >= maxDepth) throw new NestingTooDeepError(maxDepth, pathOf(frame, key));
    if (seen.has(value)) {
      throw new UnsupportedValueError(pathOf(frame, key), 'a circular or shared reference');
    }
    seen.add(value);
    stack.push({ node: value, depth: frame.depth + 1, parent: frame, key });
  }
}
