import type { Subscriber } from 'rxjs';
import { BusClosedError } from '../errors/bus.error.js';
import type { Signal } from '../signal/signal.js';
import { SignalId } from '../signal/signal-id.js';
import type { LogTail } from '../store/distributed-store.interface.js';
import type { RecordedSignal } from '../store/signal-store.interface.js';
import type { ReplayOptions, StreamOptions } from './bus-options.js';
import type { BusLifecycle } from './bus-lifecycle.js';
import type { DeliverFunction, Subscription } from './subscription.js';

/** What the streams need from their bus. @internal */
export interface StreamHost {
  /** Register a `'stream'` subscription (the router validates the priority). */
  register(
    id: string,
    pattern: string,
    priority: number | undefined,
    deliver: DeliverFunction,
  ): Subscription;
  /** Remove a subscription. */
  remove(sub: Subscription): void;
  /** The history of `pattern` (see `SignalBus.replay`). */
  replay(pattern: string, options: ReplayOptions): Promise<RecordedSignal[]>;
  /** Start the shared-log feed, if the store is distributed. */
  follow(): Promise<LogTail> | undefined;
}

/**
 * The live streams of a bus (`SignalBus.stream`): each is a `'stream'` subscription, with
 * the history first when asked for — live signals arriving meanwhile are buffered, then
 * emitted without gap or duplicate.
 * @internal
 */
export class BusStreams {
  readonly #streams = new Set<Subscriber<Signal>>();

  readonly #life: BusLifecycle;
  readonly #host: StreamHost;

  constructor(life: BusLifecycle, host: StreamHost) {
    this.#life = life;
    this.#host = host;
  }

  /** Register a `'stream'` subscription feeding `subscriber`; returns its teardown. */
  open(pattern: string, options: StreamOptions, subscriber: Subscriber<Signal>): () => void {
    if (this.#life.closing) {
      subscriber.error(new BusClosedError(this.#life.name, 'stream'));
      return () => {};
    }
    this.#host.follow()?.catch((error: unknown) => subscriber.error(error));
    let buffer: { signal: Signal; logId: string }[] | undefined =
      options.replay === undefined ? undefined : [];
    // Settles once the replay is emitted and the buffer flushed: a delivery buffered during
    // the replay returns it, so `await publish()` still means "the observer has it".
    let flushed: Promise<void> | undefined;
    let replayedUpTo = '';
    let sub: Subscription;
    try {
      sub = this.#host.register(
        `stream-${SignalId.generate()}`,
        pattern,
        options.priority,
        (signal, logId) => {
          if (buffer !== undefined) {
            buffer.push({ signal, logId });
            return flushed;
          }
          if (logId > replayedUpTo) subscriber.next(signal);
          return undefined;
        },
      );
    } catch (error) {
      subscriber.error(error);
      return () => {};
    }
    this.#streams.add(subscriber);
    if (options.replay !== undefined) {
      flushed = this.#host.replay(pattern, options.replay).then(
        (history) => {
          const live = buffer!;
          buffer = undefined;
          if (subscriber.closed) return;
          for (const entry of history) {
            subscriber.next(entry.signal);
            if (entry.logId > replayedUpTo) replayedUpTo = entry.logId;
          }
          for (const item of live) if (item.logId > replayedUpTo) subscriber.next(item.signal);
        },
        (error: unknown) => {
          buffer = undefined;
          subscriber.error(error);
        },
      );
    }
    return () => {
      this.#streams.delete(subscriber);
      this.#host.remove(sub);
    };
  }

  /** Complete every stream (the bus closed). */
  completeAll(): void {
    for (const subscriber of [...this.#streams]) subscriber.complete();
    this.#streams.clear();
  }
}
