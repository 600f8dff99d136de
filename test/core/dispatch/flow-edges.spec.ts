// abort during backoff, half-open probe under concurrency, never-answering servers,
// dispatchMany concurrency and per-signal outcomes, and webhook signatures checked with an
// independent node:crypto computation.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import type { HttpAdapter } from '../../../lib/core/dispatch/adapters/http.adapter.js';
import { verifyWebhook } from '../../../lib/core/dispatch/webhook-signature.js';
import { createSignal } from '../../../lib/core/signal/signal.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
let handler: Handler = (_req, res) => res.end('ok');
let origin = '';
let inFlight = 0;
let maxInFlight = 0;
let hits = 0;
const server = createServer((req, res) => {
  inFlight++;
  hits++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  res.on('close', () => inFlight--);
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => handler(req, res, Buffer.concat(chunks)));
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
const reset = () => {
  inFlight = 0;
  maxInFlight = 0;
  hits = 0;
};
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('cancellation and timeouts', () => {
  it('cancel during a long backoff settles at once and leaves no timer', async () => {
    reset();
    handler = (_req, res) => void res.writeHead(503).end('busy');
    const d = new Dispatcher({ timeout: 0 });
    try {
      const before = timers();
      const handle = d.dispatchAsync(createSignal('a.b'), {
        adapter: 'http',
        url: `${origin}/x`,
        retry: { maxAttempts: 3, baseDelay: 20_000, maxDelay: 20_000, jitter: false },
        circuitBreaker: false,
      });
      while (hits < 1) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 30));
      const t0 = Date.now();
      handle.cancel('stop');
      const error = (await handle.result.catch((e: unknown) => e)) as { code: string };
      expect(error.code).toBe('cancelled');
      expect(Date.now() - t0).toBeLessThan(500);
      await new Promise((r) => setImmediate(r));
      expect(timers()).toBeLessThanOrEqual(before);
      expect(hits).toBe(1);
    } finally {
      await d.close();
    }
  });

  it('a server that never answers fails after attempts × timeout, not later', async () => {
    reset();
    handler = () => {};
    const d = new Dispatcher();
    try {
      const t0 = Date.now();
      const error = (await d
        .dispatch(createSignal('a.b'), {
          adapter: 'http',
          url: `${origin}/hang`,
          timeout: 100,
          retry: { maxAttempts: 2, baseDelay: 1, maxDelay: 1 },
          circuitBreaker: false,
        })
        .catch((e: unknown) => e)) as { code: string; details: Record<string, unknown> };
      const took = Date.now() - t0;
      expect(error.code).toBe('timeout');
      expect(error.details.attempt).toBe(2);
      expect(took).toBeGreaterThanOrEqual(190);
      expect(took).toBeLessThan(1500);
    } finally {
      await d.close();
    }
  });
});

describe('half-open probe under concurrency', () => {
  it('only one probe goes through; the others are rejected; success closes', async () => {
    reset();
    handler = (_req, res) => void res.writeHead(500).end('down');
    const d = new Dispatcher();
    const cb = { threshold: 1, windowMs: 10_000, halfOpenAfter: 50 };
    const config = {
      adapter: 'http',
      url: `${origin}/p`,
      retry: false as const,
      circuitBreaker: cb,
    };
    try {
      await d.dispatch(createSignal('a.b'), config).catch(() => undefined);
      const key = `http:${origin}`;
      const breaker = (d.adapters.get('http') as HttpAdapter).circuitBreaker;
      expect(breaker.state(key)).toBe('open');
      await new Promise((r) => setTimeout(r, 80));
      reset();
      handler = (_req, res) => void setTimeout(() => res.end('ok'), 80);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          d.dispatch(createSignal('a.b'), config).then(
            () => 'ok',
            (e: { code: string }) => e.code,
          ),
        ),
      );
      expect(hits).toBe(1);
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'circuit_open')).toHaveLength(5);
      expect(breaker.state(key)).toBe('closed');
    } finally {
      await d.close();
    }
  });
});

