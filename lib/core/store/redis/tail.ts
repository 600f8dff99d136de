import type { RedisLink } from '../../redis/connection.js';
import type { RecordedSignal } from '../signal-store.interface.js';
import { compareStreamIds, type RedisKeys } from './keys.js';
import { decodeEntry, fieldOf, ORIGIN_FIELD } from './log.js';
import { LogWatcher, type WatcherListener } from './watcher.js';

/**
 * Following the bus logs of one {@link RedisStore}: one {@link LogWatcher} (one blocking
 * connection) per bus, shared by the bus's tails and durable consumers, stopped with its last
 * listener; and the listener of a `tail`, which hands other instances' appends on as
 * {@link RecordedSignal}s.
 * @internal
 */
export class LogFeeds {
  readonly #watchers = new Map<string, LogWatcher>();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly pollInterval: number,
    private readonly report: (error: unknown, where: string) => void,
  ) {}

  /**
   * Add `listener` to the feed of `bus` (started on first use).
   * @returns the id of the last entry as of now (entries after it reach the listener)
   */
  async watch(bus: string, listener: WatcherListener): Promise<string> {
    let watcher = this.#watchers.get(bus);
    if (watcher === undefined) {
      watcher = new LogWatcher(this.link, this.keys.log(bus), this.pollInterval, (e) =>
        this.report(e, `feed of bus "${bus}"`),
      );
      this.#watchers.set(bus, watcher);
    }
    return watcher.add(listener);
  }

  /** Remove `listener`; the feed of `bus` stops with its last listener. */
  async unwatch(bus: string, listener: WatcherListener): Promise<void> {
    const watcher = this.#watchers.get(bus);
    if (watcher === undefined) return;
    watcher.remove(listener);
    if (watcher.size === 0) {
      this.#watchers.delete(bus);
      await watcher.stop();
    }
  }

  /** Stop every feed (close). */
  async stop(): Promise<void> {
    for (const w of this.#watchers.values()) await w.stop();
    this.#watchers.clear();
  }

  /**
   * Follow `bus` for `tail`: every entry after the current end of the log that another store
   * object (not `instanceId`) appended goes to `onEntry`; undecodable entries and a throwing
   * `onEntry` are reported and skipped.
   * @returns a function that stops following
   */
  async tail(
    bus: string,
    instanceId: string,
    onEntry: (entry: RecordedSignal) => void,
  ): Promise<() => Promise<void>> {
    // Entries up to the end of the log as of the start are not this tail's.
    const from: { since?: string } = {};
    const listener: WatcherListener = {
      onEntries: (entries) => {
        for (const raw of entries) {
          if (from.since !== undefined && compareStreamIds(raw[0], from.since) <= 0) continue;
          // This store's own appends: skipped before decoding (the bus delivered them).
          if (fieldOf(raw[1], ORIGIN_FIELD) === instanceId) continue;
          let entry: RecordedSignal;
          try {
            entry = decodeEntry(bus, raw);
          } catch (error) {
            this.report(error, 'tail');
            continue;
          }
          try {
            onEntry(entry);
          } catch (error) {
            this.report(error, 'tail callback');
          }
        }
      },
    };
    from.since = await this.watch(bus, listener);
    return () => this.unwatch(bus, listener);
  }
}
