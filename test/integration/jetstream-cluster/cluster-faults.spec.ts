// The JetStream engine on a 3-node cluster under faults (issue 16). The suite starts its own
// three nats-server processes on loopback (client ports 14222-14224, routes 16222-16224, one
// tmp store dir each), R3 streams, three "app instances" (one JetStreamStore + SignalBus each),
// SIGKILLs servers, and kills every server in afterAll. Pins docs/jetstream.md ("Cluster
// faults"): retention vs. durable consumers, cross-instance causality, existing stream
// settings, maxAge below the duplicate window, failover of appends, fan-out after a server died.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import type { BusError } from '../../../lib/core/errors/bus.error.js';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import type { StoreError } from '../../../lib/core/errors/store.error.js';
import { JetStreamJournal } from '../../../lib/core/journal/jetstream.journal.js';
import type { JournalAdapter } from '../../../lib/core/journal/journal-adapter.interface.js';
import { SignalJournal } from '../../../lib/core/journal/signal-journal.js';
import { createSignal, type Signal } from '../../../lib/core/signal/signal.js';
import {
  JetStreamStore,
  type JetStreamStoreOptions,
} from '../../../lib/core/store/jetstream/jetstream.store.js';
import type { SubscriptionState } from '../../../lib/core/store/signal-store.interface.js';
import { startCluster, type NatsCluster } from '../../helpers/nats-cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let cluster: NatsCluster;
let admin: NatsConnection;
let jsm: JetStreamManager;
const closers: Array<() => Promise<unknown>> = [];
let seq = 0;
const prefix = (): string => `c${process.pid}x${seq++}`;

/** One app instance's store on the cluster (R3 unless told otherwise). */
async function openStore(
  p: string,
  extra: JetStreamStoreOptions = {},
  warnings: StoreError[] = [],
): Promise<JetStreamStore> {
  const store = await JetStreamStore.connect({
    servers: cluster.urls,
    prefix: p,
    storage: 'memory',
    replicas: 3,
    onError: (e) => warnings.push(e),
    ...extra,
  });
  closers.push(() => store.close());
  return store;
}

function openBus(
  store: JetStreamStore,
  name: string,
  extra: Partial<ConstructorParameters<typeof SignalBus>[0]> = {},
): SignalBus {
  const bus = new SignalBus({ name, store, ...extra });
  closers.unshift(() => bus.close({ timeout: 5_000 }));
  return bus;
}

/** A connection of the test itself, to the given servers only, in that order. */
async function connectTo(urls: string[]): Promise<NatsConnection> {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: urls, noRandomize: true, timeout: 5_000 });
  closers.push(() => nc.close());
  return nc;
}

/** `adapter` with every `putSignal` started `ms` later. */
function lagging(adapter: JournalAdapter, ms: number): JournalAdapter {
  return {
    name: adapter.name,
    putSignal: async (entry) => {
      await sleep(ms);
      return adapter.putSignal(entry);
    },
    getSignal: (id) => adapter.getSignal(id),
    getMeta: (id) => adapter.getMeta(id),
    getCause: (id) => adapter.getCause(id),
    getEffects: (id) => adapter.getEffects(id),
    getConversation: (id) => adapter.getConversation(id),
    scan: (range) => adapter.scan(range),
    size: () => adapter.size(),
    flush: () => adapter.flush(),
    close: () => adapter.close(),
  };
}

const subState = (subscriptionId: string): SubscriptionState => ({
  subscriptionId,
  pattern: '**',
  options: {},
  acked: [],
  attempts: {},
  createdAt: Date.now(),
});

async function streamLeader(stream: string): Promise<string> {
  for (;;) {
    try {
      const leader = (await jsm.streams.info(stream)).cluster?.leader;
      if (leader) return leader;
    } catch {
      // election under way
    }
    await sleep(100);
  }
}

/** Wait until every replica of `stream` is current again (after a restart). */
async function healed(stream: string): Promise<void> {
  await until(
    `${stream} healed`,
    async () => {
      try {
        const c = (await jsm.streams.info(stream)).cluster;
        return (
          c?.leader !== undefined &&
          (c.replicas ?? []).length === 2 &&
          (c.replicas ?? []).every((r) => r.current && !r.offline)
        );
      } catch {
        return false;
      }
    },
    30_000,
  );
}

