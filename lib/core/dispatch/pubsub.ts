import { toDispatchError } from '../errors/dispatch.error.js';
import type { Signal } from '../signal/signal.js';
import { reportReceiverError } from './dispatch-telemetry.js';

/** A topic subscriber: called with every signal published on its topic. */
export type PubSubHandler = (signal: Signal) => unknown;

/**
 * Topic broadcast (Phoenix.PubSub's role). Implement it over Redis, NATS or Postgres
 * `LISTEN/NOTIFY` to fan signals out across instances; {@link InProcessPubSub} is the
 * in-process implementation.
 */
export interface PubSub {
  /** Deliver `signal` to every subscriber of `topic` (exact topic match). */
  publish(topic: string, signal: Signal): void | Promise<void>;
  /** Subscribe to `topic`. @returns a function that unsubscribes */
  subscribe(topic: string, handler: PubSubHandler): () => void;
  /** How many subscribers `topic` has (the `requireSubscribers` check). */
  subscriberCount(topic: string): number | Promise<number>;
}

/**
 * Call every handler of a topic with `signal` (over a copy, so a handler may unsubscribe);
 * a handler that throws or rejects goes to `onFailure` and does not stop the others.
 * @internal
 */
export function callPubSubHandlers(
  handlers: Iterable<PubSubHandler>,
  signal: Signal,
  onFailure: (error: unknown) => void,
): void {
  for (const handler of [...handlers]) {
    try {
      const result = handler(signal);
      if (result instanceof Promise) result.catch(onFailure);
    } catch (error) {
      onFailure(error);
    }
  }
}

/**
 * The default failure report of the pubsub transports: the `jido.dispatch.receiver_error`
 * telemetry channel (`signal` is `undefined` for a message that is not a valid signal).
 * @internal
 */
export function reportPubSubError(error: unknown, topic: string, signal: Signal | undefined): void {
  reportReceiverError('pubsub', topic, signal, toDispatchError(error, 'pubsub'));
}

/** Finds a {@link PubSub} by name; a `Map<string, PubSub>` is one. */
export interface PubSubRegistry {
  /** The instance registered as `name`, if any. */
  get(name: string): PubSub | undefined;
}

/** Name of the pubsub instance the `pubsub` adapter uses when a config names none. */
export const DEFAULT_PUBSUB_NAME = 'default';

/** Options of {@link InProcessPubSub}. */
export interface InProcessPubSubOptions {
  /**
   * Called when a subscriber throws or rejects. The publish itself never fails because of
   * a subscriber.
   * @default publishes on the `jido.dispatch.receiver_error` telemetry channel
   */
  onError?: (error: unknown, topic: string, signal: Signal) => void;
}

/**
 * In-process {@link PubSub}: `publish` calls the topic's subscribers synchronously, in
 * subscription order; a subscriber that throws (or rejects) does not stop the others and
 * does not fail the publish.
 */
export class InProcessPubSub implements PubSub {
  readonly #topics = new Map<string, Set<PubSubHandler>>();
  readonly #onError: (error: unknown, topic: string, signal: Signal) => void;

  /** @param options where subscriber failures go */
  constructor(options: InProcessPubSubOptions = {}) {
    this.#onError = options.onError ?? reportPubSubError;
  }

  /** {@inheritDoc PubSub.publish} */
  publish(topic: string, signal: Signal): void {
    const handlers = this.#topics.get(topic);
    if (handlers === undefined) return;
    callPubSubHandlers(handlers, signal, (error) => this.#onError(error, topic, signal));
  }

  /** {@inheritDoc PubSub.subscribe} */
  subscribe(topic: string, handler: PubSubHandler): () => void {
    let handlers = this.#topics.get(topic);
    if (handlers === undefined) {
      handlers = new Set();
      this.#topics.set(topic, handlers);
    }
    // Wrap so the same function can subscribe twice and unsubscribe each independently.
    const entry: PubSubHandler = (signal) => handler(signal);
    handlers.add(entry);
    return () => {
      const set = this.#topics.get(topic);
      if (set?.delete(entry) && set.size === 0) this.#topics.delete(topic);
    };
  }

  /** {@inheritDoc PubSub.subscriberCount} */
  subscriberCount(topic: string): number {
    return this.#topics.get(topic)?.size ?? 0;
  }

  /** Topics that have at least one subscriber. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /** Drop every subscription. */
  close(): void {
    this.#topics.clear();
  }
}
