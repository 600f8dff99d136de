/**
 * The persistent consumers of the JetStream store: one durable pull consumer per persistent
 * subscription on the bus log (named from the subscription id, so every instance competes
 * on the same one), created or resumed with the subscription's settings, and the messages it
 * delivers wrapped as {@link DurableMessage}s.
 * @module
 * @internal
 */
import type { ConsumerConfig, ConsumerInfo, ConsumerMessages } from '@nats-io/jetstream';
import { StoreClosedError } from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { JsApiCode } from '../../nats/api-errors.js';
import { matches } from '../../router/pattern.js';
import type {
  DurableConsumer,
  DurableConsumerInfo,
  DurableConsumerSpec,
  DurableMessage,
} from '../distributed-store.interface.js';
import type { RecordedSignal } from '../signal-store.interface.js';
import { assertSpec } from '../shared/args.js';
import { decodeEntry, MAX_BATCH, nanos, noop, rawOf, recordedAtOf, STORE, toIso } from './codec.js';
import type { JetStreamLog } from './log.js';
import type { StoreContext } from './store-context.js';
import { consumerName } from './subjects.js';

/** Lifetime of a durable consumer's pull request (ms): bounds how long a stopped one lingers. */
const PULL_EXPIRES = 2_000;

async function stopMessages(messages: ConsumerMessages): Promise<void> {
  messages.stop();
  await messages.closed().catch(noop);
}

/** The persistent consumers of one store object. @internal */
export class DurableConsumers {
  constructor(
    private readonly ctx: StoreContext,
    private readonly log: JetStreamLog,
  ) {}

  async open(
    bus: string,
    spec: DurableConsumerSpec,
    onMessage: (message: DurableMessage) => void,
  ): Promise<DurableConsumer> {
    const ctx = this.ctx;
    ctx.check(bus);
    assertSpec(STORE, spec);
    if (typeof onMessage !== 'function') {
      throw new ValidationError('invalid_attribute', 'onMessage', 'onMessage must be a function');
    }
    await ctx.ready('openConsumer');
    await this.log.ensure(bus);
    const stream = ctx.names.logStream(bus);
    const name = consumerName(spec.subscriptionId);
    const jsm = ctx.link.jsm;
    const pattern = spec.pattern;
    let messages: ConsumerMessages;
    let stopped = false;
    try {
      const ci = await this.#createOrResume(stream, name, bus, spec);
      const consumer = ctx.link.js.consumers.getConsumerFromInfo(ci);

      messages = await consumer.consume({
        max_messages: Math.max(1, Math.min(spec.maxAckPending, MAX_BATCH)),
        expires: PULL_EXPIRES,
        callback: (m) => {
          const raw = rawOf(m);
          let entry: RecordedSignal;
          try {
            entry = decodeEntry(bus, raw, recordedAtOf(raw));
          } catch (error) {
            // Undecodable: it would fail on every redelivery.
            m.term();
            ctx.report(error, `consumer "${spec.subscriptionId}"`);
            return;
          }
          // The subject filter is a superset of the pattern: ack what it does not match.
          if (!matches(entry.signal.type, pattern)) {
            m.ack();
            return;
          }
          const message: DurableMessage = {
            entry,
            deliveryCount: m.info.deliveryCount,
            ack: () => m.ack(),
            // After stop() the server keeps this consumer's last pull request until it
            // expires and would hand a nak'ed message straight back to it (stuck until
            // ack_wait): delay the redelivery past that.
            nak: (delayMs?: number) =>
              m.nak(stopped ? Math.max(delayMs ?? 0, PULL_EXPIRES + 500) : delayMs),
            term: () => m.term(),
            working: () => m.working(),
          };
          try {
            onMessage(message);
          } catch (error) {
            ctx.report(error, `consumer "${spec.subscriptionId}" callback`);
          }
        },
      });
    } catch (error) {
      throw ctx.mapError('openConsumer', error);
    }
    if (ctx.closed) {
      stopped = true;
      await stopMessages(messages);
      throw new StoreClosedError(STORE);
    }
    const running = ctx.track(bus, spec.subscriptionId, () => stopMessages(messages));
    return {
      stop: () => {
        stopped = true;
        return running.stop();
      },
      info: async (): Promise<DurableConsumerInfo> => {
        ctx.assertOpen();
        await ctx.ready('consumer info');
        try {
          const ci = await jsm.consumers.info(stream, name);
          return {
            pending: ci.num_pending,
            ackPending: ci.num_ack_pending,
            redelivered: ci.num_redelivered,
          };
        } catch (error) {
          throw ctx.mapError('consumer info', error);
        }
      },
    };
  }

