import { DispatchConfigError, DispatchError } from '../../errors/dispatch.error.js';
import type { Signal } from '../../signal/signal.js';
import type { AdapterHealth, DeliveryContext, DispatchAdapter } from '../adapter.interface.js';
import {
  DEFAULT_PUBSUB_NAME,
  InProcessPubSub,
  type PubSub,
  type PubSubRegistry,
} from '../pubsub.js';
import { optionalBoolean, rejectUnknownKeys, requiredString, typeName } from './options.js';

/** Options of the `pubsub` adapter: `{ adapter: 'pubsub', topic, ... }`. */
export interface PubSubDispatchOptions {
  /** Topic to broadcast on. Required. */
  topic: string;
  /**
   * The pubsub instance: a name looked up in the dispatcher's `PubSubRegistry` at delivery
   * time (unknown name → `pubsub_not_found`), or a `PubSub` object.
   * @default 'default' (the dispatcher's `InProcessPubSub`)
   */
  pubsub?: string | PubSub;
  /** Fail with `no_subscribers` when nobody subscribes to the topic. @default false */
  requireSubscribers?: boolean;
}

/** Validated options of the `pubsub` adapter. */
export interface NormalizedPubSubOptions {
  /** Topic. */
  readonly topic: string;
  /** Instance name or instance. */
  readonly pubsub: string | PubSub;
  /** Whether a topic without subscribers is an error. */
  readonly requireSubscribers: boolean;
}

const PUBSUB_KEYS: ReadonlySet<string> = new Set(['topic', 'pubsub', 'requireSubscribers']);

function isPubSub(value: unknown): value is PubSub {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.publish === 'function' &&
    typeof v.subscribe === 'function' &&
    typeof v.subscriberCount === 'function'
  );
}

/** A registry holding one {@link InProcessPubSub} as `'default'`. */
export function createDefaultPubSubRegistry(): Map<string, PubSub> {
  return new Map<string, PubSub>([[DEFAULT_PUBSUB_NAME, new InProcessPubSub()]]);
}

/**
 * Broadcasts the signal on a topic of a {@link PubSub} (Phoenix.PubSub's role). Subscriber
 * failures do not fail the dispatch; `requireSubscribers` turns "nobody listens" into a
 * `no_subscribers` error.
 */
export class PubSubAdapter implements DispatchAdapter<NormalizedPubSubOptions> {
  /** `'pubsub'`. */
  readonly name = 'pubsub';

  /** Named pubsub instances. */
  readonly pubsubs: PubSubRegistry;
  readonly #owned: Map<string, PubSub> | undefined;

  /** @param pubsubs named instances @default a registry holding an `InProcessPubSub` as `'default'` */
  constructor(pubsubs?: PubSubRegistry) {
    this.#owned = pubsubs === undefined ? createDefaultPubSubRegistry() : undefined;
    this.pubsubs = pubsubs ?? this.#owned!;
  }

  /** @throws DispatchConfigError naming `topic`, `pubsub` or `requireSubscribers` */
  validateOptions(options: Readonly<Record<string, unknown>>): NormalizedPubSubOptions {
    rejectUnknownKeys(this.name, options, PUBSUB_KEYS);
    const pubsub = options.pubsub ?? DEFAULT_PUBSUB_NAME;
    if (!(typeof pubsub === 'string' && pubsub.length > 0) && !isPubSub(pubsub)) {
      throw new DispatchConfigError(
        this.name,
        'pubsub',
        `"pubsub" must be an instance name or an object with publish(), subscribe() and subscriberCount(), got ${typeName(pubsub)}`,
      );
    }
    return {
      topic: requiredString(this.name, 'topic', options.topic),
      pubsub,
      requireSubscribers: optionalBoolean(
        this.name,
        'requireSubscribers',
        options.requireSubscribers,
        false,
      ),
    };
  }

  /** @throws DispatchError `pubsub_not_found` / `no_subscribers` */
  deliver(
    signal: Signal,
    options: NormalizedPubSubOptions,
    _context: DeliveryContext,
  ): void | Promise<void> {
    const pubsub = this.#instance(options);
    if (!options.requireSubscribers) return pubsub.publish(options.topic, signal);
    const count = pubsub.subscriberCount(options.topic);
    if (typeof count === 'number') return this.#publishIfSubscribed(pubsub, count, options, signal);
    return count.then((n) => this.#publishIfSubscribed(pubsub, n, options, signal));
  }

  /** Healthy when the instance exists; details carry the topic's subscriber count. */
  async healthCheck(options: NormalizedPubSubOptions): Promise<AdapterHealth> {
    const pubsub =
      typeof options.pubsub === 'string' ? this.pubsubs.get(options.pubsub) : options.pubsub;
    if (pubsub === undefined) return { healthy: false, details: { reason: 'pubsub_not_found' } };
    const subscribers = await pubsub.subscriberCount(options.topic);
    return {
      healthy: !options.requireSubscribers || subscribers > 0,
      details: { topic: options.topic, subscribers },
    };
  }

  /** Drops the subscriptions of the default registry's `InProcessPubSub` when this adapter created it. */
  close(): void {
    for (const pubsub of this.#owned?.values() ?? [])
      if (pubsub instanceof InProcessPubSub) pubsub.close();
  }

  /** `topic`, or `instance/topic` for a named instance other than the default. */
  describeTarget(options: NormalizedPubSubOptions): string {
    return typeof options.pubsub === 'string' && options.pubsub !== DEFAULT_PUBSUB_NAME
      ? `${options.pubsub}/${options.topic}`
      : options.topic;
  }

  #instance(options: NormalizedPubSubOptions): PubSub {
    if (typeof options.pubsub !== 'string') return options.pubsub;
    const pubsub = this.pubsubs.get(options.pubsub);
    if (pubsub === undefined) {
      throw new DispatchError(
        'pubsub_not_found',
        this.name,
        `No pubsub instance is registered as "${options.pubsub}"`,
        {
          details: { pubsub: options.pubsub },
        },
      );
    }
    return pubsub;
  }

  #publishIfSubscribed(
    pubsub: PubSub,
    count: number,
    options: NormalizedPubSubOptions,
    signal: Signal,
  ): void | Promise<void> {
    if (count <= 0) {
      throw new DispatchError(
        'no_subscribers',
        this.name,
        `Topic "${options.topic}" has no subscribers`,
        {
          details: { topic: options.topic },
        },
      );
    }
    return pubsub.publish(options.topic, signal);
  }
}
