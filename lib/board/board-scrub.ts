/** `scheme://user:password@` → `scheme://[REDACTED]@`. */
const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi;
/** Query parameters whose name looks like a credential: their value is replaced. */
const QUERY_SECRET_RE =
  /([?&;][^=&;#\s"'<>]*(?:token|secret|password|passwd|pwd|api[_-]?key|apikey|signature|sig|auth|credential|session)[^=&;#\s"'<>]*=)[^&;#\s"'<>]+/gi;

/**
 * Keys whose values are credentials even where the core sanitizer's list does not reach:
 * CloudEvents extension names have no separators (`apitoken`, `webhooksecret`).
 */
const SECRET_KEY_RE =
  /token|secret|passw|pwd|apikey|api_key|private_?key|authorization|cookie|signature|credential/i;

/** Redact URL credentials and credential-like query values inside a text. @internal */
export function scrubText(text: string): string {
  if (!text.includes('://') && !text.includes('=')) return text;
  return text.replace(USERINFO_RE, '$1[REDACTED]@').replace(QUERY_SECRET_RE, '$1[REDACTED]');
}

/**
 * A copy of a JSON-safe value with {@link scrubText} applied to every string (keys
 * included) and string values under credential-like keys replaced: the last pass over everything the board sends, so a URL with credentials that
 * slipped into a subscription target, an error message or signal data never reaches the
 * page. Values are expected to be sanitized (bounded) already.
 * @internal
 */
export function scrub<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(walk);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[scrubText(key)] = typeof v === 'string' && SECRET_KEY_RE.test(key) ? '[REDACTED]' : walk(v);
  }
  return out;
}
