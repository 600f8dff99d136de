import type { Redis } from 'ioredis';
import { DispatchConfigError, DispatchError } from '../errors/dispatch.error.js';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import { StoreUnavailableError } from '../errors/store.error.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import { stringifySignal } from '../signal/serialization/json.serializer.js';
import { Signal } from '../signal/signal.js';
import { RedisLink } from '../redis/connection.js';
import { describeCause } from '../redis/errors.js';
import type { RedisConnectionOptions } from '../redis/options.js';
import {
  callPubSubHandlers,
  reportPubSubError,
  type PubSub,
  type PubSubHandler,
} from './pubsub.js';

/** Adapter name used in the errors and telemetry of {@link RedisPubSub}. */
const ADAPTER = 'pubsub';
const FEATURE = 'RedisPubSub';
// eslint-disable-next-line no-control-regex
const FORBIDDEN_TOPIC_CHAR = /[\s\u0000-\u001f\u007f*?[\]]/u;

/**
 * Where {@link RedisPubSub} reports failures nobody awaits: a subscriber that threw or
 * rejected (`signal` is the signal it got), or a message on the channel that is not a valid
 * signal (`signal` is `undefined`).
 */
export type RedisPubSubErrorHandler = (
  error: unknown,
  topic: string,
  signal: Signal | undefined,
) => void;

/** Options of {@link RedisPubSub.connect}: how to reach Redis plus the pubsub's own settings. */
export interface RedisPubSubOptions extends RedisConnectionOptions {
  /**
   * Channel prefix: topic `orders` is published on the channel `<channelPrefix>:orders`.
   * Every instance that should see each other's signals must use the same prefix.
   * @default 'jido:pubsub'
   */
  channelPrefix?: string;
  /**
   * Called when a subscriber throws or rejects, or when a message on a subscribed channel is
   * not a valid signal. Neither fails a publish nor stops the other subscribers.
   * @default publishes on the `jido.dispatch.receiver_error` telemetry channel
   */
  onError?: RedisPubSubErrorHandler;
  /** Extensions that received signals are validated against. @default the default factory's */
  extensions?: ExtensionRegistry;
  /** Largest message accepted when decoding, in bytes. @default 10_000_000 */
  maxPayloadBytes?: number;
}

/**
 * Cross-instance {@link PubSub} over Redis pub/sub channels: topic `t` is the channel
 * `<channelPrefix>:t`, the message is the signal's CloudEvents JSON. Publishes use the command
 * connection; subscriptions share one subscriber connection per instance (resubscribed after
 * a reconnect).
 *
 * Delivery is **at most once**, with no persistence: a signal published while an instance is
 * disconnected or not yet subscribed is never seen by it. Use the Redis store for durable
 * delivery. Subscribers of the publishing process receive its signals too.
 */
