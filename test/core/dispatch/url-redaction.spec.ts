// Regression: a server that echoes the request URL in its error body leaked `?token=…`
// into HttpStatusError.bodyExcerpt, its details, bus errors$ and telemetry. A real
// loopback server echoes the URL (raw, percent-decoded and as parsed JSON); the secrets
// must appear nowhere the library keeps text.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { firstValueFrom, timeout } from 'rxjs';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { redactRemoteText } from '../../../lib/core/dispatch/url.js';
import { DispatchConfigError, HttpStatusError } from '../../../lib/core/errors/dispatch.error.js';
import type { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';
import { startServer, type TestServer } from './http-test-server.js';

const channels = Object.values(TelemetryChannel);

/** Every message published on any library channel while `run` runs, as text. */
async function telemetryDuring(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onMessage = (message: unknown): void => {
    let json: string;
    try {
      json = JSON.stringify(message) ?? '';
    } catch {
      json = '';
    }
    seen.push(json, inspect(message, { depth: 12 }));
  };
  for (const c of channels) subscribe(c, onMessage);
  try {
    await run();
  } finally {
    for (const c of channels) unsubscribe(c, onMessage);
  }
  return seen;
}

/** Everything an error exposes as text. */
function errorText(error: JidoSignalError): string[] {
  return [
    error.message,
    JSON.stringify(error),
    JSON.stringify(error.details),
    error instanceof HttpStatusError ? error.bodyExcerpt : '',
    inspect(error, { depth: 12 }),
    error.stack ?? '',
  ];
}

function expectNowhere(texts: readonly string[], secrets: readonly string[]): void {
  for (const secret of secrets) {
    for (const text of texts) expect(text).not.toContain(secret);
  }
}

// Each case: the query string sent, and every spelling of its secret the server echoes.
const cases = [
  {
    name: 'plain query token',
    query: '?token=tok_9f8e7d6c5b4a3',
    secrets: ['tok_9f8e7d6c5b4a3'],
  },
  {
    name: 'URL-encoded token',
    query: `?api_key=${encodeURIComponent('s3cr+t/v@lue=X')}&page=2`,
    secrets: ['s3cr%2Bt%2Fv%40lue%3DX', 's3cr+t/v@lue=X', 'v@lue', 's3cr%2B'],
  },
  {
    name: 'form-encoded token (+ for spaces)',
    query: '?sig=hello+world+s3cret',
    secrets: ['hello+world+s3cret', 'hello world s3cret', 's3cret'],
  },
] as const;

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res) => {
    const url = req.url ?? '';
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain');
    const query = Object.fromEntries(new URL(url, 'http://x').searchParams);
    // `/pad…`: the bare query values start 6 bytes before the 512-byte excerpt cut.
    if (url.startsWith('/pad')) {
      res.end(`${'x'.repeat(505)} ${Object.values(query).join(' ')}`);
      return;
    }
    res.end(
      `cannot handle ${req.method} ${url}\n` +
        `decoded: ${decodeURIComponent(url)}\n` +
        `json: ${JSON.stringify({ url, query })}`,
    );
  });
});
afterAll(() => server.close());

