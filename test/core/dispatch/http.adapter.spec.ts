import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Config } from '@jest/types';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { MockAgent } from 'undici';
import { HttpAdapter } from '../../../lib/core/dispatch/adapters/http.adapter.js';
import type { DispatchRetryMessage } from '../../../lib/core/dispatch/adapters/http-transport.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import { DeliveryController } from '../../../lib/core/dispatch/delivery-controller.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import {
  CircuitOpenError,
  DispatchConfigError,
  DispatchTimeoutError,
  HttpStatusError,
} from '../../../lib/core/errors/dispatch.error.js';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { fromHttp } from '../../../lib/core/signal/serialization/http.js';
import { createSignal, Signal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';
import { closedPort, startServer, type TestServer } from './http-test-server.js';

// Everything but Date: HTTP, sockets and timers must keep running for real.
const REAL_TIMERS = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] satisfies Config.FakeableAPI[];

const ctx = (signal: AbortSignal = new AbortController().signal): DeliveryContext => ({
  signal,
  attempt: 1,
});
const fast = { maxAttempts: 3, baseDelay: 1, maxDelay: 5 };

function configError(fn: () => unknown): DispatchConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DispatchConfigError);
    return error as DispatchConfigError;
  }
  throw new Error('expected a DispatchConfigError');
}

function collect<T>(channel: string): { messages: T[]; stop: () => void } {
  const messages: T[] = [];
  const fn = (m: unknown): void => {
    messages.push(m as T);
  };
  subscribe(channel, fn);
  return { messages, stop: () => unsubscribe(channel, fn) };
}

