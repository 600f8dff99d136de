/**
 * The bus logs of the JetStream store: creating a bus's log stream, appending signals
 * (pipelined publishes, retried while the cluster heals), reading them back with the query
 * filters, their size, and `trim` (run by {@link LogRetention}).
 * @module
 * @internal
 */
import type { OrderedConsumerOptions, PubAck } from '@nats-io/jetstream';
import { StoreClosedError } from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { JsApiCode } from '../../nats/api-errors.js';
import { isTransientClusterError } from '../../nats/cluster-errors.js';
import { matches, validatePattern } from '../../router/pattern.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import { Signal } from '../../signal/signal.js';
import type { LogQuery, RecordedSignal, TrimOptions } from '../signal-store.interface.js';
import { assertLimit, assertTime, isList } from '../shared/args.js';
import {
  CLOCK_SKEW_MS,
  decodeEntry,
  MAX_BATCH,
  noop,
  ORIGIN_HEADER,
  RECORDED_AT_HEADER,
  recordedAtOf,
  STORE,
  toIso,
} from './codec.js';
import { LogRetention } from './retention.js';
import type { StoreContext } from './store-context.js';
import { scan } from './stream-io.js';
import { logIdFor, sequenceOf } from './subjects.js';

/** The bus logs of one store object. @internal */
export class JetStreamLog {
  readonly retention: LogRetention;
  /** Appends so far: numbers each append's `Nats-Msg-Id`s. */
  #appendCount = 0;

  constructor(private readonly ctx: StoreContext) {
    this.retention = new LogRetention(ctx);
  }

  /**
   * Create the log stream of `bus` once per store object. Retention is not a server-side
   * limit (the server would drop entries durable consumers have not acked): the store
   * applies it, see {@link LogRetention}.
   */
  ensure(bus: string): Promise<void> {
    const names = this.ctx.names;
    const pending = this.ctx.ensure(
      names.logStream(bus),
      { subjects: [names.logSubjects(bus)], max_msgs: -1, max_bytes: -1, max_age: 0 },
      ['max_msgs', 'max_bytes', 'max_age'],
    );
    this.retention.sweep(bus);
    return pending;
  }

