import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../sample/app.module.js';
import '../helpers/nats.js'; // the JetStream walk-through needs the server

const root = join(import.meta.dirname, '..', '..');

/** JSON answers: checked with matchers, so loosely typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Answer<T = Json> {
  status: number;
  body: T;
}

interface TraceNode {
  id: string;
  type: string;
  relation: string;
  causationid?: string;
  correlationid?: string;
  data: Json;
  effects: TraceNode[];
}

describe('sample orders app over real HTTP', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [await AppModule.forRoot()],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  async function http<T = Json>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const res = await fetch(base + path, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }
  const get = <T = Json>(path: string) => http<T>('GET', path);

  /** Polls `GET path` until `done` accepts the body (persistent deliveries are asynchronous). */
  async function until<T = Json>(path: string, done: (body: T) => boolean): Promise<T> {
    let last: T | undefined;
    for (let i = 0; i < 200; i++) {
      last = (await get<T>(path)).body;
      if (done(last)) return last;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${path}: ${JSON.stringify(last)}`);
  }

  const flatten = (node: TraceNode): TraceNode[] => [node, ...node.effects.flatMap(flatten)];

  let paid: { orderId: string; signalId: string };

  it('POST /orders publishes order.created: stock is reserved and the payment captured', async () => {
    const res = await http('POST', '/orders', { sku: 'book', quantity: 3 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      orderId: 'o-1',
      sku: 'book',
      quantity: 3,
      amount: 3750,
      card: 'tok_visa',
    });
    paid = res.body;

    const order = await until(`/orders/${paid.orderId}`, (o) => o.payment === 'captured');
    expect(order).toMatchObject({ stock: 'reserved', payment: 'captured', declines: 0 });
    expect((await get('/inventory')).body).toEqual({ book: 7, pen: 100, mug: 3 });
    expect((await get('/orders')).body).toEqual([order]);
    expect(await get('/orders/o-999')).toMatchObject({ status: 404 });
  });

  it('the partner received verified Standard Webhooks for the order and its payment', async () => {
    const body = await until('/partner/webhooks', (b) => b.received.length >= 2);
    expect(body.rejected).toBe(0);
    expect(body.received).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          webhookId: paid.signalId,
          type: 'order.created',
          subject: 'o-1',
          verified: true,
        }),
        expect.objectContaining({ type: 'payment.captured', verified: true }),
      ]),
    );
  });

  it('the audit handler (`**`) saw every signal, effects with their causationid', async () => {
    const { body } = await get('/audit');
    expect(body.map((e: { type: string }) => e.type).sort()).toEqual([
      'inventory.reserved',
      'order.created',
      'payment.captured',
    ]);
    for (const entry of body.filter((e: { type: string }) => e.type !== 'order.created')) {
      expect(entry.causationid).toBe(paid.signalId);
    }
    expect((await get('/audit?limit=1')).body).toHaveLength(1);
    expect((await get('/audit?limit=0')).status).toBe(400);
  });

  it('GET /orders/:id/trace: order.created → inventory.reserved and payment.captured', async () => {
    const { status, body } = await get<{ root: TraceNode; text: string[] }>(
      `/orders/${paid.orderId}/trace`,
    );
    expect(status).toBe(200);
    expect(body.root).toMatchObject({
      id: paid.signalId,
      type: 'order.created',
      relation: 'origin',
      subject: 'o-1',
    });
    expect(body.root.causationid).toBeUndefined();
    const effects = body.root.effects;
    expect(effects.map((e) => e.type).sort()).toEqual(['inventory.reserved', 'payment.captured']);
    for (const effect of effects) {
      expect(effect).toMatchObject({
        relation: 'effect',
        causationid: paid.signalId,
        correlationid: paid.signalId,
        effects: [],
      });
      expect(effect.data.orderId).toBe('o-1');
    }
    expect(body.text[0]).toMatch(/^\* order\.created {2}/);
    expect(body.text.slice(1).join('\n')).toMatch(/[├└]─ (inventory\.reserved|payment\.captured)/);
  });

  it('GET /signals/:id/trace?direction=both walks up to the root; unknown ids are 404', async () => {
    const trace = (await get(`/orders/${paid.orderId}/trace`)).body;
    const captured = trace.root.effects.find((e: TraceNode) => e.type === 'payment.captured');
    const { body } = await get(`/signals/${captured.id}/trace?direction=both`);
    expect(body.root).toMatchObject({ id: paid.signalId, relation: 'cause' });
    expect(body.root.effects).toEqual([
      expect.objectContaining({ id: captured.id, relation: 'origin' }),
    ]);
    expect((await get(`/signals/${captured.id}/trace`)).body.root.id).toBe(captured.id);

    const missing = await get('/signals/01890f0e-0000-7000-8000-000000000000/trace');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('not_found');
    expect((await get(`/signals/${captured.id}/trace?direction=up`)).status).toBe(400);
  });

  it('GET /signals replays the log by pattern', async () => {
    const { status, body } = await get('/signals?pattern=order.*');
    expect(status).toBe(200);
    expect(body.map((e: { signal: { id: string } }) => e.signal.id)).toEqual([paid.signalId]);
    expect((await get('/signals?pattern=**&limit=2')).body).toHaveLength(2);
    expect((await get('/signals?limit=x')).status).toBe(400);
  });

  it('invalid orders get a 400 listing every failing field, and nothing is published', async () => {
    const before = (await get('/signals')).body.length;
    const res = await http('POST', '/orders', { sku: 'car', quantity: 0, card: 'visa' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_data');
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual([
      'sku',
      'quantity',
      'card',
    ]);
    expect((await get('/signals')).body).toHaveLength(before);
  });

  let declined: { orderId: string; signalId: string };

  it('a declined card is retried, then dead-lettered: /admin/dlq shows it, /health is degraded', async () => {
    const res = await http('POST', '/orders', { sku: 'mug', quantity: 1, card: 'tok_declined' });
    expect(res.status).toBe(202);
    declined = res.body;

    const dlq = await until('/admin/dlq', (list) => list.length === 1);
    expect(dlq[0]).toMatchObject({
      subscriptionId: 'payments',
      attempts: 3,
      signal: { id: declined.signalId, type: 'order.created', data: { orderId: declined.orderId } },
      lastError: { message: expect.stringContaining('card tok_declined declined (attempt 3)') },
    });
    expect((await get('/admin/dlq?subscription=payments')).body).toEqual(dlq);

    const order = (await get(`/orders/${declined.orderId}`)).body;
    expect(order).toMatchObject({ stock: 'reserved', payment: 'declined', declines: 3 });

    const trace = (await get(`/orders/${declined.orderId}/trace`)).body;
    const types = flatten(trace.root).map((n) => n.type);
    expect(types.filter((t) => t === 'payment.declined')).toHaveLength(3);
    expect(types).not.toContain('payment.captured');

    const stats = (await get('/admin/stats')).body;
    const payments = stats.bus.subscriptions.find((s: { id: string }) => s.id === 'payments');
    expect(payments.persistence).toMatchObject({ deadLettered: 1, retried: 2 });

    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.details.signals.buses.default).toMatchObject({
      status: 'degraded',
      dlqDepth: 1,
      problems: ['DLQ depth 1 > 0'],
    });
  });

  it('after the card is fixed, POST /admin/dlq/redrive charges it: payment.captured, DLQ empty', async () => {
    const fix = await http('POST', '/payments/cards/tok_declined/fix');
    expect(fix).toMatchObject({ status: 200, body: { card: 'tok_declined', fixed: true } });
    expect(fix.body.declined).not.toContain('tok_declined');

    const redrive = await http('POST', '/admin/dlq/redrive');
    expect(redrive).toMatchObject({
      status: 200,
      body: { subscriptionId: 'payments', redriven: 1, failed: 0 },
    });
    await until(`/orders/${declined.orderId}`, (o) => o.payment === 'captured');
    await until('/admin/dlq', (list) => list.length === 0);

    const trace = (await get(`/orders/${declined.orderId}/trace`)).body;
    const captured = flatten(trace.root).find((n) => n.type === 'payment.captured')!;
    expect(captured).toMatchObject({
      causationid: declined.signalId,
      correlationid: declined.signalId,
      data: { orderId: declined.orderId, attempt: 4 },
    });
    const partner = (await get('/partner/webhooks')).body;
    expect(partner.received.map((r: { webhookId: string }) => r.webhookId)).toContain(captured.id);
  });

  it('DELETE /admin/dlq clears a DLQ; unknown subscriptions are 404', async () => {
    const res = await http('POST', '/orders', { sku: 'pen', quantity: 2, card: 'tok_stolen' });
    expect(res.status).toBe(202);
    await until('/admin/dlq', (list) => list.length === 1);
    expect(await http('DELETE', '/admin/dlq?subscription=payments')).toMatchObject({
      status: 200,
      body: { subscriptionId: 'payments', cleared: 1 },
    });
    expect((await get('/admin/dlq')).body).toEqual([]);

    const unknown = await http('POST', '/admin/dlq/redrive?subscription=nope');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'subscription_not_found' } });
  });

  it('GET /admin/stats: bus counters, the @OnSignal handlers and the journal size', async () => {
    const { status, body } = await get('/admin/stats');
    expect(status).toBe(200);
    expect(body.bus).toMatchObject({ bus: 'default', subscriptionCount: 7 });
    expect(body.bus.subscriptions.map((s: { id: string }) => s.id).sort()).toEqual([
      'AuditService.record',
      'InventoryService.reserve',
      'OrdersService.project',
      'OrdersService.project#2',
      'partner-webhook:order.*',
      'partner-webhook:payment.*',
      'payments',
    ]);
    const payments = body.bus.subscriptions.find((s: { id: string }) => s.id === 'payments');
    expect(payments.persistence).toMatchObject({ acked: 2, deadLettered: 2, inFlight: 0 });
    expect(body.handlers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          className: 'PaymentsService',
          methodName: 'charge',
          subscriptionId: 'payments',
          persistent: true,
        }),
        expect.objectContaining({ subscriptionId: 'AuditService.record', pattern: '**' }),
      ]),
    );
    expect(body.journal.size).toBe(body.bus.logSize);
  });

  it('GET /health: Terminus reports the bus up and the partner webhook target healthy', async () => {
    const { status, body } = await get('/health');
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    const bus = body.info.signals.buses.default;
    expect(bus).toMatchObject({ status: 'up', closed: false, problems: [], dlqDepth: 0 });
    expect(bus.targets).toEqual([expect.objectContaining({ adapter: 'webhook', healthy: true })]);
  });
});

/** Run the sample's walk-through (`--once`) with extra arguments; resolves with its output. */
async function walkThrough(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'sample/main.ts', '--once', ...args],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: 'pipe' },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function expectWalkThrough({
  code,
  stdout,
  stderr,
}: Awaited<ReturnType<typeof walkThrough>>): void {
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toMatch(/orders sample listening on http:\/\/127\.0\.0\.1:\d+/);
  // Handler logs may come between a request and its response.
  expect(stdout).toMatch(
    /> POST \/orders \{"sku":"book","quantity":2\}\n(.*\n)*?< 202 \{"orderId":"o-1"/,
  );
  expect(stdout).toMatch(/\* order\.created .*\n.*[├└]─ (inventory\.reserved|payment\.captured)/);
  expect(stdout).toContain('"attempts":3');
  expect(stdout).toContain('< 200 {"status":"degraded"');
  expect(stdout).toContain('< 200 {"subscriptionId":"payments","redriven":1,"failed":0}');
  expect(stdout).toContain('< 400 {"code":"invalid_data"');
  expect(stdout).toContain('< 200 {"status":"ok"');
  expect(stdout).toContain('[Partner] verified webhook order.created');
  expect(stdout.trimEnd()).toMatch(/walk-through done, application closed$/);
}

describe('npm run sample -- --once', () => {
  it('walks through every endpoint against itself and exits 0', async () => {
    const run = await walkThrough();
    expectWalkThrough(run);
    expect(run.stdout).toContain('(in memory)');
  }, 60_000);
});

describe('npm run sample -- --once --jetstream', () => {
  it('runs the same walk-through with the bus and the journal in NATS JetStream', async () => {
    const run = await walkThrough('--jetstream');
    expectWalkThrough(run);
    expect(run.stdout).toMatch(/NATS JetStream nats:\/\/127\.0\.0\.1:4222, prefix 'sampleonce\d+'/);
  }, 60_000);
});

describe('npm run sample -- --once --redis', () => {
  it('runs the same walk-through with the bus and the journal in Redis', async () => {
    const run = await walkThrough('--redis');
    expectWalkThrough(run);
    expect(run.stdout).toMatch(/Redis redis:\/\/127\.0\.0\.1:6379, prefix 'sampleonce\d+'/);
  }, 60_000);
});
