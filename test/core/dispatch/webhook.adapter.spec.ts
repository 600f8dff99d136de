import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { WebhookAdapter } from '../../../lib/core/dispatch/adapters/webhook.adapter.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import { verifyWebhook } from '../../../lib/core/dispatch/webhook-signature.js';
import {
  DispatchConfigError,
  HttpStatusError,
  WebhookDeliveryError,
} from '../../../lib/core/errors/dispatch.error.js';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';
import { closedPort, startServer, type TestServer } from './http-test-server.js';

const ctx = (signal: AbortSignal = new AbortController().signal): DeliveryContext => ({
  signal,
  attempt: 1,
});
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const OLD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const fast = { maxAttempts: 3, baseDelay: 1, maxDelay: 5 };

function plainHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (typeof v === 'string') out[k] = v;
  return out;
}

describe('WebhookAdapter', () => {
  let server: TestServer;
  let second: TestServer;
  const adapter = new WebhookAdapter();
  const signal = createSignal(
    'payment.captured',
    { amount: 1200, currency: 'EUR' },
    { source: '/payments' },
  );

  beforeAll(async () => {
    server = await startServer();
    second = await startServer();
  });
  afterEach(() => {
    for (const s of [server, second]) {
      s.requests.length = 0;
      s.handle((_req, res) => res.end('ok'));
    }
    adapter.circuitBreaker.reset();
  });
  afterAll(async () => {
    await adapter.close();
    await server.close();
    await second.close();
  });

  describe('Standard Webhooks (default)', () => {
    it('signs requests that the standardwebhooks package verifies', async () => {
      const o = adapter.validateOptions({ url: `${server.origin}/hooks`, secret: SECRET });
      await adapter.deliver(signal, o, ctx());
      const req = server.requests[0];
      expect(req.headers['webhook-id']).toBe(signal.id);
      expect(req.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(req.headers['x-webhook-event']).toBe('payment.captured');
      expect(req.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
      const headers = plainHeaders(req.headers);
      expect(new Webhook(SECRET).verify(req.body, headers)).toEqual(
        JSON.parse(JSON.stringify(signal)),
      );
      expect(verifyWebhook(req.body, req.headers, SECRET)).toMatchObject({
        id: signal.id,
        scheme: 'standard-webhooks',
      });
    });

    it('sends one signature per secret for key rotation', async () => {
      const o = adapter.validateOptions({
        url: `${server.origin}/hooks`,
        secret: [OLD_SECRET, SECRET],
      });
      await adapter.deliver(signal, o, ctx());
      const req = server.requests[0];
      expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
      const headers = plainHeaders(req.headers);
      expect(new Webhook(OLD_SECRET).verify(req.body, headers)).toBeDefined();
      expect(new Webhook(SECRET).verify(req.body, headers)).toBeDefined();
    });

    it('accepts a raw (non-whsec) secret', async () => {
      const raw = 'a-plain-shared-secret';
      const o = adapter.validateOptions({ url: `${server.origin}/hooks`, secret: raw });
      await adapter.deliver(signal, o, ctx());
      const req = server.requests[0];
      expect(
        new Webhook(raw, { format: 'raw' }).verify(req.body, plainHeaders(req.headers)),
      ).toBeDefined();
    });

    it('sends unsigned requests (id, timestamp, event) without a secret', async () => {
      await adapter.deliver(
        signal,
        adapter.validateOptions({ url: `${server.origin}/hooks` }),
        ctx(),
      );
      const req = server.requests[0];
      expect(req.headers['webhook-signature']).toBeUndefined();
      expect(req.headers['webhook-id']).toBe(signal.id);
    });

    it('resends identical bytes, timestamp and signature on retries', async () => {
      let n = 0;
      server.handle((_req, res) => {
        res.statusCode = ++n < 3 ? 500 : 200;
        res.end();
      });
      const o = adapter.validateOptions({
        url: `${server.origin}/hooks`,
        secret: SECRET,
        retry: fast,
      });
      await adapter.deliver(signal, o, ctx());
      expect(server.requests).toHaveLength(3);
      const [a, b, c] = server.requests;
      for (const r of [b, c]) {
        expect(r.body).toBe(a.body);
        expect(r.headers['webhook-signature']).toBe(a.headers['webhook-signature']);
        expect(r.headers['webhook-timestamp']).toBe(a.headers['webhook-timestamp']);
      }
    });

    it('maps the event name with eventTypeMap and a custom eventTypeHeader', async () => {
      const o = adapter.validateOptions({
        url: `${server.origin}/hooks`,
        eventTypeHeader: 'X-Event-Name',
        eventTypeMap: { 'payment.captured': 'charge.succeeded' },
      });
      await adapter.deliver(signal, o, ctx());
      await adapter.deliver(createSignal('other.type'), o, ctx());
      expect(server.requests.map((r) => r.headers['x-event-name'])).toEqual([
        'charge.succeeded',
        'other.type',
      ]);
    });

    it('does not let caller headers override the generated ones', async () => {
      const o = adapter.validateOptions({
        url: `${server.origin}/hooks`,
        secret: SECRET,
        headers: {
          'Webhook-Signature': 'v1,forged',
          'webhook-id': 'forged',
          'webhook-timestamp': '1',
          'x-webhook-event': 'forged',
          'x-tenant': 'acme',
        },
      });
      await adapter.deliver(signal, o, ctx());
      const req = server.requests[0];
      expect(req.headers['webhook-id']).toBe(signal.id);
      expect(req.headers['x-webhook-event']).toBe('payment.captured');
      expect(req.headers['x-tenant']).toBe('acme');
      expect(verifyWebhook(req.body, req.headers, SECRET).id).toBe(signal.id);
      // node:http joins duplicate headers; a single value proves the caller's copy was dropped.
      expect(req.headers['webhook-signature']).not.toContain('forged');
    });
  });

  describe('jido scheme', () => {
    const secret = 'webhook_secret_key';

    it('sends x-webhook-signature = hex HMAC-SHA256("<ts>.<body>"), x-webhook-timestamp, x-webhook-event', async () => {
      const o = adapter.validateOptions({
        url: `${server.origin}/hooks`,
        secret,
        signatureScheme: 'jido',
      });
      await adapter.deliver(signal, o, ctx());
      const req = server.requests[0];
      const ts = String(req.headers['x-webhook-timestamp']);
      expect(ts).toMatch(/^\d+$/);
      expect(req.headers['x-webhook-signature']).toBe(
        createHmac('sha256', secret).update(`${ts}.${req.body}`).digest('hex'),
      );
      expect(req.headers['x-webhook-event']).toBe('payment.captured');
      expect(req.headers['webhook-id']).toBeUndefined();
      expect(verifyWebhook(req.body, req.headers, secret, { scheme: 'jido' }).timestamp).toBe(
        Number(ts),
      );
    });

    it('uses custom, distinct header names', async () => {
      const o = adapter.validateOptions({
        url: `${server.origin}/hooks`,
        secret,
        signatureScheme: 'jido',
        signatureHeader: 'X-Signature',
        timestampHeader: 'X-Ts',
        headers: { 'x-signature': 'forged' },
      });
      await adapter.deliver(signal, o, ctx());
      const req = server.requests[0];
      const ts = String(req.headers['x-ts']);
      expect(req.headers['x-signature']).toBe(
        createHmac('sha256', secret).update(`${ts}.${req.body}`).digest('hex'),
      );
    });
  });

  describe('validateOptions', () => {
    it.each([
      ['neither url nor urls', {}, 'url'],
      ['both url and urls', { url: 'http://h/', urls: ['http://h/'] }, 'url'],
      ['empty urls', { urls: [] }, 'urls'],
      ['urls not an array', { urls: 'http://h/' }, 'urls'],
      ['bad url in urls', { urls: ['http://h/', 'ftp://h/'] }, 'urls[1]'],
      ['credentials in url', { url: 'https://u:p@h/' }, 'url'],
      ['empty secret', { url: 'http://h/', secret: '' }, 'secret'],
      ['non-string secret', { url: 'http://h/', secret: 42 }, 'secret'],
      ['bad whsec secret', { url: 'http://h/', secret: 'whsec_***' }, 'secret'],
      ['empty secret list', { url: 'http://h/', secret: [] }, 'secret'],
      ['bad secret in list', { url: 'http://h/', secret: ['s', ''] }, 'secret[1]'],
      [
        'two secrets with jido',
        { url: 'http://h/', secret: ['a', 'b'], signatureScheme: 'jido' },
        'secret',
      ],
      ['unknown scheme', { url: 'http://h/', signatureScheme: 'hmac' }, 'signatureScheme'],
      [
        'signatureHeader with standard',
        { url: 'http://h/', signatureHeader: 'x-sig' },
        'signatureHeader',
      ],
      [
        'timestampHeader with standard',
        { url: 'http://h/', timestampHeader: 'x-ts' },
        'timestampHeader',
      ],
      [
        'invalid signatureHeader',
        { url: 'http://h/', signatureScheme: 'jido', signatureHeader: 'x sig' },
        'signatureHeader',
      ],
      [
        'invalid eventTypeHeader',
        { url: 'http://h/', eventTypeHeader: 'bad:name' },
        'eventTypeHeader',
      ],
      [
        'same signature and timestamp header',
        {
          url: 'http://h/',
          signatureScheme: 'jido',
          signatureHeader: 'X-A',
          timestampHeader: 'x-a',
        },
        'timestampHeader',
      ],
      [
        'event header equals webhook-id',
        { url: 'http://h/', eventTypeHeader: 'Webhook-Id' },
        'eventTypeHeader',
      ],
      [
        'event header equals jido signature',
        { url: 'http://h/', signatureScheme: 'jido', eventTypeHeader: 'x-webhook-signature' },
        'eventTypeHeader',
      ],
      ['eventTypeMap not an object', { url: 'http://h/', eventTypeMap: ['a'] }, 'eventTypeMap'],
      [
        'eventTypeMap bad value',
        { url: 'http://h/', eventTypeMap: { a: 'x\r\ny' } },
        'eventTypeMap.a',
      ],
      ['parallel not boolean', { url: 'http://h/', parallel: 'yes' }, 'parallel'],
      ['bad timeout', { url: 'http://h/', timeout: 0 }, 'timeout'],
      ['bad retry', { url: 'http://h/', retry: { maxAttempts: 20 } }, 'retry.maxAttempts'],
      ['bad method', { url: 'http://h/', method: 'delete' }, 'method'],
      ['unknown option', { url: 'http://h/', signature_header: 'x' }, 'signature_header'],
      ['http-only mode option', { url: 'http://h/', mode: 'binary' }, 'mode'],
    ])('rejects %s with a typed DispatchConfigError', (_name, options, field) => {
      let err: unknown;
      try {
        adapter.validateOptions(options);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DispatchConfigError);
      expect(err).toMatchObject({ code: 'invalid_dispatch_config', adapter: 'webhook', field });
    });

    it('keeps secrets out of errors and logged options', () => {
      const bad = 'whsec_bad*secret*material';
      let err: unknown;
      try {
        adapter.validateOptions({ url: 'http://h/', secret: bad });
      } catch (e) {
        err = e;
      }
      expect(JSON.stringify(err) + inspect(err, { depth: 5 })).not.toContain('secret*material');

      const raw = 'plain-secret-value-xyz';
      const o = adapter.validateOptions({
        url: 'http://h/p?token=qs-token',
        secret: raw,
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
      });
      for (const dump of [JSON.stringify(o), inspect(o, { depth: 10 }), JSON.stringify({ o })]) {
        expect(dump).not.toContain(raw);
        expect(dump).not.toContain('dXNlcjpwYXNz');
        expect(dump).not.toContain('qs-token');
      }
      expect(adapter.describeTarget(o)).toBe('http://h/p');
    });
  });

  describe('several endpoints', () => {
    it('delivers the same signed request to every url (parallel by default)', async () => {
      const o = adapter.validateOptions({
        urls: [`${server.origin}/a`, `${second.origin}/b`],
        secret: SECRET,
      });
      expect(o.parallel).toBe(true);
      await adapter.deliver(signal, o, ctx());
      const [a, b] = [server.requests[0], second.requests[0]];
      expect(a.body).toBe(b.body);
      expect(a.headers['webhook-signature']).toBe(b.headers['webhook-signature']);
      expect(adapter.describeTarget(o)).toBe(`${server.origin}/a, ${second.origin}/b`);
    });

    it('reports which endpoints failed, after attempting all of them (sequential)', async () => {
      second.handle((_req, res) => {
        res.statusCode = 400;
        res.end('nope');
      });
      const port = await closedPort();
      for (const parallel of [false, true]) {
        server.requests.length = 0;
        second.requests.length = 0;
        const o = adapter.validateOptions({
          urls: [
            `http://127.0.0.1:${port}/down`,
            `${second.origin}/b?k=secret-q`,
            `${server.origin}/a`,
          ],
          parallel,
          retry: false,
        });
        const err = await rejection(adapter.deliver(signal, o, ctx()));
        expect(err).toBeInstanceOf(WebhookDeliveryError);
        const agg = err as WebhookDeliveryError;
        expect(agg.code).toBe('dispatch_failed');
        expect(agg.failures.map((f) => [f.target, f.error.code])).toEqual([
          [`http://127.0.0.1:${port}/down`, 'connection_error'],
          [`${second.origin}/b`, 'status_error'],
        ]);
        expect((agg.failures[1].error as HttpStatusError).status).toBe(400);
        expect(agg.retryable).toBe(false);
        expect(agg.details).toMatchObject({ total: 3 });
        expect(agg.message).not.toContain('secret-q');
        expect(server.requests).toHaveLength(1);
      }
    });

    it('throws the endpoint error directly for a single url', async () => {
      server.handle((_req, res) => {
        res.statusCode = 503;
        res.end();
      });
      const o = adapter.validateOptions({ url: `${server.origin}/a`, retry: false });
      expect(await rejection(adapter.deliver(signal, o, ctx()))).toBeInstanceOf(HttpStatusError);
    });

    it('rejects with the cancellation when the delivery is aborted', async () => {
      server.handle(() => {
        /* hang */
      });
      const controller = new AbortController();
      const o = adapter.validateOptions({
        urls: [`${server.origin}/a`, `${server.origin}/b`],
        retry: false,
      });
      const pending = adapter.deliver(signal, o, ctx(controller.signal));
      await server.waitForRequests(2);
      controller.abort();
      expect((await rejection(pending)).code).toBe('cancelled');
    });

    it('keeps one circuit per endpoint origin, keyed webhook:<origin>', async () => {
      server.handle((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      const o = adapter.validateOptions({
        urls: [`${server.origin}/a`, `${second.origin}/b`],
        retry: false,
        circuitBreaker: { threshold: 1 },
      });
      await rejection(adapter.deliver(signal, o, ctx()));
      expect(adapter.circuitBreaker.state(`webhook:${server.origin}`)).toBe('open');
      expect(adapter.circuitBreaker.state(`webhook:${second.origin}`)).toBe('closed');
      const err = (await rejection(adapter.deliver(signal, o, ctx()))) as WebhookDeliveryError;
      expect(err.failures.map((f) => f.error.code)).toEqual(['circuit_open']);
      expect(second.requests).toHaveLength(2);

      const health = await adapter.healthCheck(o);
      expect(health.healthy).toBe(false);
      expect(health.details).toMatchObject({
        endpoints: [
          { healthy: false, circuit: 'open' },
          { healthy: true, circuit: 'closed' },
        ],
      });
    });
  });

  it('is a built-in adapter of the Dispatcher (http and webhook), closed with it', async () => {
    const dispatcher = new Dispatcher();
    try {
      await dispatcher.dispatch(signal, [
        { adapter: 'webhook', url: `${server.origin}/hook`, secret: SECRET },
        { adapter: 'http', url: `${second.origin}/events` },
      ]);
      expect(
        new Webhook(SECRET).verify(
          server.requests[0].body,
          plainHeaders(server.requests[0].headers),
        ),
      ).toBeDefined();
      expect(second.requests[0].headers['content-type']).toBe(
        'application/cloudevents+json; charset=utf-8',
      );
      await expect(
        dispatcher.dispatch(signal, { adapter: 'webhook', url: 'ftp://x/' }),
      ).rejects.toBeInstanceOf(DispatchConfigError);
    } finally {
      await dispatcher.close();
    }
  });

  it('never leaks the secret or an Authorization header through errors or telemetry', async () => {
    const token = 'tok_live_0123456789abcdef';
    server.handle((req, res) => {
      res.statusCode = 503;
      res.end(`auth was ${String(req.headers.authorization)}`);
    });
    const seen: unknown[] = [];
    const fn = (m: unknown): void => {
      seen.push(m);
    };
    const channels = [TelemetryChannel.DispatchRetry, TelemetryChannel.CircuitOpen];
    channels.forEach((c) => subscribe(c, fn));
    let err: JidoSignalError;
    try {
      const o = adapter.validateOptions({
        url: `${server.origin}/a`,
        secret: SECRET,
        headers: { authorization: `Bearer ${token}` },
        retry: fast,
        circuitBreaker: { threshold: 3 },
      });
      err = await rejection(adapter.deliver(signal, o, ctx()));
    } finally {
      channels.forEach((c) => unsubscribe(c, fn));
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const text of [
      JSON.stringify(err),
      inspect(err, { depth: 5 }),
      err.stack ?? '',
      JSON.stringify(seen),
    ]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(SECRET.slice(6));
    }
  });
});
