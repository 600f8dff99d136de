import 'reflect-metadata';
import {
  Body,
  Controller,
  HttpCode,
  Injectable,
  Module,
  Post,
  UnauthorizedException,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  createSignal,
  InjectSignalBus,
  JidoSignalModule,
  MemoryJournal,
  OnSignal,
  SignalData,
  SignalJournal,
  type SignalBus,
} from '../../lib/index.js';
import { JidoSignalBoardModule, type SignalBoardOptions } from '../../lib/board/index.js';
import { getSignalBusToken } from '../../lib/index.js';

/** Subscription id of the fixture's failing persistent handler. */
export const PAYMENTS = 'payments';

/** Whether the payments handler fails (the DLQ scenario flips it). */
@Injectable()
export class PaymentSwitch {
  failing = true;
}

@Injectable()
class FixtureHandlers {
  constructor(
    @InjectSignalBus() private readonly bus: SignalBus,
    private readonly payments: PaymentSwitch,
  ) {}

  /** order.created causes inventory.reserved and email.queued (causality is automatic). */
  @OnSignal('order.created')
  async onOrder(@SignalData() data: { orderId: string }): Promise<void> {
    await this.bus.publish([
      createSignal('inventory.reserved', { orderId: data.orderId }),
      createSignal('email.queued', { orderId: data.orderId }),
    ]);
  }

  @OnSignal('payment.requested', {
    persistent: { subscriptionId: PAYMENTS, maxAttempts: 1, backoff: [10] },
  })
  charge(): void {
    if (this.payments.failing) throw new Error('card declined');
  }
}

interface PublishBody {
  type: string;
  data?: unknown;
  extensions?: Record<string, string>;
}

@Controller('fixture')
class FixtureController {
  constructor(
    @InjectSignalBus() private readonly bus: SignalBus,
    private readonly payments: PaymentSwitch,
  ) {}

  /** Publish a signal over HTTP. */
  @Post('publish')
  @HttpCode(200)
  async publish(@Body() body: PublishBody): Promise<{ id: string }> {
    const signal = createSignal(body.type, body.data, { extensions: body.extensions ?? {} });
    await this.bus.publish(signal);
    return { id: signal.id };
  }

  @Post('payments/fix')
  @HttpCode(200)
  fix(): { failing: boolean } {
    this.payments.failing = false;
    return { failing: false };
  }

  @Post('payments/break')
  @HttpCode(200)
  break(): { failing: boolean } {
    this.payments.failing = true;
    return { failing: true };
  }
}

/** The admin credential of the `secure` board. */
export const ADMIN_AUTH = 'Bearer let-me-in';

/** No `authorization` header: 401; a wrong one: `false` (403). */
@Injectable()
class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const auth = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>()
      .headers.authorization;
    if (auth === undefined) throw new UnauthorizedException('credentials required');
    return auth === ADMIN_AUTH;
  }
}

/**
 * The boards every fixture app mounts: `/board` (open, masks `data.card`), `/ro` (open,
 * read-only), `/secure` (guarded by {@link AdminGuard}) and `/deny` (`canActivate` → false).
 */
export const FIXTURE_BOARDS: readonly SignalBoardOptions[] = [
  {
    allowUnauthenticated: true,
    maskData: (data) =>
      data !== null && typeof data === 'object' && 'card' in data
        ? { ...data, card: '****' }
        : data,
    stream: { flushIntervalMs: 100 },
  },
  { path: 'ro', allowUnauthenticated: true, readOnly: true },
  { path: '/secure/', guard: AdminGuard },
  { path: 'deny', canActivate: () => false },
];

/** Where the fixture's buses live: memory, or NATS JetStream under a prefix. */
export type FixtureStore =
  | { type: 'memory' }
  | { type: 'jetstream'; servers: string; prefix: string }
  | { type: 'redis'; url: string; prefix: string };

@Module({})
class FixtureModule {
  static forRoot(boards: readonly SignalBoardOptions[], store: FixtureStore): DynamicModule {
    const journal = new SignalJournal({ adapter: new MemoryJournal() });
    const shared = store.type !== 'memory';
    return {
      module: FixtureModule,
      imports: [
        JidoSignalModule.forRoot({
          // `load`: no journal and a short log, for the throughput scenario.
          buses: [
            { name: 'default', journal, maxLogSize: shared ? Infinity : 5_000 },
            { name: 'load', maxLogSize: shared ? Infinity : 1_000 },
          ],
          store,
          shutdownTimeout: 2_000,
        }),
        ...boards.map((b) => JidoSignalBoardModule.forRoot(b)),
      ],
      controllers: [FixtureController],
      providers: [FixtureHandlers, PaymentSwitch],
    };
  }
}

/** A running fixture app. */
export interface BoardFixture {
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly bus: SignalBus;
  readonly loadBus: SignalBus;
  readonly payments: PaymentSwitch;
  publish(type: string, data?: unknown, extensions?: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

/** Start the fixture app on 127.0.0.1, port 0, with Express or Fastify and some boards. */
export async function startBoardFixture(
  adapter: 'express' | 'fastify',
  boards: readonly SignalBoardOptions[] = FIXTURE_BOARDS,
  store: FixtureStore = { type: 'memory' },
): Promise<BoardFixture> {
  const module = FixtureModule.forRoot(boards, store);
  let app: INestApplication;
  if (adapter === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    app = await NestFactory.create(module, new FastifyAdapter(), { logger: false });
  } else {
    app = await NestFactory.create(module, { logger: false });
  }
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  const bus = app.get<SignalBus>(getSignalBusToken('default'));
  const payments = app.get(PaymentSwitch);
  return {
    app,
    url,
    bus,
    loadBus: app.get<SignalBus>(getSignalBusToken('load')),
    payments,
    async publish(type, data, extensions) {
      const res = await fetch(`${url}/fixture/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type, data, extensions }),
      });
      if (!res.ok) throw new Error(`publish ${type}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    },
    close: () => app.close(),
  };
}
