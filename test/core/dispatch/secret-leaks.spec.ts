// Secrets (query tokens, credential headers, webhook secrets) must never reach
// errors (message, details, cause chain, JSON, inspect), telemetry or the body excerpt.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import type { DispatchConfig } from '../../../lib/core/dispatch/adapter.interface.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { startServer, type Handler, type TestServer } from './http-test-server.js';
import { HttpStatusError } from '../../../lib/core/errors/dispatch.error.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';

// Deterministic pseudo-random token generator (seeded LCG).
function token(
  seed: number,
  length: number,
  alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
): string {
  let x = seed >>> 0;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

let handler: Handler = (_req, res) => res.end('ok');
let origin = '';
let server: TestServer;

const telemetry: unknown[] = [];
const listener = (message: unknown): void => {
  telemetry.push(message);
};
const channels = Object.values(TelemetryChannel);

beforeAll(async () => {
  server = await startServer((req, res, body) => handler(req, res, body));
  origin = server.origin;
  for (const ch of channels) subscribe(ch, listener);
});
afterAll(async () => {
  for (const ch of channels) unsubscribe(ch, listener);
  await server.close();
});

/** What one dispatch of a signal with `config` (on a fresh Dispatcher) failed with. */
async function failureOf(config: DispatchConfig): Promise<unknown> {
  const d = new Dispatcher();
  try {
    return await d.dispatch(createSignal('a.b'), config).then(
      () => undefined,
      (e: unknown) => e,
    );
  } finally {
    await d.close();
  }
}

/** Every string view of an error: message, details, causes, JSON, inspect. */
function views(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 6 && e !== undefined && e !== null; depth++) {
    parts.push(e instanceof Error ? e.message : inspect(e));
    try {
      parts.push(JSON.stringify(e));
    } catch {
      /* ignore */
    }
    parts.push(inspect(e, { depth: 10, showHidden: true }));
    if (typeof e === 'object') {
      const any = e as Record<string, unknown>;
      parts.push(inspect(any.details, { depth: 10 }));
      if (typeof any.bodyExcerpt === 'string') parts.push(any.bodyExcerpt);
      e = any.cause;
    } else break;
  }
  return parts.join('\n');
}

const noRetry = { retry: false as const, circuitBreaker: false as const };

describe('body excerpt redaction window', () => {
  it('a long query token echoed several times does not leak a prefix once the scan window is cut', async () => {
    const secret = token(1, 1500);
    handler = (_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      // The server echoes the request target three times (e.g. request line, a log line, a hint).
      res.end(`echo: ${secret}\n${secret}\n${secret}\n`);
    };
    const error = await failureOf({
      adapter: 'http',
      url: `${origin}/hooks?token=${secret}`,
      ...noRetry,
    });
    expect(error).toBeInstanceOf(HttpStatusError);
    const excerpt = (error as HttpStatusError).bodyExcerpt;
    // No 16-character piece of the token may survive.
    expect(excerpt.includes(secret.slice(0, 16))).toBe(false);
  });

  it('a long bearer token echoed in the headers does not leak a prefix once the scan window is cut', async () => {
    const secret = token(2, 1400);
    handler = (req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' });
      const auth = String(req.headers.authorization);
      res.end(
        `bad credentials\nauthorization: ${auth}\nx-original-auth: ${auth}\nagain: ${auth}\n`,
      );
    };
    const error = await failureOf({
      adapter: 'http',
      url: `${origin}/hooks`,
      headers: { authorization: `Bearer ${secret}` },
      ...noRetry,
    });
    expect(error).toBeInstanceOf(HttpStatusError);
    const excerpt = (error as HttpStatusError).bodyExcerpt;
    expect(excerpt.includes(secret.slice(0, 16))).toBe(false);
  });
});

