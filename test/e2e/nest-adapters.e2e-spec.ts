import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { Dispatcher } from '../../lib/core/dispatch/dispatcher.js';
import { createSignal, type Signal } from '../../lib/core/signal/signal.js';
import { JidoSignalModule, getSignalBusToken } from '../../lib/nest/index.js';
import {
  AuditLogAdapter,
  AuditStore,
  CountingMiddleware,
  MailerReceiver,
  TaggingMiddleware,
} from './fixtures/adapter.fixtures.js';
import { CapturingLogger, Recorder } from './fixtures/recorder.js';

const open: TestingModule[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

describe('@SignalAdapter, named receivers and @SignalMiddleware (e2e)', () => {
  it('an injectable @SignalAdapter is registered in the module dispatcher', async () => {
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [AuditStore, AuditLogAdapter],
    }).compile();
    open.push(app);
    await app.init();
    const bus = app.get<SignalBus>(getSignalBusToken());
    await bus.subscribe('user.**', {
      dispatch: { adapter: 'audit-log', table: 'users' },
    });
    await bus.publish(createSignal('user.created'));
    expect(app.get(AuditStore).rows).toEqual([{ table: 'users', type: 'user.created' }]);
    expect(app.get(Dispatcher).adapters.has('audit-log')).toBe(true);
  });

  it('overrideProvider replaces the adapter (test recipe)', async () => {
    const delivered: string[] = [];
    const fake = {
      name: 'audit-log',
      validateOptions: (o: Readonly<Record<string, unknown>>) => o,
      deliver: (signal: Signal) => {
        delivered.push(signal.type);
      },
    };
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [AuditStore, AuditLogAdapter],
    })
      .overrideProvider(AuditLogAdapter)
      .useValue(fake)
      .compile();
    open.push(app);
    await app.init();
    const bus = app.get<SignalBus>(getSignalBusToken());
    await app.get(Dispatcher).dispatch(createSignal('user.deleted'), {
      adapter: 'audit-log',
      table: 'users',
    });
    await bus.publish(createSignal('user.deleted'));
    expect(delivered).toEqual(['user.deleted']);
    expect(app.get(AuditStore).rows).toEqual([]);
  });

  it('the named adapter resolves DI providers (by string token or class name)', async () => {
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [Recorder, MailerReceiver, { provide: 'mailer', useExisting: MailerReceiver }],
    }).compile();
    open.push(app);
    await app.init();
    const dispatcher = app.get(Dispatcher);
    await dispatcher.dispatch(createSignal('mail.a'), {
      adapter: 'named',
      name: 'mailer',
      deliveryMode: 'sync',
    });
    await dispatcher.dispatch(createSignal('mail.b'), {
      adapter: 'named',
      name: 'MailerReceiver',
      deliveryMode: 'sync',
    });
    await expect(
      dispatcher.dispatch(createSignal('mail.c'), { adapter: 'named', name: 'nobody' }),
    ).rejects.toMatchObject({ code: 'process_not_found' });
    expect(app.get(Recorder).of('mailer')).toEqual(['mail.a', 'mail.b']);
  });

  it('@SignalMiddleware providers run in `order`, on their bus', async () => {
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot({ buses: [{ name: 'default' }, { name: 'other' }] })],
      providers: [Recorder, CountingMiddleware, TaggingMiddleware],
    }).compile();
    app.useLogger(new CapturingLogger());
    open.push(app);
    await app.init();
    const bus = app.get<SignalBus>(getSignalBusToken());
    const other = app.get<SignalBus>(getSignalBusToken('other'));
    expect(bus.middleware).toEqual(['tagging', 'counting']);
    expect(other.middleware).toEqual(['counting']);
    await bus.publish([createSignal('a'), createSignal('b')]);
    expect(app.get(Recorder).of('middleware')).toEqual(['tagging', 'counting 2']);
  });
});