describe('dispatchMany', () => {
  it('respects maxConcurrency server-side and reports exact per-signal outcomes', async () => {
    reset();
    // Fail batches whose first signal has an odd n, after a delay.
    handler = (_req, res, body) => {
      const arr = JSON.parse(body.toString('utf8')) as { data: { n: number } }[];
      setTimeout(() => {
        if (arr[0].data.n % 2 === 1) res.writeHead(400).end('no');
        else res.writeHead(204).end();
      }, 30);
    };
    const d = new Dispatcher();
    try {
      const signals = Array.from({ length: 20 }, (_, n) => createSignal('m.x', { n }));
      const result = await d.dispatchMany(
        signals,
        { adapter: 'http', url: `${origin}/m`, retry: false, circuitBreaker: false },
        { batchSize: 2, maxConcurrency: 3 },
      );
      expect(maxInFlight).toBeLessThanOrEqual(3);
      expect(result.requests).toBe(10);
      // batches [0,1],[2,3],… have even first n: all delivered.
      expect(result.delivered).toBe(20);
      const r2 = await d.dispatchMany(
        signals,
        { adapter: 'http', url: `${origin}/m`, retry: false, circuitBreaker: false },
        { batchSize: 3, maxConcurrency: 2 },
      );
      // batches start at n = 0,3,6,9,12,15,18 → odd first n: 3,9,15 → signals 3-5, 9-11, 15-17 fail
      const failed = r2.outcomes.map((e, i) => (e === undefined ? -1 : i)).filter((i) => i >= 0);
      expect(failed).toEqual([3, 4, 5, 9, 10, 11, 15, 16, 17]);
      expect(r2.outcomes[3]?.code).toBe('status_error');
      expect(r2.failed.map((f) => f.signalIndex)).toEqual(failed);
      expect(r2.delivered).toBe(11);
      expect(maxInFlight).toBeLessThanOrEqual(3);
    } finally {
      await d.close();
    }
  });

  it('abort mid-flight reports unfinished signals as cancelled and resolves', async () => {
    reset();
    handler = (_req, res) => void setTimeout(() => res.writeHead(204).end(), 2000).unref();
    const d = new Dispatcher();
    try {
      const ac = new AbortController();
      const signals = Array.from({ length: 6 }, (_, n) => createSignal('m.x', { n }));
      const p = d.dispatchMany(
        signals,
        { adapter: 'http', url: `${origin}/slow`, retry: false, circuitBreaker: false },
        { batchSize: 2, maxConcurrency: 1, signal: ac.signal },
      );
      while (hits < 1) await new Promise((r) => setTimeout(r, 5));
      ac.abort();
      const t0 = Date.now();
      const result = await p;
      expect(Date.now() - t0).toBeLessThan(500);
      expect(result.delivered).toBe(0);
      expect(result.outcomes.map((e) => e?.code)).toEqual(Array(6).fill('cancelled'));
      expect(hits).toBe(1);
    } finally {
      await d.close();
    }
  });
});

describe('webhook signatures vs. an independent computation', () => {
  const rawKey = Buffer.from('0123456789abcdef0123456789abcdef');
  const whsec = `whsec_${rawKey.toString('base64')}`;

  it('standard-webhooks (single, rotation and batch) match HMAC-SHA256(key, id.ts.body)', async () => {
    reset();
    const seen: { headers: IncomingMessage['headers']; body: Buffer }[] = [];
    handler = (req, res, body) => {
      seen.push({ headers: req.headers, body });
      res.writeHead(204).end();
    };
    const d = new Dispatcher();
    const other = 'raw-jido-style-secret';
    try {
      await d.dispatch(createSignal('o.c', { a: 1 }), {
        adapter: 'webhook',
        url: `${origin}/w`,
        secret: [whsec, other],
      });
      await d.dispatchMany([createSignal('o.c'), createSignal('o.d')], {
        adapter: 'webhook',
        url: `${origin}/w`,
        secret: whsec,
      });
      expect(seen).toHaveLength(2);
      for (const [i, s] of seen.entries()) {
        const id = String(s.headers['webhook-id']);
        const ts = String(s.headers['webhook-timestamp']);
        const expected = (key: Buffer) =>
          `v1,${createHmac('sha256', key).update(`${id}.${ts}.`).update(s.body).digest('base64')}`;
        const sigs = String(s.headers['webhook-signature']).split(' ');
        expect(sigs[0]).toBe(expected(rawKey));
        if (i === 0) expect(sigs[1]).toBe(expected(Buffer.from(other, 'utf8')));
        expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
        expect(verifyWebhook(s.body, s.headers, whsec).id).toBe(id);
      }
      expect(String(seen[1].headers['webhook-id'])).toMatch(/^batch_[A-Za-z0-9_-]{24}$/);
    } finally {
      await d.close();
    }
  });

  it('jido scheme matches hex HMAC-SHA256(secret, ts.body); tolerance both ways', async () => {
    reset();
    const seen: { headers: IncomingMessage['headers']; body: Buffer }[] = [];
    handler = (req, res, body) => {
      seen.push({ headers: req.headers, body });
      res.writeHead(204).end();
    };
    const d = new Dispatcher();
    try {
      await d.dispatch(createSignal('o.c', { a: 1 }), {
        adapter: 'webhook',
        url: `${origin}/w`,
        secret: 'jido-secret',
        signatureScheme: 'jido',
      });
      const s = seen[0];
      const ts = String(s.headers['x-webhook-timestamp']);
      const hex = createHmac('sha256', 'jido-secret').update(`${ts}.`).update(s.body).digest('hex');
      expect(s.headers['x-webhook-signature']).toBe(hex);
      const opts = { scheme: 'jido' as const };
      expect(verifyWebhook(s.body, s.headers, 'jido-secret', opts).timestamp).toBe(Number(ts));
      const at = (now: number) => () =>
        verifyWebhook(s.body, s.headers, 'jido-secret', { ...opts, now, toleranceSeconds: 300 });
      expect(at(Number(ts) + 300)).not.toThrow();
      expect(at(Number(ts) - 300)).not.toThrow();
      expect(at(Number(ts) + 301)).toThrow(/too old/);
      expect(at(Number(ts) - 301)).toThrow(/future/);
      // A tampered body never verifies.
      expect(() =>
        verifyWebhook(Buffer.concat([s.body, Buffer.from(' ')]), s.headers, 'jido-secret', opts),
      ).toThrow();
    } finally {
      await d.close();
    }
  });
});
