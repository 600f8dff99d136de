import { afterAll, beforeAll, expect, it, describe } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import type { ReceiverErrorTelemetryMessage } from '../../../lib/core/dispatch/dispatch-telemetry.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { NatsPubSub } from '../../../lib/core/dispatch/nats-pubsub.js';
import type { PubSub } from '../../../lib/core/dispatch/pubsub.js';
import { DispatchConfigError, DispatchError } from '../../../lib/core/errors/dispatch.error.js';
import type { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import { rejection, thrown } from '../../helpers/errors.js';
import {
  freePort,
  NATS_HOST,
  NATS_PORT,
  NATS_URL,
  startServer,
  stopServer,
} from '../../helpers/nats.js';

const SERVER = NATS_URL;
const HOST = NATS_HOST;
const PORT = NATS_PORT;

/** Resolve once `list` has `n` items; reject after `ms`. */
async function waitFor<T>(list: readonly T[], n: number, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (list.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} items (${list.length})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolve once `predicate` holds; reject after `ms`. */
async function until(predicate: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP proxy to the NATS server that can be cut and restored on the same port. */
class Proxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  async start(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      this.#sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      upstream.connect(PORT, HOST, () => {
        client.pipe(upstream);
        upstream.pipe(client);
      });
    });
    await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('NatsPubSub (NATS core, real server)', () => {
  const prefix = `test.jido.${randomUUID().replaceAll('-', '')}`;
  let a: NatsPubSub;
  let b: NatsPubSub;
  let raw: NatsConnection;
  const errorsA: Array<{ error: unknown; topic: string; signal: Signal | undefined }> = [];
  const errorsB: Array<{ error: unknown; topic: string; signal: Signal | undefined }> = [];

  /** Make sure both servers-side subscriptions exist before publishing from elsewhere. */
  const settle = async (): Promise<void> => {
    await Promise.all([a.connection.flush(), b.connection.flush(), raw.flush()]);
  };

  beforeAll(async () => {
    a = await NatsPubSub.connect({
      servers: SERVER,
      subjectPrefix: prefix,
      name: 'pubsub-a',
      onError: (error, topic, signal) => errorsA.push({ error, topic, signal }),
    });
    b = await NatsPubSub.connect({
      servers: [SERVER],
      subjectPrefix: prefix,
      name: 'pubsub-b',
      flush: true,
      onError: (error, topic, signal) => errorsB.push({ error, topic, signal }),
    });
    raw = await connect({ servers: SERVER, name: 'pubsub-raw' });
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await raw?.close();
  });

  it('delivers a signal published on one instance to subscribers on both, intact', async () => {
    const gotA: Signal[] = [];
    const gotB: Signal[] = [];
    const offA = a.subscribe('orders', (s) => gotA.push(s));
    const offB = b.subscribe('orders', (s) => gotB.push(s));
    await settle();
    const signal = createSignal(
      'order.placed',
      { id: 7, items: [{ sku: 'x-1', qty: 2 }], note: 'ünïcødé ✓' },
      {
        source: '/shop',
        subject: 'order/7',
        extensions: { correlationid: 'corr-1', causationid: 'cause-9' },
      },
    );
    const bytes = createSignal('blob.stored', new Uint8Array([0, 1, 2, 254, 255]));
    await a.publish('orders', signal);
    await a.publish('orders', bytes);
    await waitFor(gotA, 2);
    await waitFor(gotB, 2);
    for (const got of [gotA, gotB]) {
      const [s, blob] = got as [Signal, Signal];
      expect(s.id).toBe(signal.id);
      expect(s.type).toBe('order.placed');
      expect(s.source).toBe('/shop');
      expect(s.subject).toBe('order/7');
      expect(s.time).toBe(signal.time);
      expect(s.data).toEqual(signal.data);
      expect(s.extensions).toEqual({ correlationid: 'corr-1', causationid: 'cause-9' });
      expect(s.toJSON()).toEqual(signal.toJSON());
      expect(blob.id).toBe(bytes.id);
      expect(blob.data).toEqual(new Uint8Array([0, 1, 2, 254, 255]));
    }
    expect(a.subjectFor('orders')).toBe(`${prefix}.orders`);
    expect(a.topics()).toEqual(['orders']);
    offA();
    offB();
    expect(a.topics()).toEqual([]);
  });

  it('needs no JetStream: works against a core-only nats-server', async () => {
    const port = await freePort();
    const server = await startServer(port, '', false);
    try {
      const core = await NatsPubSub.connect({ servers: `nats://127.0.0.1:${port}` });
      try {
        const received: string[] = [];
        core.subscribe('core', (s) => void received.push(s.id));
        const signal = createSignal('core.only', { ok: true });
        await core.publish('core', signal);
        const deadline = Date.now() + 5_000;
        while (received.length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(received).toEqual([signal.id]);
      } finally {
        await core.close();
      }
    } finally {
      await stopServer(server);
    }
  });

  it('stops delivery after unsubscribe (each subscription independently)', async () => {
    const gotA: Signal[] = [];
    const first: Signal[] = [];
    const second: Signal[] = [];
    const offA = a.subscribe('unsub', (s) => gotA.push(s));
    const handler = (s: Signal): number => first.push(s);
    const off1 = b.subscribe('unsub', handler);
    const off2 = b.subscribe('unsub', (s) => second.push(s));
    await settle();
    off1();
    off1();
    expect(await b.subscriberCount('unsub')).toBe(1);
    await a.publish('unsub', createSignal('one'));
    await waitFor(second, 1);
    await waitFor(gotA, 1);
    expect(first).toHaveLength(0);

    off2();
    expect(b.topics()).not.toContain('unsub');
    await settle();
    await b.publish('unsub', createSignal('two'));
    await waitFor(gotA, 2);
    await settle();
    await sleep(50);
    expect(second.map((s) => s.type)).toEqual(['one']);
    offA();
  });

  it('rejects topics that are not valid NATS subjects with typed errors', async () => {
    const bad = ['', 'a..b', '.a', 'a.', 'a b', 'tab\t', 'nl\n', 'a*', '*', '>', 'a.>', 'x.*.y'];
    for (const topic of bad) {
      const published = await rejection(a.publish(topic, createSignal('x')));
      expect(published).toBeInstanceOf(DispatchConfigError);
      expect(published.code).toBe('invalid_dispatch_config');
      expect((published as DispatchConfigError).field).toBe('topic');
      const subscribed = thrown(() => a.subscribe(topic, () => undefined));
      expect(subscribed).toBeInstanceOf(DispatchConfigError);
      expect((await rejection(a.subscriberCount(topic))).code).toBe('invalid_dispatch_config');
    }
    const tooLong = await rejection(a.publish('t'.repeat(2_000), createSignal('x')));
    expect(tooLong.code).toBe('invalid_dispatch_config');
    expect(a.topics()).toEqual([]);
  });

  it('validates its options with typed errors', async () => {
    const cases: Array<[Parameters<typeof NatsPubSub.connect>[0], string]> = [
      [{ subjectPrefix: 'a.*' }, 'subjectPrefix'],
      [{ subjectPrefix: 'a..b' }, 'subjectPrefix'],
      [{ subjectPrefix: '' }, 'subjectPrefix'],
      [{ connectTimeout: -1 }, 'connectTimeout'],
      [{ disconnectedWait: Number.NaN }, 'disconnectedWait'],
      [{ maxReconnectAttempts: 1.5 }, 'maxReconnectAttempts'],
      [{ servers: [] }, 'servers'],
      [{ flush: 'yes' as unknown as boolean }, 'flush'],
    ];
    for (const [options, field] of cases) {
      const error = await rejection(NatsPubSub.connect(options));
      expect(error).toBeInstanceOf(DispatchConfigError);
      expect((error as DispatchConfigError).field).toBe(field);
    }
  });

  it('reports undecodable messages to onError and keeps delivering', async () => {
    const got: Signal[] = [];
    const off = b.subscribe('garbage', (s) => got.push(s));
    await settle();
    const subject = b.subjectFor('garbage');
    raw.publish(subject, new Uint8Array([0xff, 0xfe, 0x00, 0x7b]));
    raw.publish(subject, '{"not":"a signal"}');
    raw.publish(subject, '');
    await raw.flush();
    const later = createSignal('after.garbage', { ok: true });
    await a.publish('garbage', later);
    await waitFor(got, 1);
    expect(got[0].id).toBe(later.id);
    const decodeErrors = errorsB.filter((e) => e.topic === 'garbage');
    expect(decodeErrors).toHaveLength(3);
    for (const e of decodeErrors) {
      expect(e.signal).toBeUndefined();
      expect((e.error as JidoSignalError).code).toEqual(expect.any(String));
    }
    expect((decodeErrors[0].error as JidoSignalError).code).toBe('parse_error');
    expect((decodeErrors[1].error as JidoSignalError).code).toBe('missing_attribute');
    off();
  });

  it('isolates failing subscribers and reports them with the signal', async () => {
    const got: string[] = [];
    const off1 = a.subscribe('isolated', () => {
      throw new Error('sync boom');
    });
    const off2 = a.subscribe('isolated', () => Promise.reject(new Error('async boom')));
    const off3 = a.subscribe('isolated', (s) => got.push(s.id));
    await settle();
    const signal = createSignal('iso');
    await b.publish('isolated', signal);
    await waitFor(got, 1);
    await until(() => errorsA.filter((e) => e.topic === 'isolated').length >= 2);
    const reported = errorsA.filter((e) => e.topic === 'isolated');
    expect(reported.map((e) => (e.error as Error).message).sort()).toEqual([
      'async boom',
      'sync boom',
    ]);
    expect(reported.every((e) => e.signal?.id === signal.id)).toBe(true);
    off1();
    off2();
    off3();
  });

  it('reports on jido.dispatch.receiver_error by default', async () => {
    const seen: ReceiverErrorTelemetryMessage[] = [];
    const listener = (m: unknown): void => {
      seen.push(m as ReceiverErrorTelemetryMessage);
    };
    subscribe(TelemetryChannel.DispatchReceiverError, listener);
    const c = await NatsPubSub.connect({ connection: raw, subjectPrefix: prefix });
    try {
      const off = c.subscribe('telemetry', () => {
        throw new Error('handler failed');
      });
      await settle();
      raw.publish(c.subjectFor('telemetry'), 'not json');
      await c.publish('telemetry', createSignal('tele'));
      await waitFor(seen, 2);
      expect(seen.map((m) => [m.adapter, m.target, m.errorCode, m.signalType])).toEqual([
        ['pubsub', 'telemetry', 'parse_error', ''],
        ['pubsub', 'telemetry', 'dispatch_error', 'tele'],
      ]);
      off();
    } finally {
      unsubscribe(TelemetryChannel.DispatchReceiverError, listener);
      await c.close();
    }
    expect(raw.isClosed()).toBe(false);
  });

  it('counts local subscribers, and remote ones through presence', async () => {
    expect(await a.subscriberCount('presence')).toBe(0);
    const off1 = b.subscribe('presence', () => undefined);
    const off2 = b.subscribe('presence', () => undefined);
    await settle();
    expect(await b.subscriberCount('presence')).toBe(2);
    expect(await a.subscriberCount('presence')).toBe(2);
    off1();
    off2();
    await settle();
    expect(await a.subscriberCount('presence')).toBe(0);

    const local = await NatsPubSub.connect({
      connection: raw,
      subjectPrefix: prefix,
      presence: false,
    });
    const off3 = b.subscribe('presence', () => undefined);
    await settle();
    expect(await local.subscriberCount('presence')).toBe(0);
    expect(await a.subscriberCount('presence')).toBe(1);
    off3();
    await local.close();
  });

  it('works with the Dispatcher pubsub adapter, by object and by name', async () => {
    const dispatcher = new Dispatcher({ pubsubs: new Map<string, PubSub>([['nats', b]]) });
    const got: Signal[] = [];
    const off = a.subscribe('dispatched', (s) => got.push(s));
    await settle();
    try {
      const first = createSignal('via.object', { n: 1 });
      await dispatcher.dispatch(first, { adapter: 'pubsub', topic: 'dispatched', pubsub: a });
      const second = createSignal('via.name', { n: 2 });
      await dispatcher.dispatch(second, {
        adapter: 'pubsub',
        topic: 'dispatched',
        pubsub: 'nats',
        requireSubscribers: true,
      });
      await waitFor(got, 2);
      expect(got.map((s) => s.id)).toEqual([first.id, second.id]);

      const none = await rejection(
        dispatcher.dispatch(createSignal('nobody'), {
          adapter: 'pubsub',
          topic: 'nobody.listens',
          pubsub: 'nats',
          requireSubscribers: true,
        }),
      );
      expect(none.code).toBe('no_subscribers');
      const badTopic = await rejection(
        dispatcher.dispatch(createSignal('bad'), {
          adapter: 'pubsub',
          topic: 'a.*',
          pubsub: 'nats',
        }),
      );
      expect(badTopic.code).toBe('invalid_dispatch_config');
      const health = await dispatcher.healthCheck({
        adapter: 'pubsub',
        topic: 'dispatched',
        pubsub: 'nats',
        requireSubscribers: true,
      });
      expect(health.healthy).toBe(true);
    } finally {
      off();
      await dispatcher.close();
    }
  });

  it('closes idempotently and rejects later use; a shared connection stays open', async () => {
    const owned = await NatsPubSub.connect({ servers: SERVER, subjectPrefix: prefix });
    const off = owned.subscribe('closing', () => undefined);
    const conn = owned.connection;
    const first = owned.close();
    expect(owned.close()).toBe(first);
    await first;
    await owned.close();
    expect(conn.isClosed()).toBe(true);
    off();
    expect(owned.topics()).toEqual([]);
    const error = await rejection(owned.publish('closing', createSignal('late')));
    expect(error).toBeInstanceOf(DispatchError);
    expect(error.code).toBe('closed');
    expect(thrown(() => owned.subscribe('closing', () => undefined)).code).toBe('closed');

    const shared = await NatsPubSub.connect({ connection: raw, subjectPrefix: prefix });
    shared.subscribe('closing', () => undefined);
    await shared.close();
    await shared.close();
    expect(raw.isClosed()).toBe(false);
    expect(shared.topics()).toEqual([]);
  });

  it('fails with a typed, secret-free error when no server listens', async () => {
    const port = await freePort();
    const error = await rejection(
      NatsPubSub.connect({
        servers: `nats://alice:s3cr3t-pw@${HOST}:${port}`,
        pass: 'hunter2-pass',
        connectTimeout: 300,
        maxReconnectAttempts: 0,
      }),
    );
    expect(error).toBeInstanceOf(DispatchError);
    expect(error.code).toBe('connection_error');
    expect(error.retryable).toBe(true);
    const text = `${error.message} ${JSON.stringify(error.toJSON())} ${String(error.cause)}`;
    expect(text).toContain(`${HOST}:${port}`);
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('hunter2');
  });

  it('waits at most disconnectedWait while disconnected, then recovers', async () => {
    const proxy = new Proxy();
    await proxy.start();
    const port = proxy.port;
    const flaky = await NatsPubSub.connect({
      servers: `nats://${HOST}:${port}`,
      subjectPrefix: prefix,
      disconnectedWait: 200,
      reconnectTimeWait: 50,
    });
    const got: Signal[] = [];
    const off = a.subscribe('flaky', (s) => got.push(s));
    await settle();
    try {
      await flaky.publish('flaky', createSignal('before'));
      await waitFor(got, 1);

      await proxy.stop();
      const deadline = Date.now() + 3_000;
      while (flaky.connected && Date.now() < deadline) await sleep(10);
      expect(flaky.connected).toBe(false);
      const started = Date.now();
      const error = await rejection(flaky.publish('flaky', createSignal('lost')));
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(error).toBeInstanceOf(DispatchError);
      expect(error.code).toBe('connection_error');
      expect(error.retryable).toBe(true);

      await proxy.start(port);
      const reconnected = Date.now() + 5_000;
      while (!flaky.connected && Date.now() < reconnected) await sleep(10);
      await flaky.publish('flaky', createSignal('after'));
      await waitFor(got, 2);
      expect(got.map((s) => s.type)).toEqual(['before', 'after']);
    } finally {
      off();
      await flaky.close();
      await proxy.stop();
    }
  });
});
