import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../sample/app.module.js';

describe('sample orders app over real HTTP', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
  });

  const post = (body: unknown) =>
    fetch(`${base}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('POST /orders publishes order.created: inventory, audit log and the signed partner webhook see it', async () => {
    const res = await post({ sku: 'book', quantity: 3 });
    expect(res.status).toBe(202);
    const created = (await res.json()) as { id: string; type: string };
    expect(created.type).toBe('order.created');

    expect(await (await fetch(`${base}/stock`)).json()).toMatchObject({ book: 7 });
    const partner = (await (await fetch(`${base}/partner`)).json()) as Array<{ id: string }>;
    expect(partner.map((p) => p.id)).toContain(created.id);
    const log = (await (await fetch(`${base}/signals?pattern=order.**`)).json()) as Array<{
      signal: { id: string };
    }>;
    expect(log.map((e) => e.signal.id)).toContain(created.id);
  });

  it('invalid orders get a 400 listing every failing field, and nothing is published', async () => {
    const before = ((await (await fetch(`${base}/signals`)).json()) as unknown[]).length;
    const res = await post({ sku: '', quantity: 0 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; issues: Array<{ path: string }> };
    expect(body.code).toBe('invalid_data');
    expect(body.issues.map((i) => i.path)).toEqual(['sku', 'quantity']);
    expect(((await (await fetch(`${base}/signals`)).json()) as unknown[]).length).toBe(before);
  });

  it('/stats and /health answer', async () => {
    const stats = (await (await fetch(`${base}/stats`)).json()) as {
      bus: string;
      subscriptionCount: number;
    };
    expect(stats).toMatchObject({ bus: 'orders', subscriptionCount: 3 });
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      info: { 'signal-store': { status: 'up' } },
    });
  });
});
