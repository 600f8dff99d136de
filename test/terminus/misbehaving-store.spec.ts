import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HealthCheckService } from '@nestjs/terminus';
import { MemoryStore, SignalBus } from '../../lib/index.js';
import { SignalHealthIndicator } from '../../lib/terminus/index.js';
import { standaloneIndicator, type StandaloneIndicator } from './helpers.js';

/** A third-party store whose dlqSize throws synchronously (e.g. "not connected"). */
class SyncThrowingStore extends MemoryStore {
  override dlqSize(): Promise<number> {
    throw new Error('not connected');
  }
}

describe('SignalHealthIndicator with a misbehaving store', () => {
  let standalone: StandaloneIndicator;
  let signals: SignalHealthIndicator;
  let health: HealthCheckService;
  beforeAll(async () => {
    standalone = await standaloneIndicator();
    ({ signals, health } = standalone);
  });
  afterAll(() => standalone.close());

  it('a store call that throws synchronously is reported down (store unreachable), not thrown', async () => {
    const store = new SyncThrowingStore();
    const bus = new SignalBus({ name: 'sync-throw', store });
    try {
      const result = await signals.checkBus('bus', bus).then(
        (r) => ({ ok: r }),
        (e: unknown) => ({ threw: String(e) }),
      );
      expect(result).toMatchObject({ ok: { bus: { status: 'down' } } });
    } finally {
      await bus.close();
      await store.close();
    }
  });

  it('through HealthCheckService the result is a 503 with the bus down', async () => {
    const store = new SyncThrowingStore();
    const bus = new SignalBus({ name: 'sync-throw-2', store });
    try {
      const outcome = await health.check([() => signals.checkBus('bus', bus)]).then(
        (r) => r,
        (e: { response?: unknown }) => e.response ?? e,
      );
      expect(outcome).toMatchObject({ details: { bus: { status: 'down' } } });
    } finally {
      await bus.close();
      await store.close();
    }
  });
});
