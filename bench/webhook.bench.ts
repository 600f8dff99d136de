// Webhook delivery throughput against a local node:http server, versus a raw undici
// request() loop with the same concurrency, plus signing/verification micro benchmarks.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { WebhookAdapter } from '../lib/core/dispatch/adapters/webhook.adapter.js';
import { Dispatcher } from '../lib/core/dispatch/dispatcher.js';
import { signWebhook, verifyWebhook } from '../lib/core/dispatch/webhook-signature.js';
import { createSignal } from '../lib/core/signal/signal.js';
import { atMost, fasterBy, micro, type BenchRow, type BenchSection } from './harness.js';

const CONCURRENCY = 32;
const OPS = 2000;
const ROUNDS = 9;
const CONNECTIONS = 64;

async function pool(n: number, concurrency: number, task: () => Promise<unknown>): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < n) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Like `system()` from the harness, but the candidates take turns inside each round, so
 * load drift on a shared machine hits all of them alike; median ns/op per candidate.
 */
async function interleaved(
  candidates: readonly { name: string; run: () => Promise<void> }[],
  ops: number,
  rounds: number,
  note: string,
): Promise<BenchRow[]> {
  for (const c of candidates) await c.run();
  const samples = candidates.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < candidates.length; i++) {
      const start = process.hrtime.bigint();
      await candidates[i].run();
      samples[i].push(Number(process.hrtime.bigint() - start) / ops);
    }
  }
  return candidates.map((c, i) => {
    const sorted = samples[i].sort((a, b) => a - b);
    return { name: c.name, nsPerOp: sorted[Math.floor(sorted.length / 2)], note };
  });
}

/** `micro()` for each candidate, `rounds` times in turn; the best median of each. */
async function microInterleaved(
  candidates: readonly { name: string; fn: () => unknown }[],
  rounds: number,
): Promise<BenchRow[]> {
  const best = candidates.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < candidates.length; i++) {
      const row = await micro(candidates[i].name, candidates[i].fn);
      best[i] = Math.min(best[i], row.nsPerOp);
    }
  }
  return candidates.map((c, i) => ({ name: c.name, nsPerOp: best[i] }));
}

export default async function webhookBench(): Promise<BenchSection[]> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 204;
      res.end();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/hooks`;

  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const signal = createSignal(
    'order.created',
    { orderId: 'ord_123456', customer: 'cus_42', items: [{ sku: 'A-1', qty: 2 }], total: 1299 },
    { source: '/shop' },
  );
  const body = JSON.stringify(signal);

  // Raw floor: undici request() with an Agent of the same size sending the same bytes —
  // body serialized and headers signed once, up front — with no timeout, cancellation,
  // retry or circuit breaker.
  const rawAgent = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 4000 });
  const rawHeaders = {
    'content-type': 'application/cloudevents+json; charset=utf-8',
    'x-webhook-event': signal.type,
    ...signWebhook(body, secret, { id: signal.id }),
  };
  const raw = async (): Promise<void> => {
    const res = await request(url, {
      method: 'POST',
      headers: rawHeaders,
      body,
      dispatcher: rawAgent,
    });
    await res.body.dump();
    if (res.statusCode !== 204) throw new Error(`raw: HTTP ${res.statusCode}`);
  };

  // Ours, directly on the adapter (validate once, deliver many).
  const adapter = new WebhookAdapter({ connections: CONNECTIONS });
  const options = adapter.validateOptions({ url, secret });
  // A fresh context per delivery, as the Dispatcher gives (its AbortSignal is what makes
  // cancellation and the dispatcher timeout reach the in-flight request).
  const direct = (): Promise<void> =>
    adapter.deliver(signal, options, { signal: new AbortController().signal, attempt: 1 });

  // Ours, through the Dispatcher (config object validated once and cached).
  const dispatcher = new Dispatcher();
  const config = { adapter: 'webhook', url, secret };
  const viaDispatcher = (): Promise<void> => dispatcher.dispatch(signal, config);

  const note = `${OPS} deliveries × ${ROUNDS} interleaved rounds, ${CONCURRENCY} in flight, node:http on 127.0.0.1`;
  let rows: BenchRow[];
  try {
    rows = await interleaved(
      [
        {
          name: 'raw undici request() (same bytes, pre-signed)',
          run: () => pool(OPS, CONCURRENCY, raw),
        },
        {
          name: 'WebhookAdapter.deliver (signed, standard-webhooks)',
          run: () => pool(OPS, CONCURRENCY, direct),
        },
        {
          name: 'Dispatcher.dispatch → webhook (signed, standard-webhooks)',
          run: () => pool(OPS, CONCURRENCY, viaDispatcher),
        },
      ],
      OPS,
      ROUNDS,
      note,
    );
  } finally {
    await dispatcher.close();
    await adapter.close();
    await rawAgent.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const [rawRow, directRow, dispatcherRow] = rows as [BenchRow, BenchRow, BenchRow];

  const delivery: BenchSection = {
    title: 'Webhook delivery (HTTP, 32 concurrent)',
    rows,
    checks: [
      fasterBy(
        'webhook via Dispatcher vs raw undici request() (≥ 80 % of raw throughput)',
        dispatcherRow,
        rawRow,
        0.8,
      ),
      fasterBy(
        'WebhookAdapter.deliver vs raw undici request() (≥ 80 % of raw throughput)',
        directRow,
        rawRow,
        0.8,
      ),
    ],
    notes: [
      'Ours serializes and signs every delivery and adds a per-attempt timeout, cancellation (an AbortSignal per delivery), retry bookkeeping and the per-origin circuit breaker; the raw loop sends the same bytes, prepared once, with none of those. Client and server share the machine.',
    ],
  };

  // Signing and verification of the same ~300 B body. Interleaved and repeated, keeping
  // each candidate's best median, so a load spike from another process does not decide.
  const wh = new Webhook(secret);
  const headers = signWebhook(body, secret, { id: signal.id });
  const jidoHeaders = signWebhook(body, 'jido-secret', { scheme: 'jido' });
  const [signRow, verifyRow, theirVerify, jidoSign, jidoVerify] = (await microInterleaved(
    [
      {
        name: 'signWebhook (standard-webhooks, 1 secret)',
        fn: () => signWebhook(body, secret, { id: signal.id }),
      },
      { name: 'verifyWebhook (standard-webhooks)', fn: () => verifyWebhook(body, headers, secret) },
      {
        name: 'standardwebhooks Webhook.verify (reference)',
        fn: () => wh.verify(body, headers, { jsonParse: false }),
      },
      {
        name: 'signWebhook (jido hex)',
        fn: () => signWebhook(body, 'jido-secret', { scheme: 'jido' }),
      },
      {
        name: 'verifyWebhook (jido hex)',
        fn: () => verifyWebhook(body, jidoHeaders, 'jido-secret', { scheme: 'jido' }),
      },
    ],
    3,
  )) as [BenchRow, BenchRow, BenchRow, BenchRow, BenchRow];

  const signing: BenchSection = {
    title: `Webhook signatures (${Buffer.byteLength(body)} B body)`,
    rows: [signRow, verifyRow, theirVerify, jidoSign, jidoVerify],
    checks: [
      fasterBy('verifyWebhook vs standardwebhooks verify', verifyRow, theirVerify, 2),
      atMost('signWebhook', signRow, 20_000, 'µs'),
      atMost('verifyWebhook', verifyRow, 20_000, 'µs'),
    ],
  };
  return [delivery, signing];
}
