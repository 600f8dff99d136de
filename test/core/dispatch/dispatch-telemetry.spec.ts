import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { DispatchTelemetryMessage } from '../../../lib/core/dispatch/dispatch-telemetry.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { createSignal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';

const CHANNELS = [
  TelemetryChannel.DispatchStart,
  TelemetryChannel.DispatchEnd,
  TelemetryChannel.DispatchError,
];
const seen: [string, DispatchTelemetryMessage][] = [];
const listener = (message: unknown, name: string | symbol): void => {
  seen.push([String(name), message as DispatchTelemetryMessage]);
};

const dispatcher = new Dispatcher({ logger: { log: () => {}, error: () => {}, warn: () => {} } });
afterAll(() => dispatcher.close());

beforeEach(() => {
  seen.length = 0;
  for (const channel of CHANNELS) subscribe(channel, listener);
});
afterEach(() => {
  for (const channel of CHANNELS) unsubscribe(channel, listener);
});

const signal = createSignal('payment.captured', { amount: 10, cardToken: 'tok_visa_secret' });

describe('dispatch telemetry', () => {
  it('publishes start and end for a successful single-target delivery', async () => {
    await dispatcher.dispatch(signal, { adapter: 'noop' });
    expect(seen.map(([name]) => name)).toEqual([
      TelemetryChannel.DispatchStart,
      TelemetryChannel.DispatchEnd,
    ]);
    expect(seen[0][1]).toEqual({
      adapter: 'noop',
      target: 'noop',
      signalId: signal.id,
      signalType: 'payment.captured',
      fallback: false,
    });
    expect(seen[1][1]).toMatchObject({ adapter: 'noop', outcome: 'ok', signalId: signal.id });
    expect(typeof seen[1][1].durationMs).toBe('number');
  });

  it('publishes start and error with the code for a failure, and covers every list item and fallback', async () => {
    await dispatcher
      .dispatch(signal, [
        { adapter: 'noop' },
        { adapter: 'named', name: 'gone', onFailure: { adapter: 'noop' } },
      ])
      .catch(() => {});
    const errors = seen
      .filter(([name]) => name === TelemetryChannel.DispatchError)
      .map(([, m]) => m);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      adapter: 'named',
      target: 'gone',
      outcome: 'error',
      errorCode: 'process_not_found',
      retryable: false,
      fallback: false,
    });
    const ends = seen.filter(([name]) => name === TelemetryChannel.DispatchEnd).map(([, m]) => m);
    expect(ends.map((m) => [m.adapter, m.fallback])).toEqual([
      ['noop', false],
      ['noop', true],
    ]);
  });

  it('never carries adapter options or secrets', async () => {
    const secretConfigs = [
      { adapter: 'logger', format: 'token=sk_secret_format $type' },
      { adapter: 'pid', target: function handler() {}, messageFormat: () => 'sk_secret_format' },
      {
        adapter: { name: 'custom', validateOptions: (o: object) => o, deliver: () => {} },
        apiKey: 'sk_secret_option',
      },
      {
        adapter: {
          name: 'failing',
          validateOptions: (o: object) => o,
          deliver: () => Promise.reject(new Error('failed')),
        },
        password: 'sk_secret_password',
      },
    ];
    await dispatcher.dispatchBatch(signal, secretConfigs);
    expect(seen.length).toBeGreaterThanOrEqual(8);
    const text = JSON.stringify(seen.map(([, m]) => m));
    expect(text).not.toContain('sk_secret');
    expect(text).not.toContain('tok_visa_secret');
    for (const [, message] of seen) {
      expect(Object.keys(message).sort()).toEqual(
        expect.arrayContaining(['adapter', 'target', 'signalId', 'signalType', 'fallback']),
      );
      expect(message).not.toHaveProperty('options');
      expect(message).not.toHaveProperty('config');
    }
  });
});
