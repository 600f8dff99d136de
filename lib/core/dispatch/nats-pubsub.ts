import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  DispatchConfigError,
  DispatchError,
  DispatchTimeoutError,
  toDispatchError,
} from '../errors/dispatch.error.js';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import { StoreUnavailableError } from '../errors/store.error.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import { stringifySignal } from '../signal/serialization/json.serializer.js';
import { Signal } from '../signal/signal.js';
import { describeCause, NatsLink, type NatsConnectionOptions } from '../nats/connection.js';
import { natsOptionProblem } from '../nats/server-options.js';
import {
  callPubSubHandlers,
  reportPubSubError,
  type PubSub,
  type PubSubHandler,
} from './pubsub.js';

/** Adapter name used in the errors and telemetry of {@link NatsPubSub}. */
const ADAPTER = 'pubsub';
/** Feature name shown when the optional NATS packages are missing. */
const FEATURE = 'NatsPubSub';
/** Longest accepted subject (prefix + topic) in UTF-8 bytes; the server's control line is 4 KiB. */
export const MAX_NATS_SUBJECT_BYTES = 1024;
/** First token of the presence subjects answered by instances that have subscribers. */
export const NATS_PRESENCE_PREFIX = '_jido_presence';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// Whitespace and control characters end a subject in the NATS protocol; `*` and `>` are wildcards.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_SUBJECT_CHAR = /[\s\u0000-\u001f\u007f*>]/u;

/**
 * Where {@link NatsPubSub} reports failures nobody awaits: a subscriber that threw or
 * rejected (`signal` is the signal it got), or a message on the subject that is not a valid
 * signal (`signal` is `undefined`, `error` is the typed parse error).
 */
export type NatsPubSubErrorHandler = (
  error: unknown,
  topic: string,
  signal: Signal | undefined,
) => void;

/** Options of {@link NatsPubSub.connect}: how to reach NATS plus the pubsub's own settings. */
export interface NatsPubSubOptions extends NatsConnectionOptions {
  /**
   * First subject tokens: topic `orders` is published on `<subjectPrefix>.orders`. Every
   * instance that should see each other's signals must use the same prefix. Dot-separated
   * tokens, no wildcards or whitespace.
   * @default 'jido.pubsub'
   */
  subjectPrefix?: string;
  /**
   * Called when a subscriber throws or rejects, or when a message on a subscribed subject is
   * not a valid signal. Neither fails a publish nor stops the other subscribers.
   * @default publishes on the `jido.dispatch.receiver_error` telemetry channel (undecodable
   *   messages with an empty `signalId` and `signalType`)
   */
  onError?: NatsPubSubErrorHandler;
  /**
   * Make `publish` wait for one round trip to the server (`flush`), so it resolves only once
   * the server has the message. It still does not mean any subscriber received it.
   * @default false (resolve as soon as the message is handed to the client)
   */
  flush?: boolean;
  /**
   * Answer (and ask) presence requests so `subscriberCount` sees subscribers of other
   * instances. Needs publish/subscribe permission on `_jido_presence.>`. When `false`,
   * `subscriberCount` counts this instance's subscribers only.
   * @default true
   */
  presence?: boolean;
  /**
   * Extensions that received signals are validated against.
   * @default the default signal factory's registry
   */
  extensions?: ExtensionRegistry;
  /**
   * Largest message accepted when decoding, in bytes.
   * @default 10_000_000 (the signal parser's default)
   */
  maxPayloadBytes?: number;
}

interface TopicEntry {
  readonly handlers: Set<PubSubHandler>;
  readonly subscriptions: Subscription[];
}

/**
 * Cross-instance {@link PubSub} over NATS core subjects: topic `t` is subject
 * `<subjectPrefix>.t`, the body is the signal's CloudEvents JSON.
 *
 * Delivery is **at most once**, with no persistence: a signal published while an instance
 * is disconnected or not yet subscribed is never seen by it. Use the JetStream store for
 * durable delivery. Subscribers of the publishing process receive its signals too (through
 * the server's echo, so not when a shared `connection` was opened with `noEcho: true`).
 *
 * All subscribers of one topic in one instance share one NATS subscription; a received
 * signal is decoded once and handed to them in subscription order, isolated like
 * {@link InProcessPubSub}'s.
 */