describe('echoed credential header spellings', () => {
  it('each cookie of a Cookie header echoed on its own (httpbin /cookies style) is redacted', async () => {
    const s1 = token(3, 24);
    const s2 = token(4, 24);
    handler = (req, res) => {
      const cookies = Object.fromEntries(
        String(req.headers.cookie)
          .split(/;\s*/)
          .map((kv) => kv.split('=') as [string, string]),
      );
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'forbidden', cookies }));
    };
    const error = await failureOf({
      adapter: 'http',
      url: `${origin}/hooks`,
      headers: { cookie: `session=${s1}; csrf=${s2}` },
      ...noRetry,
    });
    const text = views(error);
    expect(text.includes(s1)).toBe(false);
    expect(text.includes(s2)).toBe(false);
  });

  it('a header token with "/" echoed by a JSON encoder that escapes slashes (PHP json_encode) is redacted', async () => {
    const secret = `${token(5, 20)}/${token(6, 20)}`;
    handler = (req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ headers: { 'X-Api-Key': req.headers['x-api-key'] } }).replace(
          /\//g,
          '\\/',
        ),
      );
    };
    const error = await failureOf({
      adapter: 'http',
      url: `${origin}/hooks`,
      headers: { 'x-api-key': secret },
      ...noRetry,
    });
    const excerpt = (error as HttpStatusError).bodyExcerpt;
    expect(excerpt.includes(secret.replace(/\//g, '\\/'))).toBe(false);
  });
});

describe('secret sweep over failure modes', () => {
  const qsecret = token(10, 32);
  const hsecret = token(11, 40);
  const ksecret = token(12, 28);
  const wsecret = `whsec_${Buffer.from(token(13, 32)).toString('base64')}`;
  const secrets = [qsecret, hsecret, ksecret, wsecret, wsecret.slice(6)];
  const modes: [string, Handler][] = [
    [
      'echo 500',
      (req, res, body) => {
        res.writeHead(500);
        res.end(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${body.slice(0, 100)}`);
      },
    ],
    [
      'redirect with credentials',
      (req, res) => {
        res.writeHead(302, { location: `http://user:${qsecret}@127.0.0.1/x?token=${qsecret}` });
        res.end(`moved to http://user:${qsecret}@127.0.0.1${req.url}`);
      },
    ],
    [
      'reset mid-body',
      (_req, res) => {
        res.writeHead(500, { 'content-length': '1000' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 5);
      },
    ],
    [
      'reset before answer',
      (req) => {
        req.socket.destroy();
      },
    ],
    ['never answers', () => {}],
  ];
  for (const [name, h] of modes) {
    for (const adapter of ['http', 'webhook'] as const) {
      it(`${adapter}: ${name}`, async () => {
        handler = h;
        telemetry.length = 0;
        const d = new Dispatcher();
        const url = `${origin}/hooks/path?Token=${qsecret}&api_key=${qsecret}&x=1`;
        const config =
          adapter === 'http'
            ? {
                adapter,
                url,
                headers: { Authorization: `Bearer ${hsecret}`, 'X-Api-Key': ksecret },
                timeout: 100,
                retry: { maxAttempts: 2, baseDelay: 1, maxDelay: 2 },
              }
            : {
                adapter,
                urls: [url, url.replace('/hooks/', '/hooks2/')],
                secret: wsecret,
                headers: { Authorization: `Bearer ${hsecret}`, 'X-Api-Key': ksecret },
                timeout: 100,
                retry: { maxAttempts: 2, baseDelay: 1, maxDelay: 2 },
              };
        try {
          const error = await d.dispatch(createSignal('a.b', { n: 1 }), config).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeDefined();
          const batch = await d.dispatchMany([createSignal('a.b'), createSignal('a.c')], config);
          const text = [
            views(error),
            ...batch.outcomes.map(views),
            inspect(telemetry, { depth: 10 }),
            ...telemetry.map((m) => {
              try {
                return JSON.stringify(m);
              } catch {
                return '';
              }
            }),
            ...telemetry.map((m) => views((m as { error?: unknown }).error)),
            JSON.stringify(d.validate(config)),
            inspect(d.validate(config), { depth: 10 }),
          ].join('\n');
          for (const s of secrets) expect(text.includes(s)).toBe(false);
        } finally {
          await d.close();
        }
      });
    }
  }
});
