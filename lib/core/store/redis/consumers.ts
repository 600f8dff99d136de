import type { RedisLink } from '../../redis/connection.js';
import { runScript } from '../../redis/scripts.js';
import { matches } from '../../router/pattern.js';
import type {
  DurableConsumerInfo,
  DurableConsumerSpec,
  DurableMessage,
} from '../distributed-store.interface.js';
import type { RecordedSignal } from '../signal-store.interface.js';
import { createGroup, groupInfo } from './groups.js';
import { groupName, type RedisKeys } from './keys.js';
import { decodeEntry } from './log.js';
import { PULL_SCRIPT, RETIRE_CONSUMER_SCRIPT } from './scripts.js';
import type { LogFeeds } from './tail.js';
import type { RawStreamEntry, WatcherListener } from './watcher.js';

/**
 * Persistent consumer groups of the Redis store: one group per persistent subscription on the
 * bus log, one {@link RedisDurableConsumer} per store object and open, all instances sharing
 * the group's entries (`XREADGROUP` / `XAUTOCLAIM` in {@link PULL_SCRIPT}, `XACK`).
 * @module
 * @internal
 */

/** What a store gives the consumers it opens. @internal */
export interface ConsumerContext {
  readonly link: RedisLink;
  readonly keys: RedisKeys;
  readonly feeds: LogFeeds;
  /** Longest pause between two pulls, in ms. */
  readonly pollInterval: number;
  report(error: unknown, where: string): void;
}

/** A started consumer. @internal */
export interface StartedConsumer {
  /** Stop pulling and leave the feed. */
  stop(): Promise<void>;
  /** Server-side counters of the group. */
  info(): Promise<DurableConsumerInfo>;
}

/**
 * Create the group of `spec` on the log of `bus` (or resume it where it is) and start the
 * consumer `name` in it, woken by the bus's feed. Redis failures are thrown as they are.
 */
export async function startConsumer(
  ctx: ConsumerContext,
  bus: string,
  spec: DurableConsumerSpec,
  name: string,
  onMessage: (message: DurableMessage) => void,
): Promise<StartedConsumer> {
  const { link, keys, feeds } = ctx;
  const key = keys.log(bus);
  const group = groupName(spec.subscriptionId);
  const consumer = new RedisDurableConsumer(
    {
      link,
      key,
      activityKey: keys.activity(bus, spec.subscriptionId),
      group,
      consumer: name,
      spec,
      pollInterval: ctx.pollInterval,
      decode: (raw: RawStreamEntry) => decodeEntry(bus, raw),
      report: (error, where) => ctx.report(error, where),
      recreateGroup: () => createGroup(link.client, key, group, 'origin'),
    },
    onMessage,
  );
  await createGroup(link.client, key, group, spec.startFrom);
  await feeds.watch(bus, consumer);
  consumer.start();
  return {
    stop: async () => {
      await consumer.stop();
      await feeds.unwatch(bus, consumer);
    },
    info: () => groupInfo(link.client, key, group),
  };
}

/** Largest pull of one round. */
const MAX_BATCH = 256;

/** What a {@link RedisDurableConsumer} needs of its store. @internal */
export interface ConsumerHost {
  readonly link: RedisLink;
  /** Log stream key. */
  readonly key: string;
  /** Activity zset of the group (consumers → last pull). */
  readonly activityKey: string;
  readonly group: string;
  /** This consumer's name in the group (unique per store object and open). */
  readonly consumer: string;
  readonly spec: DurableConsumerSpec;
  /** Longest pause between two pulls, in ms. */
  readonly pollInterval: number;
  decode(raw: RawStreamEntry): RecordedSignal;
  report(error: unknown, where: string): void;
  /** Create the group again (it vanished: a server restart without persistence, an operator). */
  recreateGroup(): Promise<void>;
}

type PullReply = [RawStreamEntry[], number[], RawStreamEntry[], string[], number] | ['NOGROUP'];

/** Pause between pulls while the group is at `maxAckPending` (other instances ack meanwhile). */
const SATURATED_WAIT = 50;

/**
 * One instance's member of a consumer group: pulls with {@link PULL_SCRIPT} (claims entries
 * idle for `ackWait`, then reads new ones while the group has fewer than `maxAckPending`
 * pending), hands them out as {@link DurableMessage}s, acks in batches, and naks by setting
 * the idle time of the entry so any instance claims it when the delay has passed.
 * @internal
 */
export class RedisDurableConsumer implements WatcherListener {
  readonly #h: ConsumerHost;
  readonly #onMessage: (message: DurableMessage) => void;
  readonly #batch: number;
  readonly #wait: number;
  #stopped = false;
  #again = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #acks: string[] = [];
  #flushing: Promise<void> | undefined;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #groupMissingReported = false;
  /** The last pull found the group at `maxAckPending`. */
  #saturated = false;

