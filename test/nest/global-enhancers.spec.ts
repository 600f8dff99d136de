import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Observable } from 'rxjs';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import {
  JidoSignalModule,
  OnSignal,
  SignalHandlerRegistry,
  getSignalBusToken,
} from '../../lib/nest/index.js';

@Injectable()
class Consumer {
  readonly seen: string[] = [];

  @OnSignal('order.*')
  handle(signal: { type: string }): void {
    this.seen.push(signal.type);
  }
}

@Injectable()
class PassThrough implements NestInterceptor {
  calls = 0;
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    this.calls++;
    return next.handle();
  }
}

class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

// The invoker reads the application's global enhancers from Nest's ApplicationConfig provider:
// none → the method is called directly; any → through the context creator, so they apply.
describe('@OnSignal and global enhancers', () => {
  const open: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((m) => m.close()));
  });

  async function compile(providers: object[] = []): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      imports: [JidoSignalModule.forRoot()],
      providers: [Consumer, ...(providers as never[])],
    }).compile();
    open.push(moduleRef);
    return moduleRef;
  }

  it('without global enhancers the handler is called directly', async () => {
    const moduleRef = await compile();
    await moduleRef.init();
    expect(moduleRef.get(SignalHandlerRegistry).handlers()[0]?.invocation).toBe('direct');
    await moduleRef.get<SignalBus>(getSignalBusToken()).publish(createSignal('order.created'));
    expect(moduleRef.get(Consumer).seen).toEqual(['order.created']);
  });

  it('a global interceptor (APP_INTERCEPTOR) puts the handler through the context creator', async () => {
    const moduleRef = await compile([
      PassThrough,
      { provide: APP_INTERCEPTOR, useExisting: PassThrough },
    ]);
    await moduleRef.init();
    expect(moduleRef.get(SignalHandlerRegistry).handlers()[0]?.invocation).toBe('context');
    await moduleRef.get<SignalBus>(getSignalBusToken()).publish(createSignal('order.created'));
    expect(moduleRef.get(Consumer).seen).toEqual(['order.created']);
    expect(moduleRef.get(PassThrough).calls).toBe(1);
  });

  it('a guard from app.useGlobalGuards() applies: false skips the handler', async () => {
    const moduleRef = await compile();
    const app = moduleRef.createNestApplication({ logger: false });
    open.push(app);
    app.useGlobalGuards(new DenyAll());
    await app.init();
    expect(app.get(SignalHandlerRegistry).handlers()[0]?.invocation).toBe('context');
    await app.get<SignalBus>(getSignalBusToken()).publish(createSignal('order.created'));
    expect(app.get(Consumer).seen).toEqual([]);
  });
});
