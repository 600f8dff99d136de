import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { DispatchConfigError, WebhookVerificationError } from '../errors/dispatch.error.js';

/**
 * How webhooks are signed:
 * - `'standard-webhooks'` ([standardwebhooks.com](https://www.standardwebhooks.com/)):
 *   `webhook-id`, `webhook-timestamp` (unix seconds) and
 *   `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, several
 *   space-separated signatures during key rotation;
 * - `'jido'` (jido_signal's scheme): `x-webhook-timestamp` and
 *   `x-webhook-signature: <lowercase hex HMAC-SHA256 of "<timestamp>.<body>">`.
 */
export type WebhookSignatureScheme = 'standard-webhooks' | 'jido';

/** Header names of the Standard Webhooks scheme. */
export const STANDARD_WEBHOOK_HEADERS = Object.freeze({
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const);

/** Default header names of the jido scheme. */
export const JIDO_WEBHOOK_HEADERS = Object.freeze({
  signature: 'x-webhook-signature',
  timestamp: 'x-webhook-timestamp',
  event: 'x-webhook-event',
} as const);

/** Receivers reject timestamps further than this from their clock (both directions), in seconds. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const TIMESTAMP_RE = /^\d{1,15}$/;

/**
 * The HMAC key bytes of a webhook secret: `whsec_<base64>` (the Standard Webhooks format)
 * is base64-decoded; any other string is used as raw UTF-8 bytes (jido_signal's format —
 * with the `standardwebhooks` package use `new Webhook(secret, { format: 'raw' })` for
 * those). The error never contains the secret.
 * @throws DispatchConfigError (field `secret`)
 */
export function decodeWebhookSecret(
  secret: unknown,
  adapter = 'webhook',
  field = 'secret',
): Buffer {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new DispatchConfigError(adapter, field, `"${field}" must be a non-empty string`);
  }
  if (!secret.startsWith(SECRET_PREFIX)) return Buffer.from(secret, 'utf8');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64_RE.test(encoded) || encoded.length % 4 === 1) {
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" starts with "whsec_" but the rest is not base64`,
    );
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0)
    throw new DispatchConfigError(adapter, field, `"${field}" decodes to an empty key`);
  return key;
}

/** {@link decodeWebhookSecret} as a `KeyObject` (prints and serializes without its bytes). */
export function webhookKey(secret: unknown, adapter = 'webhook', field = 'secret'): KeyObject {
  return createSecretKey(decodeWebhookSecret(secret, adapter, field));
}

type HmacKey = KeyObject | Buffer;

