import type { SignalBus } from '../core/bus/signal-bus.js';
import type {
  BusDispatchTelemetryMessage,
  BusPublishTelemetryMessage,
  BusSkipTelemetryMessage,
} from '../core/bus/bus-telemetry.js';
import { WaitTimeoutError } from '../core/errors/bus.error.js';
import { JidoSignalError } from '../core/errors/jido-signal.error.js';
import { asError } from '../core/util/as-error.js';
import { matches, validatePattern } from '../core/router/pattern.js';
import type { Signal } from '../core/signal/signal.js';
import type { RecordedSignal } from '../core/store/signal-store.interface.js';
import { TelemetryChannel } from '../core/telemetry/channels.js';
import { telemetryChannel } from '../core/telemetry/telemetry.js';
import { busOfOrigin, originOf } from '../core/bus/bus-telemetry.js';

/**
 * Which buses a {@link SignalSpy} records: called with each bus's name and, for the buses of
 * this library, the bus instance (so two buses of the same name can be told apart).
 */
export type SpyFilter = (bus: string, instance: SignalBus | undefined) => boolean;

/** One delivery the spy saw. */
export interface SpiedDelivery {
  /** Bus name. */
  readonly bus: string;
  /** The delivered signal (after `beforeDispatch`). */
  readonly signal: Signal;
  /** Its log position. */
  readonly logId: string;
  /** The receiving subscription. */
  readonly subscriptionId: string;
  /** `'ok'`, `'error'` (the subscriber failed) or `'skipped'` (middleware skipped it). */
  readonly outcome: 'ok' | 'error' | 'skipped';
  /** The failure, for `'error'`. */
  readonly error?: JidoSignalError;
}

/** Options of {@link SignalSpy.waitFor}. */
export interface WaitForOptions {
  /** Milliseconds to wait before rejecting with a `WaitTimeoutError`. @default 5000 */
  timeout?: number;
  /**
   * `'published'`: resolve when a matching signal is recorded by a publish;
   * `'dispatched'`: when one is successfully delivered to a subscriber.
   * @default 'published'
   */
  on?: 'published' | 'dispatched';
  /**
   * Only deliveries to this subscription (e.g. a persistent `@OnSignal`'s
   * `'Settlement.settle'`). Implies `on: 'dispatched'`.
   * @default undefined (any subscription)
   */
  subscriptionId?: string;
}

