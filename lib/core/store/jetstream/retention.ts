/**
 * Retention of the bus logs: where a cut may go without losing what a durable consumer still
 * owes ({@link durableFloor}), and the store-side trims — `trim()` from a bus's `maxLogSize`
 * / `logTtl`, batches after appends for `maxMessages` / `maxBytes`, the `maxAge` sweep —
 * with what one store object knows of each log to batch them.
 * @module
 * @internal
 */
import type { ConsumerInfo, JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import { StoreError } from '../../errors/store.error.js';
import { JsApiCode } from '../../nats/api-errors.js';
import { CLOCK_SKEW_MS, MAX_BATCH, noop, recordedAtOf, STORE, toIso } from './codec.js';
import type { StoreContext } from './store-context.js';
import { scan } from './stream-io.js';

/** Where retention may cut a log stream without losing what a durable consumer still owes. */
export interface RetentionFloor {
  /** Every entry at or below this stream sequence is acked by every durable consumer. */
  readonly floor: number;
  /** The durable consumer that holds the floor lowest, if any holds it below `lastSeq`. */
  readonly holder: string | undefined;
}

/**
 * The highest stream sequence at or below which every durable consumer of `stream` has
 * acknowledged every entry its filter matches. `lastSeq` must be read from the stream
 * **before** this call: then an entry at or below it that a consumer has not acked is either
 * pending delivery (`num_pending`) or awaiting its ack (`num_ack_pending`), and is kept.
 * Ephemeral (ordered) consumers — fan-out feeds — do not hold retention.
 * @internal
 */
export async function durableFloor(
  jsm: JetStreamManager,
  stream: string,
  lastSeq: number,
): Promise<RetentionFloor> {
  let floor = lastSeq;
  let holder: string | undefined;
  for await (const ci of jsm.consumers.list(stream)) {
    if (!ci.config.durable_name) continue;
    const f = consumerFloor(ci, lastSeq);
    if (f < floor) {
      floor = f;
      holder = ci.name;
    }
  }
  return { floor, holder };
}

/** See {@link durableFloor}, for one consumer. @internal */
export function consumerFloor(ci: ConsumerInfo, lastSeq: number): number {
  // Delivered entries awaiting an ack (or a redelivery): nothing past the ack floor is safe.
  if (ci.num_ack_pending > 0) return ci.ack_floor.stream_seq;
  // Nothing outstanding and nothing left to deliver: everything it matches up to lastSeq
  // was delivered and acked.
  if (ci.num_pending === 0) return lastSeq;
  // Everything delivered so far is acked; later entries are still to be delivered.
  return Math.max(ci.ack_floor.stream_seq, ci.delivered.stream_seq);
}

/** What one store object knows of a bus log (retention batching). */
export interface LogState {
  /** First sequence as of the last check (or purge). */
  first: number;
  /** Highest sequence seen (appends, tail, checks). */
  last: number;
  /** When `first`/`last` were last read from the server (0: never). */
  checkedAt: number;
  /** Entries and bytes appended since the last store-side retention pass. */
  appended: number;
  appendedBytes: number;
  trimming: Promise<number> | undefined;
  /** The durable consumer holding retention back (reported), if any. */
  held: string | undefined;
  sweeping: ReturnType<typeof setInterval> | undefined;
}

/** Limits of one trim. */
interface RetentionLimits {
  readonly maxSize?: number;
  readonly maxBytes?: number;
  readonly olderThan?: number;
}

/** A `maxSize` trim within this long of the last check may wait for a batch. */
const TRIM_RECHECK_MS = 1_000;

/** Entries (or bytes) over a limit worth one trim: 1 % of it, at least 1. */
function batchOf(limit: number): number {
  return Math.max(1, Math.floor(limit / 100));
}

/**
 * The retention of every bus log of one store object. Trims of one log run one at a time;
 * none removes an entry a durable consumer has not acked.
 * @internal
 */
export class LogRetention {
  /** What this object knows of each bus log it appended to, followed or trimmed. */
  readonly #logs = new Map<string, LogState>();

  constructor(private readonly ctx: StoreContext) {}

  /** What this object knows of the log of `bus` (created empty on first use). */
  state(bus: string): LogState {
    let state = this.#logs.get(bus);
    if (state === undefined) {
      state = {
        first: 1,
        last: 0,
        checkedAt: 0,
        appended: 0,
        appendedBytes: 0,
        trimming: undefined,
        held: undefined,
        sweeping: undefined,
      };
      this.#logs.set(bus, state);
    }
    return state;
  }

  /** The log of `bus` was deleted (and is being recreated): it starts over, empty. */
  reset(bus: string): void {
    const state = this.#logs.get(bus);
    if (state !== undefined) {
      state.first = 1;
      state.last = 0;
      state.checkedAt = 0;
    }
  }

  /**
   * `trim()` of a bus log (arguments checked): `maxSize` trims are batched (see
   * `JetStreamStore.trim`), `olderThan` trims always run.
   * @returns the number of entries removed
   */
  trim(bus: string, maxSize: number | undefined, olderThan: number | undefined): Promise<number> {
    const state = this.state(bus);
    const batchable = olderThan === undefined;
    if (batchable && (state.trimming !== undefined || this.#trimNotDue(state, maxSize!))) {
      return Promise.resolve(0);
    }
    return this.#run(bus, state, { maxSize, olderThan });
  }

  /** Store-side retention (`maxMessages`, `maxBytes`): one trim per batch of appends. */
  afterAppend(bus: string, state: LogState, count: number, bytes: number): void {
    const { maxMessages, maxBytes } = this.ctx.options;
    if (maxMessages === undefined && maxBytes === undefined) return;
    state.appended += count;
    state.appendedBytes += bytes;
    const due =
      (maxMessages !== undefined && state.appended >= batchOf(maxMessages)) ||
      (maxBytes !== undefined && state.appendedBytes >= batchOf(maxBytes));
    if (!due || state.trimming !== undefined) return;
    if (state.held !== undefined && Date.now() - state.checkedAt < TRIM_RECHECK_MS) return;
    state.appended = 0;
    state.appendedBytes = 0;
    this.#run(bus, state, { maxSize: maxMessages, maxBytes }).catch((error: unknown) => {
      if (!this.ctx.closed) this.ctx.report(error, 'retention');
    });
  }

  /**
   * Store-side `maxAge` (when set): start the sweep of `bus` unless it runs — a trim every
   * `maxAge / 4` ms (1 s to 1 min), unref'd.
   */
  sweep(bus: string): void {
    const maxAge = this.ctx.options.maxAge;
    if (maxAge === undefined || this.#logs.get(bus)?.sweeping) return;
    const state = this.state(bus);
    const every = Math.min(60_000, Math.max(1_000, Math.floor(maxAge / 4)));
    state.sweeping = setInterval(() => {
      if (this.ctx.closed || state.trimming !== undefined || !this.ctx.link.connected) return;
      this.#run(bus, state, { olderThan: Date.now() - maxAge }).catch((error: unknown) => {
        if (!this.ctx.closed) this.ctx.report(error, 'retention (maxAge)');
      });
    }, every);
    state.sweeping.unref();
  }

  /** Stop every sweep and wait for the trims under way (on `close()`). */
  async stop(): Promise<void> {
    for (const state of this.#logs.values()) {
      clearInterval(state.sweeping);
      await state.trimming?.catch(noop);
    }
  }

  /**
   * Whether a `maxSize` trim can wait: checked less than a second ago, and either less than a
   * batch over the limit or held back by a consumer then (it will not have moved much).
   */
  #trimNotDue(state: LogState, maxSize: number): boolean {
    return (
      state.checkedAt > 0 &&
      Date.now() - state.checkedAt < TRIM_RECHECK_MS &&
      (state.held !== undefined || state.last - state.first + 1 - maxSize < batchOf(maxSize))
    );
  }

  /** Run one trim of `bus` after the one under way, if any. */
  async #run(bus: string, state: LogState, limits: RetentionLimits): Promise<number> {
    while (state.trimming !== undefined) await state.trimming.catch(noop);
    const run = this.#trimNow(bus, state, limits);
    state.trimming = run;
    try {
      return await run;
    } finally {
      if (state.trimming === run) state.trimming = undefined;
    }
  }

  /**
   * One trim: read the log's bounds, find the cut each limit asks for (the highest wins),
   * lower it to the durable consumers' floor, and purge below it — with `keep` when the
   * count limit alone decides, so entries appended meanwhile are not counted wrongly.
   */
  async #trimNow(bus: string, state: LogState, limits: RetentionLimits): Promise<number> {
    const ctx = this.ctx;
    const stream = ctx.names.logStream(bus);
    const jsm = ctx.link.jsm;
    try {
      let info: StreamInfo;
      try {
        info = await jsm.streams.info(stream);
      } catch (error) {
        if (ctx.isApiError(error, JsApiCode.StreamNotFound)) return 0;
        throw error;
      }
      const { first_seq: first, last_seq: last, messages, bytes } = info.state;
      state.first = first;
      if (last > state.last) state.last = last;
      state.checkedAt = Date.now();
      if (messages === 0) return 0;
      let cut = first; // every entry below `cut` goes
      let exactKeep: number | undefined;
      if (limits.maxSize !== undefined) {
        cut = Math.max(cut, last - limits.maxSize + 1);
        exactKeep = limits.maxSize;
      }
      if (limits.maxBytes !== undefined && bytes > limits.maxBytes) {
        // Bytes per entry estimated from the average.
        const keep = Math.floor(limits.maxBytes / (bytes / messages));
        cut = Math.max(cut, last - keep + 1);
        exactKeep = undefined;
      }
      if (limits.olderThan !== undefined) {
        const olderThan = limits.olderThan;
        // The first entry recorded at or after `olderThan` (headers only, from a little
        // before it by the server's clock). Never past the end as of now: entries appended
        // meanwhile are newer than the cut.
        let timeCut: number | undefined;
        const found = await scan(
          ctx,
          'trim',
          stream,
          {
            filter_subjects: ctx.names.logSubjects(bus),
            opt_start_time: toIso(olderThan - CLOCK_SKEW_MS),
            headers_only: true,
          },
          MAX_BATCH,
          (raw) => {
            if (recordedAtOf(raw) >= olderThan) {
              timeCut = raw.seq;
              return false;
            }
            return true;
          },
        );
        if (!found) return 0;
        cut = Math.max(cut, Math.min(timeCut ?? last + 1, last + 1));
        exactKeep = undefined;
      }
      if (cut <= first) {
        state.held = undefined;
        return 0;
      }
      const { floor, holder } = await durableFloor(jsm, stream, last);
      const safe = Math.min(cut, floor + 1);
      this.#noteHeld(stream, state, safe < cut ? holder : undefined, cut - safe);
      if (safe <= first) return 0;
      const response = await jsm.streams.purge(
        stream,
        safe === cut && exactKeep !== undefined ? { keep: exactKeep } : { seq: safe },
      );
      state.first = safe;
      return response.purged;
    } catch (error) {
      if (ctx.isApiError(error, JsApiCode.StreamNotFound)) return 0;
      throw ctx.mapError('trim', error);
    }
  }

  /** Report (once while it lasts) that a durable consumer holds retention back. */
  #noteHeld(stream: string, state: LogState, holder: string | undefined, kept: number): void {
    if (holder === undefined) {
      state.held = undefined;
      return;
    }
    if (state.held === holder) return;
    state.held = holder;
    // Consumer names encode the subscription id (s_<base64url>); show the id people know.
    const subscriptionId = holder.startsWith('s_')
      ? Buffer.from(holder.slice(2), 'base64url').toString('utf8')
      : undefined;
    const who = subscriptionId === undefined ? `"${holder}"` : `"${subscriptionId}"`;
    this.ctx.report(
      new StoreError(
        `${STORE}: retention of "${stream}" is held back by persistent subscription ${who}: ` +
          `${kept} entries past the limit are kept until it acks them (an abandoned ` +
          `subscription holds them for good: delete it with unsubscribe(id, { deletePersistence: true }))`,
        { details: { stream, consumer: holder, subscriptionId, kept } },
      ),
      'trim',
    );
  }
}
