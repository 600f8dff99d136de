/**
 * The bounded wait for a connection to come back, shared by the NATS and Redis links.
 * @module
 * @internal
 */
import { StoreClosedError, StoreUnavailableError } from '../errors/store.error.js';

/**
 * Callers waiting for a link to reconnect: {@link ReadyWait.ready} waits until the link
 * {@link ReadyWait.wake wakes} them (it reconnected or closed) or the wait runs out.
 * @internal
 */
export class ReadyWait {
  #waiters: Array<() => void> = [];

  /**
   * @param connected whether the link is up right now
   * @param closed whether the link was closed
   */
  constructor(
    private readonly connected: () => boolean,
    private readonly closed: () => boolean,
  ) {}

  /** Wake every waiting caller (the link reconnected or closed). */
  wake(): void {
    for (const w of this.#waiters) w();
    this.#waiters = [];
  }

  /**
   * Resolve once connected, waiting at most `wait` ms (`store` and `operation` name the
   * caller in errors).
   * @throws StoreUnavailableError when the connection does not come back in time;
   *   StoreClosedError when the link is closed
   */
  async ready(store: string, operation: string, wait: number): Promise<void> {
    if (this.connected()) return;
    if (this.closed()) throw new StoreClosedError(store);
    if (wait > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let resolveWait!: () => void;
      const up = new Promise<void>((resolve) => (resolveWait = resolve));
      this.#waiters.push(resolveWait);
      await Promise.race([up, new Promise<void>((r) => (timer = setTimeout(r, wait)))]);
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((w) => w !== resolveWait);
      if (this.connected()) return;
      if (this.closed()) throw new StoreClosedError(store);
    }
    throw new StoreUnavailableError(store, operation, wait);
  }
}
