import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  Scope,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Observable } from 'rxjs';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import { JidoSignalModule, OnSignal, SignalData, getSignalBusToken } from '../../lib/nest/index.js';

const open: TestingModule[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close().catch(() => undefined)));
});

class Allow implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}
@Injectable()
class Pass implements NestInterceptor {
  intercept(_c: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}
class Rethrow implements ExceptionFilter {
  catch(e: unknown, _h: ArgumentsHost): never {
    throw e;
  }
}

@Injectable()
class Failing {
  @OnSignal('f.directSync')
  directSync(): void {
    throw new Error('directSync');
  }
  @OnSignal('f.directAsync')
  async directAsync(): Promise<void> {
    throw new Error('directAsync');
  }
  @OnSignal('f.params')
  params(@SignalData() _d: unknown): void {
    throw new Error('params');
  }
  @OnSignal('f.guarded')
  @UseGuards(Allow)
  guarded(): void {
    throw new Error('guarded');
  }
  @OnSignal('f.intercepted')
  @UseInterceptors(Pass)
  intercepted(): void {
    throw new Error('intercepted');
  }
  @OnSignal('f.filtered')
  @UseFilters(Rethrow)
  filtered(): void {
    throw new Error('filtered');
  }
}

@Injectable({ scope: Scope.REQUEST })
class ScopedFailing {
  @OnSignal('f.scoped')
  scoped(): void {
    throw new Error('scoped');
  }
}

describe("handlerErrors: 'reject' with onError 'log' on every invocation path", () => {
  for (const type of [
    'f.directSync',
    'f.directAsync',
    'f.params',
    'f.guarded',
    'f.intercepted',
    'f.filtered',
    'f.scoped',
  ]) {
    it(`${type}: publish rejects with PublishHandlersError and one report on errors$`, async () => {
      const app = await Test.createTestingModule({
        imports: [JidoSignalModule.forRoot({ handlerErrors: 'reject' })],
        providers: [Failing, ScopedFailing],
      }).compile();
      app.useLogger(false);
      open.push(app);
      await app.init();
      const bus = app.get<SignalBus>(getSignalBusToken());
      const errors: unknown[] = [];
      bus.errors$.subscribe((e) => errors.push(e));
      const outcome = await bus.publish(createSignal(type)).then(
        () => 'resolved',
        (e: { code?: string; failures?: unknown[] }) => `${e.code}:${e.failures?.length}`,
      );
      await new Promise((r) => setTimeout(r, 20));
      const stats = (await bus.stats()).subscriptions.find((s) => s.pattern === type);
      expect({
        outcome,
        errors: errors.length,
        delivered: stats?.delivered,
        failed: stats?.failed,
      }).toEqual({
        outcome: 'handlers_failed:1',
        errors: 1,
        delivered: 1,
        failed: 0,
      });
    });
  }
});
