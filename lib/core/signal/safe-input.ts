import { PayloadTooLargeError, SignalParseError, UnsafeKeyError } from '../errors/parse.error.js';

/** Keys refused anywhere in untrusted input: assigning them can rewrite object prototypes. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Default limit for encoded input: 10 MB, as jido_signal's `max_payload_bytes`. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 10_000_000;

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
 * Size-checks and parses JSON; never throws a raw `SyntaxError`, and rejects
 * prototype-polluting keys (scanning only when the text mentions one).
 * @throws PayloadTooLargeError | SignalParseError | UnsafeKeyError
 */
export function parseJsonSafely(input: string | Uint8Array, limit: number): unknown {
  assertSize(input, limit);
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
  if (UNSAFE_TEXT_RE.test(text)) assertSafeKeys(value);
  return value;
}
