import type { Redis } from 'ioredis';
import type { RedisLink } from '../../redis/connection.js';

/** A raw stream entry as `XRANGE` / `XREAD` return it: id and flat field list. */
export type RawStreamEntry = [id: string, fields: string[]];

/** Something that follows a {@link LogWatcher}. */
export interface WatcherListener {
  /** New entries, in stream order (each batch after the previous one, without gaps). */
  onEntries?(entries: readonly RawStreamEntry[]): void;
  /** Called after every round (entries or a quiet poll interval): a chance to look again. */
  onTick?(): void;
}

/**
 * Follows one bus log with `XREAD BLOCK` on a connection of its own, from the last id seen,
 * so reconnects resume without gaps (entries trimmed meanwhile are gone). Shared by the
 * fan-out feeds (`tail`) and the durable consumers of one store object and bus: one blocking
 * connection per bus, however many listeners.
 * @internal
 */
export class LogWatcher {
  readonly #link: RedisLink;
  readonly #key: string;
  readonly #block: number;
  readonly #onError: (error: unknown) => void;
  readonly #listeners = new Set<WatcherListener>();
  #conn: Redis | undefined;
  #lastId = '0-0';
  #running: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;

  constructor(link: RedisLink, key: string, block: number, onError: (error: unknown) => void) {
    this.#link = link;
    this.#key = key;
    this.#block = block;
    this.#onError = onError;
  }

  /** Number of listeners. */
  get size(): number {
    return this.#listeners.size;
  }

  /**
   * Add a listener; starts following from the current end of the log on first use.
   * @returns the id of the last entry as of now (entries after it reach the listener)
   */
  async add(listener: WatcherListener): Promise<string> {
    const last = await lastStreamId(this.#link.client, this.#key);
    // Concurrent first adds share one start (one blocking connection).
    this.#starting ??= this.#link.duplicate().then((conn) => {
      if (this.#stopped) {
        this.#link.release(conn);
        return;
      }
      this.#lastId = last;
      this.#conn = conn;
      this.#running = this.#loop();
    });
    await this.#starting;
    this.#listeners.add(listener);
    return last;
  }

  /** Remove a listener (the owner stops the watcher after the last one). */
  remove(listener: WatcherListener): void {
    this.#listeners.delete(listener);
  }

  /** Stop following (close the blocking connection). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#listeners.clear();
    await this.#starting?.catch(() => undefined);
    const conn = this.#conn;
    if (conn !== undefined) this.#link.release(conn);
    await this.#running;
  }

  async #loop(): Promise<void> {
    const conn = this.#conn!;
    let failures = 0;
    while (!this.#stopped) {
      let reply: Array<[string, RawStreamEntry[]]> | null;
      try {
        if (conn.status !== 'ready') await waitReady(conn, this.#block);
        if (this.#stopped) break;
        reply = await conn.xread(
          'COUNT',
          1000,
          'BLOCK',
          this.#block,
          'STREAMS',
          this.#key,
          this.#lastId,
        );
        failures = 0;
      } catch (error) {
        if (this.#stopped) break;
        // Connection loss: the next round waits for the connection, then resumes from #lastId.
        if (failures++ > 0 && conn.status === 'ready') this.#onError(error);
        await sleep(Math.min(1_000, 50 * 2 ** Math.min(failures, 5)));
        continue;
      }
      const entries = reply?.[0]?.[1];
      if (entries !== undefined && entries.length > 0) {
        this.#lastId = entries[entries.length - 1][0];
        for (const l of [...this.#listeners]) {
          try {
            l.onEntries?.(entries);
          } catch (error) {
            this.#onError(error);
          }
        }
      }
      for (const l of [...this.#listeners]) {
        try {
          l.onTick?.();
        } catch (error) {
          this.#onError(error);
        }
      }
    }
  }
}

/** Id of the last entry of stream `key`, `'0-0'` when it is empty or missing. */
export async function lastStreamId(client: Redis, key: string): Promise<string> {
  const last = (await client.xrevrange(key, '+', '-', 'COUNT', 1)) as RawStreamEntry[];
  return last.length > 0 ? last[0][0] : '0-0';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Resolve when `conn` is ready or after `ms`. */
function waitReady(conn: Redis, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    conn.once('ready', done);
    conn.once('end', done);
    function done(): void {
      clearTimeout(timer);
      conn.off('ready', done);
      conn.off('end', done);
      resolve();
    }
  });
}