export class RedisPubSub implements PubSub {
  /** The channel prefix in use. */
  readonly channelPrefix: string;
  readonly #link: RedisLink;
  readonly #onError: RedisPubSubErrorHandler;
  readonly #parseOptions: { extensions?: ExtensionRegistry; maxPayloadBytes?: number };
  readonly #topics = new Map<string, Set<PubSubHandler>>();
  #subscriber: Promise<Redis> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(link: RedisLink, options: RedisPubSubOptions, channelPrefix: string) {
    this.#link = link;
    this.channelPrefix = channelPrefix;
    this.#parseOptions = {};
    if (options.extensions !== undefined) this.#parseOptions.extensions = options.extensions;
    if (options.maxPayloadBytes !== undefined) {
      this.#parseOptions.maxPayloadBytes = options.maxPayloadBytes;
    }
    this.#onError = options.onError ?? reportPubSubError;
  }

  /**
   * Connect to Redis (or adopt `options.client`, which `close()` then leaves open).
   * @throws DispatchConfigError (`invalid_dispatch_config`) for invalid options;
   *   DispatchError `connection_error` when no server answers within `connectTimeout`;
   *   MissingPeerDependencyError without `ioredis`
   */
  static async connect(options: RedisPubSubOptions = {}): Promise<RedisPubSub> {
    if (typeof options !== 'object' || options === null) {
      throw new DispatchConfigError(ADAPTER, 'options', 'RedisPubSub options must be an object');
    }
    const prefix = options.channelPrefix ?? 'jido:pubsub';
    if (typeof prefix !== 'string' || prefix.length === 0 || FORBIDDEN_TOPIC_CHAR.test(prefix)) {
      throw new DispatchConfigError(
        ADAPTER,
        'channelPrefix',
        '"channelPrefix" must be a non-empty string without whitespace, controls or glob characters',
      );
    }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new DispatchConfigError(ADAPTER, 'onError', '"onError" must be a function');
    }
    let link: RedisLink;
    try {
      link = await RedisLink.open(options, FEATURE);
    } catch (error) {
      if (error instanceof JidoSignalError && error.code === 'invalid_option') {
        throw new DispatchConfigError(ADAPTER, 'options', error.message);
      }
      throw toConnectionError(error, 'connect');
    }
    return new RedisPubSub(link, options, prefix);
  }

  /** Whether the command connection is up right now. */
  get connected(): boolean {
    return this.#link.connected;
  }

  /** The channel a topic is published on. @throws DispatchConfigError for an invalid topic */
  channelFor(topic: string): string {
    if (typeof topic !== 'string' || topic.length === 0 || FORBIDDEN_TOPIC_CHAR.test(topic)) {
      throw new DispatchConfigError(
        ADAPTER,
        'topic',
        `topic ${JSON.stringify(topic)} must be a non-empty string without whitespace, controls or glob characters`,
        { details: { topic: String(topic) } },
      );
    }
    return `${this.channelPrefix}:${topic}`;
  }

  /**
   * `PUBLISH` `signal` on `<channelPrefix>:<topic>`; resolves once the server has it. While
   * disconnected it waits at most `disconnectedWait` ms for the connection to come back.
   * @throws DispatchConfigError for an invalid topic; SerializationError when the signal is
   *   not JSON-serializable; DispatchError `connection_error` (retryable) or `closed`
   */
  async publish(topic: string, signal: Signal): Promise<void> {
    const channel = this.channelFor(topic);
    this.#assertOpen();
    const body = stringifySignal(signal);
    try {
      await this.#link.ready(`Redis pubsub (${channel})`, 'publish');
      await this.#link.client.publish(channel, body);
    } catch (error) {
      throw toConnectionError(error, 'publish');
    }
  }

  /**
   * Subscribe to `topic` (exact match). The first local subscriber of a topic sends
   * `SUBSCRIBE` on the subscriber connection (asynchronously: a signal published right after
   * this call may still be missed).
   * @returns a function that unsubscribes (idempotent)
   * @throws DispatchConfigError for an invalid topic; DispatchError `closed`
   */
  subscribe(topic: string, handler: PubSubHandler): () => void {
    const channel = this.channelFor(topic);
    this.#assertOpen();
    let handlers = this.#topics.get(topic);
    if (handlers === undefined) {
      handlers = new Set();
      this.#topics.set(topic, handlers);
      this.#subscriberConnection()
        .then((sub) => sub.subscribe(channel))
        .catch((error: unknown) =>
          this.#report(toConnectionError(error, 'subscribe'), topic, undefined),
        );
    }
    const set = handlers;
    const wrapped: PubSubHandler = (signal) => handler(signal);
    set.add(wrapped);
    return () => {
      if (!set.delete(wrapped) || set.size > 0) return;
      if (this.#topics.get(topic) !== set) return;
      this.#topics.delete(topic);
      if (this.#closing === undefined) {
        this.#subscriberConnection()
          .then((sub) => sub.unsubscribe(channel))
          .catch(() => undefined);
      }
    };
  }

  /**
   * Subscribers of `topic`: this instance's count when it has any (no network); otherwise
   * `PUBSUB NUMSUB` of the channel — the number of instances subscribed, a lower bound of the
   * total, enough for the adapter's `requireSubscribers`.
   * @throws DispatchConfigError for an invalid topic; DispatchError `connection_error` or `closed`
   */
  async subscriberCount(topic: string): Promise<number> {
    const channel = this.channelFor(topic);
    this.#assertOpen();
    const local = this.#topics.get(topic)?.size ?? 0;
    if (local > 0) return local;
    try {
      await this.#link.ready(`Redis pubsub (${channel})`, 'subscriberCount');
      const reply = (await this.#link.client.pubsub('NUMSUB', channel)) as Array<string | number>;
      return Number(reply[1] ?? 0);
    } catch (error) {
      throw toConnectionError(error, 'subscriberCount');
    }
  }

  /** Topics this instance subscribes to. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /** Unsubscribe everything and close the connections this instance opened. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#topics.clear();
      await this.#link.close();
    })();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined || this.#link.closed) {
      throw new DispatchError('closed', ADAPTER, 'RedisPubSub is closed');
    }
  }

  #subscriberConnection(): Promise<Redis> {
    this.#subscriber ??= this.#link.duplicate().then((sub) => {
      sub.on('message', (channel: string, message: string) => this.#receive(channel, message));
      return sub;
    });
    return this.#subscriber;
  }

  #receive(channel: string, message: string): void {
    const topic = channel.slice(this.channelPrefix.length + 1);
    const handlers = this.#topics.get(topic);
    if (handlers === undefined) return;
    let signal: Signal;
    try {
      signal = Signal.fromJSON(message, this.#parseOptions);
    } catch (parseError) {
      this.#report(parseError, topic, undefined);
      return;
    }
    callPubSubHandlers(handlers, signal, (failure) => this.#report(failure, topic, signal));
  }

  #report(error: unknown, topic: string, signal: Signal | undefined): void {
    try {
      this.#onError(error, topic, signal);
    } catch {
      // An error handler that throws must not break the message loop.
    }
  }
}

/** Map an unreachable or lost connection to a retryable `connection_error`; keep other typed errors. */
function toConnectionError(error: unknown, operation: string): JidoSignalError {
  if (error instanceof StoreUnavailableError) {
    return new DispatchError('connection_error', ADAPTER, error.message, {
      details: { operation, waitedMs: error.details.waitedMs },
      cause: error,
      retryable: true,
    });
  }
  if (error instanceof JidoSignalError) {
    if (error.code === 'closed')
      return new DispatchError('closed', ADAPTER, 'RedisPubSub is closed');
    return error;
  }
  const cause = describeCause(error);
  return new DispatchError(
    'connection_error',
    ADAPTER,
    `Redis ${operation} failed: ${cause.message}`,
    {
      details: { operation },
      cause,
      retryable: true,
    },
  );
}
