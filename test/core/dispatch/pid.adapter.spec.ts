import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Subject } from 'rxjs';
import { PidAdapter } from '../../../lib/core/dispatch/adapters/pid.adapter.js';
import type { ReceiverErrorTelemetryMessage } from '../../../lib/core/dispatch/dispatch-telemetry.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { watchReceiver } from '../../../lib/core/dispatch/receiver.js';
import {
  DispatchConfigError,
  DispatchError,
  DispatchTimeoutError,
} from '../../../lib/core/errors/dispatch.error.js';
import { createSignal, Signal, type StructuredSignal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection } from '../../helpers/errors.js';

const signal = createSignal('user.created', { name: 'Ada' }, { source: '/users' });
const dispatcher = new Dispatcher();
const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterAll(() => dispatcher.close());

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function receiverErrors(): ReceiverErrorTelemetryMessage[] {
  const seen: ReceiverErrorTelemetryMessage[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as ReceiverErrorTelemetryMessage);
  };
  subscribe(TelemetryChannel.DispatchReceiverError, listener);
  cleanups.push(() => unsubscribe(TelemetryChannel.DispatchReceiverError, listener));
  return seen;
}

describe('pid adapter: receivers', () => {
  it('async (default): resolves before the function runs, then delivers the Signal itself', async () => {
    const got: Signal[] = [];
    const pending = dispatcher.dispatch(signal, {
      adapter: 'pid',
      target: (s: Signal) => got.push(s),
    });
    expect(got).toEqual([]);
    await pending;
    await tick();
    expect(got).toEqual([signal]);
  });

  it('sync: awaits an object with handleSignal', async () => {
    const handler = {
      got: [] as Signal[],
      async handleSignal(s: Signal) {
        await tick(5);
        this.got.push(s);
      },
    };
    await dispatcher.dispatch(signal, { adapter: 'pid', target: handler, deliveryMode: 'sync' });
    expect(handler.got).toEqual([signal]);
  });

  it('delivers to an RxJS Subject', async () => {
    const subject = new Subject<Signal>();
    const got: Signal[] = [];
    subject.subscribe((s) => got.push(s));
    await dispatcher.dispatch(signal, { adapter: 'pid', target: subject, deliveryMode: 'sync' });
    await dispatcher.dispatch(signal, { adapter: 'pid', target: subject });
    await tick();
    expect(got).toEqual([signal, signal]);
  });

  it('applies messageFormat', async () => {
    const got: unknown[] = [];
    await dispatcher.dispatch(signal, {
      adapter: 'pid',
      target: (m: unknown) => got.push(m),
      deliveryMode: 'sync',
      messageFormat: (s: Signal) => ({ kind: 'signal', type: s.type }),
    });
    expect(got).toEqual([{ kind: 'signal', type: 'user.created' }]);
  });

  it('posts a structured clone of signal.toJSON() to a MessagePort', async () => {
    const { port1, port2 } = new MessageChannel();
    cleanups.push(() => {
      port1.close();
      port2.close();
    });
    const received = once(port2, 'message') as Promise<[StructuredSignal]>;
    await dispatcher.dispatch(signal, { adapter: 'pid', target: port1 });
    const [message] = await received;
    expect(message).toEqual(signal.toJSON());
    expect(Signal.from(message).id).toBe(signal.id);
  });

  it('posts to a Worker', async () => {
    const worker = new Worker(
      "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m.id));",
      { eval: true },
    );
    cleanups.push(() => worker.terminate());
    const echoed = once(worker, 'message') as Promise<[string]>;
    await dispatcher.dispatch(signal, { adapter: 'pid', target: worker });
    expect((await echoed)[0]).toBe(signal.id);
  });
});

describe('pid adapter: process_not_alive', () => {
  it('a closed MessagePort', async () => {
    const { port1, port2 } = new MessageChannel();
    const config = { adapter: 'pid', target: port1 };
    dispatcher.validate(config); // the dispatcher starts watching the port
    const closed = once(port1, 'close');
    port2.close();
    await closed;
    const error = await rejection(dispatcher.dispatch(signal, config));
    expect(error).toBeInstanceOf(DispatchError);
    expect(error.code).toBe('process_not_alive');
    expect(error.details).toMatchObject({ adapter: 'pid', target: 'MessagePort' });
    port1.close();
  });

  it('a port watched explicitly before it closed', async () => {
    const { port1, port2 } = new MessageChannel();
    watchReceiver(port1);
    port1.close();
    await once(port1, 'close');
    expect(
      (await rejection(dispatcher.dispatch(signal, { adapter: 'pid', target: port1 }))).code,
    ).toBe('process_not_alive');
    port2.close();
  });

  it('a terminated Worker', async () => {
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await once(worker, 'online');
    await worker.terminate();
    const error = await rejection(dispatcher.dispatch(signal, { adapter: 'pid', target: worker }));
    expect(error.code).toBe('process_not_alive');
    expect(await dispatcher.healthCheck({ adapter: 'pid', target: worker })).toMatchObject({
      healthy: false,
    });
  });

  it('a completed, errored or unsubscribed Subject', async () => {
    const completed = new Subject<Signal>();
    completed.complete();
    const errored = new Subject<Signal>();
    errored.subscribe({ error: () => {} });
    errored.error(new Error('x'));
    const unsubscribed = new Subject<Signal>();
    unsubscribed.unsubscribe();
    for (const target of [completed, errored, unsubscribed]) {
      for (const deliveryMode of ['async', 'sync']) {
        const error = await rejection(
          dispatcher.dispatch(signal, { adapter: 'pid', target, deliveryMode }),
        );
        expect(error.code).toBe('process_not_alive');
      }
    }
  });

  it('a subject that completes while signals wait in its mailbox reports them via telemetry', async () => {
    const errors = receiverErrors();
    const subject = new Subject<Signal>();
    const pending = dispatcher.dispatch(signal, { adapter: 'pid', target: subject });
    subject.complete();
    await pending;
    await tick();
    expect(errors.map((e) => e.errorCode)).toEqual(['process_not_alive']);
  });
});

