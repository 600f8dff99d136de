import type { StoreError } from '../../errors/store.error.js';
import { StoreError as StoreErrorClass } from '../../errors/store.error.js';
import type { TrimOptions } from '../signal-store.interface.js';
import type { RedisLink } from '../../redis/connection.js';
import { subscriptionOfGroup, type RedisKeys } from './keys.js';
import type { ResolvedRedisStoreOptions } from './options.js';
import { runScript } from '../../redis/scripts.js';
import { TRIM_SCRIPT } from './scripts.js';

const STORE = 'RedisStore';
/** A `maxSize` trim within this long of the last check may wait for a batch. */
const TRIM_RECHECK_MS = 1_000;

/** Entries over a limit worth one trim: 1 % of it, at least 1. */
function batchOf(limit: number): number {
  return Math.max(1, Math.floor(limit / 100));
}

/** What one store object knows of a bus log (retention batching). */
interface LogState {
  /** Length as of the last trim, plus entries this object appended since. */
  length: number;
  /** When `length` was last read from the server (0: never). */
  checkedAt: number;
  /** Entries appended since the last store-side retention pass. */
  appended: number;
  trimming: Promise<number> | undefined;
  /** The consumer group holding retention back (reported), if any. */
  held: string | undefined;
  sweeping: ReturnType<typeof setInterval> | undefined;
}

/**
 * Retention of the logs of a {@link RedisStore}: `trim` calls (batched like the JetStream
 * store's) and the store's own `maxMessages` / `maxAge`, all through {@link TRIM_SCRIPT},
 * which never cuts an entry a consumer group has not acked.
 * @internal
 */
export class RetentionState {
  readonly #logs = new Map<string, LogState>();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly options: ResolvedRedisStoreOptions,
    private readonly report: (error: unknown, where: string) => void,
  ) {}

  /** `n` entries were appended to `bus`: count them, trim once per batch, start the sweep. */
  appended(bus: string, n: number): void {
    const state = this.#state(bus);
    state.length += n;
    const { maxMessages, maxAge } = this.options;
    if (maxAge !== undefined && state.sweeping === undefined) this.#startSweep(bus, state, maxAge);
    if (maxMessages === undefined) return;
    state.appended += n;
    if (state.appended < batchOf(maxMessages) || state.trimming !== undefined) return;
    if (state.held !== undefined && Date.now() - state.checkedAt < TRIM_RECHECK_MS) return;
    state.appended = 0;
    this.#run(bus, state, { maxSize: maxMessages }).catch((error: unknown) => {
      if (!this.link.closed) this.report(error, 'retention');
    });
  }

  /** A `trim` call (arguments checked). */
  async trim(bus: string, options: TrimOptions): Promise<number> {
    const state = this.#state(bus);
    if (options.olderThan === undefined) {
      const maxSize = options.maxSize!;
      const notDue =
        state.checkedAt > 0 &&
        Date.now() - state.checkedAt < TRIM_RECHECK_MS &&
        (state.held !== undefined || state.length - maxSize < batchOf(maxSize));
      if (state.trimming !== undefined || notDue) return 0;
    }
    return this.#run(bus, state, options);
  }

  /** Stop the sweeps and wait for trims under way. */
  async close(): Promise<void> {
    for (const state of this.#logs.values()) {
      clearInterval(state.sweeping);
      await state.trimming?.catch(() => undefined);
    }
  }

  async #run(bus: string, state: LogState, options: TrimOptions): Promise<number> {
    while (state.trimming !== undefined) await state.trimming.catch(() => undefined);
    const run = this.#trimNow(bus, state, options);
    state.trimming = run;
    try {
      return await run;
    } finally {
      if (state.trimming === run) state.trimming = undefined;
    }
  }

  async #trimNow(bus: string, state: LogState, options: TrimOptions): Promise<number> {
    const olderThan = options.olderThan;
    const minId = olderThan !== undefined && olderThan > 0 ? `${Math.ceil(olderThan)}-0` : '';
    const key = this.keys.log(bus);
    const [removed, length, held, kept] = (await runScript(
      this.link.client,
      TRIM_SCRIPT,
      [key],
      [options.maxSize ?? '', minId],
    )) as [number, number, string, number];
    state.length = Number(length);
    state.checkedAt = Date.now();
    this.#noteHeld(key, state, held === '' ? undefined : held, Number(kept));
    return Number(removed);
  }

  /** Report (once while it lasts) that a consumer group holds retention back. */
  #noteHeld(key: string, state: LogState, group: string | undefined, kept: number): void {
    if (group === undefined) {
      state.held = undefined;
      return;
    }
    if (state.held === group) return;
    state.held = group;
    const subscriptionId = subscriptionOfGroup(group);
    const who = `"${subscriptionId ?? group}"`;
    this.report(
      new StoreErrorClass(
        `${STORE}: retention of "${key}" is held back by persistent subscription ${who}: ` +
          `${kept} entries past the limit are kept until it acks them (an abandoned ` +
          `subscription holds them for good: delete it with unsubscribe(id, { deletePersistence: true }))`,
        { details: { key, group, subscriptionId, kept } },
      ) satisfies StoreError,
      'trim',
    );
  }

  #state(bus: string): LogState {
    let state = this.#logs.get(bus);
    if (state === undefined) {
      state = {
        length: 0,
        checkedAt: 0,
        appended: 0,
        trimming: undefined,
        held: undefined,
        sweeping: undefined,
      };
      this.#logs.set(bus, state);
    }
    return state;
  }

  /** `maxAge`: a sweep every `maxAge / 4` ms (1 s to 1 min), unref'd. */
  #startSweep(bus: string, state: LogState, maxAge: number): void {
    const every = Math.min(60_000, Math.max(1_000, Math.floor(maxAge / 4)));
    state.sweeping = setInterval(() => {
      if (this.link.closed || state.trimming !== undefined || !this.link.connected) return;
      this.#run(bus, state, { olderThan: Date.now() - maxAge }).catch((error: unknown) => {
        if (!this.link.closed) this.report(error, 'retention (maxAge)');
      });
    }, every);
    state.sweeping.unref();
  }
}
