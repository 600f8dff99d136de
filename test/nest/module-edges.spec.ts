import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, Scope } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import {
  InjectSignalBus,
  JidoSignalModule,
  OnSignal,
  getSignalBusToken,
} from '../../lib/nest/index.js';

const open: TestingModule[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close().catch(() => undefined)));
});

let calls = 0;
@Injectable()
class Listener {
  @OnSignal('order.created')
  handle(): void {
    calls++;
  }
}

@Injectable()
class Producer {
  constructor(@InjectSignalBus() readonly bus: SignalBus) {}
}

@Module({ imports: [JidoSignalModule.forRoot()], providers: [Producer], exports: [Producer] })
class FeatureModule {}

describe('module imported twice', () => {
  it('forRoot() imported by the app and by a feature module: a handler runs once per publish', async () => {
    calls = 0;
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot(), FeatureModule],
      providers: [Listener],
    }).compile();
    app.useLogger(false);
    open.push(app);
    await app.init();
    await app.get(Producer).bus.publish(createSignal('order.created'));
    await app.get<SignalBus>(getSignalBusToken()).publish(createSignal('order.created'));
    expect(calls).toBe(2);
  });
});

let constructed = 0;
@Injectable({ scope: Scope.REQUEST })
class ScopedTwoHandlers {
  readonly seen: string[] = [];
  constructor() {
    constructed++;
  }
  @OnSignal('order.created')
  a(): void {
    this.seen.push('a');
  }
  @OnSignal('order.*')
  b(): void {
    this.seen.push('b');
  }
}

describe('request-scoped provider with two handlers', () => {
  it('one instance per signal (docs: "a new instance per signal")', async () => {
    constructed = 0;
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [ScopedTwoHandlers],
    }).compile();
    app.useLogger(false);
    open.push(app);
    await app.init();
    await app.get<SignalBus>(getSignalBusToken()).publish(createSignal('order.created'));
    expect(constructed).toBe(1);
  });
});
