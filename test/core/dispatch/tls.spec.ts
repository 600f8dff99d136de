import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import { Agent } from 'undici';
import { HttpAdapter } from '../../../lib/core/dispatch/adapters/http.adapter.js';
import { WebhookAdapter } from '../../../lib/core/dispatch/adapters/webhook.adapter.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { DispatchConfigError, HttpStatusError } from '../../../lib/core/errors/dispatch.error.js';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';

// Per-target TLS for `http` / `webhook` (jido_signal's ssl_options), against a real loopback
// HTTPS server whose CA, server and client certificates are made here with the openssl CLI.
const PASSPHRASE = 'pass-7f3a-not-for-logs';

interface Pki {
  ca: string;
  serverKey: string;
  serverCert: string;
  clientCert: string;
  /** The client key, encrypted with PASSPHRASE. */
  clientKey: string;
  /** A base64 line from the middle of the client key: must never show up anywhere. */
  keyFragment: string;
}

let dir: string;
let pki: Pki;
let server: Server;
let origin: string;
const seen: { path: string; clientCn: string | undefined; headers: Record<string, unknown> }[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makePki(): Pki {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=jido test CA',
  );
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(
      'req',
      '-new',
      ...ec,
      '-keyout',
      `${who}.key`,
      '-out',
      `${who}.csr`,
      '-subj',
      `/CN=jido-${who}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${who}.pem`,
      '-days',
      '1',
      '-extfile',
      `${who}.ext`,
    );
  }
  openssl(
    'pkey',
    '-in',
    'client.key',
    '-aes256',
    '-passout',
    `pass:${PASSPHRASE}`,
    '-out',
    'client.enc.key',
  );
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const clientKey = read('client.enc.key');
  const lines = clientKey.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
  return {
    ca: read('ca.pem'),
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    clientCert: read('client.pem'),
    clientKey,
    keyFragment: lines[Math.floor(lines.length / 2)],
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jido-tls-'));
  pki = makePki();
  server = createServer(
    {
      key: pki.serverKey,
      cert: pki.serverCert,
      ca: pki.ca,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const clientCn = socket.authorized
        ? (socket.getPeerCertificate().subject?.CN as string)
        : undefined;
      seen.push({ path: req.url ?? '', clientCn, headers: req.headers });
      req.resume();
      req.on('end', () => {
        // /mtls accepts only a client certificate signed by the test CA.
        res.statusCode = req.url === '/mtls' && clientCn === undefined ? 403 : 200;
        res.end();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Every telemetry message published while `fn` runs, rendered deeply. */
async function telemetryDuring(fn: () => Promise<unknown>): Promise<string> {
  const rendered: string[] = [];
  const names = Object.values(TelemetryChannel);
  const listener = (message: unknown): void => {
    rendered.push(inspect(message, { depth: 8 }), JSON.stringify(message) ?? '');
  };
  for (const name of names) subscribe(name, listener);
  try {
    await fn();
  } finally {
    for (const name of names) unsubscribe(name, listener);
  }
  return rendered.join('\n');
}

function expectNoSecret(text: string): void {
  expect(text).not.toContain(pki.keyFragment);
  expect(text).not.toContain(PASSPHRASE);
  expect(text).not.toContain('PRIVATE KEY');
}

const mtls = () => ({
  ca: pki.ca,
  cert: pki.clientCert,
  key: pki.clientKey,
  passphrase: PASSPHRASE,
});

describe('http adapter: per-target TLS', () => {
  const dispatcher = new Dispatcher();
  afterAll(() => dispatcher.close());

  it('trusts a private CA given in tls.ca', async () => {
    await dispatcher.dispatch(createSignal('a'), {
      adapter: 'http',
      url: `${origin}/plain`,
      tls: { ca: pki.ca },
      retry: false,
    });
    expect(seen.at(-1)).toMatchObject({ path: '/plain' });
  });

  it('without it, the self-signed chain fails verification: connection_error, not retried', async () => {
    const before = seen.length;
    const error = await rejection(
      dispatcher.dispatch(createSignal('a'), { adapter: 'http', url: `${origin}/plain` }),
    );
    expect(error.code).toBe('connection_error');
    expect(error.retryable).toBe(false);
    expect(String(error.details.errno)).toMatch(/SELF_SIGNED|UNABLE_TO|CERT/);
    expect(seen.length).toBe(before);
  });

  it('rejectUnauthorized: false accepts the certificate (tests only)', async () => {
    await dispatcher.dispatch(createSignal('a'), {
      adapter: 'http',
      url: `${origin}/insecure`,
      tls: { rejectUnauthorized: false },
      retry: false,
    });
    expect(seen.at(-1)).toMatchObject({ path: '/insecure' });
  });

  it('presents a client certificate (encrypted key + passphrase) for mutual TLS', async () => {
    await dispatcher.dispatch(createSignal('a'), {
      adapter: 'http',
      url: `${origin}/mtls`,
      tls: mtls(),
      retry: false,
    });
    expect(seen.at(-1)).toEqual(
      expect.objectContaining({ path: '/mtls', clientCn: 'jido-client' }),
    );
    const error = await rejection(
      dispatcher.dispatch(createSignal('a'), {
        adapter: 'http',
        url: `${origin}/mtls`,
        tls: { ca: pki.ca },
        retry: false,
      }),
    );
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(403);
  });

  it('a wrong passphrase fails with a typed error; neither it, the key nor the passphrase show up in the error or telemetry', async () => {
    let error: JidoSignalError | undefined;
    const telemetry = await telemetryDuring(async () => {
      error = await rejection(
        dispatcher.dispatch(createSignal('a'), {
          adapter: 'http',
          url: `${origin}/mtls`,
          tls: { ...mtls(), passphrase: 'wrong-passphrase-123' },
          retry: { maxAttempts: 2, baseDelay: 1, maxDelay: 2 },
        }),
      );
    });
    expect(error).toBeInstanceOf(JidoSignalError);
    expectNoSecret(telemetry);
    expect(telemetry).not.toContain('wrong-passphrase-123');
    for (const text of [error!.message, JSON.stringify(error), inspect(error, { depth: 8 })]) {
      expectNoSecret(text);
      expect(text).not.toContain('wrong-passphrase-123');
    }
  });

  it('validated options print a summary: no key, no passphrase', () => {
    const adapter = new HttpAdapter();
    const options = adapter.validateOptions({ url: `${origin}/x`, tls: mtls() });
    const json = JSON.stringify(options);
    expectNoSecret(json);
    expectNoSecret(inspect(options, { depth: 8 }));
    expectNoSecret(JSON.stringify(options.tls));
    expectNoSecret(inspect(options.tls, { depth: 8 }));
    expect(JSON.parse(json)).toMatchObject({
      tls: { caCount: 1, clientCertificate: true, rejectUnauthorized: true },
    });
  });

  it('the health check probes through the target TLS settings', async () => {
    const adapter = new HttpAdapter();
    try {
      const withCa = adapter.validateOptions({ url: `${origin}/health`, tls: { ca: pki.ca } });
      expect((await adapter.healthCheck(withCa)).healthy).toBe(true);
      const without = adapter.validateOptions({ url: `${origin}/health` });
      expect((await adapter.healthCheck(without)).healthy).toBe(false);
    } finally {
      await adapter.close();
    }
  });

  describe('validation (typed errors that never repeat a value)', () => {
    const adapter = new HttpAdapter();
    const invalid = (tls: unknown, url = `${origin}/x`): DispatchConfigError => {
      try {
        adapter.validateOptions({ url, tls });
      } catch (error) {
        expect(error).toBeInstanceOf(DispatchConfigError);
        return error as DispatchConfigError;
      }
      throw new Error('expected a DispatchConfigError');
    };

    it.each([
      ['an http: URL', { ca: 'x' }, 'http://127.0.0.1:1/x', 'tls'],
      ['a number as CA', { ca: 42 }, undefined, 'tls.ca'],
      ['an empty CA list', { ca: [] }, undefined, 'tls.ca'],
      ['a cert without key (names the missing one)', { cert: 'pem' }, undefined, 'tls.key'],
      ['a key without cert (names the missing one)', { key: 'pem' }, undefined, 'tls.cert'],
      ['a passphrase without key', { passphrase: 'x' }, undefined, 'tls.passphrase'],
      [
        'a non-boolean rejectUnauthorized',
        { rejectUnauthorized: 'no' },
        undefined,
        'tls.rejectUnauthorized',
      ],
      ['an unknown key', { verify: false }, undefined, 'tls.verify'],
      ['an old TLS version', { minVersion: 'TLSv1' }, undefined, 'tls.minVersion'],
      ['not an object', 'ca.pem', undefined, 'tls'],
    ])('refuses %s', (_what, tls, url, field) => {
      expect(invalid(tls, url).field).toBe(field);
    });

    it('does not repeat a secret put in the wrong place', () => {
      const error = invalid({ servername: pki.clientKey });
      expectNoSecret(`${error.message} ${JSON.stringify(error)}`);
    });

    it('refuses tls on an adapter that was given its own dispatcher', async () => {
      const agent = new Agent();
      const custom = new HttpAdapter({ dispatcher: agent });
      expect(() => custom.validateOptions({ url: `${origin}/x`, tls: { ca: pki.ca } })).toThrow(
        DispatchConfigError,
      );
      await agent.close();
    });
  });
});

describe('webhook adapter: per-target TLS', () => {
  it('signs and sends over mutual TLS to every endpoint', async () => {
    const adapter = new WebhookAdapter();
    try {
      const options = adapter.validateOptions({
        urls: [`${origin}/mtls`, `${origin}/mtls?second=1`],
        secret: 'whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQ=',
        tls: mtls(),
        retry: false,
      });
      expectNoSecret(JSON.stringify(options));
      const before = seen.length;
      await adapter.deliver(createSignal('order.placed', { id: 1 }), options, {
        signal: new AbortController().signal,
        attempt: 1,
      });
      const got = seen.slice(before);
      expect(got.map((r) => [r.path, r.clientCn])).toEqual(
        expect.arrayContaining([
          ['/mtls', 'jido-client'],
          ['/mtls?second=1', 'jido-client'],
        ]),
      );
      for (const r of got) expect(String(r.headers['webhook-signature'])).toMatch(/^v1,/);
    } finally {
      await adapter.close();
    }
  });

  it('refuses tls with an http: endpoint', () => {
    const adapter = new WebhookAdapter();
    expect(() =>
      adapter.validateOptions({
        urls: [`${origin}/a`, 'http://127.0.0.1:1/b'],
        tls: { ca: pki.ca },
      }),
    ).toThrow(DispatchConfigError);
  });
});
