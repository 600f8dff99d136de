// Circuit breakers shared through the adapter options, and Retry-After parsing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CircuitBreaker } from '../../../lib/core/dispatch/circuit-breaker.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { parseRetryAfter } from '../../../lib/core/dispatch/retry.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { startServer, type Handler, type TestServer } from './http-test-server.js';

let handler: Handler = (_req, res) => res.end('ok');
let origin = '';
let hits = 0;
let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res, body) => {
    hits++;
    handler(req, res, body);
  });
  origin = server.origin;
});
afterAll(() => server.close());

describe('a shared CircuitBreaker passed as in docs/webhooks.md', () => {
  // docs/webhooks.md "Connection pool and adapter instances":
  //   const breaker = new CircuitBreaker({ name: 'outbound' });
  //   new Dispatcher({ http: { connections: 128, keepAliveTimeout: 10_000, circuitBreaker: breaker }, … })
  // The retry table says "other 4xx, 3xx (status_error): counts against the circuit: no".
  it('404 answers do not open the circuit', async () => {
    const breaker = new CircuitBreaker({ name: 'outbound' });
    const d = new Dispatcher({ http: { circuitBreaker: breaker } });
    handler = (_req, res) => {
      res.writeHead(404).end('not here');
    };
    hits = 0;
    try {
      const codes: string[] = [];
      for (let i = 0; i < 7; i++) {
        await d
          .dispatch(createSignal('a.b'), {
            adapter: 'http',
            url: `${origin}/missing`,
            circuitBreaker: { threshold: 5 },
          })
          .catch((e: { code: string }) => codes.push(e.code));
      }
      // Every attempt reached the server and failed with status_error (404).
      expect(codes).toEqual(Array(7).fill('status_error'));
      expect(hits).toBe(7);
      expect(breaker.state(`http:${origin}`)).toBe('closed');
    } finally {
      await d.close();
    }
  });
});

describe('Retry-After formats', () => {
  // RFC 9110 §5.6.7: a recipient that parses an HTTP-date MUST accept all three formats
  // (IMF-fixdate, obsolete RFC 850, asctime). docs/webhooks.md: "A Retry-After header
  // (seconds or HTTP date) on a retryable status is honoured".
  it('parses the obsolete RFC 850 HTTP-date format', () => {
    const now = Date.UTC(2015, 9, 21, 7, 27, 55);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)).toBe(5000); // IMF-fixdate: ok
    expect(parseRetryAfter('Wednesday, 21-Oct-15 07:28:00 GMT', now)).toBe(5000);
  });

  it('an RFC 850 Retry-After above maxDelay stops the retries (as an IMF-fixdate one does)', async () => {
    let n = 0;
    handler = (_req, res) => {
      n++;
      // One hour ahead, in RFC 850 form (weekday full name, 2-digit year).
      const d = new Date(Date.now() + 3_600_000);
      const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
      const mons = [
        'Jan',
        'Feb',
        'Mar',
        'Apr',
        'May',
        'Jun',
        'Jul',
        'Aug',
        'Sep',
        'Oct',
        'Nov',
        'Dec',
      ];
      const p = (x: number) => String(x).padStart(2, '0');
      const rfc850 = `${days[d.getUTCDay()]}, ${p(d.getUTCDate())}-${mons[d.getUTCMonth()]}-${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`;
      res.writeHead(503, { 'retry-after': rfc850 }).end('busy');
    };
    const dsp = new Dispatcher();
    try {
      const error = (await dsp
        .dispatch(createSignal('a.b'), {
          adapter: 'http',
          url: `${origin}/busy`,
          retry: { maxAttempts: 3, baseDelay: 1, maxDelay: 10, jitter: false },
          circuitBreaker: false,
        })
        .catch((e: unknown) => e)) as { code: string; details: Record<string, unknown> };
      expect(error.code).toBe('status_error');
      expect(n).toBe(1); // the server asked for an hour: no early retries
      expect(typeof error.details.retryAfterMs).toBe('number');
    } finally {
      await dsp.close();
    }
  });
});
