import { Worker } from 'node:worker_threads';
import { DispatchError, DispatchTimeoutError, toDispatchError } from '../errors/dispatch.error.js';
import type { Signal } from '../signal/signal.js';
import { reportReceiverError } from './dispatch-telemetry.js';
import { isThenable } from '../util/is-thenable.js';
import { timerDelay } from '../util/timer-delay.js';

/** A function receiver: called with the signal; may return a promise. */
export type SignalHandlerFunction = (signal: Signal) => unknown;

/** An object receiver with a `handleSignal` method (a Nest provider, a service). */
export interface SignalHandlerObject {
  /** Called with the signal; may return a promise. */
  handleSignal(signal: Signal): unknown;
}

/**
 * An RxJS `Observer`/`Subject`/`Subscriber` (structurally): `next` is called with the
 * signal. A subject that completed, errored or was unsubscribed (`isStopped` / `closed`)
 * is not alive.
 */
export interface SignalObserver {
  /** Receives the signal. */
  next(signal: Signal): void;
  /** `true` once unsubscribed (RxJS `Subject`/`Subscriber`). */
  readonly closed?: boolean;
  /** `true` once completed or errored (RxJS `Subject`/`Subscriber`). */
  readonly isStopped?: boolean;
}

/**
 * Anything with `postMessage`: a `MessagePort`, a `Worker`, a `BroadcastChannel`. It
 * receives a structured clone of `signal.toJSON()` (rebuild with `Signal.from(message)`).
 */
export interface SignalPort {
  /** Posts the message (structured clone). */
  postMessage(message: unknown): void;
}

/** Every in-process receiver the `pid` and `named` adapters deliver to. */
export type SignalReceiver =
  SignalHandlerFunction | SignalHandlerObject | SignalObserver | SignalPort;

/** How a receiver is called. */
export type ReceiverKind = 'function' | 'handler' | 'port' | 'observer';

/** How the `pid` and `named` adapters hand a signal over. */
export type DeliveryMode = 'async' | 'sync';

/** The kind of `value` as a receiver, or `undefined` when it is none. */
export function receiverKind(value: unknown): ReceiverKind | undefined {
  if (typeof value === 'function') return 'function';
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.handleSignal === 'function') return 'handler';
  if (typeof v.postMessage === 'function') return 'port';
  if (typeof v.next === 'function') return 'observer';
  return undefined;
}

// Ports whose 'close' event was seen. Node gives no synchronous way to ask a MessagePort
// whether it is closed (posting to a closed port silently drops the message), so ports
// are watched from the first time a dispatcher sees them.
const closedPorts = new WeakSet<object>();
const watchedPorts = new WeakSet<object>();

/**
 * Start watching a `MessagePort`/`Worker` for `close`/`exit` so later deliveries report
 * `process_not_alive`. The dispatcher calls it when it validates a config; call it
 * yourself for a port that may close before its first dispatch.
 */
export function watchReceiver(receiver: unknown): void {
  if (typeof receiver !== 'object' || receiver === null || watchedPorts.has(receiver)) return;
  const target = receiver as {
    once?: (event: string, listener: () => void) => unknown;
    addEventListener?: (
      event: string,
      listener: () => void,
      options?: { once: boolean },
    ) => unknown;
  };
  const event = receiver instanceof Worker ? 'exit' : 'close';
  const markClosed = (): void => {
    closedPorts.add(receiver);
  };
  if (typeof target.once === 'function') target.once(event, markClosed);
  else if (typeof target.addEventListener === 'function')
    target.addEventListener(event, markClosed, { once: true });
  else return;
  watchedPorts.add(receiver);
}

/** Whether the receiver can still take signals. */
export function isReceiverAlive(receiver: SignalReceiver): boolean {
  if (typeof receiver !== 'object') return true;
  if (closedPorts.has(receiver)) return false;
  if (receiver instanceof Worker) return receiver.threadId !== -1;
  const r = receiver as { closed?: unknown; isStopped?: unknown };
  return r.closed !== true && r.isStopped !== true;
}