export class NatsPubSub implements PubSub {
  /** The subject prefix in use. */
  readonly subjectPrefix: string;
  readonly #link: NatsLink;
  readonly #onError: NatsPubSubErrorHandler;
  readonly #flush: boolean;
  readonly #presence: boolean;
  readonly #parseOptions: { extensions?: ExtensionRegistry; maxPayloadBytes?: number };
  readonly #topics = new Map<string, TopicEntry>();
  #closing: Promise<void> | undefined;

  private constructor(link: NatsLink, options: NatsPubSubOptions, subjectPrefix: string) {
    this.#link = link;
    this.subjectPrefix = subjectPrefix;
    this.#flush = options.flush ?? false;
    this.#presence = options.presence ?? true;
    this.#parseOptions = {};
    if (options.extensions !== undefined) this.#parseOptions.extensions = options.extensions;
    if (options.maxPayloadBytes !== undefined)
      this.#parseOptions.maxPayloadBytes = options.maxPayloadBytes;
    this.#onError = options.onError ?? reportPubSubError;
  }

  /**
   * Connect to NATS (or adopt `options.connection`, which `close()` then leaves open).
   * @throws DispatchConfigError (`invalid_dispatch_config`) for invalid options;
   *   DispatchError `connection_error` when no server answers within `connectTimeout`;
   *   MissingPeerDependencyError without `@nats-io/transport-node`
   */
  static async connect(options: NatsPubSubOptions = {}): Promise<NatsPubSub> {
    const subjectPrefix = validateOptions(options);
    let link: NatsLink;
    try {
      link = await NatsLink.open(options, FEATURE, false);
    } catch (error) {
      throw toConnectionError(error, 'connect');
    }
    return new NatsPubSub(link, options, subjectPrefix);
  }

  /** The underlying connection (shared with whoever passed it as `connection`). */
  get connection(): NatsConnection {
    return this.#link.nc;
  }

  /** Whether the connection is up right now. */
  get connected(): boolean {
    return this.#link.connected;
  }

  /** The NATS subject a topic is published on. @throws DispatchConfigError for an invalid topic */
  subjectFor(topic: string): string {
    const subject = `${this.subjectPrefix}.${validateTopic(topic)}`;
    if (encoder.encode(subject).byteLength > MAX_NATS_SUBJECT_BYTES) {
      throw new DispatchConfigError(
        ADAPTER,
        'topic',
        `subject "${this.subjectPrefix}.<topic>" is longer than ${MAX_NATS_SUBJECT_BYTES} bytes`,
      );
    }
    return subject;
  }