describe('query values and credentials of the target never leave the adapter', () => {
  const dispatcher = new Dispatcher();
  afterAll(() => dispatcher.close());
  const retry = { maxAttempts: 2, baseDelay: 1, maxDelay: 5, jitter: false };

  describe.each(['http', 'webhook'] as const)('%s adapter', (adapter) => {
    it.each(cases)('$name', async ({ query, secrets }) => {
      const before = server.requests.length;
      let error: JidoSignalError | undefined;
      const telemetry = await telemetryDuring(async () => {
        error = await rejection(
          dispatcher.dispatch(createSignal('order.created', { n: 1 }), {
            adapter,
            url: `${server.origin}/hook${query}`,
            retry,
            circuitBreaker: false,
            ...(adapter === 'webhook' ? { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } : {}),
          }),
        );
      });
      // The request really carried the secret and the server really echoed it.
      expect(server.requests.length - before).toBe(2);
      expect(server.requests.at(-1)!.url).toBe(`/hook${query}`);
      expect(error).toBeInstanceOf(HttpStatusError);
      const status = error as HttpStatusError;
      expect(status.bodyExcerpt).toContain('cannot handle POST /hook?');
      expect(status.bodyExcerpt).toContain('[REDACTED]');
      // Telemetry saw the failure: a retry, then the dispatch error with the typed error.
      expect(telemetry.some((t) => t.includes('"attempt":1'))).toBe(true);
      expect(telemetry.some((t) => t.includes('"errorCode":"status_error"'))).toBe(true);
      expectNowhere([...errorText(status), ...telemetry], secrets);
    });

    it('userinfo credentials are refused, and the password is not repeated anywhere', async () => {
      const password = 'pa55-w0rd-Secret';
      let error: JidoSignalError | undefined;
      const telemetry = await telemetryDuring(async () => {
        error = await rejection(
          dispatcher.dispatch(createSignal('order.created'), {
            adapter,
            url: `http://alice:${password}@127.0.0.1:${server.port}/hook?token=tok_userinfo1`,
          }),
        );
      });
      expect(error).toBeInstanceOf(DispatchConfigError);
      expectNowhere([...errorText(error!), ...telemetry], [password, 'alice:', 'tok_userinfo1']);
    });
  });

  it('a secret straddling the 512-byte excerpt cut is not kept in part', async () => {
    const secret = 'tok_straddle_0123456789';
    const error = await rejection(
      dispatcher.dispatch(createSignal('order.created'), {
        adapter: 'http',
        url: `${server.origin}/pad?token=${secret}`,
        retry: false,
        circuitBreaker: false,
      }),
    );
    const excerpt = (error as HttpStatusError).bodyExcerpt;
    expect(excerpt).toBe(`${'x'.repeat(505)} [REDAC`); // redacted whole, then cut to 512 bytes
    expectNowhere(errorText(error), [secret, secret.slice(0, 6)]);
  });

  it('bus errors$ and bus telemetry carry the redacted error', async () => {
    const bus = new SignalBus({ name: 'redaction' });
    try {
      const secret = 'tok_bus_7q6w5e4r';
      await bus.subscribe('order.**', {
        dispatch: {
          adapter: 'http',
          url: `${server.origin}/bus?access_token=${secret}`,
          retry: false,
          circuitBreaker: false,
        },
      });
      let busError: unknown;
      const telemetry = await telemetryDuring(async () => {
        const next = firstValueFrom(bus.errors$.pipe(timeout(5_000)));
        await bus.publish(createSignal('order.created'));
        busError = await next;
      });
      const text = [JSON.stringify(busError), inspect(busError, { depth: 12 })];
      expect(text.join('')).toContain('[REDACTED]');
      expect(telemetry.some((t) => t.includes('jido') || t.includes('status_error'))).toBe(true);
      expectNowhere([...text, ...telemetry], [secret]);
    } finally {
      await bus.close();
    }
  });
});

describe('redactRemoteText', () => {
  it('redacts short values after their name, long ones in every common spelling', () => {
    const path = '/x?t=ab&key=Zm9vYmFy%2F%2B&flag';
    const text = 'GET /x?t=ab&key=Zm9vYmFy%2F%2B {"key":"Zm9vYmFy/+"} Zm9vYmFy%2f%2b t=ab';
    const out = redactRemoteText(text, path);
    expect(out).not.toMatch(/Zm9vYmFy/);
    expect(out).not.toContain('t=ab');
    expect(out).toContain('t=[REDACTED]');
  });

  it('leaves text alone when the target has no query and no credential headers', () => {
    const text = 'plain error 500 at /x';
    expect(redactRemoteText(text, '/x', { accept: 'text/plain' })).toBe(text);
  });

  it('redacts credential header values and userinfo', () => {
    const out = redactRemoteText(
      'auth=Bearer abc.def.ghi user bob:hunter22',
      'http://bob:hunter22@h/x',
      { authorization: 'Bearer abc.def.ghi' },
    );
    expect(out).not.toContain('abc.def.ghi');
    expect(out).not.toContain('hunter22');
  });
});
