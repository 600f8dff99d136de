/**
 * Store writes a persistent engine issued and does not await (DLQ writes, a consumer's
 * stop): tracked so a stop or a checkpoint waits for them. Shared by both engines.
 * @internal
 */
export class StoreWrites {
  readonly #pending = new Set<Promise<unknown>>();

  /** @param onError - reports a failed {@link write} */
  constructor(private readonly onError: (error: unknown) => void) {}

  /** Track `promise` until it settles (a failure is ignored). */
  track(promise: Promise<unknown>): void {
    const tracked: Promise<unknown> = promise.then(
      () => this.#pending.delete(tracked),
      () => this.#pending.delete(tracked),
    );
    this.#pending.add(tracked);
  }

  /** Track `promise`; a failure is reported. */
  write(promise: Promise<unknown>): void {
    this.track(promise.catch(this.onError));
  }

  /** Resolves once every write issued so far (and those issued meanwhile) settled. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