beforeAll(async () => {
  cluster = await startCluster({ clientBase: 14222, clusterBase: 16222 });
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  admin = await connect({ servers: cluster.urls, timeout: 5_000 });
  jsm = await jetstreamManager(admin, { timeout: 5_000 });
}, 60_000);

afterEach(async () => {
  // A test that failed between a SIGKILL and its restart must not leave the next test a
  // two-node cluster (which loses quorum at its own kill and times out).
  for (const node of cluster?.nodes ?? []) await cluster.restart(node.name);
}, 60_000);

afterAll(async () => {
  for (const close of closers.splice(0)) await close().catch(() => undefined);
  await admin?.close().catch(() => undefined);
  await cluster?.stop();
}, 60_000);

describe('JetStream engine on a 3-node cluster', () => {
  it('retention never removes a signal a persistent subscription has not acked or dead-lettered (maxLogSize and maxMessages far below the backlog)', async () => {
    const p = prefix();
    const warnings: StoreError[] = [];
    const stores = await Promise.all(
      [0, 1, 2].map(() => openStore(p, { maxMessages: 50 }, warnings)),
    );
    const buses = stores.map((s) => openBus(s, 'orders', { maxLogSize: 50 }));
    const handled = new Set<string>();
    // A slow persistent subscription competing on all three instances; every 25th signal
    // always fails and must end in the DLQ.
    for (const bus of buses) {
      await bus.subscribe('order.*', {
        persistent: true,
        subscriptionId: 'slow',
        maxInFlight: 5,
        maxAttempts: 2,
        retryInterval: 20,
        autoAck: true,
        dispatch: async (s: Signal) => {
          await sleep(2);
          if ((s.data as number) % 25 === 0) throw new Error('poison');
          handled.add(s.id);
        },
      });
    }
    const published: Signal[] = [];
    const total = 1_200;
    for (let i = 0; i < total; i += 50) {
      const batch = Array.from({ length: 50 }, (_, k) => createSignal('order.placed', i + k));
      published.push(...batch);
      await buses[i % 3].publish(batch);
    }
    const dead = async (): Promise<Set<string>> =>
      new Set((await buses[0].dlq.list('slow')).map((e) => e.signal.id));
    await until(
      'every signal acked or dead-lettered',
      async () => handled.size + (await dead()).size >= total,
      60_000,
    );
    const dlq = await dead();
    const lost = published.filter((s) => !handled.has(s.id) && !dlq.has(s.id));
    expect(lost).toEqual([]);
    expect(dlq.size).toBe(total / 25);
    // Retention was held back while the consumer lagged (reported), and catches up after.
    expect(
      warnings.some((w) => /held back by persistent subscription "slow"/.test(w.message)),
    ).toBe(true);
    await until(
      'the log trimmed once everything is acked',
      async () => {
        await buses[0].publish(createSignal('order.late', 0));
        await sleep(200);
        return (await stores[0].size('orders')) <= 100;
      },
      20_000,
    );
  }, 90_000);

  it('causality holds across instances: 100 cause → effect chains, cause on A, effect on B, all linked', async () => {
    const p = prefix();
    // A's journal writes lag 40 ms behind its log appends (a busy journal): B handles the
    // cause and records the effect before A's record of the cause exists anywhere.
    const journals = await Promise.all(
      [40, 0].map(async (lag) => {
        const adapter = await JetStreamJournal.open({
          servers: cluster.urls,
          stream: `${p}_JOURNAL`,
          subject: `${p}.journal`,
          replicas: 3,
          storage: 'memory',
          // Both instances create the R3 stream at once; under CI load that can take more
          // than the default 5 s (this test is about the causal links, not open latency).
          requestTimeout: 15_000,
        });
        const journal = new SignalJournal({ adapter: lag === 0 ? adapter : lagging(adapter, lag) });
        closers.unshift(() => journal.close());
        return journal;
      }),
    );
    const [sa, sb] = await Promise.all([openStore(p), openStore(p)]);
    const a = openBus(sa, 'chains', { journal: journals[0] });
    const b = openBus(sb, 'chains', { journal: journals[1] });
    const effects = new Map<string, string>(); // effect id → cause id
    await b.subscribe('chain.cause', async (cause: Signal) => {
      const [recorded] = await b.publish(createSignal('chain.effect', cause.id));
      effects.set(recorded.signal.id, cause.id);
    });
    await a.ready();
    const causes: Signal[] = [];
    for (let i = 0; i < 100; i++) {
      const cause = createSignal('chain.cause', i);
      causes.push(cause);
      await a.publish(cause);
    }
    await until('100 effects', () => effects.size === 100);
    for (const journal of journals) {
      await until(
        'every effect linked to its cause',
        async () => {
          for (const [effect, cause] of effects) {
            if ((await journal.getCause(effect))?.id !== cause) return false;
          }
          return true;
        },
        20_000,
      );
      for (const cause of causes) {
        const chain = await journal.traceChain(cause.id);
        expect(chain.map((s) => s.signal.type)).toEqual(['chain.cause', 'chain.effect']);
      }
    }
  }, 60_000);

  it('an instance with default options leaves R3 streams at R3; a different explicit setting is reported, changed only with updateExisting', async () => {
    const p = prefix();
    const r3 = await openStore(p);
    await r3.append('b', [createSignal('t')]);
    await r3.putSubscription('b', subState('s'));
    const log = r3.logStreamName('b');
    const state = `${p}_STATE`;
    expect((await jsm.streams.info(log)).config.num_replicas).toBe(3);

    // Default options (replicas 1 for streams it creates): keeps R3, no mismatch to report.
    const warnings: StoreError[] = [];
    const plain = await JetStreamStore.connect({
      servers: cluster.urls,
      prefix: p,
      onError: (e) => warnings.push(e),
    });
    closers.push(() => plain.close());
    await plain.append('b', [createSignal('t')]);
    await plain.putSubscription('b', subState('s2'));
    expect((await jsm.streams.info(log)).config.num_replicas).toBe(3);
    expect((await jsm.streams.info(state)).config.num_replicas).toBe(3);
    expect(warnings).toEqual([]);

    // An explicit replicas: 1 without updateExisting: reported once, the server's R3 kept.
    const r1Warnings: StoreError[] = [];
    const r1 = await openStore(p, { replicas: 1 }, r1Warnings);
    await r1.append('b', [createSignal('t')]);
    await r1.append('b', [createSignal('t')]);
    expect((await jsm.streams.info(log)).config.num_replicas).toBe(3);
    expect(r1Warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/num_replicas=3 \(requested 1\).*updateExisting/),
    ]);

    // An older version's server-side limits (they drop unacked entries): kept and reported
    // by default, removed with updateExisting.
    await jsm.streams.update(log, { ...(await jsm.streams.info(log)).config, max_msgs: 10 });
    const oldWarnings: StoreError[] = [];
    await (await openStore(p, {}, oldWarnings)).append('b', [createSignal('t')]);
    expect((await jsm.streams.info(log)).config.max_msgs).toBe(10);
    expect(oldWarnings[0]?.message).toMatch(/max_msgs=10 \(requested -1\)/);
    await (await openStore(p, { updateExisting: true })).append('b', [createSignal('t')]);
    const after = (await jsm.streams.info(log)).config;
    expect(after.max_msgs).toBe(-1);
    expect(after.num_replicas).toBe(3);
  }, 60_000);

  it('maxAge under the 2-minute duplicate window works on an existing log (and for a journal stream it creates)', async () => {
    const p = prefix();
    const first = await openStore(p);
    await first.append('b', [createSignal('t', 0)]);
    const log = first.logStreamName('b');
    // An existing stream with a server-side max age of 30 s (as an older version made it)
    // and the default 2-minute window in its config: updating it must lower the window.
    const cfg = (await jsm.streams.info(log)).config;
    await jsm.streams.update(log, {
      ...cfg,
      max_age: 30_000 * 1e6,
      duplicate_window: 30_000 * 1e6,
    });
    for (const extra of [{ maxAge: 60_000 }, { maxAge: 60_000, updateExisting: true }]) {
      const store = await openStore(p, extra);
      await store.append('b', [createSignal('t', 1)]);
    }
    const updated = (await jsm.streams.info(log)).config;
    expect(updated.max_age).toBe(0);
    expect((await first.read('b')).map((e) => e.signal.data)).toEqual([0, 1, 1]);

    const journal = await JetStreamJournal.open({
      servers: cluster.urls,
      stream: `${p}_J`,
      subject: `${p}.j`,
      replicas: 3,
      maxAge: 60_000,
      requestTimeout: 15_000, // creating an R3 stream under CI load (see above)
    });
    closers.unshift(() => journal.close());
    const jcfg = (await jsm.streams.info(`${p}_J`)).config;
    expect(jcfg.max_age).toBe(60_000 * 1e6);
    expect(jcfg.duplicate_window).toBe(60_000 * 1e6);
    const sj = new SignalJournal({ adapter: journal });
    const s = createSignal('j');
    await sj.record(s);
    expect((await sj.get(s.id))?.id).toBe(s.id);
  }, 60_000);

  it('fan-out: a feed whose server is SIGKILLed resumes within 5 s, reports the stall, and misses nothing', async () => {
    const p = prefix();
    const setup = await openStore(p);
    const setupBus = openBus(setup, 'fan', { maxLogSize: Infinity });
    await setupBus.publish(createSignal('fan.setup'));
    const stream = setup.logStreamName('fan');
    const received: Array<{ n: number; at: number }> = [];
    let storeB: JetStreamStore | undefined;
    let pingWhileStalled: Promise<void> | undefined;
    const stalls: StoreError[] = [];
    const busErrors: BusError[] = []; // what instance B's bus reports on errors$
    const onErrorB = (e: StoreError): void => {
      stalls.push(e);
      if (/stalled/.test(e.message) && pingWhileStalled === undefined) {
        pingWhileStalled = storeB!.ping();
        pingWhileStalled.catch(() => undefined); // asserted below
      }
    };
    // Instance B: its feed's ordered consumer must live on a server that is neither B's own
    // server, nor the meta leader, nor the stream leader (then no election is involved: the
    // feed alone must notice the dead server). Placement is the server's choice: retry.
    let victim: string | undefined;
    for (let attempt = 0; attempt < 12 && victim === undefined; attempt++) {
      const home = cluster.nodes[attempt % 3];
      const nc = await connectTo([home.url]);
      storeB = await openStore(p, { connection: nc, onError: onErrorB });
      const busB = openBus(storeB, 'fan', { maxLogSize: Infinity });
      busB.errors$.subscribe((e) => busErrors.push(e));
      await busB.subscribe('fan.tick', (s: Signal) => {
        received.push({ n: s.data as number, at: Date.now() });
      });
      let node: string | undefined;
      for await (const ci of jsm.consumers.list(stream)) {
        if (!ci.config.durable_name) node = ci.cluster?.leader;
      }
      const meta = await cluster.metaLeader();
      if (node !== undefined && node !== home.name && node !== meta) {
        for (let i = 0; i < 10 && (await streamLeader(stream)) === node; i++) {
          await admin.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, '', { timeout: 5_000 });
          await sleep(500);
        }
        if ((await streamLeader(stream)) !== node) victim = node;
      }
      if (victim === undefined) {
        await busB.close();
        await storeB.close();
      }
    }
    expect(victim).toBeDefined();
    // Instance A publishes a tick every 20 ms from a surviving server.
    const homeA = cluster.nodes.find((n) => n.name !== victim)!;
    const storeA = await openStore(p, { connection: await connectTo([homeA.url]) });
    const busA = openBus(storeA, 'fan', { maxLogSize: Infinity });
    let running = true;
    let sent = 0;
    const ticking = (async () => {
      while (running) {
        await busA.publish(createSignal('fan.tick', sent));
        sent++;
        await sleep(20);
      }
    })();
    await until('ticks flowing', () => received.length >= 10);
    const killedAt = Date.now();
    await cluster.kill(victim!);
    await until(
      'the feed to resume after the kill',
      () => received.some((r) => r.at > killedAt + 100) && storeB!.stalledFeeds === 0,
      15_000,
    );
    await expect(storeB!.ping()).resolves.toBeUndefined();
    await sleep(500);
    running = false;
    await ticking;
    await until('every tick', () => received.length === sent, 10_000);
    // No gap, no repeat, in order.
    expect(received.map((r) => r.n)).toEqual(Array.from({ length: sent }, (_, i) => i));
    let longest = 0;
    for (let i = 1; i < received.length; i++) {
      longest = Math.max(longest, received[i].at - received[i - 1].at);
    }
    expect(longest).toBeLessThan(5_000);
    // While the stall lasted, health (ping) was down; it is up again.
    expect(pingWhileStalled).toBeDefined();
    await expect(pingWhileStalled).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(/stalled/),
    });
    expect(stalls.map((e) => e.message)).toContainEqual(expect.stringMatching(/stalled/));
    // …and on the bus's errors$, as a store_error.
    expect(busErrors).toContainEqual(
      expect.objectContaining({ code: 'store_error', message: expect.stringMatching(/stalled/) }),
    );
    await cluster.restart(victim!);
    await healed(stream);
  }, 90_000);

  it('a publish loop across a stream leader SIGKILL sees no error, and its outage is at most a raw client’s + 20 %', async () => {
    const p = prefix();
    const store = await openStore(p);
    const bus = openBus(store, 'loop', { maxLogSize: Infinity });
    await bus.publish(createSignal('loop.warmup'));
    const stream = store.logStreamName('loop');
    const leader = await streamLeader(stream);
    // Both clients on the same surviving server: the comparison is the election, not a reconnect.
    const survivor = cluster.nodes.find((n) => n.name !== leader)!;
    const others = cluster.nodes.filter((n) => n.name !== survivor.name).map((n) => n.url);
    const ours = await openStore(p, { connection: await connectTo([survivor.url, ...others]) });
    const ourBus = openBus(ours, 'loop', { maxLogSize: Infinity });
    const rawNc = await connectTo([survivor.url, ...others]);
    const { jetstream } = await import('@nats-io/jetstream');
    const raw = jetstream(rawNc, { timeout: 5_000 });
    const busErrors: BusError[] = [];
    const sub = ourBus.errors$.subscribe((e) => busErrors.push(e));

    let running = true;
    const loop = async (publish: () => Promise<unknown>, errors: unknown[]) => {
      let last = Date.now();
      let gap = 0;
      while (running) {
        try {
          await publish();
          const now = Date.now();
          gap = Math.max(gap, now - last);
          last = now;
        } catch (error) {
          errors.push(error);
          await sleep(25); // what an application's own retry loop does
        }
      }
      return gap;
    };
    // A store that does not retry at all: what reaches its caller is marked retryable.
    const impatient = await openStore(p, {
      connection: await connectTo([survivor.url, ...others]),
      publishTimeout: 0,
    });
    const ourErrors: unknown[] = [];
    const rawErrors: unknown[] = []; // the raw loop's own retries (not asserted)
    const impatientErrors: unknown[] = [];
    const ourGap = loop(() => ourBus.publish(createSignal('loop.ours')), ourErrors);
    const rawGap = loop(() => raw.publish(`${p}.log.loop.raw`, 'x'), rawErrors);
    const impatientGap = loop(
      () => impatient.append('loop', [createSignal('loop.impatient')]),
      impatientErrors,
    );
    await sleep(1_000);
    await cluster.kill(leader);
    await until('a new leader', async () => (await streamLeader(stream)) !== leader, 30_000);
    await sleep(2_000);
    running = false;
    const [ours_, raw_] = await Promise.all([ourGap, rawGap, impatientGap]);
    sub.unsubscribe();
    expect(ourErrors).toEqual([]);
    expect(busErrors).toEqual([]);
    // The raw client may see the election as errors or only as one slow publish (its 5 s
    // timeout can outlast a quick election): its gap, asserted below, proves the outage.
    expect(impatientErrors.length).toBeGreaterThan(0);
    expect(impatientErrors.filter((e) => !(e instanceof JidoSignalError && e.retryable))).toEqual(
      [],
    );
    expect(raw_).toBeGreaterThan(500);
    expect(ours_).toBeLessThanOrEqual(raw_ * 1.2);
    await cluster.restart(leader);
    await healed(stream);
  }, 90_000);
});