describe('HttpAdapter', () => {
  let server: TestServer;
  const adapter = new HttpAdapter();
  const signal = createSignal('order.created', { orderId: 42 }, { source: '/shop' });

  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(() => {
    server.requests.length = 0;
    server.handle((_req, res) => res.end('ok'));
    adapter.circuitBreaker.reset();
  });
  afterAll(async () => {
    await adapter.close();
    await server.close();
  });

  describe('validateOptions', () => {
    it('normalizes a minimal config with the documented defaults', () => {
      const o = adapter.validateOptions({ url: 'https://api.example.com/events?x=1#frag' });
      expect(o.method).toBe('POST');
      expect(o.timeout).toBe(5000);
      expect(o.mode).toBe('structured');
      expect(o.retry).toEqual({ maxAttempts: 3, baseDelay: 200, maxDelay: 5000, jitter: true });
      expect(o.circuitBreaker).toEqual({ threshold: 5, windowMs: 10_000, halfOpenAfter: 30_000 });
      expect(o.origin).toBe('https://api.example.com');
      expect(o.path).toBe('/events?x=1');
      expect(o.target).toBe('https://api.example.com/events');
      expect(o.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    });

    it('accepts put/patch in any case, header pairs, retry false and circuitBreaker false', () => {
      const o = adapter.validateOptions({
        url: 'http://127.0.0.1:8080/',
        method: 'PATCH',
        headers: [['X-Trace', 'abc']],
        retry: false,
        circuitBreaker: false,
        timeout: 60_000,
      });
      expect(o.method).toBe('PATCH');
      expect(o.headers['x-trace']).toBe('abc');
      expect(o.retry).toBe(false);
      expect(o.circuitBreaker).toBe(false);
      expect(adapter.validateOptions({ url: 'http://h/', method: 'put' }).method).toBe('PUT');
    });

    it.each([
      ['missing url', {}, 'url'],
      ['non-string url', { url: 42 }, 'url'],
      ['not a url', { url: 'not a url' }, 'url'],
      ['ftp scheme', { url: 'ftp://example.com/x' }, 'url'],
      ['no host', { url: 'https://' }, 'url'],
      ['whitespace', { url: 'https://exa mple.com' }, 'url'],
      ['control character', { url: 'https://example.com/\r\nx' }, 'url'],
      ['bad port', { url: 'https://example.com:bad' }, 'url'],
      ['credentials', { url: 'https://user:pass@example.com/' }, 'url'],
      ['get method', { url: 'http://h/', method: 'get' }, 'method'],
      ['numeric method', { url: 'http://h/', method: 1 }, 'method'],
      ['header name with space', { url: 'http://h/', headers: { 'x bad': 'v' } }, 'headers'],
      ['header name with colon', { url: 'http://h/', headers: { 'x:bad': 'v' } }, 'headers'],
      [
        'header value with CRLF',
        { url: 'http://h/', headers: { 'x-a': 'v\r\nx-b: y' } },
        'headers.x-a',
      ],
      ['header value with NUL', { url: 'http://h/', headers: { 'x-a': 'v\u0000' } }, 'headers.x-a'],
      ['non-string header value', { url: 'http://h/', headers: { 'x-a': 1 } }, 'headers.x-a'],
      [
        'duplicate header',
        {
          url: 'http://h/',
          headers: [
            ['X-A', '1'],
            ['x-a', '2'],
          ],
        },
        'headers.x-a',
      ],
      [
        'framing header',
        { url: 'http://h/', headers: { 'Content-Length': '3' } },
        'headers.content-length',
      ],
      ['bad header pair', { url: 'http://h/', headers: [['x-a']] }, 'headers[0]'],
      ['headers not an object', { url: 'http://h/', headers: 'x-a: 1' }, 'headers'],
      ['timeout 0', { url: 'http://h/', timeout: 0 }, 'timeout'],
      ['timeout too large', { url: 'http://h/', timeout: 60_001 }, 'timeout'],
      ['timeout not integer', { url: 'http://h/', timeout: 1.5 }, 'timeout'],
      ['retry not an object', { url: 'http://h/', retry: 3 }, 'retry'],
      ['retry maxAttempts 0', { url: 'http://h/', retry: { maxAttempts: 0 } }, 'retry.maxAttempts'],
      [
        'retry maxAttempts 11',
        { url: 'http://h/', retry: { maxAttempts: 11 } },
        'retry.maxAttempts',
      ],
      ['retry baseDelay 0', { url: 'http://h/', retry: { baseDelay: 0 } }, 'retry.baseDelay'],
      [
        'retry maxDelay < baseDelay',
        { url: 'http://h/', retry: { baseDelay: 100, maxDelay: 50 } },
        'retry.maxDelay',
      ],
      ['retry jitter not boolean', { url: 'http://h/', retry: { jitter: 'yes' } }, 'retry.jitter'],
      ['retry unknown key', { url: 'http://h/', retry: { retries: 3 } }, 'retry.retries'],
      ['circuit not an object', { url: 'http://h/', circuitBreaker: 'on' }, 'circuitBreaker'],
      [
        'circuit threshold 0',
        { url: 'http://h/', circuitBreaker: { threshold: 0 } },
        'circuitBreaker.threshold',
      ],
      [
        'circuit windowMs',
        { url: 'http://h/', circuitBreaker: { windowMs: -1 } },
        'circuitBreaker.windowMs',
      ],
      [
        'circuit halfOpenAfter',
        { url: 'http://h/', circuitBreaker: { halfOpenAfter: 'soon' } },
        'circuitBreaker.halfOpenAfter',
      ],
      [
        'circuit unknown key',
        { url: 'http://h/', circuitBreaker: { resetAfter: 1 } },
        'circuitBreaker.resetAfter',
      ],
      ['bad mode', { url: 'http://h/', mode: 'batch' }, 'mode'],
      ['unknown option', { url: 'http://h/', retries: 3 }, 'retries'],
    ])('rejects %s with a typed DispatchConfigError', (_name, options, field) => {
      const err = configError(() => adapter.validateOptions(options));
      expect(err.code).toBe('invalid_dispatch_config');
      expect(err.adapter).toBe('http');
      expect(err.field).toBe(field);
    });

    it('never echoes URL credentials or query tokens in the error', () => {
      const err = configError(() =>
        adapter.validateOptions({ url: 'https://alice:hunter2pass@example.com/p?token=qs-secret' }),
      );
      const dump = [
        JSON.stringify(err),
        err.message,
        err.stack ?? '',
        inspect(err, { depth: 5 }),
      ].join('\n');
      expect(dump).not.toContain('hunter2pass');
      expect(dump).not.toContain('alice');
      expect(dump).not.toContain('qs-secret');
      expect(err.details.target).toBe('https://example.com/p');
    });

    it('never echoes header values in errors, and redacts credentials when options are logged', () => {
      const err = configError(() =>
        adapter.validateOptions({
          url: 'http://h/',
          headers: { authorization: 'Bearer tok-123456\r\nx: y' },
        }),
      );
      expect(JSON.stringify(err) + inspect(err, { depth: 5 })).not.toContain('tok-123456');

      const o = adapter.validateOptions({
        url: 'http://h/hook?api_key=qs-secret',
        headers: {
          Authorization: 'Bearer tok-123456',
          'X-Api-Key': 'key-abcdef',
          'x-plain': 'visible',
        },
      });
      expect(o.headers.authorization).toBe('Bearer tok-123456');
      for (const dump of [
        JSON.stringify(o),
        inspect(o, { depth: 5 }),
        JSON.stringify({ config: o }),
        inspect(o.headers),
      ]) {
        expect(dump).not.toContain('tok-123456');
        expect(dump).not.toContain('key-abcdef');
        expect(dump).not.toContain('qs-secret');
      }
      expect(JSON.stringify(o)).toContain('visible');
    });

    it('describeTarget has no userinfo, query or fragment', () => {
      const o = adapter.validateOptions({ url: 'https://example.com:8443/a/b?token=secret#x' });
      expect(adapter.describeTarget(o)).toBe('https://example.com:8443/a/b');
      expect(
        adapter.describeTarget(adapter.validateOptions({ url: 'https://example.com:443/' })),
      ).toBe('https://example.com/');
    });

    it('rejects invalid pool options in the constructor', () => {
      expect(() => new HttpAdapter({ connections: 0 })).toThrow(DispatchConfigError);
      expect(() => new HttpAdapter({ keepAliveTimeout: -5 })).toThrow(DispatchConfigError);
      expect(() => new HttpAdapter({ pipelining: 1.5 })).toThrow(DispatchConfigError);
    });
  });

  describe('deliver', () => {
    it('POSTs the CloudEvents structured JSON envelope', async () => {
      const o = adapter.validateOptions({
        url: `${server.origin}/events?src=test`,
        headers: { 'X-Source': 'jido' },
      });
      await adapter.deliver(signal, o, ctx());
      expect(server.requests).toHaveLength(1);
      const req = server.requests[0];
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/events?src=test');
      expect(req.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
      expect(req.headers['x-source']).toBe('jido');
      expect(JSON.parse(req.body)).toEqual(JSON.parse(JSON.stringify(signal)));
      expect(Signal.fromJSON(req.body).id).toBe(signal.id);
    });

    it('uses the configured method and lets a content-type header replace the default', async () => {
      const o = adapter.validateOptions({
        url: `${server.origin}/x`,
        method: 'put',
        headers: { 'Content-Type': 'application/json' },
      });
      await adapter.deliver(signal, o, ctx());
      expect(server.requests[0].method).toBe('PUT');
      expect(server.requests[0].headers['content-type']).toBe('application/json');
    });

    it('sends CloudEvents binary mode that decodes back to the same signal', async () => {
      const o = adapter.validateOptions({ url: `${server.origin}/bin`, mode: 'binary' });
      await adapter.deliver(signal, o, ctx());
      const req = server.requests[0];
      expect(req.headers['ce-id']).toBe(signal.id);
      expect(req.headers['ce-type']).toBe('order.created');
      expect(req.headers['content-type']).toBe('application/json');
      const decoded = fromHttp({ headers: req.headers, body: req.body }) as Signal;
      expect(decoded.toJSON()).toEqual(signal.toJSON());
    });

    it('accepts any 2xx', async () => {
      server.handle((_req, res) => {
        res.statusCode = 204;
        res.end();
      });
      const o = adapter.validateOptions({ url: `${server.origin}/x` });
      await expect(adapter.deliver(signal, o, ctx())).resolves.toBeUndefined();
    });

    it('turns a 4xx into a non-retryable HttpStatusError with a bounded body excerpt, without retrying', async () => {
      server.handle((_req, res) => {
        res.statusCode = 422;
        res.end('x'.repeat(5000));
      });
      const o = adapter.validateOptions({ url: `${server.origin}/x`, retry: fast });
      const err = await rejection(adapter.deliver(signal, o, ctx()));
      expect(err).toBeInstanceOf(HttpStatusError);
      const status = err as HttpStatusError;
      expect(status.code).toBe('status_error');
      expect(status.status).toBe(422);
      expect(status.retryable).toBe(false);
      expect(status.bodyExcerpt).toHaveLength(512);
      expect(status.details).toMatchObject({
        status: 422,
        target: `${server.origin}/x`,
        attempt: 1,
      });
      expect(server.requests).toHaveLength(1);
    });

    it('turns a 3xx into an error (redirects are not followed)', async () => {
      server.handle((_req, res) => {
        res.statusCode = 302;
        res.setHeader('location', 'http://elsewhere.example/');
        res.end();
      });
      const o = adapter.validateOptions({ url: `${server.origin}/x`, retry: false });
      const err = await rejection(adapter.deliver(signal, o, ctx()));
      expect((err as HttpStatusError).status).toBe(302);
    });

    it('retries 5xx with backoff, publishing DispatchRetry, and resends identical bytes', async () => {
      let n = 0;
      server.handle((_req, res) => {
        res.statusCode = ++n < 3 ? 503 : 200;
        res.end();
      });
      const retries = collect<DispatchRetryMessage>(TelemetryChannel.DispatchRetry);
      try {
        const o = adapter.validateOptions({ url: `${server.origin}/x`, retry: fast });
        await adapter.deliver(signal, o, ctx());
      } finally {
        retries.stop();
      }
      expect(server.requests).toHaveLength(3);
      expect(new Set(server.requests.map((r) => r.body)).size).toBe(1);
      expect(retries.messages.map((m) => m.attempt)).toEqual([1, 2]);
      for (const m of retries.messages) {
        expect(m).toMatchObject({
          adapter: 'http',
          target: `${server.origin}/x`,
          signalId: signal.id,
          signalType: 'order.created',
          maxAttempts: 3,
          error: { code: 'status_error', status: 503 },
        });
        expect(m.delayMs).toBeGreaterThanOrEqual(0);
        expect(m.delayMs).toBeLessThanOrEqual(5);
      }
    });

    it('gives up after maxAttempts with the last error', async () => {
      server.handle((_req, res) => {
        res.statusCode = 500;
        res.end('boom');
      });
      const o = adapter.validateOptions({
        url: `${server.origin}/x`,
        retry: fast,
        circuitBreaker: false,
      });
      const err = await rejection(adapter.deliver(signal, o, ctx()));
      expect((err as HttpStatusError).status).toBe(500);
      expect(err.retryable).toBe(true);
      expect(err.details.attempt).toBe(3);
      expect((err as HttpStatusError).bodyExcerpt).toBe('boom');
      expect(server.requests).toHaveLength(3);
    });

    it('retries 408, 425 and 429 too', async () => {
      for (const code of [408, 425, 429]) {
        server.requests.length = 0;
        let first = true;
        server.handle((_req, res) => {
          res.statusCode = first ? code : 200;
          first = false;
          res.end();
        });
        const o = adapter.validateOptions({
          url: `${server.origin}/x`,
          retry: fast,
          circuitBreaker: false,
        });
        await adapter.deliver(signal, o, ctx());
        expect(server.requests).toHaveLength(2);
      }
    });

    it('honours a Retry-After within maxDelay', async () => {
      let first = true;
      server.handle((_req, res) => {
        res.statusCode = first ? 429 : 200;
        if (first) res.setHeader('retry-after', '0');
        first = false;
        res.end();
      });
      const o = adapter.validateOptions({ url: `${server.origin}/x`, retry: fast });
      await adapter.deliver(signal, o, ctx());
      expect(server.requests).toHaveLength(2);
    });

    it('stops retrying when Retry-After exceeds maxDelay', async () => {
      server.handle((_req, res) => {
        res.statusCode = 503;
        res.setHeader('retry-after', '120');
        res.end();
      });
      const o = adapter.validateOptions({ url: `${server.origin}/x`, retry: fast });
      const err = await rejection(adapter.deliver(signal, o, ctx()));
      expect((err as HttpStatusError).status).toBe(503);
      expect(err.details.retryAfterMs).toBe(120_000);
      expect(server.requests).toHaveLength(1);
    });

    it('times out a slow target with DispatchTimeoutError (retryable)', async () => {
      server.handle(() => {
        /* never answers */
      });
      const o = adapter.validateOptions({
        url: `${server.origin}/slow`,
        timeout: 50,
        retry: false,
      });
      const err = await rejection(adapter.deliver(signal, o, ctx()));
      expect(err).toBeInstanceOf(DispatchTimeoutError);
      expect(err.code).toBe('timeout');
      expect(err.retryable).toBe(true);
      expect(err.details).toMatchObject({ timeout: 50, target: `${server.origin}/slow` });
    });

    it('reports connection refused as a retryable connection_error and retries it', async () => {
      const port = await closedPort();
      const retries = collect<DispatchRetryMessage>(TelemetryChannel.DispatchRetry);
      let err: JidoSignalError;
      try {
        const o = adapter.validateOptions({
          url: `http://127.0.0.1:${port}/x`,
          retry: { ...fast, maxAttempts: 2 },
        });
        err = await rejection(adapter.deliver(signal, o, ctx()));
      } finally {
        retries.stop();
      }
      expect(err.code).toBe('connection_error');
      expect(err.retryable).toBe(true);
      expect(err.details).toMatchObject({
        errno: 'ECONNREFUSED',
        target: `http://127.0.0.1:${port}/x`,
      });
      expect(retries.messages).toHaveLength(1);
      expect(retries.messages[0].error.code).toBe('connection_error');
    });

    it('aborts the in-flight request when the delivery is cancelled (the server sees the socket close)', async () => {
      let socketClosed!: Promise<void>;
      server.handle((req) => {
        socketClosed = new Promise((resolve) => req.socket.once('close', () => resolve()));
      });
      const controller = new AbortController();
      const o = adapter.validateOptions({
        url: `${server.origin}/hang`,
        timeout: 30_000,
        retry: fast,
      });
      const pending = adapter.deliver(signal, o, ctx(controller.signal));
      await server.waitForRequests(1);
      controller.abort();
      const err = await rejection(pending);
      expect(err.code).toBe('cancelled');
      expect(err.retryable).toBe(false);
      await socketClosed;
      expect(server.requests).toHaveLength(1);
    });

    it('rethrows a library error used as the abort reason (e.g. the dispatcher timeout)', async () => {
      server.handle(() => {
        /* never answers */
      });
      const controller = new AbortController();
      const o = adapter.validateOptions({ url: `${server.origin}/hang`, retry: false });
      const pending = adapter.deliver(signal, o, ctx(controller.signal));
      await server.waitForRequests(1);
      const reason = new DispatchTimeoutError('http', 10);
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
    });

    it('does not send anything when already cancelled, and cancels a backoff wait', async () => {
      const controller = new AbortController();
      controller.abort();
      const o = adapter.validateOptions({ url: `${server.origin}/x` });
      expect((await rejection(adapter.deliver(signal, o, ctx(controller.signal)))).code).toBe(
        'cancelled',
      );
      expect(server.requests).toHaveLength(0);

      server.handle((_req, res) => {
        res.statusCode = 503;
        res.end();
      });
      const c2 = new AbortController();
      const slow = adapter.validateOptions({
        url: `${server.origin}/x`,
        retry: { maxAttempts: 3, baseDelay: 30_000, maxDelay: 30_000 },
      });
      const pending = adapter.deliver(signal, slow, ctx(c2.signal));
      await server.waitForRequests(1);
      setTimeout(() => c2.abort(), 20);
      expect((await rejection(pending)).code).toBe('cancelled');
      expect(server.requests).toHaveLength(1);
    });

    it('never leaks an Authorization header through errors, excerpts or telemetry', async () => {
      const token = 'sk_live_super_secret_token_123';
      server.handle((req, res) => {
        res.statusCode = 500;
        res.end(`echo: ${String(req.headers.authorization)}`);
      });
      const channels = [
        TelemetryChannel.DispatchRetry,
        TelemetryChannel.CircuitOpen,
        TelemetryChannel.CircuitRejected,
      ];
      const subs = channels.map((c) => collect<unknown>(c));
      let err: JidoSignalError;
      try {
        const o = adapter.validateOptions({
          url: `${server.origin}/x?access_token=${token}`,
          headers: { Authorization: `Bearer ${token}` },
          retry: fast,
          circuitBreaker: { threshold: 3 },
        });
        err = await rejection(adapter.deliver(signal, o, ctx()));
        const open = await rejection(adapter.deliver(signal, o, ctx()));
        expect(open).toBeInstanceOf(CircuitOpenError);
        expect(JSON.stringify(open) + inspect(open, { depth: 5 })).not.toContain(token);
      } finally {
        subs.forEach((s) => s.stop());
      }
      expect((err as HttpStatusError).bodyExcerpt).toBe('echo: [REDACTED]');
      const dump = [
        JSON.stringify(err),
        inspect(err, { depth: 5 }),
        err.stack ?? '',
        JSON.stringify(subs.map((s) => s.messages)),
      ];
      for (const text of dump) expect(text).not.toContain(token);
      expect(subs[0].messages.length).toBeGreaterThan(0);
    });
  });

  describe('circuit breaker', () => {
    it('opens per origin after the threshold, rejects without calling the target, then probes and closes', async () => {
      const states = collect<{ key: string; state: string }>(TelemetryChannel.CircuitOpen);
      const halfOpen = collect<{ key: string }>(TelemetryChannel.CircuitHalfOpen);
      const closed = collect<{ key: string }>(TelemetryChannel.CircuitClose);
      try {
        server.handle((_req, res) => {
          res.statusCode = 500;
          res.end();
        });
        const o = adapter.validateOptions({
          url: `${server.origin}/x`,
          retry: false,
          circuitBreaker: { threshold: 2, windowMs: 60_000, halfOpenAfter: 30_000 },
        });
        const key = `http:${server.origin}`;
        expect((await rejection(adapter.deliver(signal, o, ctx()))).code).toBe('status_error');
        expect(adapter.circuitBreaker.state(key)).toBe('closed');
        expect((await rejection(adapter.deliver(signal, o, ctx()))).code).toBe('status_error');
        expect(adapter.circuitBreaker.state(key)).toBe('open');
        expect(states.messages).toEqual([
          expect.objectContaining({ key, state: 'open', adapter: 'http', error: 'status_error' }),
        ]);

        const rejected = await rejection(adapter.deliver(signal, o, ctx()));
        expect(rejected).toBeInstanceOf(CircuitOpenError);
        expect(rejected.code).toBe('circuit_open');
        expect(server.requests).toHaveLength(2);

        const health = await adapter.healthCheck(o);
        expect(health.healthy).toBe(false);
        expect(health.details).toMatchObject({ circuit: 'open' });

        // Another origin is unaffected.
        const otherServer = await startServer();
        try {
          const other = adapter.validateOptions({ url: `${otherServer.origin}/x`, retry: false });
          await adapter.deliver(signal, other, ctx());
        } finally {
          await otherServer.close();
        }

        // Only Date is faked (the breaker reads Date.now()); sockets and timers stay real.
        jest.useFakeTimers({ doNotFake: REAL_TIMERS });
        try {
          jest.setSystemTime(Date.now() + 29_000);
          expect((await rejection(adapter.deliver(signal, o, ctx()))).code).toBe('circuit_open');
          jest.setSystemTime(Date.now() + 1_000);
          server.handle((_req, res) => res.end('ok'));
          await adapter.deliver(signal, o, ctx());
        } finally {
          jest.useRealTimers();
        }
        expect(adapter.circuitBreaker.state(key)).toBe('closed');
        expect(halfOpen.messages).toEqual([expect.objectContaining({ key })]);
        expect(closed.messages).toEqual([expect.objectContaining({ key })]);
      } finally {
        states.stop();
        halfOpen.stop();
        closed.stop();
      }
    });

    it('does not count 4xx or cancellations as failures', async () => {
      server.handle((_req, res) => {
        res.statusCode = 404;
        res.end();
      });
      const o = adapter.validateOptions({
        url: `${server.origin}/x`,
        retry: false,
        circuitBreaker: { threshold: 1 },
      });
      await rejection(adapter.deliver(signal, o, ctx()));
      await rejection(adapter.deliver(signal, o, ctx()));
      expect(adapter.circuitBreaker.state(`http:${server.origin}`)).toBe('closed');
    });

    it('stops retrying once the circuit opens mid-delivery', async () => {
      server.handle((_req, res) => {
        res.statusCode = 502;
        res.end();
      });
      const o = adapter.validateOptions({
        url: `${server.origin}/x`,
        retry: { maxAttempts: 5, baseDelay: 1, maxDelay: 2 },
        circuitBreaker: { threshold: 2 },
      });
      const err = await rejection(adapter.deliver(signal, o, ctx()));
      expect(err.code).toBe('circuit_open');
      expect(server.requests).toHaveLength(2);
    });

    it('bypasses the breaker with circuitBreaker: false', async () => {
      server.handle((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      const o = adapter.validateOptions({
        url: `${server.origin}/x`,
        retry: false,
        circuitBreaker: false,
      });
      for (let i = 0; i < 7; i++)
        expect((await rejection(adapter.deliver(signal, o, ctx()))).code).toBe('status_error');
      expect(adapter.circuitBreaker.states()).toEqual([]);
    });
  });

  describe('healthCheck', () => {
    it('probes with HEAD and reports status, latency and circuit state', async () => {
      server.handle((_req, res) => {
        res.statusCode = 405;
        res.end();
      });
      const o = adapter.validateOptions({
        url: `${server.origin}/hook?token=t`,
        headers: { authorization: 'Bearer zzz-secret' },
      });
      const health = await adapter.healthCheck(o);
      expect(health).toMatchObject({
        healthy: true,
        details: { status: 405, circuit: 'closed', target: `${server.origin}/hook` },
      });
      expect(server.requests[0].method).toBe('HEAD');
      expect(server.requests[0].headers.authorization).toBeUndefined();
    });

    it('is unhealthy on 5xx and on connection errors', async () => {
      server.handle((_req, res) => {
        res.statusCode = 503;
        res.end();
      });
      expect(
        (await adapter.healthCheck(adapter.validateOptions({ url: `${server.origin}/x` }))).healthy,
      ).toBe(false);
      const port = await closedPort();
      const down = await adapter.healthCheck(
        adapter.validateOptions({ url: `http://127.0.0.1:${port}/x` }),
      );
      expect(down).toMatchObject({ healthy: false, details: { error: 'ECONNREFUSED' } });
    });
  });

  describe('cancellation and timeouts without an AbortSignal', () => {
    const socketClosedOnRequest = (): Promise<void> =>
      new Promise((resolve) => {
        server.handle((req) => {
          req.socket.once('close', () => resolve());
        });
      });

    it('aborts the in-flight request when a DeliveryController aborts', async () => {
      const socketClosed = socketClosedOnRequest();
      const delivery = new DeliveryController();
      const o = adapter.validateOptions({ url: `${server.origin}/hang`, timeout: 30_000 });
      const pending = adapter.deliver(signal, o, delivery);
      await server.waitForRequests(1);
      delivery.abort('stop');
      const err = await rejection(pending);
      expect(err.code).toBe('cancelled');
      expect(err.cause).toBe('stop');
      await socketClosed;
      expect(server.requests).toHaveLength(1);
    });

    it('dispatchAsync(...).cancel() reaches the socket of an in-flight request', async () => {
      const socketClosed = socketClosedOnRequest();
      const dispatcher = new Dispatcher();
      try {
        const handle = dispatcher.dispatchAsync(signal, {
          adapter: 'http',
          url: `${server.origin}/hang`,
          timeout: 30_000,
        });
        await server.waitForRequests(1);
        handle.cancel('user left');
        expect((await rejection(handle.result)).code).toBe('cancelled');
        await socketClosed;
      } finally {
        await dispatcher.close();
      }
    });

    it('the dispatcher timeout aborts the in-flight request with its DispatchTimeoutError', async () => {
      const socketClosed = socketClosedOnRequest();
      const dispatcher = new Dispatcher({ timeout: 100 });
      try {
        const err = await rejection(
          dispatcher.dispatch(signal, {
            adapter: 'http',
            url: `${server.origin}/hang`,
            timeout: 30_000,
          }),
        );
        expect(err).toBeInstanceOf(DispatchTimeoutError);
        expect((err as DispatchTimeoutError).timeout).toBe(100);
        await socketClosed;
        expect(server.requests).toHaveLength(1);
      } finally {
        await dispatcher.close();
      }
    });

    it('times out a request still waiting for a pooled connection at once, and never sends it', async () => {
      const socketClosed = socketClosedOnRequest();
      const own = new HttpAdapter({ connections: 1 });
      try {
        const first = new DeliveryController();
        const hanging = own.deliver(
          signal,
          own.validateOptions({ url: `${server.origin}/hang`, timeout: 30_000 }),
          first,
        );
        await server.waitForRequests(1);
        const started = performance.now();
        const err = await rejection(
          own.deliver(
            signal,
            own.validateOptions({ url: `${server.origin}/queued`, timeout: 50, retry: false }),
            new DeliveryController(),
          ),
        );
        expect(err).toBeInstanceOf(DispatchTimeoutError);
        expect(performance.now() - started).toBeLessThan(1000);
        // Free the only connection: the timed-out request gets it and is dropped unsent.
        first.abort();
        expect((await rejection(hanging)).code).toBe('cancelled');
        await socketClosed;
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(server.requests.map((r) => r.url)).toEqual(['/hang']);
      } finally {
        await own.close();
      }
    });

    it('drains a large 2xx body and keeps only a bounded excerpt of a large error body', async () => {
      server.handle((req, res) => {
        res.statusCode = req.url === '/ok' ? 200 : 500;
        res.end('y'.repeat(200 * 1024));
      });
      const ok = adapter.validateOptions({ url: `${server.origin}/ok` });
      await expect(adapter.deliver(signal, ok, ctx())).resolves.toBeUndefined();
      const failing = adapter.validateOptions({ url: `${server.origin}/err`, retry: false });
      const err = (await rejection(adapter.deliver(signal, failing, ctx()))) as HttpStatusError;
      expect(err.status).toBe(500);
      expect(err.bodyExcerpt).toBe('y'.repeat(512));
    });
  });

  it('new Dispatcher({ http, webhook }) configures the built-in pools', async () => {
    expect(() => new Dispatcher({ http: { connections: 0 } })).toThrow(DispatchConfigError);
    expect(() => new Dispatcher({ webhook: { pipelining: 0 } })).toThrow(DispatchConfigError);
    const mock = new MockAgent();
    mock.disableNetConnect();
    const pool = mock.get('http://api.example');
    pool.intercept({ path: '/events', method: 'POST' }).reply(202, 'accepted');
    pool
      .intercept({ path: '/hooks', method: 'POST' })
      .reply(503, 'busy', { headers: { 'retry-after': '7' } });
    const dispatcher = new Dispatcher({
      http: { dispatcher: mock },
      webhook: { dispatcher: mock },
    });
    try {
      await dispatcher.dispatch(signal, { adapter: 'http', url: 'http://api.example/events' });
      const err = (await rejection(
        dispatcher.dispatch(signal, {
          adapter: 'webhook',
          url: 'http://api.example/hooks',
          retry: false,
        }),
      )) as HttpStatusError;
      expect(err.status).toBe(503);
      expect(err.bodyExcerpt).toBe('busy');
      expect(err.details.retryAfterMs).toBe(7000);
      mock.assertNoPendingInterceptors();
    } finally {
      await dispatcher.close();
      await mock.close();
    }
  });

  it('close() is idempotent and a later delivery opens a new pool', async () => {
    const own = new HttpAdapter({ connections: 2, keepAliveTimeout: 1000 });
    const o = own.validateOptions({ url: `${server.origin}/x` });
    await own.deliver(signal, o, ctx());
    await own.close();
    await own.close();
    await own.deliver(signal, o, ctx());
    await own.close();
    expect(server.requests).toHaveLength(2);
  });
});
