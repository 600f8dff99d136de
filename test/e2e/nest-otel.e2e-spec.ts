// OpenTelemetry in a Nest application: on by default when a provider is registered (an
// @OnSignal handler runs inside its `process` span), `forRoot({ telemetry })` turns parts off.
import 'reflect-metadata';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import { configureOpenTelemetry } from '../../lib/core/telemetry/otel/options.js';
import { DEFAULT_SIGNAL_BUS_TOKEN, JidoSignalModule } from '../../lib/nest/index.js';
import { only, parentOf, startOtel, type OtelHarness } from '../helpers/otel.js';
import { TracedOrderHandler } from './fixtures/otel.fixtures.js';
import { CapturingLogger } from './fixtures/recorder.js';

let otel: OtelHarness;
const open: TestingModule[] = [];

beforeEach(() => {
  otel = startOtel();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
  await otel.stop();
  configureOpenTelemetry({ traces: true, metrics: true });
});

async function boot(telemetry?: { traces?: boolean }): Promise<TestingModule> {
  const app = await Test.createTestingModule({
    imports: [JidoSignalModule.forRoot(telemetry === undefined ? {} : { telemetry })],
    providers: [TracedOrderHandler],
  }).compile();
  app.useLogger(new CapturingLogger());
  open.push(app);
  await app.init();
  return app;
}

describe('OpenTelemetry in a Nest application (e2e)', () => {
  it('on by default: publish → process span of the @OnSignal handler → the span the handler opens', async () => {
    const app = await boot();
    const bus = app.get<SignalBus>(DEFAULT_SIGNAL_BUS_TOKEN);
    await bus.publish(createSignal('order.placed', { id: 7 }, { source: '/test' }));
    expect(app.get(TracedOrderHandler).handled).toHaveLength(1);
    const spans = otel.spans();
    const publish = only(spans, 'publish default');
    const process = only(spans, 'process default');
    const work = only(spans, 'charge card');
    expect(parentOf(process)).toBe(publish.spanContext().spanId);
    expect(parentOf(work)).toBe(process.spanContext().spanId);
  });

  it('forRoot({ telemetry: { traces: false } }) turns spans off', async () => {
    const app = await boot({ traces: false });
    const bus = app.get<SignalBus>(DEFAULT_SIGNAL_BUS_TOKEN);
    await bus.publish(createSignal('order.placed', { id: 8 }, { source: '/test' }));
    expect(app.get(TracedOrderHandler).handled).toHaveLength(1);
    expect(otel.spans().map((s) => s.name)).toEqual(['charge card']);
  });

  it('rejects a bad telemetry option with a typed error', async () => {
    await expect(boot({ traces: 'no' as unknown as boolean })).rejects.toMatchObject({
      code: 'invalid_option',
    });
  });
});
