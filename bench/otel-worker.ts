// One OpenTelemetry configuration of bench/otel.bench.ts, in its own process:
//   absent    — run with --import test/fixtures/block-optional-peers.mjs (the API cannot load);
//   installed — @opentelemetry/api imported and used (getTracer, getMeter), no provider;
//   tracing   — a tracer provider with a span processor that drops every span (info only).
// Prints one JSON line: { mode, rows: BenchRow[] }.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignalBus } from '../lib/core/bus/signal-bus.js';
import { Dispatcher } from '../lib/core/dispatch/dispatcher.js';
import { createSignal } from '../lib/core/signal/signal.js';
import { system, type BenchRow } from './harness.js';

const mode = process.argv[2] ?? 'absent';

if (mode === 'installed' || mode === 'tracing') {
  const api = await import('@opentelemetry/api');
  api.trace.getTracer('app');
  api.metrics.getMeter('app');
  if (mode === 'tracing') {
    const { BasicTracerProvider, NoopSpanProcessor } =
      await import('@opentelemetry/sdk-trace-base');
    api.trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new NoopSpanProcessor()] }),
    );
  }
} else {
  let loaded = true;
  try {
    await import('@opentelemetry/api');
  } catch {
    loaded = false;
  }
  if (loaded) throw new Error('absent mode: @opentelemetry/api must be blocked');
}

const signal = createSignal('bench.otel', { orderId: 'o-1', amount: 42 }, { source: '/bench' });
const rows: BenchRow[] = [];

// Bus: await publish(), one sync handler, logged.
const bus = new SignalBus({ name: 'bench' });
let handled = 0;
await bus.subscribe('bench.*', {
  dispatch: () => {
    handled++;
  },
});
const publishes = 20_000;
for (let i = 0; i < 3 * publishes; i++) await bus.publish(signal); // warm-up (JIT)
rows.push(
  await system('bus: await publish(), 1 sync handler (per publish)', publishes, async () => {
    for (let i = 0; i < publishes; i++) await bus.publish(signal);
  }),
);
await bus.close();
if (handled === 0) throw new Error('bus bench: nothing handled');

// Dispatch: one noop target, and one HTTP target on a loopback server (keep-alive).
const dispatcher = new Dispatcher();
const noop = { adapter: 'noop' };
for (let i = 0; i < 50_000; i++) await dispatcher.dispatch(signal, noop);
rows.push(
  await system('dispatch → noop (per dispatch)', 20_000, async () => {
    for (let i = 0; i < 20_000; i++) await dispatcher.dispatch(signal, noop);
  }),
);
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.statusCode = 204;
    res.end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const http = {
  adapter: 'http',
  url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`,
  retry: false,
};
for (let i = 0; i < 500; i++) await dispatcher.dispatch(signal, http);
rows.push(
  await system('dispatch → http, loopback (per dispatch)', 500, async () => {
    for (let i = 0; i < 500; i++) await dispatcher.dispatch(signal, http);
  }),
);
await dispatcher.close();
server.closeAllConnections();
server.close();

console.log(JSON.stringify({ mode, rows }));