  /**
   * Publish `signal` on `<subjectPrefix>.<topic>` (fire-and-forget unless `flush`). While
   * disconnected it waits at most `disconnectedWait` ms for the connection to come back.
   * @throws DispatchConfigError for an invalid topic; SerializationError when the signal is
   *   not JSON-serializable; DispatchError `payload_too_large` (over the server's
   *   `max_payload`), `connection_error` (disconnected too long, retryable) or `closed`
   */
  async publish(topic: string, signal: Signal): Promise<void> {
    const subject = this.subjectFor(topic);
    this.#assertOpen();
    const body = encoder.encode(stringifySignal(signal));
    if (!this.#link.connected) await this.#reconnected(subject, 'publish');
    const max = this.#link.nc.info?.max_payload;
    if (max !== undefined && body.byteLength > max) {
      throw new DispatchError(
        'payload_too_large',
        ADAPTER,
        `Signal is ${body.byteLength} bytes, over the NATS server's max_payload of ${max}`,
        { details: { topic, bytes: body.byteLength, maxPayload: max } },
      );
    }
    try {
      this.#link.nc.publish(subject, body);
      if (this.#flush) await this.#link.nc.flush();
    } catch (error) {
      throw toConnectionError(error, 'publish');
    }
  }

  /**
   * Subscribe to `topic` (exact match). The first local subscriber of a topic creates the
   * NATS subscription; the server registers it asynchronously, so a signal published by
   * another connection right after this call may still be missed (await
   * `connection.flush()` to be sure).
   * @returns a function that unsubscribes (idempotent)
   * @throws DispatchConfigError for an invalid topic; DispatchError `closed`, or
   *   `connection_error` when the client refuses the subscription (draining connection)
   */
  subscribe(topic: string, handler: PubSubHandler): () => void {
    const subject = this.subjectFor(topic);
    this.#assertOpen();
    let entry = this.#topics.get(topic);
    if (entry === undefined) {
      entry = this.#open(topic, subject);
      this.#topics.set(topic, entry);
    }
    const handlers = entry.handlers;
    // Wrap so the same function can subscribe twice and unsubscribe each independently.
    const wrapped: PubSubHandler = (signal) => handler(signal);
    handlers.add(wrapped);
    return () => {
      if (!handlers.delete(wrapped) || handlers.size > 0) return;
      const current = this.#topics.get(topic);
      if (current?.handlers !== handlers) return;
      this.#topics.delete(topic);
      unsubscribeAll(current.subscriptions);
    };
  }

  /**
   * Subscribers of `topic`. This instance's count when it has any (no network); otherwise,
   * with `presence`, one presence request: `0` when no instance subscribes (the server
   * answers "no responders" at once), else the count reported by the first instance that
   * answers — a lower bound of the total, enough for the adapter's `requireSubscribers`.
   * Waits at most `requestTimeout` ms for that answer.
   * @throws DispatchConfigError for an invalid topic; DispatchTimeoutError (`timeout`);
   *   DispatchError `connection_error` or `closed`
   */
  async subscriberCount(topic: string): Promise<number> {
    const subject = this.subjectFor(topic);
    this.#assertOpen();
    const local = this.#topics.get(topic)?.handlers.size ?? 0;
    if (local > 0 || !this.#presence) return local;
    if (!this.#link.connected) await this.#reconnected(subject, 'subscriberCount');
    const timeout = this.#link.requestTimeout;
    try {
      const reply = await this.#link.nc.request(`${NATS_PRESENCE_PREFIX}.${subject}`, undefined, {
        timeout,
      });
      const count = Number.parseInt(decoder.decode(reply.data), 10);
      return Number.isSafeInteger(count) && count >= 0 ? count : 1;
    } catch (error) {
      if (isNoResponders(error)) return 0;
      if (isTimeout(error)) throw new DispatchTimeoutError(ADAPTER, timeout, { topic });
      throw toConnectionError(error, 'subscriberCount');
    }
  }

  /** Topics this instance subscribes to. */
  topics(): string[] {
    return [...this.#topics.keys()];
  }

  /**
   * Unsubscribe everything and close the connection when this instance opened it (pending
   * publishes are flushed first). Idempotent; later calls return the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const entries = [...this.#topics.values()];
    this.#topics.clear();
    for (const entry of entries) {
      entry.handlers.clear();
      unsubscribeAll(entry.subscriptions);
    }
    await this.#link.close();
  }

  /**
   * Wait (at most `disconnectedWait`) for a lost connection to come back.
   * @throws DispatchError `connection_error` when it does not, `closed` when closed meanwhile
   */
  async #reconnected(subject: string, operation: string): Promise<void> {
    try {
      await this.#link.ready(`NATS pubsub (${subject})`, operation);
    } catch (error) {
      throw toConnectionError(error, operation);
    }
    this.#assertOpen();
  }

  #assertOpen(): void {
    if (this.#closing !== undefined || this.#link.nc.isClosed()) {
      throw new DispatchError('closed', ADAPTER, 'NatsPubSub is closed');
    }
  }

  #open(topic: string, subject: string): TopicEntry {
    const entry: TopicEntry = { handlers: new Set(), subscriptions: [] };
    const nc = this.#link.nc;
    try {
      entry.subscriptions.push(
        nc.subscribe(subject, {
          callback: (error, msg) => this.#receive(topic, entry, error, msg),
        }),
      );
      if (this.#presence) {
        entry.subscriptions.push(
          nc.subscribe(`${NATS_PRESENCE_PREFIX}.${subject}`, {
            callback: (error, msg) => {
              if (error === null) msg.respond(String(entry.handlers.size));
            },
          }),
        );
      }
    } catch (error) {
      unsubscribeAll(entry.subscriptions);
      throw toConnectionError(error, 'subscribe');
    }
    return entry;
  }