/** A secret-free description of a receiver for telemetry and errors. */
export function describeReceiver(receiver: SignalReceiver, kind: ReceiverKind): string {
  if (kind === 'function') {
    const name = (receiver as SignalHandlerFunction).name;
    return name ? `function ${name}` : 'function';
  }
  if (receiver instanceof Worker) return `Worker ${receiver.threadId}`;
  const ctor = (receiver as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== 'Object' ? ctor : kind;
}

function notAlive(adapter: string, target: string): DispatchError {
  return new DispatchError('process_not_alive', adapter, `Receiver ${target} is no longer alive`, {
    details: { target },
  });
}

/** Validated options of a delivery to an in-process receiver (`pid`, resolved `named`). */
export interface NormalizedReceiverOptions {
  /** Adapter name used in errors and telemetry. */
  readonly adapter: string;
  /** The receiver. */
  readonly receiver: SignalReceiver;
  /** How the receiver is called. */
  readonly kind: ReceiverKind;
  /** Secret-free receiver description. */
  readonly target: string;
  /** Fire-and-forget or awaited. */
  readonly mode: DeliveryMode;
  /** Sync-mode timeout in milliseconds. */
  readonly timeout: number;
  /** Maps the signal to the message handed over; `undefined` = the signal (ports: `toJSON()`). */
  readonly messageFormat: ((signal: Signal) => unknown) | undefined;
}

function invoke(d: NormalizedReceiverOptions, signal: Signal): unknown {
  switch (d.kind) {
    case 'function':
      return (d.receiver as (message: unknown) => unknown)(
        d.messageFormat ? d.messageFormat(signal) : signal,
      );
    case 'handler':
      return (d.receiver as { handleSignal(message: unknown): unknown }).handleSignal(
        d.messageFormat ? d.messageFormat(signal) : signal,
      );
    case 'observer':
      return (d.receiver as { next(message: unknown): unknown }).next(
        d.messageFormat ? d.messageFormat(signal) : signal,
      );
    case 'port':
      try {
        (d.receiver as SignalPort).postMessage(
          d.messageFormat ? d.messageFormat(signal) : signal.toJSON(),
        );
      } catch (error) {
        // A closed BroadcastChannel throws InvalidStateError.
        if ((error as { name?: unknown }).name === 'InvalidStateError')
          throw notAlive(d.adapter, d.target);
        throw error;
      }
      return undefined;
  }
}

interface MailboxItem {
  readonly delivery: NormalizedReceiverOptions;
  readonly signal: Signal;
}

/**
 * Per-receiver FIFO queue for fire-and-forget deliveries: signals reach one receiver in
 * dispatch order and one at a time (a receiver's returned promise is awaited before the
 * next signal), like a process mailbox. One microtask drains everything queued.
 */
class Mailbox {
  private items: (MailboxItem | undefined)[] = [];
  private head = 0;
  private running = false;

  push(item: MailboxItem): void {
    this.items.push(item);
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => this.drain());
    }
  }

  // Synchronous while handlers are; a handler's promise suspends the drain until it settles.
  private drain(): void {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined;
      const { delivery, signal } = item;
      try {
        if (!isReceiverAlive(delivery.receiver)) throw notAlive(delivery.adapter, delivery.target);
        const result = invoke(delivery, signal);
        if (isThenable(result)) {
          Promise.resolve(result).then(
            () => this.drain(),
            (error: unknown) => {
              report(delivery, signal, error);
              this.drain();
            },
          );
          return;
        }
      } catch (error) {
        report(delivery, signal, error);
      }
    }
    this.items = [];
    this.head = 0;
    this.running = false;
  }
}

function report(delivery: NormalizedReceiverOptions, signal: Signal, error: unknown): void {
  reportReceiverError(
    delivery.adapter,
    delivery.target,
    signal,
    toDispatchError(error, delivery.adapter),
  );
}

const mailboxes = new WeakMap<object, Mailbox>();

/**
 * Hand a signal to an in-process receiver.
 * - `async`: checks liveness, queues the signal in the receiver's FIFO mailbox and returns;
 *   handler failures go to `jido.dispatch.receiver_error`. Ports are posted at once
 *   (posting is already asynchronous and ordered).
 * - `sync`: checks liveness, calls the receiver and awaits what it returns, failing with a
 *   `DispatchTimeoutError` after `timeout` ms.
 * @throws DispatchError `process_not_alive`
 * @internal
 */
export function deliverToReceiver(
  d: NormalizedReceiverOptions,
  signal: Signal,
): void | Promise<void> {
  if (!isReceiverAlive(d.receiver)) throw notAlive(d.adapter, d.target);
  if (d.kind === 'port') {
    invoke(d, signal);
    return;
  }
  if (d.mode === 'async') {
    const receiver = d.receiver as object;
    let box = mailboxes.get(receiver);
    if (box === undefined) {
      box = new Mailbox();
      mailboxes.set(receiver, box);
    }
    box.push({ delivery: d, signal });
    return;
  }
  const result = invoke(d, signal);
  if (!isThenable(result)) return;
  return withTimeout(result, d);
}

function withTimeout(result: PromiseLike<unknown>, d: NormalizedReceiverOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DispatchTimeoutError(d.adapter, d.timeout, { target: d.target })),
      timerDelay(d.timeout),
    );
    result.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : toDispatchError(error, d.adapter));
      },
    );
  });
}
