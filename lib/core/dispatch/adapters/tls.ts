import { createHash } from 'node:crypto';
import { DispatchConfigError } from '../../errors/dispatch.error.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** PEM text or bytes (a certificate, a CA bundle or a private key). */
export type PemInput = string | Uint8Array;

/**
 * TLS settings of one `http` / `webhook` target (its `https:` URLs): a private CA, a client
 * certificate (mutual TLS), SNI. Targets with the same settings share one connection pool.
 * Keys and passphrases never appear in errors, telemetry, `JSON.stringify` or
 * `util.inspect` of the validated options.
 */
export interface HttpTlsOptions {
  /**
   * CA certificate(s) trusted for this target, PEM — *instead of* Node's bundled roots
   * (pass `tls.rootCertificates` along to keep them).
   * @default undefined (Node's bundled root CAs)
   */
  ca?: PemInput | readonly PemInput[];
  /** Client certificate chain, PEM (mutual TLS). Requires `key`. @default undefined */
  cert?: PemInput;
  /** Private key of `cert`, PEM. Requires `cert`. Secret. @default undefined */
  key?: PemInput;
  /** Passphrase of an encrypted `key`. Secret. @default undefined */
  passphrase?: string;
  /**
   * Verify the server certificate against the CAs and the host name. `false` accepts any
   * certificate — for tests only: it gives up the authenticity of the target.
   * @default true
   */
  rejectUnauthorized?: boolean;
  /** Server name for SNI and the certificate check. @default the URL's host name */
  servername?: string;
  /** Lowest TLS version accepted. @default Node's default ('TLSv1.2') */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** TLS options passed to the connector of a dedicated undici `Agent`. @internal */
export interface TlsConnectOptions {
  readonly ca?: readonly (string | Buffer)[];
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly passphrase?: string;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * Validated TLS settings of a target. `JSON.stringify` / `util.inspect` show only
 * {@link TlsSummary}; the key material stays in `connect`.
 */
export interface ResolvedTls {
  /** Pool key: a SHA-256 of every setting (targets with equal settings share a pool). */
  readonly fingerprint: string;
  /** What the connector gets. @internal */
  readonly connect: TlsConnectOptions;
}

/** Secret-free description of TLS settings (what logs and `toJSON` show). */
export interface TlsSummary {
  /** Number of CA certificates given (`0`: Node's bundled roots). */
  readonly caCount: number;
  /** Whether a client certificate is presented. */
  readonly clientCertificate: boolean;
  /** Whether the server certificate is verified. */
  readonly rejectUnauthorized: boolean;
  /** SNI server name, if set. */
  readonly servername?: string;
  /** Lowest TLS version, if set. */
  readonly minVersion?: string;
}

const TLS_KEYS: ReadonlySet<string> = new Set([
  'ca',
  'cert',
  'key',
  'passphrase',
  'rejectUnauthorized',
  'servername',
  'minVersion',
]);

function isPem(value: unknown): value is PemInput {
  return (
    (typeof value === 'string' && value.length > 0) ||
    (value instanceof Uint8Array && value.length > 0)
  );
}

function pem(adapter: string, field: string, value: unknown): string | Buffer {
  if (!isPem(value)) {
    // Never echo the value: it may be a key.
    throw new DispatchConfigError(
      adapter,
      field,
      `"${field}" must be non-empty PEM text (a string) or bytes (a Buffer)`,
    );
  }
  return typeof value === 'string' ? value : Buffer.from(value);
}

/** The secret-free view of resolved settings. */
export function summarizeTls(tls: ResolvedTls): TlsSummary {
  const c = tls.connect;
  return {
    caCount: c.ca?.length ?? 0,
    clientCertificate: c.cert !== undefined,
    rejectUnauthorized: c.rejectUnauthorized,
    ...(c.servername === undefined ? {} : { servername: c.servername }),
    ...(c.minVersion === undefined ? {} : { minVersion: c.minVersion }),
  };
}

/**
 * Validate the `tls` option of an `http` / `webhook` target.
 * @param urls - the target's URLs: TLS settings need `https:` ones
 * @param customDispatcher - the adapter sends through a dispatcher it was given, which
 *   cannot take per-target TLS settings
 * @throws DispatchConfigError naming the field, never its value
 * @internal
 */
export function resolveTlsOptions(
  adapter: string,
  value: unknown,
  urls: readonly URL[],
  customDispatcher: boolean,
): ResolvedTls | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DispatchConfigError(adapter, 'tls', '"tls" must be an object');
  }
  const options = value as Readonly<Record<string, unknown>>;
  for (const key of Object.keys(options)) {
    if (!TLS_KEYS.has(key)) {
      throw new DispatchConfigError(
        adapter,
        `tls.${key}`,
        `unknown option "tls.${key}"; known options: ${[...TLS_KEYS].join(', ')}`,
      );
    }
  }
  if (urls.some((u) => u.protocol !== 'https:')) {
    throw new DispatchConfigError(adapter, 'tls', '"tls" needs https: URLs');
  }
  if (customDispatcher) {
    throw new DispatchConfigError(
      adapter,
      'tls',
      `"tls" needs the ${adapter} adapter's own connection pool: this adapter was given a dispatcher (configure TLS on that dispatcher instead)`,
    );
  }
  let ca: (string | Buffer)[] | undefined;
  if (options.ca !== undefined) {
    const list: readonly unknown[] = Array.isArray(options.ca) ? options.ca : [options.ca];
    if (list.length === 0) {
      throw new DispatchConfigError(adapter, 'tls.ca', '"tls.ca" must not be an empty list');
    }
    ca = list.map((c, i) => pem(adapter, Array.isArray(options.ca) ? `tls.ca[${i}]` : 'tls.ca', c));
  }
  const cert = options.cert === undefined ? undefined : pem(adapter, 'tls.cert', options.cert);
  const key = options.key === undefined ? undefined : pem(adapter, 'tls.key', options.key);
  if ((cert === undefined) !== (key === undefined)) {
    throw new DispatchConfigError(
      adapter,
      cert === undefined ? 'tls.cert' : 'tls.key',
      '"tls.cert" and "tls.key" go together (a client certificate and its private key)',
    );
  }
  if (
    options.passphrase !== undefined &&
    (typeof options.passphrase !== 'string' || key === undefined)
  ) {
    throw new DispatchConfigError(
      adapter,
      'tls.passphrase',
      '"tls.passphrase" must be a string, given with "tls.key"',
    );
  }
  if (options.rejectUnauthorized !== undefined && typeof options.rejectUnauthorized !== 'boolean') {
    throw new DispatchConfigError(
      adapter,
      'tls.rejectUnauthorized',
      '"tls.rejectUnauthorized" must be a boolean',
    );
  }
  if (
    options.servername !== undefined &&
    (typeof options.servername !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(options.servername))
  ) {
    throw new DispatchConfigError(
      adapter,
      'tls.servername',
      '"tls.servername" must be a DNS host name',
    );
  }
  if (
    options.minVersion !== undefined &&
    options.minVersion !== 'TLSv1.2' &&
    options.minVersion !== 'TLSv1.3'
  ) {
    throw new DispatchConfigError(
      adapter,
      'tls.minVersion',
      '"tls.minVersion" must be "TLSv1.2" or "TLSv1.3"',
    );
  }
  const connect: TlsConnectOptions = {
    ...(ca === undefined ? {} : { ca: Object.freeze(ca) }),
    ...(cert === undefined ? {} : { cert, key }),
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    rejectUnauthorized: options.rejectUnauthorized !== false,
    ...(options.servername === undefined ? {} : { servername: options.servername }),
    ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
  };
  const hash = createHash('sha256');
  const feed = (label: string, part: string | Buffer | boolean | undefined): void => {
    hash.update(
      `${label}:${part === undefined ? '-' : typeof part === 'boolean' ? String(part) : ''}`,
    );
    if (typeof part === 'string' || Buffer.isBuffer(part)) {
      hash.update(String(part.length));
      hash.update(':');
      hash.update(part);
    }
    hash.update('\n');
  };
  for (const c of ca ?? []) feed('ca', c);
  feed('cert', cert);
  feed('key', key);
  feed('passphrase', connect.passphrase);
  feed('reject', connect.rejectUnauthorized);
  feed('servername', connect.servername);
  feed('min', connect.minVersion);
  const resolved: ResolvedTls = { fingerprint: hash.digest('hex'), connect };
  const summary = summarizeTls(resolved);
  // Logging the options (or this object) shows the summary, never the key material.
  const view = (): TlsSummary => ({ ...summary });
  for (const target of [resolved, connect]) {
    Object.defineProperty(target, 'toJSON', { value: view, enumerable: false });
    Object.defineProperty(target, INSPECT, { value: view, enumerable: false });
  }
  Object.freeze(connect);
  return Object.freeze(resolved);
}
