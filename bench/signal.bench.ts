// Signal creation, id generation and JSON encode/decode against the cloudevents SDK and uuid.
import { CloudEvent } from 'cloudevents';
import { do_not_optimize } from 'mitata';
import { v7 as uuidv7 } from 'uuid';
import { createSignal, Signal, SignalId } from '../lib/index.js';
import { fasterBy, micro, type BenchSection } from './harness.js';

export default async function signalBench(): Promise<BenchSection> {
  const data = { orderId: 'o-1', total: 42, lines: [{ sku: 'a', qty: 1 }] };

  const create = await micro('createSignal(type, data)', () =>
    do_not_optimize(createSignal('order.created', data)),
  );
  const createAttrs = await micro('createSignal(type, data, { subject, extensions })', () =>
    do_not_optimize(
      createSignal('order.created', data, { subject: 'o-1', extensions: { correlationid: 'c-1' } }),
    ),
  );
  const ce = await micro('cloudevents: new CloudEvent({ type, source, data })', () =>
    do_not_optimize(new CloudEvent({ type: 'order.created', source: '/app', data })),
  );

  const id = await micro('SignalId.generate()', () => do_not_optimize(SignalId.generate()));
  const uuid = await micro('uuid.v7()', () => do_not_optimize(uuidv7()));
  const random = await micro('crypto.randomUUID() (v4, reference)', () =>
    do_not_optimize(crypto.randomUUID()),
  );

  const signal = createSignal('order.created', data, {
    subject: 'o-1',
    extensions: { correlationid: 'c-1' },
  });
  const event = new CloudEvent({
    type: 'order.created',
    source: '/app',
    data,
    subject: 'o-1',
    correlationid: 'c-1',
  });
  const text = JSON.stringify(signal);
  const encode = await micro('JSON.stringify(signal)', () =>
    do_not_optimize(JSON.stringify(signal)),
  );
  const ceEncode = await micro('cloudevents: JSON.stringify(event)', () =>
    do_not_optimize(JSON.stringify(event)),
  );
  const decode = await micro('Signal.fromJSON(text) (validated)', () =>
    do_not_optimize(Signal.fromJSON(text)),
  );
  const ceDecode = await micro('cloudevents: new CloudEvent(JSON.parse(text))', () =>
    do_not_optimize(new CloudEvent(JSON.parse(text) as Record<string, unknown>)),
  );

  return {
    title: 'Signal model (issue: Foundation and the Signal model)',
    rows: [create, createAttrs, ce, id, uuid, random, encode, ceEncode, decode, ceDecode],
    checks: [
      fasterBy('createSignal vs new CloudEvent()', create, ce, 3),
      fasterBy('SignalId.generate vs uuid.v7()', id, uuid, 5),
      fasterBy('Signal.fromJSON vs new CloudEvent(JSON.parse())', decode, ceDecode, 1),
    ],
  };
}