  /** Stop this object's consumers of the subscription, then delete its durable consumer. */
  async delete(bus: string, subscriptionId: string): Promise<boolean> {
    const ctx = this.ctx;
    ctx.check(bus, subscriptionId, 'subscriptionId');
    await ctx.running.stopSubscription(bus, subscriptionId);
    await ctx.ready('deleteConsumer');
    try {
      return await ctx.link.jsm.consumers.delete(
        ctx.names.logStream(bus),
        consumerName(subscriptionId),
      );
    } catch (error) {
      if (
        ctx.isApiError(error, JsApiCode.ConsumerNotFound) ||
        ctx.isApiError(error, JsApiCode.StreamNotFound)
      ) {
        return false;
      }
      throw ctx.mapError('deleteConsumer', error);
    }
  }

  /**
   * The durable consumer `name`: resumed when it exists (its ack wait, max ack pending, max
   * deliveries and filter updated to `spec`; its position is kept), else created at
   * `spec.startFrom`.
   */
  async #createOrResume(
    stream: string,
    name: string,
    bus: string,
    spec: DurableConsumerSpec,
  ): Promise<ConsumerInfo> {
    const ctx = this.ctx;
    const jsm = ctx.link.jsm;
    const filter = ctx.names.logFilter(bus, spec.pattern);
    const resume = async (ci: ConsumerInfo): Promise<ConsumerInfo> => {
      const c = ci.config;
      const changes: Partial<ConsumerConfig> = {};
      if (c.ack_wait !== nanos(spec.ackWait)) changes.ack_wait = nanos(spec.ackWait);
      if (c.max_ack_pending !== spec.maxAckPending) changes.max_ack_pending = spec.maxAckPending;
      if (c.max_deliver !== spec.maxDeliver) changes.max_deliver = spec.maxDeliver;
      if ((c.filter_subject ?? '') !== filter) changes.filter_subject = filter;
      if (Object.keys(changes).length === 0) return ci;
      return jsm.consumers.update(stream, name, changes);
    };
    try {
      return await resume(await jsm.consumers.info(stream, name));
    } catch (error) {
      if (!ctx.isApiError(error, JsApiCode.ConsumerNotFound)) throw error;
    }
    const config: Partial<ConsumerConfig> = {
      durable_name: name,
      ack_policy: 'explicit',
      ack_wait: nanos(spec.ackWait),
      max_ack_pending: spec.maxAckPending,
      max_deliver: spec.maxDeliver,
      filter_subject: filter,
      replay_policy: 'instant',
    };
    const start = spec.startFrom;
    if (start === 'origin') config.deliver_policy = 'all';
    else if (start === 'current') config.deliver_policy = 'new';
    else {
      config.deliver_policy = 'by_start_time';
      config.opt_start_time = toIso(start);
    }
    try {
      return await jsm.consumers.add(stream, config);
    } catch (error) {
      // Another instance created it in between.
      if (
        ctx.isApiError(error, JsApiCode.ConsumerExists) ||
        ctx.isApiError(error, JsApiCode.ConsumerNameExists)
      ) {
        return resume(await jsm.consumers.info(stream, name));
      }
      throw error;
    }
  }
}
