import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  ForbiddenException,
  Injectable,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type Provider,
} from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { defer, of, type Observable } from 'rxjs';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import type { BusError } from '../../lib/core/errors/bus.error.js';
import { createSignal, type Signal } from '../../lib/core/signal/signal.js';
import {
  JidoSignalModule,
  OnSignal,
  SignalPayload,
  getSignalBusToken,
} from '../../lib/nest/index.js';

const open: TestingModule[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

async function boot(
  providers: Provider[],
): Promise<{ app: TestingModule; bus: SignalBus; errors: BusError[] }> {
  const app = await Test.createTestingModule({
    imports: [JidoSignalModule.forRoot()],
    providers,
  }).compile();
  app.useLogger(false);
  open.push(app);
  await app.init();
  const bus = app.get<SignalBus>(getSignalBusToken());
  const errors: BusError[] = [];
  bus.errors$.subscribe((e) => errors.push(e));
  return { app, bus, errors };
}

async function until(check: () => boolean | Promise<boolean>, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

// ---------------------------------------------------------------- guards throwing Forbidden

/** A guard that throws Nest's usual ForbiddenException itself (a very common guard style). */
@Injectable()
class ThrowingForbiddenGuard implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException();
  }
}

@Injectable()
class ThrowGuardConsumer {
  calls = 0;
  @OnSignal('order.placed')
  @UseGuards(ThrowingForbiddenGuard)
  handle(): void {
    this.calls++;
  }
}

/** An interceptor that refuses before calling next.handle(). */
@Injectable()
class RefusingInterceptor implements NestInterceptor {
  intercept(_c: ExecutionContext, _next: CallHandler): Observable<unknown> {
    throw new ForbiddenException();
  }
}

@Injectable()
class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class PersistentRefused {
  calls = 0;
  @OnSignal('pay.*', {
    persistent: { subscriptionId: 'pay', maxAttempts: 2, backoff: { type: 'fixed', interval: 1 } },
  })
  @UseGuards(AllowGuard)
  @UseInterceptors(RefusingInterceptor)
  handle(): void {
    this.calls++;
  }
}

describe('guards / interceptors throwing ForbiddenException', () => {
  it('a guard that THROWS ForbiddenException is an error (docs: "A guard that throws is an error")', async () => {
    const { bus, errors } = await boot([ThrowGuardConsumer]);
    await bus.publish(createSignal('order.placed'));
    await until(() => errors.length > 0, 200);
    expect(errors.length).toBe(1);
  });

  it('a persistent handler whose interceptor throws ForbiddenException is retried/dead-lettered, not acked', async () => {
    const { app, bus } = await boot([PersistentRefused]);
    await bus.publish(createSignal('pay.in'));
    await until(async () => (await bus.dlq.list('pay')).length > 0, 1000);
    expect(app.get(PersistentRefused).calls).toBe(0);
    const dlq = await bus.dlq.list('pay');
    expect(dlq.map((e) => e.signal.type)).toEqual(['pay.in']);
  });
});

// ---------------------------------------------------------------- persistent + odd thenables

@Injectable()
class ThenableHandler {
  calls = 0;
  /** A minimal thenable (as some query builders return) that only uses its first callback. */
  @OnSignal('job.run', {
    persistent: { subscriptionId: 'jobs', maxAttempts: 2, backoff: { type: 'fixed', interval: 1 } },
  })
  run(): PromiseLike<void> {
    this.calls++;
    return {
      then(resolve: (v: void) => unknown) {
        resolve(undefined);
        return undefined as never;
      },
    } as PromiseLike<void>;
  }
}

describe('persistent handler results adopted as await does', () => {
  it('a thenable that resolves through its first callback acks (no retry, no DLQ)', async () => {
    const { app, bus, errors } = await boot([ThenableHandler]);
    await bus.publish(createSignal('job.run'));
    await until(async () => {
      const s = (await bus.stats()).subscriptions.find((x) => x.id === 'jobs');
      return (s?.persistence?.acked ?? 0) > 0 || (await bus.dlq.list('jobs')).length > 0;
    });
    await new Promise((r) => setTimeout(r, 50));
    const s = (await bus.stats()).subscriptions.find((x) => x.id === 'jobs');
    expect({
      calls: app.get(ThenableHandler).calls,
      acked: s?.persistence?.acked,
      dlq: (await bus.dlq.list('jobs')).length,
      errors: errors.map((e) => String((e as { cause?: unknown }).cause)),
    }).toEqual({ calls: 1, acked: 1, dlq: 0, errors: [] });
  });
});

// ---------------------------------------------------------------- Observables, direct vs context

const ran: string[] = [];

@Injectable()
class ObservableDirect {
  @OnSignal('obs.direct')
  handle(signal: Signal): Observable<number> {
    return defer(() => {
      ran.push(signal.type);
      return of(1);
    });
  }
}

@Injectable()
class ObservableContext {
  @OnSignal('obs.context')
  handle(@SignalPayload() signal: Signal): Observable<number> {
    return defer(() => {
      ran.push(signal.type);
      return of(1);
    });
  }
}

describe('handler returning an Observable', () => {
  it('runs the same whether the method takes the fast path or the context path', async () => {
    ran.length = 0;
    const { bus } = await boot([ObservableDirect, ObservableContext]);
    await bus.publish(createSignal('obs.context'));
    await bus.publish(createSignal('obs.direct'));
    await new Promise((r) => setTimeout(r, 20));
    expect(ran.sort()).toEqual(['obs.context', 'obs.direct']);
  });
});

// ---------------------------------------------------------------- same instance under two tokens

@Injectable()
class OrdersHandler {
  calls = 0;
  @OnSignal('order.created')
  handle(): void {
    this.calls++;
  }
}

describe('one provider instance reachable by two tokens', () => {
  it('an instance aliased with useFactory is called once per signal', async () => {
    const { app, bus } = await boot([
      OrdersHandler,
      { provide: 'ORDERS', useFactory: (o: OrdersHandler) => o, inject: [OrdersHandler] },
    ]);
    await bus.publish(createSignal('order.created'));
    expect(app.get(OrdersHandler).calls).toBe(1);
  });
});

@Injectable()
class PersistentObservable {
  @OnSignal('obs.persistent', { persistent: { subscriptionId: 'obs-p' } })
  handle(signal: Signal): Observable<number> {
    return defer(() => {
      ran.push(signal.type);
      return of(1);
    });
  }
}

describe('persistent handler returning an Observable', () => {
  it('the Observable runs before the signal is acked', async () => {
    ran.length = 0;
    const { bus } = await boot([PersistentObservable]);
    await bus.publish(createSignal('obs.persistent'));
    await until(async () => {
      const s = (await bus.stats()).subscriptions.find((x) => x.id === 'obs-p');
      return (s?.persistence?.acked ?? 0) > 0;
    });
    const s = (await bus.stats()).subscriptions.find((x) => x.id === 'obs-p');
    expect({ acked: s?.persistence?.acked, ran: [...ran] }).toEqual({
      acked: 1,
      ran: ['obs.persistent'],
    });
  });
});
