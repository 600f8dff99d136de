import { describe, expect, it, jest } from '@jest/globals';
import type { DeliveryContext } from '../../../lib/core/dispatch/adapter.interface.js';
import { DeadlineList } from '../../../lib/core/dispatch/deadlines.js';
import {
  DeliveryController,
  deliveryAbortReason,
  isDeliveryAborted,
  watchDeliveryAbort,
} from '../../../lib/core/dispatch/delivery-controller.js';
import { DispatchTimeoutError } from '../../../lib/core/errors/dispatch.error.js';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeliveryController', () => {
  it('is a DeliveryContext with attempt 1 and no failure by default', () => {
    const c = new DeliveryController();
    expect(c.attempt).toBe(1);
    expect(c.failure).toBeUndefined();
    expect(c.aborted).toBe(false);
    expect(c.reason).toBeUndefined();
    const failure = { adapter: 'http', target: 'x', error: new DispatchTimeoutError('http', 1) };
    expect(new DeliveryController({ attempt: 2, failure })).toMatchObject({ attempt: 2, failure });
  });

  it('calls onAbort listeners once with the reason, in order, then aborts the lazy signal', () => {
    const c = new DeliveryController();
    const calls: string[] = [];
    c.onAbort((reason) => calls.push(`a:${String(reason)}`));
    const off = c.onAbort(() => calls.push('removed'));
    c.onAbort((reason) => calls.push(`c:${String(reason)}`));
    off();
    const signal = c.signal;
    signal.addEventListener('abort', () => calls.push('signal'));
    c.abort('stop');
    c.abort('again');
    expect(calls).toEqual(['a:stop', 'c:stop', 'signal']);
    expect(c.aborted).toBe(true);
    expect(c.reason).toBe('stop');
    expect(signal.reason).toBe('stop');
  });

  it('creates an already-aborted signal when read after the abort; defaults the reason like AbortController', () => {
    const c = new DeliveryController();
    c.abort();
    expect(c.reason).toBeInstanceOf(DOMException);
    expect((c.reason as DOMException).name).toBe('AbortError');
    expect(c.signal.aborted).toBe(true);
    expect(c.signal.reason).toBe(c.reason);
    const late = jest.fn();
    c.onAbort(late)(); // not called once aborted; the remover is a no-op
    expect(late).not.toHaveBeenCalled();
  });

  it('lets a single listener be removed before the abort', () => {
    const c = new DeliveryController();
    const listener = jest.fn();
    c.onAbort(listener)();
    c.abort(new Error('x'));
    expect(listener).not.toHaveBeenCalled();
  });

  it('the internal helpers fall back to signal for hand-built contexts', () => {
    const controller = new AbortController();
    const ctx: DeliveryContext = { signal: controller.signal, attempt: 1 };
    const listener = jest.fn();
    watchDeliveryAbort(ctx, listener);
    const removed = jest.fn();
    watchDeliveryAbort(ctx, removed)();
    expect(isDeliveryAborted(ctx)).toBe(false);
    controller.abort('why');
    expect(isDeliveryAborted(ctx)).toBe(true);
    expect(deliveryAbortReason(ctx)).toBe('why');
    expect(listener).toHaveBeenCalledWith('why');
    expect(removed).not.toHaveBeenCalled();

    const own = new DeliveryController();
    own.abort('mine');
    expect(isDeliveryAborted(own)).toBe(true);
    expect(deliveryAbortReason(own)).toBe('mine');
  });
});

describe('DeadlineList', () => {
  it('runs callbacks no earlier than ms after add, in order, and skips cancelled ones', async () => {
    const list = new DeadlineList(20);
    const fired: string[] = [];
    const started = performance.now();
    list.add(() => fired.push('a'));
    const b = list.add(() => fired.push('b'));
    await tick(5);
    list.add(() => fired.push('c'));
    b.cancel();
    b.cancel();
    await tick(100);
    expect(fired).toEqual(['a', 'c']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(20);
    expect(list.idle).toBe(true);
  });

  it('holds no ref once empty, and re-arms for a later add', async () => {
    const list = new DeadlineList(10);
    const first = list.add(() => {});
    expect(list.hasRef).toBe(true);
    first.cancel();
    expect(list.idle).toBe(true);
    expect(list.hasRef).toBe(false); // parked: does not keep the process alive
    await tick(5);
    const fired = jest.fn();
    list.add(fired);
    expect(list.hasRef).toBe(true);
    await tick(100); // the parked timer fires early for this entry and re-arms
    expect(fired).toHaveBeenCalledTimes(1);
    expect(list.hasRef).toBe(false);
  });
});