  #receive(topic: string, entry: TopicEntry, error: Error | null, msg: Msg): void {
    if (error !== null) {
      this.#report(toDispatchError(describeCause(error), ADAPTER), topic, undefined);
      return;
    }
    let signal: Signal;
    try {
      signal = Signal.fromJSON(msg.data, this.#parseOptions);
    } catch (parseError) {
      this.#report(parseError, topic, undefined);
      return;
    }
    callPubSubHandlers(entry.handlers, signal, (failure) => this.#report(failure, topic, signal));
  }

  #report(error: unknown, topic: string, signal: Signal | undefined): void {
    try {
      this.#onError(error, topic, signal);
    } catch {
      // An error handler that throws must not break the NATS message loop.
    }
  }
}

function unsubscribeAll(subscriptions: readonly Subscription[]): void {
  for (const sub of subscriptions) {
    try {
      if (!sub.isClosed()) sub.unsubscribe();
    } catch {
      // Already closed together with its connection.
    }
  }
}

/** Check a topic: non-empty dot-separated tokens without whitespace, controls or wildcards. */
function validateTopic(topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new DispatchConfigError(ADAPTER, 'topic', '"topic" must be a non-empty string');
  }
  const problem = subjectProblem(topic);
  if (problem !== undefined) {
    throw new DispatchConfigError(
      ADAPTER,
      'topic',
      `topic ${JSON.stringify(topic)} is not a valid NATS subject: ${problem}`,
      { details: { topic } },
    );
  }
  return topic;
}

function subjectProblem(subject: string): string | undefined {
  if (FORBIDDEN_SUBJECT_CHAR.test(subject))
    return 'whitespace, control characters and the wildcards "*" and ">" are not allowed';
  if (subject.split('.').some((token) => token.length === 0))
    return 'it has an empty token (leading, trailing or doubled ".")';
  return undefined;
}

function validateOptions(options: NatsPubSubOptions): string {
  if (typeof options !== 'object' || options === null) {
    throw new DispatchConfigError(ADAPTER, 'options', 'NatsPubSub options must be an object');
  }
  const prefix = options.subjectPrefix ?? 'jido.pubsub';
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new DispatchConfigError(
      ADAPTER,
      'subjectPrefix',
      '"subjectPrefix" must be a non-empty string',
    );
  }
  const problem = subjectProblem(prefix);
  if (problem !== undefined) {
    throw new DispatchConfigError(
      ADAPTER,
      'subjectPrefix',
      `"subjectPrefix" ${JSON.stringify(prefix)} is not a valid NATS subject: ${problem}`,
    );
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new DispatchConfigError(ADAPTER, 'onError', '"onError" must be a function');
  }
  for (const key of ['flush', 'presence'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new DispatchConfigError(ADAPTER, key, `"${key}" must be a boolean`);
    }
  }
  const natsProblem = natsOptionProblem(options);
  if (natsProblem !== undefined) {
    const { field, reason } = natsProblem;
    throw new DispatchConfigError(ADAPTER, field, `"${field}" ${reason}`);
  }
  checkNumber(options.maxPayloadBytes, 'maxPayloadBytes', 1);
  return prefix;
}

function checkNumber(value: unknown, field: string, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new DispatchConfigError(ADAPTER, field, `"${field}" must be a finite number >= ${min}`);
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
  if (error instanceof JidoSignalError) return error;
  const cause = describeCause(error);
  return new DispatchError(
    'connection_error',
    ADAPTER,
    `NATS ${operation} failed: ${cause.message}`,
    {
      details: { operation },
      cause,
      retryable: true,
    },
  );
}

function isNoResponders(error: unknown): boolean {
  const check = (error as { isNoResponders?: unknown } | null)?.isNoResponders;
  return typeof check === 'function' && (check as () => boolean).call(error) === true;
}

function isTimeout(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e.name === 'TimeoutError') return true;
    e = e.cause;
  }
  return false;
}
