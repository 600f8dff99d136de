import { DispatchConfigError } from '../errors/dispatch.error.js';

// Whitespace and control characters (0x00–0x20, 0x7F) are never valid in a target URL;
// rejecting them up front also rules out request-splitting tricks.
// eslint-disable-next-line no-control-regex -- control characters are what this rejects
const URL_FORBIDDEN_RE = /[\x00-\x20\x7f]/;
// RFC 7230 `token`: the characters allowed in a header field name.
const HEADER_NAME_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, space, tab and obs-text (what node:http and undici accept).
// Anything else — CR, LF, NUL, other controls, characters above U+00FF — is rejected.
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
// Headers the HTTP client owns: setting them by hand breaks framing or connection reuse.
const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'expect',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
// Header names whose values are credentials and must never be logged.
const SENSITIVE_HEADER_RE = /auth|cookie|token|secret|key|signature|session|password|credential/i;

/**
 * Parse and check a dispatch target URL: an absolute `http:` or `https:` URL with a
 * non-empty host, no whitespace or control characters and no credentials (`user:pass@`).
 * Error messages never repeat the URL, which may carry secrets in its userinfo or query.
 * @throws DispatchConfigError naming `field`
 */
export function parseHttpUrl(adapter: string, field: string, value: unknown): URL {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DispatchConfigError(adapter, field, `"${field}" must be a non-empty string`);
  }
  if (URL_FORBIDDEN_RE.test(value)) {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must not contain whitespace or control characters`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must be an absolute http or https URL`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DispatchConfigError(adapter, field, `"${field}" must use the http or https scheme`, {
      details: { scheme: url.protocol.slice(0, -1) },
    });
  }
  if (url.hostname === '') {
    throw new DispatchConfigError(adapter, field, `"${field}" must have a host`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must not contain credentials (user:password@); send them in a header instead`,
      { details: { target: describeUrl(url) } },
    );
  }
  return url;
}

/**
 * A secret-free description of a URL for logs, telemetry and errors:
 * `scheme://host[:port]/path` without userinfo, query or fragment.
 */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Like {@link describeUrl} for an unchecked value: `'invalid_url'` when it is not an
 * absolute http(s) URL.
 */
export function describeTargetUrl(value: unknown): string {
  if (typeof value !== 'string') return 'invalid_url';
  try {
    const url = new URL(value);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '')
      return 'invalid_url';
    return describeUrl(url);
  } catch {
    return 'invalid_url';
  }
}

/** `true` when `name` is an RFC 7230 token (a valid header field name). */
export function isValidHeaderName(name: string): boolean {
  return HEADER_NAME_RE.test(name);
}

/** `true` when `value` contains no CR, LF or other control characters (tab excepted). */
export function isValidHeaderValue(value: string): boolean {
  return HEADER_VALUE_RE.test(value);
}

/**
 * `true` for header names that conventionally carry credentials (`authorization`,
 * `cookie`, `x-api-key`, anything with `token`, `secret`, `signature`, …).
 */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER_RE.test(name);
}

/**
 * Validate caller headers given as a record or as `[name, value]` pairs. Names are
 * lower-cased; a name given twice (in any case) is an error, as are hop-by-hop and framing
 * headers (`connection`, `content-length`, `transfer-encoding`, …). Error messages name the
 * header but never include its value.
 * @throws DispatchConfigError
 */
export function validateHeaders(
  adapter: string,
  field: string,
  value: unknown,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined || value === null) return out;
  let entries: [unknown, unknown][];
  if (Array.isArray(value)) {
    entries = value.map((pair: unknown, i): [unknown, unknown] => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new DispatchConfigError(
          adapter,
          `${field}[${i}]`,
          `"${field}[${i}]" must be a [name, value] pair`,
        );
      }
      return [pair[0], pair[1]];
    });
  } else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    entries = Object.entries(value);
  } else {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must be an object or a list of [name, value] pairs`,
    );
  }
  for (let i = 0; i < entries.length; i++) {
    const [name, val] = entries[i];
    if (typeof name !== 'string' || !isValidHeaderName(name)) {
      // The bad name is not echoed: a mangled `Authorization: Bearer …` line would leak.
      throw new DispatchConfigError(
        adapter,
        field,
        `"${field}" entry #${i} has an invalid header name (an RFC 7230 token is expected)`,
        { details: { index: i } },
      );
    }
    const lower = name.toLowerCase();
    if (typeof val !== 'string' || !isValidHeaderValue(val)) {
      throw new DispatchConfigError(
        adapter,
        `${field}.${lower}`,
        `header "${lower}" must be a string without CR, LF or other control characters`,
      );
    }
    if (FORBIDDEN_HEADERS.has(lower)) {
      throw new DispatchConfigError(
        adapter,
        `${field}.${lower}`,
        `header "${lower}" is managed by the HTTP client`,
      );
    }
    if (Object.hasOwn(out, lower)) {
      throw new DispatchConfigError(
        adapter,
        `${field}.${lower}`,
        `header "${lower}" is given more than once`,
      );
    }
    out[lower] = val;
  }
  return out;
}

/**
 * The header values worth redacting (credentials): each whole value, the token part of
 * `Bearer <token>`, and each item of a `;` or `,` list (`a=1; b=2` cookies), the value alone
 * for a `name=value` item.
 */