  constructor(host: ConsumerHost, onMessage: (message: DurableMessage) => void) {
    this.#h = host;
    this.#onMessage = onMessage;
    this.#batch = Math.max(1, Math.min(host.spec.maxAckPending, MAX_BATCH));
    this.#wait = Math.max(10, Math.min(host.pollInterval, Math.floor(host.spec.ackWait / 2)));
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** New entries in the log: pull now. */
  onEntries(): void {
    this.wake();
  }

  /** Look at the server again now (or right after the pull under way). */
  wake(): void {
    this.#again = true;
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Stop pulling; flush acks; leave the group when holding nothing. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.wake();
    await this.#loop;
    await this.#flush();
    const { link, key, group, consumer } = this.#h;
    if (link.connected) {
      await runScript(
        link.client,
        RETIRE_CONSUMER_SCRIPT,
        [key, this.#h.activityKey],
        [group, consumer],
      ).catch(noop);
    }
  }

  async #run(): Promise<void> {
    const { link } = this.#h;
    while (!this.#stopped) {
      if (!link.connected) {
        await link.ready('RedisStore', 'consumer', this.#wait).catch(noop);
        continue;
      }
      this.#again = false;
      let got = 0;
      this.#saturated = false;
      try {
        got = await this.#pull();
      } catch (error) {
        if (!this.#stopped && link.connected)
          this.#h.report(error, `consumer "${this.#h.spec.subscriptionId}"`);
      }
      if (this.#stopped) break;
      if (got >= this.#batch || this.#again) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            this.#wake = undefined;
            resolve();
          },
          this.#saturated ? Math.min(this.#wait, SATURATED_WAIT) : this.#wait,
        );
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async #pull(): Promise<number> {
    const { link, key, group, consumer, spec } = this.#h;
    const reply = (await runScript(
      link.client,
      PULL_SCRIPT,
      [key, this.#h.activityKey],
      [
        group,
        consumer,
        spec.maxAckPending,
        Math.max(1, Math.floor(spec.ackWait)),
        this.#batch,
        '1',
        // Consumers seen within this window share maxAckPending (each pulls at least every #wait).
        Math.max(1_000, this.#wait * 3),
      ],
    )) as PullReply;
    if (reply[0] === 'NOGROUP') {
      if (!this.#groupMissingReported) {
        this.#groupMissingReported = true;
        this.#h.report(
          new Error(
            `consumer group of "${spec.subscriptionId}" vanished; recreating it from the start of the log`,
          ),
          'consumer',
        );
      }
      await this.#h.recreateGroup();
      return this.#batch; // pull again at once
    }
    const [claimed, counts, fresh, , room] = reply as [
      RawStreamEntry[],
      number[],
      RawStreamEntry[],
      string[],
      number,
    ];
    this.#saturated = Number(room) <= 0;
    for (let i = 0; i < claimed.length; i++) this.#hand(claimed[i], Number(counts[i]) || 1);
    for (const raw of fresh) this.#hand(raw, 1);
    return claimed.length + fresh.length;
  }

  #hand(raw: RawStreamEntry, deliveryCount: number): void {
    if (this.#stopped) {
      this.#nak(raw[0], 0);
      return;
    }
    const { spec } = this.#h;
    const id = raw[0];
    let entry: RecordedSignal;
    try {
      entry = this.#h.decode(raw);
    } catch (error) {
      this.#ack(id);
      this.#h.report(error, `consumer "${spec.subscriptionId}"`);
      return;
    }
    if (
      !matches(entry.signal.type, spec.pattern) ||
      (spec.maxDeliver > 0 && deliveryCount > spec.maxDeliver)
    ) {
      this.#ack(id);
      return;
    }
    let settled = false;
    const once = (fn: () => void) => () => {
      if (settled) return;
      settled = true;
      fn();
    };
    const message: DurableMessage = {
      entry,
      deliveryCount,
      ack: once(() => this.#ack(id)),
      nak: (delayMs?: number) => once(() => this.#nak(id, delayMs ?? 0))(),
      term: once(() => this.#ack(id)),
      working: () => {
        if (!settled) this.#setIdle(id, 0);
      },
    };
    try {
      this.#onMessage(message);
    } catch (error) {
      this.#h.report(error, `consumer "${spec.subscriptionId}" callback`);
    }
  }

  #ack(id: string): void {
    this.#acks.push(id);
    if (this.#acks.length === 1) queueMicrotask(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#acks.length === 0) return;
    const ids = this.#acks;
    this.#acks = [];
    const { link, key, group } = this.#h;
    this.#flushing = (async () => {
      try {
        await link.client.xack(key, group, ...ids);
      } catch {
        // Lost with the connection: the entries are redelivered after ackWait (at least once).
      }
    })();
    await this.#flushing;
    this.#flushing = undefined;
    this.wake();
  }

  /**
   * Make entry `id` claimable in `delayMs`: its idle time becomes `ackWait - delayMs`, so the
   * next pull of any instance after the delay claims it. Longer delays keep it fresh here
   * until the rest fits in `ackWait` (if this process dies meanwhile, it comes back after
   * `ackWait`).
   */
  #nak(id: string, delayMs: number): void {
    const ackWait = Math.max(1, Math.floor(this.#h.spec.ackWait));
    const delay = Math.max(0, Math.floor(delayMs));
    if (delay <= ackWait) {
      this.#setIdle(id, ackWait - delay);
      // A few ms more than the delay: the server starts counting when XCLAIM arrives.
      this.#after(delay + 5, () => this.wake());
      return;
    }
    this.#setIdle(id, 0);
    const refresh = Math.max(1, Math.floor(ackWait / 2));
    const step = Math.min(refresh, delay - ackWait);
    this.#after(step, () => this.#nak(id, delay - step));
  }

  #setIdle(id: string, idle: number): void {
    const { link, key, group, consumer } = this.#h;
    link.client.call('XCLAIM', key, group, consumer, 0, id, 'IDLE', idle, 'JUSTID').catch(noop);
  }

  #after(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Drop pending timers (close). Naks still waiting come back after `ackWait`. */
  clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}

function noop(): void {}
