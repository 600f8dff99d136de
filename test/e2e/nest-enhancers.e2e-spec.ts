import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import type { BusError, SubscriberError } from '../../lib/core/errors/bus.error.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import {
  JidoSignalModule,
  SignalHandlerRegistry,
  getSignalBusToken,
} from '../../lib/nest/index.js';
import {
  FailingConsumer,
  FilteredConsumer,
  GuardedConsumer,
  InterceptedConsumer,
  SignalErrorFilter,
  TimingInterceptor,
  TrustedSourceGuard,
  ValidatedConsumer,
} from './fixtures/enhancer.fixtures.js';
import { CapturingLogger, Recorder } from './fixtures/recorder.js';

const open: TestingModule[] = [];

async function boot(providers: Provider[]): Promise<{
  app: TestingModule;
  bus: SignalBus;
  recorder: Recorder;
  logger: CapturingLogger;
  errors: BusError[];
}> {
  const app = await Test.createTestingModule({
    imports: [JidoSignalModule.forRoot()],
    providers: [Recorder, ...providers],
  }).compile();
  const logger = new CapturingLogger();
  app.useLogger(logger);
  open.push(app);
  await app.init();
  const bus = app.get<SignalBus>(getSignalBusToken());
  const errors: BusError[] = [];
  bus.errors$.subscribe((e) => errors.push(e));
  return { app, bus, recorder: app.get(Recorder), logger, errors };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('Nest enhancers on signal handlers (e2e)', () => {
  it('a guard that returns false skips the handler; it counts as handled, not an error', async () => {
    const { bus, recorder, errors, logger } = await boot([GuardedConsumer, TrustedSourceGuard]);
    await bus.publish(createSignal('secure.op', undefined, { source: '/untrusted' }));
    await bus.publish(createSignal('secure.op', undefined, { source: '/trusted' }));
    expect(recorder.of('guard')).toEqual(['jido-signal', 'jido-signal']);
    expect(recorder.of('guarded')).toEqual(['/trusted']);
    expect(errors).toEqual([]);
    expect(logger.errors).toEqual([]);
    const stats = await bus.stats();
    expect(stats.subscriptions[0]).toMatchObject({ delivered: 2, failed: 0 });
  });

  it('ValidationPipe validates and transforms @SignalData() into the DTO', async () => {
    const { bus, recorder, errors, logger } = await boot([ValidatedConsumer]);
    await bus.publish(createSignal('order.placed', { sku: 'book', quantity: 2 }));
    expect(recorder.of('validated')).toEqual([2]);

    await bus.publish(createSignal('order.placed', { sku: 'book', quantity: 0 }));
    expect(recorder.of('validated')).toEqual([2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe('subscriber_failed');
    expect((errors[0] as SubscriberError).subscriptionId).toBe('ValidatedConsumer.handle');
    expect(logger.errors[0]?.message).toContain('ValidatedConsumer.handle failed on order.placed');
    // The ValidationPipe's field errors, not only "Bad Request Exception".
    expect(logger.errors[0]?.message).toContain(
      'Bad Request Exception: quantity must not be less than 1',
    );
  });

  it('an interceptor wraps the handler and sees the handler context', async () => {
    const { bus, recorder } = await boot([InterceptedConsumer, TimingInterceptor]);
    await bus.publish(createSignal('wrapped.op'));
    expect(recorder.of('interceptor')).toEqual([
      'before InterceptedConsumer.handle',
      'handler',
      'after InterceptedConsumer.handle',
    ]);
  });

  it('an exception filter catches the handler error (context type jido-signal)', async () => {
    SignalErrorFilter.caught.length = 0;
    const { bus, errors } = await boot([FilteredConsumer]);
    await bus.publish(createSignal('fragile.op'));
    expect(SignalErrorFilter.caught).toEqual(['jido-signal:fragile broke']);
    expect(errors).toEqual([]);
  });

  it("errors are logged with their stack and reported on errors$ in both modes; only 'rethrow' fails the delivery", async () => {
    const { app, bus, logger, errors } = await boot([FailingConsumer]);
    const [logged] = await bus.publish(createSignal('fail.log'));
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]?.message).toContain('logged only');
    expect(logger.errors[0]?.stack).toContain('FailingConsumer.quiet');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'subscriber_failed',
      subscriptionId: 'FailingConsumer.quiet',
      signalId: logged?.signal.id,
    });
    expect((errors[0]?.cause as Error).message).toBe('logged only');

    await bus.publish(createSignal('fail.log.async'));
    expect(errors).toHaveLength(2);
    expect((errors[1] as SubscriberError).subscriptionId).toBe('FailingConsumer.quietAsync');
    expect(logger.errors[1]?.stack).toContain('logged only, async');

    await bus.publish(createSignal('fail.rethrow'));
    expect(errors).toHaveLength(3);
    expect((errors[2] as SubscriberError).subscriptionId).toBe('FailingConsumer.loud');
    expect((errors[2]?.cause as Error).message).toBe('rethrown');
    expect(logger.errors[2]?.stack).toContain('rethrown');
    const stats = await bus.stats();
    expect(stats.subscriptions.map((s) => [s.id, s.delivered, s.failed])).toEqual([
      ['FailingConsumer.quiet', 1, 0],
      ['FailingConsumer.quietAsync', 1, 0],
      ['FailingConsumer.loud', 0, 1],
    ]);
    // No handler has enhancers or parameter decorators: all take the direct path.
    expect(
      app
        .get(SignalHandlerRegistry)
        .handlers()
        .map((h) => h.invocation),
    ).toEqual(['direct', 'direct', 'direct']);
  });
});