  async append(bus: string, signals: readonly Signal[]): Promise<RecordedSignal[]> {
    const ctx = this.ctx;
    ctx.check(bus);
    if (!isList(signals)) {
      throw new ValidationError('invalid_attribute', 'signals', 'signals must be an array');
    }
    const n = signals.length;
    if (n === 0) return [];
    const bodies = new Array<string>(n);
    const subjects = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const signal = signals[i];
      if (!(signal instanceof Signal)) {
        throw new ValidationError('invalid_signal', `signals[${i}]`, 'not a Signal');
      }
      bodies[i] = stringifySignal(signal);
      subjects[i] = ctx.names.logSubject(bus, signal.type);
    }
    await ctx.ready('append');
    await this.ensure(bus);
    const ms = ctx.now();
    const results = await this.#publish(bus, subjects, bodies, ms);
    const state = this.retention.state(bus);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      if (results[i].seq > state.last) state.last = results[i].seq;
      bytes += bodies[i].length;
    }
    this.retention.afterAppend(bus, state, n, bytes);
    const out = new Array<RecordedSignal>(n);
    for (let i = 0; i < n; i++) {
      out[i] = { logId: logIdFor(ms, results[i].seq), recordedAt: ms, signal: signals[i] };
    }
    return out;
  }

  /**
   * Publish entries to the log of `bus`, pipelined (every publish goes out before the first
   * acknowledgement is awaited; the client writes them in call order, so stream sequences
   * follow the order of the entries). While the cluster heals (leader election, reconnect)
   * the entries from the first unacknowledged one on are published again until
   * `publishTimeout` has passed; each entry keeps its `Nats-Msg-Id`, so one the server
   * stored before its acknowledgement got lost is not stored twice.
   */
  async #publish(
    bus: string,
    subjects: readonly string[],
    bodies: readonly string[],
    ms: number,
  ): Promise<PubAck[]> {
    const ctx = this.ctx;
    const link = ctx.link;
    const n = subjects.length;
    const msgBase = `${ctx.instanceId}.${(this.#appendCount++).toString(36)}.`;
    const recordedAt = String(ms);
    const results = new Array<PubAck>(n);
    const deadline = Date.now() + ctx.options.publishTimeout;
    let from = 0;
    let lastCheck = 0;
    for (let attempt = 0; ; attempt++) {
      const js = link.js;
      const transport = link.transport;
      const timeout =
        attempt === 0
          ? link.requestTimeout
          : Math.max(1, Math.min(link.requestTimeout, deadline - Date.now()));
      const acks = new Array<Promise<PubAck>>(n - from);
      for (let i = from; i < n; i++) {
        const headers = transport.headers();
        headers.set(ORIGIN_HEADER, ctx.instanceId);
        headers.set(RECORDED_AT_HEADER, recordedAt);
        acks[i - from] = js.publish(subjects[i], bodies[i], {
          headers,
          msgID: msgBase + i.toString(36),
          timeout,
        });
      }
      const settled = await Promise.allSettled(acks);
      let failed = -1;
      let error: unknown;
      for (let k = 0; k < settled.length; k++) {
        const r = settled[k];
        if (r.status === 'rejected') {
          failed = from + k;
          error = r.reason;
          break;
        }
        results[from + k] = r.value;
      }
      if (failed < 0) return results;
      from = failed;
      if (ctx.closed) throw new StoreClosedError(STORE);
      const transient = isTransientClusterError(error) || !link.connected;
      if (!transient || Date.now() >= deadline) throw ctx.mapError('append', error);
      // "No responders" also means the stream is gone (deleted by an operator): recreate it,
      // asking at most once a second, in the background (the request itself may wait for
      // the election).
      if (error instanceof Error && error.name === 'JetStreamNotEnabled') {
        const now = Date.now();
        if (now - lastCheck >= 1_000) {
          lastCheck = now;
          this.#recreateIfMissing(bus).catch(noop);
        }
      }
      // Short pauses (25, 50, then 100 ms): an election ends at an unknown moment.
      await this.#pause(Math.min(25 * 2 ** Math.min(attempt, 2), deadline - Date.now()));
    }
  }

  /** Sleep `ms`, or until reconnected when the connection is down (at most `ms`). */
  async #pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const off = this.ctx.link.onConnectionChange((up) => {
        if (up) done();
      });
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  /** Drop the cached stream and create it again when the server says it does not exist. */
  async #recreateIfMissing(bus: string): Promise<void> {
    const stream = this.ctx.names.logStream(bus);
    try {
      await this.ctx.link.jsm.streams.info(stream);
    } catch (error) {
      if (!this.ctx.isApiError(error, JsApiCode.StreamNotFound)) return;
      this.ctx.forget(stream);
      this.retention.reset(bus);
      await this.ensure(bus);
    }
  }

  async read(bus: string, query: LogQuery = {}): Promise<RecordedSignal[]> {
    const ctx = this.ctx;
    ctx.check(bus);
    assertLimit(query.limit);
    assertTime(query.since, 'since');
    assertTime(query.until, 'until');
    if (query.pattern !== undefined) validatePattern(query.pattern);
    const afterSeq =
      query.afterLogId === undefined ? 0 : sequenceOf(query.afterLogId, 'afterLogId');
    const limit = query.limit ?? Infinity;
    if (limit === 0) return [];
    await ctx.ready('read');
    const { since, until, pattern, correlationId } = query;
    // The subject filter narrows by type server-side; `matches()` then decides exactly.
    const opts: Partial<OrderedConsumerOptions> = {
      filter_subjects:
        pattern === undefined ? ctx.names.logSubjects(bus) : ctx.names.logFilter(bus, pattern),
    };
    if (since !== undefined && afterSeq === 0) opts.opt_start_time = toIso(since - CLOCK_SKEW_MS);
    else opts.opt_start_seq = afterSeq + 1;
    // With filters applied here, a batch of `limit` may not be enough: pull full batches.
    const postFiltered =
      pattern !== undefined || correlationId !== undefined || since !== undefined;
    const out: RecordedSignal[] = [];
    await scan(
      ctx,
      'read',
      ctx.names.logStream(bus),
      opts,
      postFiltered ? MAX_BATCH : limit,
      (raw) => {
        if (raw.seq <= afterSeq) return true;
        const recordedAt = recordedAtOf(raw);
        if (until !== undefined && recordedAt > until) {
          // Past `until`: stop once the server's clock is past it too (beyond the skew).
          return raw.serverMs <= until + CLOCK_SKEW_MS;
        }
        if (since !== undefined && recordedAt < since) return true;
        const entry = decodeEntry(bus, raw, recordedAt);
        if (pattern !== undefined && !matches(entry.signal.type, pattern)) return true;
        if (
          correlationId !== undefined &&
          entry.signal.extensions.correlationid !== correlationId
        ) {
          return true;
        }
        out.push(entry);
        return out.length < limit;
      },
    );
    return out;
  }

  /** See `JetStreamStore.trim`. */
  async trim(bus: string, options: TrimOptions): Promise<number> {
    this.ctx.check(bus);
    if (typeof options !== 'object' || options === null) {
      throw new ValidationError('invalid_attribute', 'options', 'trim options must be an object');
    }
    assertLimit(options.maxSize, 'maxSize');
    assertTime(options.olderThan, 'olderThan');
    if (options.maxSize === undefined && options.olderThan === undefined) return 0;
    await this.ctx.ready('trim');
    return this.retention.trim(bus, options.maxSize, options.olderThan);
  }

  async size(bus: string): Promise<number> {
    const ctx = this.ctx;
    ctx.check(bus);
    await ctx.ready('size');
    try {
      const info = await ctx.link.jsm.streams.info(ctx.names.logStream(bus));
      return info.state.messages;
    } catch (error) {
      if (ctx.isApiError(error, JsApiCode.StreamNotFound)) return 0;
      throw ctx.mapError('size', error);
    }
  }
}