interface Waiter {
  readonly pattern: string;
  readonly on: 'published' | 'dispatched';
  readonly subscriptionId: string | undefined;
  readonly resolve: (signal: Signal) => void;
  readonly reject: (error: JidoSignalError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

const publishChannel = telemetryChannel(TelemetryChannel.BusPublish);
const dispatchChannel = telemetryChannel(TelemetryChannel.BusDispatch);
const skipChannel = telemetryChannel(TelemetryChannel.BusDispatchSkipped);

/**
 * Records what buses publish and deliver, through their telemetry channels, for tests.
 * Deliveries of persistent subscriptions are recorded too (each attempt: `'error'` for one
 * that will be retried or dead-lettered, `'ok'` once the receiver succeeded).
 * Attach to one bus (by instance or name) or to every bus; matching in {@link waitFor}
 * uses the router's one matcher (`*` one segment, `**` zero or more).
 *
 * @example
 * const spy = new SignalSpy(bus);
 * await bus.publish(createSignal('order.created'));
 * await spy.waitFor('order.*');
 * expect(spy.published.map((s) => s.type)).toEqual(['order.created']);
 * spy.detach();
 */
export class SignalSpy {
  /** Name of the spied bus, or `undefined` for every bus (or buses chosen by a filter). */
  readonly bus: string | undefined;
  /** The spied bus instance, when one was given: buses of the same name are not it. */
  readonly #instance: SignalBus | undefined;
  readonly #filter: SpyFilter | undefined;
  readonly #entries: RecordedSignal[] = [];
  readonly #deliveries: SpiedDelivery[] = [];
  #waiters: Waiter[] = [];
  #attached = true;

  /**
   * Start recording.
   * @param bus - the bus to spy on: an instance (only it, not another bus of the same name),
   *   a name, or a filter on buses (e.g. the buses of one application's registry)
   *   @default every bus
   */
  constructor(bus?: SignalBus | string | SpyFilter) {
    this.#filter = typeof bus === 'function' ? bus : undefined;
    this.#instance = typeof bus === 'object' ? bus : undefined;
    this.bus = typeof bus === 'string' ? bus : typeof bus === 'object' ? bus.name : undefined;
    publishChannel.subscribe(this.#onPublish);
    dispatchChannel.subscribe(this.#onDispatch);
    skipChannel.subscribe(this.#onSkip);
  }

  /** Signals recorded by publishes, in log order. */
  get published(): readonly Signal[] {
    return this.#entries.map((e) => e.signal);
  }

  /** Recorded entries (with log ids), in log order. */
  get entries(): readonly RecordedSignal[] {
    return [...this.#entries];
  }

  /** Every delivery seen (successful, failed and skipped), in the order they settled. */
  get deliveries(): readonly SpiedDelivery[] {
    return [...this.#deliveries];
  }

  /** Signals successfully delivered to a subscriber, in the order deliveries settled. */
  get dispatched(): readonly Signal[] {
    return this.#deliveries.filter((d) => d.outcome === 'ok').map((d) => d.signal);
  }

  /** Whether the spy still records. */
  get attached(): boolean {
    return this.#attached;
  }

  /**
   * Resolve with the first signal whose type matches `pattern` — immediately when one was
   * already seen, else when one arrives. With `subscriptionId`, only a successful delivery
   * to that subscription counts (ordinary or persistent).
   * @throws (rejects with) InvalidPatternError for a bad pattern; WaitTimeoutError (code
   *   `'timeout'`) when nothing matches in time; a `'closed'` error when the spy detaches
   */
  waitFor(pattern: string, options: WaitForOptions = {}): Promise<Signal> {
    try {
      validatePattern(pattern);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    const subscriptionId = options.subscriptionId;
    if (subscriptionId !== undefined && options.on === 'published') {
      return Promise.reject(
        new JidoSignalError(
          'invalid_option',
          'SignalSpy.waitFor: subscriptionId filters deliveries; use it with on: "dispatched"',
        ),
      );
    }
    const on = options.on ?? (subscriptionId === undefined ? 'published' : 'dispatched');
    const seen =
      on === 'published'
        ? this.#entries.find((e) => matches(e.signal.type, pattern))?.signal
        : this.#deliveries.find(
            (d) =>
              d.outcome === 'ok' &&
              (subscriptionId === undefined || d.subscriptionId === subscriptionId) &&
              matches(d.signal.type, pattern),
          )?.signal;
    if (seen !== undefined) return Promise.resolve(seen);
    if (!this.#attached) return Promise.reject(detachedError());
    const timeout = options.timeout ?? 5000;
    return new Promise<Signal>((resolve, reject) => {
      const waiter: Waiter = {
        pattern,
        on,
        subscriptionId,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(
            new WaitTimeoutError(
              pattern,
              timeout,
              on === 'published'
                ? 'published signal'
                : subscriptionId === undefined
                  ? 'delivered signal'
                  : `signal delivered to ${subscriptionId}`,
            ),
          );
        }, timeout),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Forget everything recorded so far (pending waits keep waiting). */
  clear(): void {
    this.#entries.length = 0;
    this.#deliveries.length = 0;
  }

  /** Stop recording; pending waits reject with code `'closed'`. Idempotent. */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    publishChannel.unsubscribe(this.#onPublish);
    dispatchChannel.unsubscribe(this.#onDispatch);
    skipChannel.unsubscribe(this.#onSkip);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(detachedError());
    }
  }

  /** Whether `message`, from the bus named `bus`, comes from a spied bus. */
  #mine(bus: string, message: unknown): boolean {
    const origin = originOf(message);
    const instance = origin === undefined ? undefined : busOfOrigin.get(origin);
    if (this.#filter !== undefined) return this.#filter(bus, instance);
    if (this.#instance !== undefined && instance !== undefined) return instance === this.#instance;
    return this.bus === undefined || this.bus === bus;
  }

  #notify(on: 'published' | 'dispatched', signal: Signal, subscriptionId?: string): void {
    if (this.#waiters.length === 0) return;
    const kept: Waiter[] = [];
    for (const w of this.#waiters) {
      if (
        w.on === on &&
        (w.subscriptionId === undefined || w.subscriptionId === subscriptionId) &&
        matches(signal.type, w.pattern)
      ) {
        clearTimeout(w.timer);
        w.resolve(signal);
      } else kept.push(w);
    }
    this.#waiters = kept;
  }

  readonly #onPublish = (message: unknown): void => {
    const m = message as BusPublishTelemetryMessage;
    if (!this.#mine(m.bus, message)) return;
    for (const entry of m.entries) {
      this.#entries.push(entry);
      this.#notify('published', entry.signal);
    }
  };

  readonly #onDispatch = (message: unknown): void => {
    const m = message as BusDispatchTelemetryMessage;
    if (!this.#mine(m.bus, message)) return;
    this.#deliveries.push({
      bus: m.bus,
      signal: m.signal,
      logId: m.logId,
      subscriptionId: m.subscriptionId,
      outcome: m.outcome,
      ...(m.error === undefined ? {} : { error: m.error }),
    });
    if (m.outcome === 'ok') this.#notify('dispatched', m.signal, m.subscriptionId);
  };

  readonly #onSkip = (message: unknown): void => {
    const m = message as BusSkipTelemetryMessage;
    if (!this.#mine(m.bus, message)) return;
    this.#deliveries.push({
      bus: m.bus,
      signal: m.signal,
      logId: m.logId,
      subscriptionId: m.subscriptionId,
      outcome: 'skipped',
    });
  };
}

function detachedError(): JidoSignalError {
  return new JidoSignalError('closed', 'The SignalSpy was detached');
}