function standardDigest(
  key: HmacKey,
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

function jidoDigest(key: HmacKey, timestamp: number, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${timestamp}.`).update(body).digest();
}

/** Base64 HMAC-SHA256 of `"<id>.<timestamp>.<body>"` (without the `v1,` prefix). */
export function standardWebhookSignature(
  key: HmacKey,
  id: string,
  timestamp: number,
  body: string | Uint8Array,
): string {
  return standardDigest(key, id, timestamp, body).toString('base64');
}

/** Lowercase hex HMAC-SHA256 of `"<timestamp>.<body>"` (jido_signal's scheme). */
export function jidoWebhookSignature(
  key: HmacKey,
  timestamp: number,
  body: string | Uint8Array,
): string {
  return jidoDigest(key, timestamp, body).toString('hex');
}

/** Options of {@link signWebhook}. */
export interface SignWebhookOptions {
  /** Signature scheme. @default 'standard-webhooks' */
  scheme?: WebhookSignatureScheme;
  /** Message id (the `webhook-id` header); required by `'standard-webhooks'`. @default undefined */
  id?: string;
  /** Unix time in seconds. @default the current time */
  timestamp?: number;
  /** Signature header name (`'jido'` scheme). @default 'x-webhook-signature' */
  signatureHeader?: string;
  /** Timestamp header name (`'jido'` scheme). @default 'x-webhook-timestamp' */
  timestampHeader?: string;
}

/**
 * Compute the signature headers for `body` (the exact bytes you will send).
 * `'standard-webhooks'` accepts several secrets (key rotation: one `v1,` signature each);
 * `'jido'` accepts one.
 * @returns lower-case header name → value
 * @throws DispatchConfigError for a bad secret, a missing id or a bad timestamp
 * @example
 * const headers = signWebhook(body, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', { id: 'msg_1' });
 * // { 'webhook-id': 'msg_1', 'webhook-timestamp': '1718000000', 'webhook-signature': 'v1,…' }
 */
export function signWebhook(
  body: string | Uint8Array,
  secret: string | readonly string[],
  options: SignWebhookOptions = {},
): Record<string, string> {
  const scheme = options.scheme ?? 'standard-webhooks';
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new DispatchConfigError(
      'webhook',
      'timestamp',
      '"timestamp" must be a non-negative integer (unix seconds)',
    );
  }
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0)
    throw new DispatchConfigError('webhook', 'secret', '"secret" must not be empty');
  if (scheme === 'jido') {
    if (secrets.length !== 1) {
      throw new DispatchConfigError(
        'webhook',
        'secret',
        'the jido scheme signs with exactly one secret',
      );
    }
    return {
      [options.timestampHeader ?? JIDO_WEBHOOK_HEADERS.timestamp]: String(timestamp),
      [options.signatureHeader ?? JIDO_WEBHOOK_HEADERS.signature]: jidoWebhookSignature(
        decodeWebhookSecret(secrets[0]),
        timestamp,
        body,
      ),
    };
  }
  if (scheme !== 'standard-webhooks') {
    throw new DispatchConfigError(
      'webhook',
      'scheme',
      '"scheme" must be "standard-webhooks" or "jido"',
    );
  }
  if (typeof options.id !== 'string' || options.id.length === 0) {
    throw new DispatchConfigError(
      'webhook',
      'id',
      '"id" is required by the standard-webhooks scheme',
    );
  }
  const id = options.id;
  return {
    [STANDARD_WEBHOOK_HEADERS.id]: id,
    [STANDARD_WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [STANDARD_WEBHOOK_HEADERS.signature]: secrets
      .map(
        (s, i) =>
          `v1,${standardWebhookSignature(decodeWebhookSecret(s, 'webhook', `secret[${i}]`), id, timestamp, body)}`,
      )
      .join(' '),
  };
}

/** Request headers as node:http gives them (`req.headers`), a plain record, or a `Headers` instance. */
export type WebhookHeaders =
  Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** Signature scheme. @default 'standard-webhooks' */
  scheme?: WebhookSignatureScheme;
  /**
   * Largest accepted difference between the webhook timestamp and the receiver's clock, in
   * seconds, in either direction (replay protection). `Infinity` disables the check.
   * @default 300
   */
  toleranceSeconds?: number;
  /** The receiver's current time in unix seconds (tests). @default the current time */
  now?: number;
  /** Signature header name (`'jido'` scheme). @default 'x-webhook-signature' */
  signatureHeader?: string;
  /** Timestamp header name (`'jido'` scheme). @default 'x-webhook-timestamp' */
  timestampHeader?: string;
}

/** What a successful {@link verifyWebhook} established. */
export interface VerifiedWebhook {
  /** The scheme that verified. */
  readonly scheme: WebhookSignatureScheme;
  /** The `webhook-id` (`'standard-webhooks'`; use it to de-duplicate redeliveries), else `undefined`. */
  readonly id: string | undefined;
  /** The signed timestamp, unix seconds. */
  readonly timestamp: number;
}

function headerReader(headers: WebhookHeaders): (name: string) => string | undefined {
  if (typeof Headers !== 'undefined' && headers instanceof Headers)
    return (name) => headers.get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  let lower: Map<string, string> | undefined;
  return (name) => {
    const direct = record[name];
    if (direct !== undefined) return typeof direct === 'string' ? direct : direct.join(' ');
    if (lower === undefined) {
      lower = new Map();
      for (const key of Object.keys(record)) {
        const v = record[key];
        if (v !== undefined) lower.set(key.toLowerCase(), typeof v === 'string' ? v : v.join(' '));
      }
    }
    return lower.get(name);
  };
}

function fail(reason: string, message: string, details: Record<string, unknown> = {}): never {
  throw new WebhookVerificationError(message, { reason, ...details });
}

const SHA256_BYTES = 32;
// Exactly 32 bytes: 64 hex digits (either case), or 43 base64 characters and one "=".
const HEX_SIGNATURE_RE = /^[0-9a-fA-F]{64}$/;
const BASE64_SIGNATURE_RE = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The bytes of a hex signature, or `undefined` unless it is exactly 64 hex digits. Strict:
 * `Buffer.from(…, 'hex')` alone stops at the first bad character instead of failing.
 */
function decodeHexSignature(text: string): Buffer | undefined {
  return HEX_SIGNATURE_RE.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/**
 * The bytes of a base64 signature, or `undefined` unless it is the canonical base64 of 32
 * bytes (standard alphabet, padded, unused bits zero — so one signature has one spelling).
 */
function decodeBase64Signature(text: string): Buffer | undefined {
  if (!BASE64_SIGNATURE_RE.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === SHA256_BYTES && bytes.toString('base64') === text ? bytes : undefined;
}

/** Constant-time comparison of two digests (lengths are public: both are SHA-256). */
function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verify a received webhook against one secret or several (rotation: any may match).
 * Checks that the headers are present, that the timestamp is within `toleranceSeconds` of
 * now in either direction, and that a signature matches: each candidate is decoded strictly
 * (`'standard-webhooks'`: the canonical padded base64 of 32 bytes; `'jido'`: 64 hex digits)
 * and its bytes are compared with the expected HMAC in constant time, so a signature has
 * exactly one accepted spelling per scheme (hex case aside).
 * Pass the **raw** request body (bytes or the exact string), not re-serialized JSON.
 *
 * Throws rather than returning a flag, so a forgotten check cannot let a forgery through.
 * Errors name the failed check (`details.reason`: `missing_header`, `invalid_timestamp`,
 * `timestamp_too_old`, `timestamp_too_new`, `no_matching_signature`, `invalid_body`) but
 * never contain the secret or the expected signature.
 * @throws WebhookVerificationError (code `'invalid_webhook_signature'`)
 * @throws DispatchConfigError for an unusable secret (a server misconfiguration)
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): VerifiedWebhook {
  const scheme = options.scheme ?? 'standard-webhooks';
  if (scheme !== 'standard-webhooks' && scheme !== 'jido') {
    throw new DispatchConfigError(
      'webhook',
      'scheme',
      '"scheme" must be "standard-webhooks" or "jido"',
    );
  }
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0)
    throw new DispatchConfigError('webhook', 'secret', '"secret" must not be empty');
  const keys = secrets.map((s, i) =>
    decodeWebhookSecret(s, 'webhook', secrets.length === 1 ? 'secret' : `secret[${i}]`),
  );
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    fail('invalid_body', 'Webhook body must be the raw request body (a string or bytes)');
  }
  const get = headerReader(headers);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (typeof tolerance !== 'number' || Number.isNaN(tolerance) || tolerance < 0) {
    throw new DispatchConfigError(
      'webhook',
      'toleranceSeconds',
      '"toleranceSeconds" must be a non-negative number',
    );
  }

  const names =
    scheme === 'jido'
      ? {
          id: undefined,
          timestamp: (options.timestampHeader ?? JIDO_WEBHOOK_HEADERS.timestamp).toLowerCase(),
          signature: (options.signatureHeader ?? JIDO_WEBHOOK_HEADERS.signature).toLowerCase(),
        }
      : STANDARD_WEBHOOK_HEADERS;
  const id = names.id === undefined ? undefined : get(names.id);
  if (names.id !== undefined && (id === undefined || id === '')) {
    fail('missing_header', `Missing ${names.id} header`, { header: names.id });
  }
  const timestampText = get(names.timestamp)?.trim();
  if (timestampText === undefined || timestampText === '') {
    fail('missing_header', `Missing ${names.timestamp} header`, { header: names.timestamp });
  }
  const signatureText = get(names.signature);
  if (signatureText === undefined || signatureText.trim() === '') {
    fail('missing_header', `Missing ${names.signature} header`, { header: names.signature });
  }
  if (!TIMESTAMP_RE.test(timestampText)) {
    fail('invalid_timestamp', `Invalid ${names.timestamp} header (unix seconds expected)`, {
      header: names.timestamp,
    });
  }
  const timestamp = Number(timestampText);
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (now - timestamp > tolerance) {
    fail('timestamp_too_old', 'Webhook timestamp is too old', {
      timestamp,
      toleranceSeconds: tolerance,
    });
  }
  if (timestamp - now > tolerance) {
    fail('timestamp_too_new', 'Webhook timestamp is too far in the future', {
      timestamp,
      toleranceSeconds: tolerance,
    });
  }

  // Signatures are decoded strictly and compared as bytes: a spelling that is not the
  // canonical encoding of 32 bytes (bad characters, wrong length, non-zero padding bits)
  // never verifies, whatever a lenient decoder would make of it.
  if (scheme === 'jido') {
    const candidates: Buffer[] = [];
    for (const candidate of signatureText.split(/[\s,]+/)) {
      const bytes = decodeHexSignature(
        candidate.startsWith('sha256=') ? candidate.slice(7) : candidate,
      );
      if (bytes !== undefined) candidates.push(bytes);
    }
    for (const key of keys) {
      const expected = jidoDigest(key, timestamp, rawBody);
      for (const candidate of candidates) {
        if (sameDigest(candidate, expected)) return { scheme, id: undefined, timestamp };
      }
    }
  } else {
    // "v1,<sig> v1,<sig2>": space-separated versioned signatures; unknown versions are skipped.
    const candidates: Buffer[] = [];
    for (const versioned of signatureText.split(' ')) {
      if (!versioned.startsWith('v1,')) continue;
      const bytes = decodeBase64Signature(versioned.slice(3));
      if (bytes !== undefined) candidates.push(bytes);
    }
    for (const key of keys) {
      const expected = standardDigest(key, id!, timestamp, rawBody);
      for (const candidate of candidates) {
        if (sameDigest(candidate, expected)) return { scheme, id, timestamp };
      }
    }
  }
  return fail('no_matching_signature', 'No matching webhook signature found');
}
