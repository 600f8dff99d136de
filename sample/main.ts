// The orders sample on JidoSignalModule, in memory. `npm run sample` serves it on
// http://127.0.0.1:3000 (or $PORT) until Ctrl-C; `npm run sample -- --once` walks through
// every endpoint against itself on a free port, prints each request and response, and exits.
// With `--jetstream` (or JIDO_STORE=jetstream) the bus and the journal live in NATS JetStream
// ($NATS_URL, default nats://127.0.0.1:4222; stream prefix $JIDO_PREFIX, default 'sample'),
// so several sample processes share one bus; `--once` then uses a throwaway prefix. With
// `--redis` (or JIDO_STORE=redis) they live in Redis ($REDIS_URL, default
// redis://127.0.0.1:6379; key prefix $JIDO_PREFIX, default 'sample') the same way.
// OTEL_TRACES_EXPORTER=console prints every OpenTelemetry span (sample/otel.ts).
import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { startTracing } from './otel.js';

const stopTracing = await startTracing();

const once = process.argv.includes('--once');
const port = once ? 0 : Number(process.env.PORT ?? 3000);
const onJetStream = process.argv.includes('--jetstream') || process.env.JIDO_STORE === 'jetstream';
const jetstream = onJetStream
  ? {
      servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
      prefix: once ? `sampleonce${process.pid}` : (process.env.JIDO_PREFIX ?? 'sample'),
    }
  : undefined;

const onRedis = process.argv.includes('--redis') || process.env.JIDO_STORE === 'redis';
const redis = onRedis
  ? {
      url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: once ? `sampleonce${process.pid}` : (process.env.JIDO_PREFIX ?? 'sample'),
    }
  : undefined;

/** Delete the keys of a throwaway `--once` prefix. */
async function dropKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

/** Delete the streams of a throwaway `--once` prefix. */
async function dropStreams(servers: string, prefix: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  for await (const name of jsm.streams.names()) {
    if (name.toLowerCase().startsWith(`${prefix}_`)) await jsm.streams.delete(name);
  }
  await nc.close();
}

/** Nest's console logger without the bootstrap chatter, and declined payments without stacks. */
class SampleLogger extends ConsoleLogger {
  static readonly quiet = new Set([
    'InstanceLoader',
    'RoutesResolver',
    'RouterExplorer',
    'NestFactory',
    'NestApplication',
  ]);

  override log(message: unknown, ...rest: unknown[]): void {
    if (SampleLogger.quiet.has(String(rest.at(-1)))) return;
    super.log(message, ...rest);
  }

  override error(message: unknown, ...rest: unknown[]): void {
    // A declined payment is expected in this demo: print the message, not the stack.
    if (rest.at(-1) === 'JidoSignal' && /card tok_\w+ declined/.test(String(message))) {
      super.warn(message, 'JidoSignal');
    } else super.error(message, ...rest);
  }
}

function short(text: string, max = 600): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

