import { afterEach, describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { WaitTimeoutError } from '../../../lib/core/errors/bus.error.js';
import { InvalidPatternError } from '../../../lib/core/errors/router.error.js';
import { SignalSpy } from '../../../lib/testing/index.js';
import { sig, sleep } from './helpers.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

function setup(name: string): { bus: SignalBus; spy: SignalSpy } {
  const bus = new SignalBus({ name });
  const spy = new SignalSpy(bus);
  cleanup.push(
    () => spy.detach(),
    () => bus.close(),
  );
  return { bus, spy };
}

describe('SignalSpy', () => {
  it('records what its bus publishes and delivers, not other buses', async () => {
    const { bus, spy } = setup('spied');
    const other = new SignalBus({ name: 'other' });
    cleanup.push(() => other.close());
    await bus.subscribe('a.*', { subscriptionId: 'ok', dispatch: () => {} });
    await bus.subscribe('a.b', {
      subscriptionId: 'bad',
      dispatch: () => {
        throw new Error('x');
      },
    });
    await bus.publish([sig('a.b'), sig('c')]);
    await other.publish(sig('a.b'));
    expect(spy.published.map((s) => s.type)).toEqual(['a.b', 'c']);
    expect(spy.entries).toHaveLength(2);
    expect(spy.dispatched.map((s) => s.type)).toEqual(['a.b']);
    // Route order: the exact pattern a.b ranks before a.*.
    expect(spy.deliveries.map((d) => [d.subscriptionId, d.outcome, d.error?.code])).toEqual([
      ['bad', 'error', 'subscriber_failed'],
      ['ok', 'ok', undefined],
    ]);
  });

  it('records skipped deliveries', async () => {
    const bus = new SignalBus({
      name: 'skips',
      middleware: [{ beforeDispatch: () => ({ action: 'skip' }) }],
    });
    const spy = new SignalSpy('skips');
    cleanup.push(
      () => spy.detach(),
      () => bus.close(),
    );
    await bus.subscribe('**', () => {});
    await bus.publish(sig('x'));
    expect(spy.deliveries.map((d) => d.outcome)).toEqual(['skipped']);
  });

  it('waitFor resolves at once for a seen signal, later for a future one, using the router matcher', async () => {
    const { bus, spy } = setup('waits');
    await bus.publish(sig('audit'));
    await expect(spy.waitFor('audit.**')).resolves.toMatchObject({ type: 'audit' });
    const later = spy.waitFor('user.*.updated', { timeout: 1000 });
    const dispatched = spy.waitFor('user.**', { on: 'dispatched', timeout: 1000 });
    await bus.publish(sig('user.a.b.updated'));
    await bus.subscribe('user.**', () => {});
    setTimeout(() => void bus.publish(sig('user.1.updated')), 5);
    await expect(later).resolves.toMatchObject({ type: 'user.1.updated' });
    await expect(dispatched).resolves.toMatchObject({ type: 'user.1.updated' });
  });

  it('waitFor rejects with a typed timeout, a bad pattern, or on detach', async () => {
    const { bus, spy } = setup('timeouts');
    const started = Date.now();
    const error = await spy.waitFor('never', { timeout: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', pattern: 'never', timeoutMs: 20 });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(spy.waitFor('a..b')).rejects.toBeInstanceOf(InvalidPatternError);
    const pending = spy.waitFor('x', { timeout: 5000 });
    spy.detach();
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    await bus.publish(sig('x'));
    expect(spy.published).toEqual([]);
    expect(spy.attached).toBe(false);
  });

  it('clear forgets what was seen', async () => {
    const { bus, spy } = setup('clears');
    await bus.publish(sig('x'));
    spy.clear();
    expect(spy.published).toEqual([]);
    const wait = spy.waitFor('x', { timeout: 20 }).catch((e: unknown) => e);
    await sleep(1);
    expect(await wait).toBeInstanceOf(WaitTimeoutError);
  });
});
