import type { TrimOptions } from '../store/signal-store.interface.js';
import { emit } from '../telemetry/telemetry.js';
import type { BusContext } from './bus-context.js';
import type { BusLifecycle } from './bus-lifecycle.js';
import { truncatedChannel, type BusLogTruncatedTelemetryMessage } from './bus-telemetry.js';

/**
 * Retention of a bus's log: the `maxLogSize` trim after a publish and the periodic `logTtl`
 * sweep (an unref'd timer, stopped when the drain begins).
 * @internal
 */
export class Retention {
  /**
   * Entries in the log as far as this bus knows (read once from the store, then counted);
   * undefined until a publish needs it.
   */
  knownSize: number | undefined;
  readonly #context: BusContext;
  readonly #life: BusLifecycle;
  readonly #name: string;
  readonly #maxLogSize: number;
  /** The options of every maxSize trim (one object, not one per publish). */
  #trimOptions: TrimOptions | undefined;
  #sweeping = false;
  #ttlTimer: ReturnType<typeof setInterval> | undefined;

  constructor(context: BusContext, life: BusLifecycle) {
    this.#context = context;
    this.#life = life;
    this.#name = context.name;
    this.#maxLogSize = context.maxLogSize;
    if (context.logTtl !== undefined) {
      this.#ttlTimer = setInterval(this.#sweep, context.logTtl);
      this.#ttlTimer.unref();
    }
  }

  /** Stop the TTL sweep. */
  stop(): void {
    if (this.#ttlTimer !== undefined) clearInterval(this.#ttlTimer);
  }

  /** Trim the log to `maxLogSize` (a publish took it past). */
  trimToSize(): void {
    // A maxSize trim leaves exactly maxLogSize entries (this bus is the log's only writer
    // as far as it knows), so the size is known now; per-bus callbacks avoid closures on
    // this per-publish path once the log is full.
    this.knownSize = this.#maxLogSize;
    const store = this.#context.store;
    const options = (this.#trimOptions ??= Object.freeze({ maxSize: this.#maxLogSize }));
    if (store.trimSync !== undefined) {
      // In-process store: trim now, without a promise per publish (and, being synchronous,
      // without counting as pending work for close()).
      let removed: number;
      try {
        removed = store.trimSync(this.#name, options);
      } catch (error) {
        this.#life.active++;
        this.#trimFailed(error);
        return;
      }
      if (removed > 0 && truncatedChannel.hasSubscribers) this.#truncated(removed);
      return;
    }
    this.#life.active++;
    store.trim(this.#name, options).then(this.#trimmed, this.#trimFailed);
  }

  #truncated(removed: number): void {
    emit(truncatedChannel, (): BusLogTruncatedTelemetryMessage => ({
      bus: this.#name,
      reason: 'max_size',
      removed,
      newSize: this.#maxLogSize,
    }));
  }

  readonly #trimmed = (removed: number): void => {
    if (removed > 0) this.#truncated(removed);
    this.#life.settle();
  };

  readonly #trimFailed = (error: unknown): void => {
    this.#context.report(this.#context.storeError('Trimming the log to maxLogSize failed', error));
    this.#life.settle();
  };

  readonly #sweep = (): void => {
    if (this.#sweeping || this.#life.closing) return;
    this.#sweeping = true;
    this.#life.active++;
    const ttl = this.#context.logTtl!;
    void this.#context.store
      .trim(this.#name, { olderThan: Date.now() - ttl })
      .then(async (removed) => {
        if (removed <= 0) return;
        if (this.knownSize !== undefined) this.knownSize = Math.max(0, this.knownSize - removed);
        if (truncatedChannel.hasSubscribers) {
          const newSize = await this.#context.store.size(this.#name);
          emit(truncatedChannel, (): BusLogTruncatedTelemetryMessage => ({
            bus: this.#name,
            reason: 'ttl',
            removed,
            newSize,
            ttlMs: ttl,
          }));
        }
      })
      .catch((error: unknown) =>
        this.#context.report(this.#context.storeError('The log TTL sweep failed', error)),
      )
      .finally(() => {
        this.#sweeping = false;
        this.#life.settle();
      });
  };
}