export function sensitiveHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  const out = new Set<string>();
  const add = (part: string): void => {
    const value = part.trim().replace(/^"(.*)"$/, '$1');
    if (value.length >= MIN_SECRET_LENGTH) out.add(value);
  };
  for (const name of Object.keys(headers)) {
    if (!isSensitiveHeader(name)) continue;
    const value = headers[name].trim();
    add(value);
    const space = value.indexOf(' ');
    if (space > 0) add(value.slice(space + 1));
    for (const item of value.split(/[;,]/)) {
      add(item);
      const eq = item.indexOf('=');
      if (eq !== -1) add(item.slice(eq + 1));
    }
  }
  return [...out];
}

/** A copy of `headers` with the values of credential-carrying headers replaced by `[REDACTED]`. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers))
    out[name] = isSensitiveHeader(name) ? '[REDACTED]' : headers[name];
  return out;
}

// Shorter values are redacted only where they follow their `name=`: replacing a 1–3
// character value everywhere would shred the text without protecting anything real.
const MIN_SECRET_LENGTH = 4;
// Where an echoed query value ends.
const VALUE_END = `&#\\s"'<>\\\\`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tryDecode(text: string, plusAsSpace: boolean): string | undefined {
  try {
    return decodeURIComponent(plusAsSpace ? text.replace(/\+/g, ' ') : text);
  } catch {
    return undefined;
  }
}

/** The spellings a server may echo a URL component in: raw, decoded, re-encoded, escaped. */
function spellings(raw: string, out: Set<string>): void {
  const forms = [raw];
  if (raw.includes('%')) {
    // Percent-escapes in the other case: `%2f` for `%2F` and the reverse.
    forms.push(
      raw.replace(/%[0-9a-fA-F]{2}/g, (e) => e.toLowerCase()),
      raw.replace(/%[0-9a-fA-F]{2}/g, (e) => e.toUpperCase()),
    );
  }
  for (const plus of [false, true]) {
    const decoded = tryDecode(raw, plus);
    if (decoded === undefined) continue;
    forms.push(decoded, encodeURIComponent(decoded), decoded.replace(/\//g, '\\/'));
    const json = JSON.stringify(decoded);
    forms.push(json.slice(1, -1));
  }
  for (const f of forms) if (f.length >= MIN_SECRET_LENGTH) out.add(f);
}

/**
 * The secret parts of a request target — query parameter names and values, and userinfo
 * (`user:password@`) — as they appear in `pathOrUrl` (a `path?query` or a full URL).
 * @internal
 */
export function targetSecrets(pathOrUrl: string): { names: string[]; values: string[] } {
  const names = new Set<string>();
  const values = new Set<string>();
  const schemeEnd = pathOrUrl.indexOf('://');
  if (schemeEnd !== -1) {
    const authorityEnd = pathOrUrl.slice(schemeEnd + 3).search(/[/?#]/);
    const authority =
      authorityEnd === -1
        ? pathOrUrl.slice(schemeEnd + 3)
        : pathOrUrl.slice(schemeEnd + 3, schemeEnd + 3 + authorityEnd);
    const at = authority.lastIndexOf('@');
    if (at !== -1) {
      const userinfo = authority.slice(0, at);
      spellings(userinfo, values);
      for (const part of userinfo.split(':')) spellings(part, values);
    }
  }
  const q = pathOrUrl.indexOf('?');
  if (q !== -1) {
    const hash = pathOrUrl.indexOf('#', q);
    const query = pathOrUrl.slice(q + 1, hash === -1 ? undefined : hash);
    for (const pair of query.split(/[&;]/)) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = eq === -1 ? '' : pair.slice(0, eq);
      const value = eq === -1 ? pair : pair.slice(eq + 1);
      if (name !== '') {
        names.add(name);
        const decoded = tryDecode(name, true);
        if (decoded !== undefined && decoded !== '') names.add(decoded);
      }
      spellings(value, values);
    }
  }
  return { names: [...names], values: [...values] };
}

/**
 * Redact what text from the remote side (an error body that echoes the request) may
 * repeat of a request target: every query value (after `name=`, and anywhere in any
 * common spelling — raw, percent-decoded, form-decoded, re-encoded, JSON-escaped — when
 * at least 4 characters long), userinfo credentials, and credential header values (in the
 * same spellings). With `truncated` (the text is the start of a longer one), a secret the
 * cut went through is dropped too.
 * @internal
 */
export function redactRemoteText(
  text: string,
  pathOrUrl: string,
  headers: Readonly<Record<string, string>> = {},
  truncated = false,
): string {
  const { names, values } = targetSecrets(pathOrUrl);
  const secrets = new Set(values);
  for (const value of sensitiveHeaderValues(headers)) spellings(value, secrets);
  let out = redactText(text, [...secrets]);
  for (const name of names) {
    const re = new RegExp(`(${escapeRegExp(name)}=)[^${VALUE_END}]+`, 'g');
    out = out.replace(re, (_m, prefix: string) => `${prefix}[REDACTED]`);
  }
  return truncated ? withoutSecretTail(out, secrets) : out;
}

/**
 * `text` (cut from a longer one) without a trailing start of any of `secrets`: a secret
 * that the cut went through is not recognised whole, and its first part would stay.
 */
function withoutSecretTail(text: string, secrets: ReadonlySet<string>): string {
  let cut = text.length;
  for (const secret of secrets) {
    for (let k = Math.min(secret.length - 1, text.length); k >= MIN_SECRET_LENGTH; k--) {
      if (text.endsWith(secret.slice(0, k))) {
        cut = Math.min(cut, text.length - k);
        break;
      }
    }
  }
  return cut === text.length ? text : `${text.slice(0, cut)}[REDACTED]`;
}

/** Replace every occurrence of any of `secrets` in `text` with `[REDACTED]`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so `Bearer <token>` is replaced whole before `<token>` alone.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}
