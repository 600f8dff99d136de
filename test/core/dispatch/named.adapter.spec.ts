import { afterAll, describe, expect, it } from '@jest/globals';
import { MessageChannel } from 'node:worker_threads';
import { NamedAdapter } from '../../../lib/core/dispatch/adapters/named.adapter.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { ReceiverRegistry } from '../../../lib/core/dispatch/receiver-registry.js';
import { DispatchConfigError, DispatchError } from '../../../lib/core/errors/dispatch.error.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { rejection } from '../../helpers/errors.js';

const signal = createSignal('audit.logged', { by: 'ada' });
const receivers = new ReceiverRegistry();
const dispatcher = new Dispatcher({ receivers });
afterAll(() => dispatcher.close());

describe('ReceiverRegistry', () => {
  it('registers, finds, lists and unregisters receivers', () => {
    const registry = new ReceiverRegistry();
    const fn = (): void => {};
    expect(registry.register('audit', fn)).toBe(registry);
    expect(registry.get('audit')).toBe(fn);
    expect(registry.has('audit')).toBe(true);
    expect(registry.names()).toEqual(['audit']);
    expect(registry.unregister('audit')).toBe(true);
    expect(registry.unregister('audit')).toBe(false);
    expect(registry.has('audit')).toBe(false);
  });

  it('rejects empty names, taken names and non-receivers', () => {
    const registry = new ReceiverRegistry().register('taken', () => {});
    expect(() => registry.register('', () => {})).toThrow(DispatchConfigError);
    expect(() => registry.register('taken', () => {})).toThrow(/already registered/);
    expect(() => registry.register('bad', { hello: 1 } as never)).toThrow(DispatchConfigError);
  });

  it('consults resolvers, in order, for names that are not registered', () => {
    const registry = new ReceiverRegistry();
    const a = (): void => {};
    const remove = registry.addResolver((name) => (name.startsWith('di:') ? a : undefined));
    registry.addResolver(() => undefined);
    expect(registry.get('di:AuditService')).toBe(a);
    expect(registry.get('other')).toBeUndefined();
    remove();
    expect(registry.has('di:AuditService')).toBe(false);
    registry.register('x', a);
    registry.clear();
    expect(registry.names()).toEqual([]);
  });
});

describe('named adapter', () => {
  it('looks the receiver up at delivery time', async () => {
    const config = { adapter: 'named', name: 'late', deliveryMode: 'sync' };
    dispatcher.validate(config);
    const got: Signal[] = [];
    receivers.register('late', (s: Signal) => got.push(s));
    await dispatcher.dispatch(signal, config);
    expect(got).toEqual([signal]);
    receivers.unregister('late');
    const error = await rejection(dispatcher.dispatch(signal, config));
    expect(error).toBeInstanceOf(DispatchError);
    expect(error.code).toBe('process_not_found');
    expect(error.details).toMatchObject({ adapter: 'named', target: 'late' });
  });

  it('fails with process_not_found for a missing name', async () => {
    const error = await rejection(
      dispatcher.dispatch(signal, { adapter: 'named', name: 'nobody' }),
    );
    expect(error.code).toBe('process_not_found');
    expect(error.message).toContain('nobody');
  });

  it('delivers through a resolver (how the Nest layer resolves providers)', async () => {
    const service = {
      got: [] as Signal[],
      handleSignal(s: Signal) {
        this.got.push(s);
      },
    };
    const remove = receivers.addResolver((name) => (name === 'AuditService' ? service : undefined));
    await dispatcher.dispatch(signal, {
      adapter: 'named',
      name: 'AuditService',
      deliveryMode: 'sync',
    });
    expect(service.got).toEqual([signal]);
    remove();
  });

  it('a resolver answer that is not a receiver is process_not_found', async () => {
    const remove = receivers.addResolver(() => 42 as never);
    const error = await rejection(dispatcher.dispatch(signal, { adapter: 'named', name: 'weird' }));
    expect(error.code).toBe('process_not_found');
    remove();
  });

  it('reports process_not_alive for a registered port that closed', async () => {
    const { port1, port2 } = new MessageChannel();
    receivers.register('port', port1);
    const closed = new Promise((resolve) => port1.once('close', resolve));
    port2.close();
    await closed;
    expect(
      (await rejection(dispatcher.dispatch(signal, { adapter: 'named', name: 'port' }))).code,
    ).toBe('process_not_alive');
    expect(await dispatcher.healthCheck({ adapter: 'named', name: 'port' })).toMatchObject({
      healthy: false,
      details: { registered: true },
    });
    receivers.unregister('port');
  });

  it('rejects bad options with DispatchConfigErrors naming the field', () => {
    const adapter = new NamedAdapter();
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 7 }, 'name'],
      [{ name: 'x', deliveryMode: 'fast' }, 'deliveryMode'],
      [{ name: 'x', timeout: -1 }, 'timeout'],
      [{ name: 'x', target: 'y' }, 'target'],
    ];
    for (const [options, field] of cases) {
      try {
        adapter.validateOptions(options);
        throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
      } catch (error) {
        expect(error).toBeInstanceOf(DispatchConfigError);
        expect((error as DispatchConfigError).field).toBe(field);
      }
    }
    expect(adapter.validateOptions({ name: 'x' })).toEqual({
      name: 'x',
      mode: 'async',
      timeout: 5000,
      messageFormat: undefined,
    });
  });
});
