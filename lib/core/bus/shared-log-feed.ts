import { JidoSignalError } from '../errors/jido-signal.error.js';
import type { DistributedSignalStore, LogTail } from '../store/distributed-store.interface.js';
import type { BusContext } from './bus-context.js';
import type { BusLifecycle } from './bus-lifecycle.js';
import type { PublishSequencer } from './publish-sequencer.js';

/**
 * The feed of entries other instances record in a shared (distributed) store, started
 * once: they go through the publish queue (log order) to the ordinary subscriptions and
 * streams. A bus with only persistent subscriptions never starts it.
 * @internal
 */
export class SharedLogFeed {
  /** The running feed (distributed store only). */
  #tail: Promise<LogTail> | undefined;
  readonly #context: BusContext;
  readonly #life: BusLifecycle;
  readonly #sequencer: PublishSequencer;

  constructor(context: BusContext, life: BusLifecycle, sequencer: PublishSequencer) {
    this.#context = context;
    this.#life = life;
    this.#sequencer = sequencer;
  }

  /** Start the feed unless it runs; undefined on a local store. */
  follow(): Promise<LogTail> | undefined {
    const store = this.#context.distributed;
    if (store === undefined) return undefined;
    return (this.#tail ??= this.#start(store));
  }

  async #start(store: DistributedSignalStore): Promise<LogTail> {
    try {
      return await store.tail(this.#context.name, (entry) => {
        if (this.#life.closing) return;
        this.#sequencer.deliverRecorded(entry);
      });
    } catch (error) {
      // The next subscribe / ready() tries again.
      this.#tail = undefined;
      throw error instanceof JidoSignalError
        ? error
        : this.#context.storeError('Following the shared log failed', error);
    }
  }

  /** Stop the feed, if it was started (a failure is reported, not thrown). */
  async stop(): Promise<void> {
    const tail = await this.#tail?.catch(() => undefined);
    await tail?.stop().catch((error: unknown) => {
      this.#context.report(this.#context.storeError('Stopping the shared log feed failed', error));
    });
  }
}