type View = (json: unknown) => unknown;

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  view?: View,
): Promise<unknown> {
  console.log(`\n> ${method} ${path}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`);
  const res = await fetch(base + path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json: unknown = text === '' ? undefined : JSON.parse(text);
  const trace = json as { text?: unknown } | undefined;
  if (Array.isArray(trace?.text)) {
    console.log(`< ${res.status} trace:\n  ${(trace.text as string[]).join('\n  ')}`);
  } else {
    const shown = view === undefined ? text : `${JSON.stringify(view(json))} (abbreviated)`;
    console.log(`< ${res.status} ${short(shown)}`);
  }
  return json;
}

/** `/health`: the overall status and, per bus, its status, problems and DLQ depth. */
const healthView: View = (json) => {
  const h = json as { status: string; details: Record<string, { buses?: object }> };
  const buses = Object.entries(h.details.signals?.buses ?? {}).map(([name, b]) => {
    const { status, problems, dlqDepth } = b as Record<string, unknown>;
    return { name, status, problems, dlqDepth };
  });
  return { status: h.status, buses };
};

/** `/admin/stats`: log size and the counters of each subscription. */
const statsView: View = (json) => {
  const { bus } = json as {
    bus: { logSize: number; subscriptions: Array<Record<string, unknown>> };
  };
  return {
    logSize: bus.logSize,
    subscriptions: bus.subscriptions.map((s) => {
      const p = s.persistence as Record<string, number> | undefined;
      const counts =
        p === undefined ? {} : { acked: p.acked, retried: p.retried, deadLettered: p.deadLettered };
      return { id: s.id, delivered: s.delivered, failed: s.failed, ...counts };
    }),
  };
};

/** Polls `path` (quietly) until `done` accepts the answer. */
async function until(base: string, path: string, done: (json: unknown) => boolean) {
  for (let i = 0; i < 100; i++) {
    const json: unknown = await (await fetch(base + path)).json();
    if (done(json)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${path}`);
}

async function walkThrough(base: string): Promise<void> {
  console.log('\n== 1. an order: inventory reserves, payments captures, the partner is notified');
  const first = (await call(base, 'POST', '/orders', { sku: 'book', quantity: 2 })) as {
    orderId: string;
  };
  await until(
    base,
    `/orders/${first.orderId}`,
    (o) => (o as { payment: string }).payment === 'captured',
  );
  await call(base, 'GET', `/orders/${first.orderId}`);
  await call(base, 'GET', `/orders/${first.orderId}/trace`);

  console.log('\n== 2. a declined card: 3 attempts, then the DLQ');
  const declined = (await call(base, 'POST', '/orders', {
    sku: 'mug',
    quantity: 1,
    card: 'tok_declined',
  })) as { orderId: string };
  await until(base, '/admin/dlq', (list) => (list as unknown[]).length === 1);
  await call(base, 'GET', '/admin/dlq');
  await call(base, 'GET', '/health', undefined, healthView);

  console.log('\n== 3. the card is fixed, the DLQ redriven: the payment goes through');
  await call(base, 'POST', '/payments/cards/tok_declined/fix');
  await call(base, 'POST', '/admin/dlq/redrive');
  await until(
    base,
    `/orders/${declined.orderId}`,
    (o) => (o as { payment: string }).payment === 'captured',
  );
  await until(base, '/admin/dlq', (list) => (list as unknown[]).length === 0);
  await call(base, 'GET', `/orders/${declined.orderId}/trace`);

  console.log('\n== 4. invalid input, and the read side');
  await call(base, 'POST', '/orders', { sku: 'car', quantity: 0 });
  await call(base, 'GET', '/inventory');
  await call(base, 'GET', '/partner/webhooks', undefined, (json) => {
    const { received, rejected } = json as { received: Array<{ type: string }>; rejected: number };
    return { received: received.map((r) => r.type), rejected };
  });
  await call(base, 'GET', '/audit?limit=3');
  await call(base, 'GET', '/signals?pattern=payment.captured', undefined, (json) =>
    (json as Array<{ signal: { type: string; causationid: string; data: unknown } }>).map(
      ({ signal: { type, causationid, data } }) => ({ type, causationid, data }),
    ),
  );
  await call(base, 'GET', '/admin/stats', undefined, statsView);
  await call(base, 'GET', '/health', undefined, healthView);
}

const app = await NestFactory.create(await AppModule.forRoot({ jetstream, redis }), {
  logger: new SampleLogger({ logLevels: ['log', 'warn', 'error'] }),
});
app.enableShutdownHooks();
await app.listen(port, '127.0.0.1');
const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
console.log(
  `orders sample listening on ${base} (${
    redis !== undefined
      ? `Redis ${redis.url}, prefix '${redis.prefix}'`
      : jetstream === undefined
        ? 'in memory'
        : `NATS JetStream ${jetstream.servers}, prefix '${jetstream.prefix}'`
  })`,
);

if (once) {
  await walkThrough(base);
  await app.close();
  await stopTracing?.();
  if (jetstream !== undefined) await dropStreams(jetstream.servers, jetstream.prefix);
  if (redis !== undefined) await dropKeys(redis.url, redis.prefix);
  console.log('\nwalk-through done, application closed');
} else {
  console.log(
    `try: curl -s -XPOST ${base}/orders -H 'content-type: application/json' -d '{"sku":"book","quantity":1}'`,
  );
  console.log(
    `     curl -s ${base}/orders/o-1/trace   curl -s ${base}/admin/stats   (README: Sample app)`,
  );
  console.log(`signal board (this machine only): ${base}/board`);
}
