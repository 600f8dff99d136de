import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import { OnSignal, getSignalBusToken } from '../../lib/nest/index.js';
import { JidoSignalTestingModule, SignalSpy } from '../../lib/testing/index.js';

const open: TestingModule[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

@Injectable()
class Handler {
  @OnSignal('order.*')
  handle(): void {}
}

async function boot(): Promise<TestingModule> {
  const app = await Test.createTestingModule({
    imports: [JidoSignalTestingModule.forRoot()],
    providers: [Handler],
  }).compile();
  app.useLogger(false);
  open.push(app);
  await app.init();
  return app;
}

describe('SignalSpy of JidoSignalTestingModule: one per application', () => {
  it("does not record another application's publishes and deliveries", async () => {
    const a = await boot();
    const b = await boot();
    await b.get<SignalBus>(getSignalBusToken()).publish(createSignal('order.placed'));
    const spyA = a.get(SignalSpy);
    const spyB = b.get(SignalSpy);
    expect({ published: spyA.published.length, deliveries: spyA.deliveries.length }).toEqual({
      published: 0,
      deliveries: 0,
    });
    expect({ published: spyB.published.length, deliveries: spyB.deliveries.length }).toEqual({
      published: 1,
      deliveries: 1,
    });
  });

  it("waitFor is not satisfied by another application's signal", async () => {
    const a = await boot();
    const b = await boot();
    const waiting = a.get(SignalSpy).waitFor('order.placed', { timeout: 200 });
    await b.get<SignalBus>(getSignalBusToken()).publish(createSignal('order.placed'));
    await expect(waiting).rejects.toMatchObject({ code: 'timeout' });
  });
});

describe('SignalSpy given a bus instance', () => {
  it('records that bus only, not another bus of the same name', async () => {
    const mine = new SignalBus({ name: 'same' });
    const other = new SignalBus({ name: 'same' });
    const spy = new SignalSpy(mine);
    try {
      await mine.subscribe('order.*', () => undefined);
      await other.subscribe('order.*', () => undefined);
      const kept = createSignal('order.kept');
      await mine.publish(kept);
      await other.publish(createSignal('order.other'));
      expect(spy.published.map((s) => s.id)).toEqual([kept.id]);
      expect(spy.deliveries.map((d) => d.signal.id)).toEqual([kept.id]);
    } finally {
      spy.detach();
      await Promise.all([mine.close(), other.close()]);
    }
  });
});
