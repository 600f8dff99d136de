import { Signal } from '../signal/signal.js';

/** Replacement for the value of a sensitive key. */
export const REDACTED = '[REDACTED]';

/**
 * Key names whose values are credentials (jido_signal's sanitizer list), compared after
 * {@link normalizeKey}. `x_api_key` and `x_webhook_signature` are covered by the `x_`
 * prefix rule.
 */
export const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'access_token',
  'api_key',
  'authorization',
  'client_secret',
  'cookie',
  'passphrase',
  'password',
  'private_key',
  'proxy_authorization',
  'refresh_token',
  'secret',
  'set_cookie',
  'signature',
  'token',
  'webhook_secret',
  'webhook_signature',
]);

// Suffixes that make any key sensitive (`db_password`, `github_token`, `stripe_api_key`).
const SENSITIVE_SUFFIXES = [
  '_password',
  '_secret',
  '_token',
  '_api_key',
  '_private_key',
  '_signature',
] as const;

/**
 * Normalize a key for the sensitivity check: camelCase split into words, lower-cased, `-`
 * and spaces turned into `_`, and one leading `x_` removed (`X-Api-Key` → `api_key`,
 * `accessToken` → `access_token`).
 */
export function normalizeKey(key: string): string {
  const snake = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-\s]/g, '_');
  return snake.startsWith('x_') ? snake.slice(2) : snake;
}

/**
 * Whether a key's value must never be logged: `authorization`, `password`, `secret`,
 * `token`, `api_key`, `cookie`, `signature`, … compared case-insensitively with `-` as `_`
 * and an optional `x_` prefix, plus keys ending in `_password`, `_secret`, `_token`,
 * `_api_key`, `_private_key` or `_signature`.
 */
export function isSensitiveKey(key: string): boolean {
  const k = normalizeKey(key);
  if (SENSITIVE_KEYS.has(k)) return true;
  for (const suffix of SENSITIVE_SUFFIXES) if (k.endsWith(suffix)) return true;
  return false;
}

/** Bounds for {@link sanitize}. */
export interface SanitizeOptions {
  /** Nesting depth kept; deeper objects become `'[Object]'` / `'[Array(n)]'`. @default 6 */
  maxDepth?: number;
  /** Entries kept per object or array; the rest is summarized. @default 50 */
  maxItems?: number;
  /** Characters kept per string (longer ones are cut and end in `…`). @default 1024 */
  maxStringLength?: number;
}

interface Limits {
  readonly maxDepth: number;
  readonly maxItems: number;
  readonly maxStringLength: number;
}

/**
 * A JSON-safe, bounded copy of `value` for logs and telemetry: values under sensitive keys
 * (see {@link isSensitiveKey}) are replaced by `'[REDACTED]'` — in objects, `Map`s, `Headers`
 * and `[name, value]` pair lists alike — cycles become `'[Circular]'`, bytes become a size
 * summary, `Date`s ISO strings, errors `{ name, message }`, signals their structured form
 * with sanitized data. The input is never modified.
 */
export function sanitize(value: unknown, options: SanitizeOptions = {}): unknown {
  const limits: Limits = {
    maxDepth: options.maxDepth ?? 6,
    maxItems: options.maxItems ?? 50,
    maxStringLength: options.maxStringLength ?? 1024,
  };
  return walk(value, limits, 0, new WeakSet());
}

/**
 * A one-line preview of `value`: the JSON of its {@link sanitize}d copy, cut to `maxLength`
 * characters (ending in `…` when cut).
 * @param maxLength @default 240
 */
export function preview(value: unknown, maxLength = 240, options: SanitizeOptions = {}): string {
  let text: string;
  try {
    text = JSON.stringify(sanitize(value, options)) ?? String(value);
  } catch {
    text = '[unserializable]';
  }
  return text.length > maxLength ? `${text.slice(0, Math.max(0, maxLength - 1))}…` : text;
}

function walk(value: unknown, limits: Limits, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case 'string':
      return value.length > limits.maxStringLength
        ? `${value.slice(0, limits.maxStringLength)}…`
        : value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function${value.name ? ` ${value.name}` : ''}]`;
    case 'undefined':
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[Circular]';
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
    return `[binary ${obj.byteLength} bytes]`;
  }
  if (depth >= limits.maxDepth) {
    return Array.isArray(obj) ? `[Array(${obj.length})]` : '[Object]';
  }
  seen.add(obj);
  try {
    if (obj instanceof Signal) return sanitizeSignal(obj as Signal, limits, depth, seen);
    if (obj instanceof Error) {
      return { name: obj.name, message: walk(obj.message, limits, depth + 1, seen) };
    }
    if (obj instanceof Map) return sanitizeEntries(obj.entries(), obj.size, limits, depth, seen);
    if (typeof Headers !== 'undefined' && obj instanceof Headers) {
      return sanitizeEntries(obj.entries(), Number.POSITIVE_INFINITY, limits, depth, seen);
    }
    if (obj instanceof Set) return sanitizeArray([...obj], limits, depth, seen);
    if (Array.isArray(obj)) {
      return isPairList(obj)
        ? sanitizeEntries(
            obj.values() as Iterator<[string, unknown]>,
            obj.length,
            limits,
            depth,
            seen,
          )
        : sanitizeArray(obj, limits, depth, seen);
    }
    return sanitizeObject(obj as Record<string, unknown>, limits, depth, seen);
  } finally {
    seen.delete(obj);
  }
}

function sanitizeSignal(
  signal: Signal,
  limits: Limits,
  depth: number,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const out = sanitizeObject(
    { ...signal.toJSON(), data: undefined, data_base64: undefined },
    limits,
    depth,
    seen,
  );
  if (signal.data !== undefined) out.data = walk(signal.data, limits, depth + 1, seen);
  return out;
}

function sanitizeObject(
  obj: Record<string, unknown>,
  limits: Limits,
  depth: number,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let count = 0;
  let total = 0;
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    total++;
    if (count >= limits.maxItems) continue;
    count++;
    const child = obj[key];
    if (child === undefined) continue;
    defineEntry(out, key, isSensitiveKey(key) ? REDACTED : walk(child, limits, depth + 1, seen));
  }
  if (total > count) out['…'] = `${total - count} more`;
  return out;
}

function sanitizeEntries(
  entries: Iterator<[unknown, unknown]>,
  size: number,
  limits: Limits,
  depth: number,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let count = 0;
  for (let next = entries.next(); !next.done; next = entries.next()) {
    if (count >= limits.maxItems) {
      out['…'] = Number.isFinite(size) ? `${size - count} more` : 'more';
      break;
    }
    count++;
    const [rawKey, child] = next.value;
    const key = typeof rawKey === 'string' ? rawKey : String(walk(rawKey, limits, depth + 1, seen));
    defineEntry(out, key, isSensitiveKey(key) ? REDACTED : walk(child, limits, depth + 1, seen));
  }
  return out;
}

function sanitizeArray(
  arr: readonly unknown[],
  limits: Limits,
  depth: number,
  seen: WeakSet<object>,
): unknown[] {
  const n = Math.min(arr.length, limits.maxItems);
  const out: unknown[] = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = walk(arr[i], limits, depth + 1, seen) ?? null;
  if (arr.length > n) out.push(`… ${arr.length - n} more`);
  return out;
}

// `[['authorization', 'Bearer x'], ['accept', '*/*']]` — header lists are maps too.
function isPairList(arr: readonly unknown[]): boolean {
  if (arr.length === 0) return false;
  for (const item of arr) {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string') return false;
  }
  return true;
}

// Plain assignment would turn a `__proto__` key into a prototype change.
function defineEntry(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}