describe('pid adapter: async mode', () => {
  it('keeps per-receiver FIFO order and handles one signal at a time', async () => {
    const order: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const receiver = async (s: Signal<{ n: number }>): Promise<void> => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await tick(s.data.n % 2 === 0 ? 5 : 0);
      order.push(s.data.n);
      running--;
    };
    const config = { adapter: 'pid', target: receiver };
    for (let n = 0; n < 6; n++) await dispatcher.dispatch(createSignal('n', { n }), config);
    await dispatcher.dispatch(createSignal('n', { n: 6 }), [config]);
    while (order.length < 7) await tick(5);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(maxRunning).toBe(1);
  });

  it('reports handler failures on jido.dispatch.receiver_error without failing the dispatch', async () => {
    const errors = receiverErrors();
    await dispatcher.dispatch(signal, {
      adapter: 'pid',
      target: function failing() {
        throw new Error('handler broke');
      },
    });
    await dispatcher.dispatch(signal, {
      adapter: 'pid',
      target: () => Promise.reject(new Error('later')),
    });
    await tick();
    expect(errors.map((e) => [e.adapter, e.target, e.errorCode, e.signalId])).toEqual([
      ['pid', 'function failing', 'dispatch_error', signal.id],
      ['pid', 'function target', 'dispatch_error', signal.id],
    ]);
    expect(errors[0].error.message).toContain('handler broke');
  });
});

describe('pid adapter: sync mode', () => {
  it('fails with a DispatchError when the receiver throws or rejects', async () => {
    const thrown = await rejection(
      dispatcher.dispatch(signal, {
        adapter: 'pid',
        deliveryMode: 'sync',
        target: () => {
          throw new Error('nope');
        },
      }),
    );
    expect(thrown.code).toBe('dispatch_error');
    const rejected = await rejection(
      dispatcher.dispatch(signal, {
        adapter: 'pid',
        deliveryMode: 'sync',
        target: () => Promise.reject(new Error('nope')),
      }),
    );
    expect(rejected.code).toBe('dispatch_error');
    expect(rejected.message).toContain('nope');
  });

  it('fails with a DispatchTimeoutError after timeout', async () => {
    let release: () => void = () => {};
    const error = await rejection(
      dispatcher.dispatch(signal, {
        adapter: 'pid',
        deliveryMode: 'sync',
        timeout: 20,
        target: () =>
          new Promise<void>((resolve) => {
            release = resolve;
          }),
      }),
    );
    release();
    expect(error).toBeInstanceOf(DispatchTimeoutError);
    expect(error.details).toMatchObject({ adapter: 'pid', timeout: 20, target: 'function target' });
  });
});

describe('pid adapter: options', () => {
  const adapter = new PidAdapter();
  const bad: [string, Record<string, unknown>, string][] = [
    ['missing target', {}, 'target'],
    ['a number target', { target: 42 }, 'target'],
    ['a plain object target', { target: { foo: 1 } }, 'target'],
    ['an unknown deliveryMode', { target: () => {}, deliveryMode: 'later' }, 'deliveryMode'],
    ['a zero timeout', { target: () => {}, timeout: 0 }, 'timeout'],
    ['a fractional timeout', { target: () => {}, timeout: 1.5 }, 'timeout'],
    ['a string timeout', { target: () => {}, timeout: '5s' }, 'timeout'],
    ['a non-function messageFormat', { target: () => {}, messageFormat: 'json' }, 'messageFormat'],
    ['an unknown option', { target: () => {}, async: true }, 'async'],
  ];

  it.each(bad)(
    'rejects %s with a DispatchConfigError naming the field',
    (_label, options, field) => {
      try {
        adapter.validateOptions(options);
        throw new Error('expected a DispatchConfigError');
      } catch (error) {
        expect(error).toBeInstanceOf(DispatchConfigError);
        expect((error as DispatchConfigError).field).toBe(field);
        expect((error as DispatchConfigError).adapter).toBe('pid');
      }
    },
  );

  it('normalizes defaults', () => {
    expect(adapter.validateOptions({ target: function onUser() {} })).toMatchObject({
      mode: 'async',
      timeout: 5000,
      kind: 'function',
      target: 'function onUser',
      messageFormat: undefined,
    });
  });
});
