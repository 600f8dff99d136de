import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  Module,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type OnApplicationBootstrap,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { NEVER, type Observable } from 'rxjs';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal, type Signal } from '../../lib/core/signal/signal.js';
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

async function compile(
  providers: Provider[],
  imports: unknown[] = [JidoSignalModule.forRoot({ shutdownTimeout: 100 })],
): Promise<TestingModule> {
  const app = await Test.createTestingModule({ imports: imports as never[], providers }).compile();
  app.useLogger(false);
  open.push(app);
  return app;
}

function timed<T>(p: Promise<T>, ms: number): Promise<T | 'timed out'> {
  return Promise.race([
    p,
    new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms).unref()),
  ]);
}

@Injectable()
class HangingHandler {
  @OnSignal('hang.plain')
  plain(): Promise<void> {
    return new Promise(() => undefined);
  }
  @OnSignal('hang.persistent', { persistent: { subscriptionId: 'hang-p' } })
  persistent(): Promise<void> {
    return new Promise(() => undefined);
  }
}

@Injectable()
class NeverGuard implements CanActivate {
  canActivate(): Promise<boolean> {
    return new Promise(() => undefined);
  }
}
@Injectable()
class NeverInterceptor implements NestInterceptor {
  intercept(_c: ExecutionContext, _n: CallHandler): Observable<unknown> {
    return NEVER;
  }
}
@Injectable()
class HangingEnhancers {
  @OnSignal('hang.guard')
  @UseGuards(NeverGuard)
  guarded(): void {}
  @OnSignal('hang.interceptor')
  @UseInterceptors(NeverInterceptor)
  intercepted(): void {}
}

describe('shutdown with handlers that never finish', () => {
  for (const type of ['hang.plain', 'hang.persistent', 'hang.guard', 'hang.interceptor']) {
    it(`close() returns within shutdownTimeout for ${type}`, async () => {
      const app = await compile([HangingHandler, HangingEnhancers]);
      await app.init();
      const bus = app.get<SignalBus>(getSignalBusToken());
      void bus.publish(createSignal(type)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
      const started = Date.now();
      expect(await timed(app.close(), 3000)).not.toBe('timed out');
      expect(Date.now() - started).toBeLessThan(2000);
    });
  }
});

// -------------------------------------------------- publishes before readiness, call order

const order: string[] = [];

@Injectable()
class Recorder {
  @OnSignal('seq.*')
  record(signal: Signal): void {
    order.push(signal.type);
  }
}

@Injectable()
class EarlyPublisher implements OnModuleInit, OnApplicationBootstrap {
  constructor(@InjectSignalBus() private readonly bus: SignalBus) {
    void this.bus.publish(createSignal('seq.ctor'));
  }
  onModuleInit(): void {
    void this.bus.publish(createSignal('seq.init'));
  }
  async onApplicationBootstrap(): Promise<void> {
    await this.bus.publish(createSignal('seq.bootstrap'));
  }
}

@Module({ providers: [EarlyPublisher] })
class DeepestModule {}
@Module({ imports: [DeepestModule] })
class MiddleModule {}

describe('publishes before readiness', () => {
  it('held publishes from a deep module are delivered in call order and onApplicationBootstrap awaits do not block', async () => {
    order.length = 0;
    const app = await compile(
      [Recorder],
      [JidoSignalModule.forRoot({ shutdownTimeout: 100 }), MiddleModule],
    );
    const result = await timed(app.init(), 4000);
    expect(result).not.toBe('timed out');
    expect(order).toEqual(['seq.ctor', 'seq.init', 'seq.bootstrap']);
  });

  it('compile then close without init: held publish rejects with BusClosedError, close returns', async () => {
    const app = await compile([Recorder]);
    const bus = app.get<SignalBus>(getSignalBusToken());
    const held = bus.publish(createSignal('seq.never'));
    expect(await timed(app.close(), 3000)).not.toBe('timed out');
    await expect(held).rejects.toMatchObject({ code: 'closed' });
  });

  it('close() called twice concurrently resolves both', async () => {
    const app = await compile([Recorder]);
    await app.init();
    const r = await timed(Promise.all([app.close(), app.close()]), 3000);
    expect(r).not.toBe('timed out');
  });
});

// -------------------------------------------------- forRootAsync failures

describe('forRootAsync failures', () => {
  it('a factory that throws fails compile with that error', async () => {
    const boom = new Error('config missing');
    await expect(
      Test.createTestingModule({
        imports: [
          JidoSignalModule.forRootAsync({
            useFactory: () => {
              throw boom;
            },
          }),
        ],
      }).compile(),
    ).rejects.toBe(boom);
  });

  it('a factory that returns bad options fails with a typed BusOptionError', async () => {
    await expect(
      Test.createTestingModule({
        imports: [
          JidoSignalModule.forRootAsync({ useFactory: () => ({ buses: 'nope' as never }) }),
        ],
      }).compile(),
    ).rejects.toMatchObject({ code: 'invalid_option' });
  });

  it('a factory that returns undefined gives the defaults', async () => {
    const app = await Test.createTestingModule({
      imports: [JidoSignalModule.forRootAsync({ useFactory: () => undefined as never })],
      providers: [Recorder],
    }).compile();
    app.useLogger(false);
    open.push(app);
    await app.init();
    order.length = 0;
    await app.get<SignalBus>(getSignalBusToken()).publish(createSignal('seq.x'));
    expect(order).toEqual(['seq.x']);
  });

  it('a bad shutdownTimeout is a typed BusOptionError', async () => {
    await expect(
      Test.createTestingModule({
        imports: [JidoSignalModule.forRootAsync({ useFactory: () => ({ shutdownTimeout: -1 }) })],
      }).compile(),
    ).rejects.toMatchObject({ code: 'invalid_option' });
  });
});
