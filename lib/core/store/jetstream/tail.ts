/**
 * The fan-out feeds of the JetStream store (`tail`): each follows a bus log from its end
 * with an ordered consumer ({@link followStream}) and hands other instances' entries to the
 * bus; this store object's own appends are skipped (the bus delivered them). A feed whose
 * server stops sending heartbeats is reported as stalled and recreated.
 * @module
 * @internal
 */
import { StoreClosedError, StoreError } from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { followStream, type StreamFollower } from '../../nats/follow-stream.js';
import type { LogTail } from '../distributed-store.interface.js';
import type { RecordedSignal } from '../signal-store.interface.js';
import { decodeEntry, ORIGIN_HEADER, rawOf, recordedAtOf, STORE } from './codec.js';
import type { JetStreamLog } from './log.js';
import type { StoreContext } from './store-context.js';

/** The feeds of one store object. @internal */
export class LogFeeds {
  /** Feeds stalled right now (see `JetStreamStore.stalledFeeds`). */
  stalled = 0;

  constructor(
    private readonly ctx: StoreContext,
    private readonly log: JetStreamLog,
  ) {}

  async tail(bus: string, onEntry: (entry: RecordedSignal) => void): Promise<LogTail> {
    const ctx = this.ctx;
    ctx.check(bus);
    if (typeof onEntry !== 'function') {
      throw new ValidationError('invalid_attribute', 'onEntry', 'onEntry must be a function');
    }
    await ctx.ready('tail');
    await this.log.ensure(bus);
    const stream = ctx.names.logStream(bus);
    const state = this.log.retention.state(bus);
    let lastSeq: number;
    try {
      // Start right after the last entry as of now.
      lastSeq = (await ctx.link.jsm.streams.info(stream)).state.last_seq;
    } catch (error) {
      throw ctx.mapError('tail', error);
    }
    let follower: StreamFollower;
    try {
      follower = await followStream(
        ctx.link,
        stream,
        {
          filter: ctx.names.logSubjects(bus),
          startSeq: lastSeq + 1,
          heartbeat: ctx.options.feedHeartbeat,
        },
        (m) => {
          // Retention counts every entry, this store's own included.
          if (m.seq > state.last) state.last = m.seq;
          // This store's own appends: skipped before decoding (the bus delivered them).
          if (m.headers?.get(ORIGIN_HEADER) === ctx.instanceId) return;
          let entry: RecordedSignal;
          const raw = rawOf(m);
          try {
            entry = decodeEntry(bus, raw, recordedAtOf(raw));
          } catch (error) {
            ctx.report(error, 'tail');
            return;
          }
          // Later appends of this object are recorded no earlier than what it has seen.
          ctx.observe(entry.recordedAt);
          try {
            onEntry(entry);
          } catch (error) {
            ctx.report(error, 'tail callback');
          }
        },
        {
          onRestartError: (error) => ctx.report(error, 'tail restart'),
          onStall: () => {
            this.stalled++;
            ctx.report(
              new StoreError(
                `${STORE}: the feed of "${stream}" stalled (its server stopped sending heartbeats); recreating it`,
                { details: { stream, feed: 'stalled' }, retryable: true },
              ),
              'tail',
            );
          },
          onResume: () => {
            this.stalled--;
          },
        },
      );
    } catch (error) {
      throw ctx.mapError('tail', error);
    }
    if (ctx.closed) {
      // close() ran meanwhile and did not see this feed.
      await follower.stop();
      throw new StoreClosedError(STORE);
    }
    return ctx.track(bus, undefined, () => follower.stop());
  }
}
