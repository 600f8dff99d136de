import { JidoSignalError } from '../errors/jido-signal.error.js';
import {
  JournalClosedError,
  JournalIoError,
  JournalUnavailableError,
} from '../errors/journal.error.js';
import { StoreUnavailableError } from '../errors/store.error.js';
import { ValidationError } from '../errors/validation.error.js';
import type { ExtensionRegistry } from '../signal/extensions.js';
import { STORED_MAX_DEPTH } from '../signal/safe-input.js';
import { Signal } from '../signal/signal.js';
import { RedisLink } from '../redis/connection.js';
import { describeCause } from '../redis/errors.js';
import { encodeId } from '../redis/keys.js';
import type { RedisConnectionOptions } from '../redis/options.js';
import { runScript, scriptOf, type LuaScript } from '../redis/scripts.js';
import type {
  JournalAdapter,
  JournalEntry,
  JournalMeta,
  JournalScan,
} from './journal-adapter.interface.js';
import type { WireRecord } from './wire-record.js';

const NAME = 'RedisJournal';
const NAME_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Entries per page of a scan. */
const PAGE = 500;
/** Metadata of recorded ids kept in memory (it never changes once stored). */
const META_CACHE = 10_000;

/** Options of {@link RedisJournal.open}. */
export interface RedisJournalOptions extends RedisConnectionOptions {
  /**
   * Name of the journal: its keys are `<name>:{j}:…` (one hash tag, so the journal lives in
   * one cluster slot). Every instance that opens the same name on one server shares one
   * journal. 1 to 128 characters of `[A-Za-z0-9_.:-]`.
   * @default 'jido:journal'
   */
  name?: string;
  /** Extensions stored signals are parsed with. @default the default signal factory's */
  extensions?: ExtensionRegistry;
}

/**
 * Store a record. KEYS = records hash, time zset, sequence counter; ARGV = id, record JSON,
 * time, effects key (or ''), conversation key. The first record of an id wins; the signal, its
 * edge, its conversation membership and its time order are written in one atomic step.
 */
const PUT_SCRIPT: LuaScript = scriptOf(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], ARGV[3], string.format('%016x', n) .. ARGV[1])
if ARGV[4] ~= '' then redis.call('RPUSH', ARGV[4], ARGV[1]) end
redis.call('RPUSH', ARGV[5], ARGV[1])
return 1
`);

/**
 * The causality journal on Redis, shared by every instance that opens the same `name`:
 * records in a hash, cause edges and conversations in lists, time order in a sorted set (ties
 * in record order). Every read asks the server, so a read sees everything any instance had
 * stored before it started (no local index to catch up). A resolved `putSignal` is stored on
 * the server (durable as far as the server's persistence — AOF `appendfsync` — makes it).
 *
 * Requires the optional peer `ioredis`.
 */
export class RedisJournal implements JournalAdapter {
  readonly name = 'redis';
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #extensions: ExtensionRegistry | undefined;
  /** Recorded metadata (immutable: the first record of an id wins), oldest first out. */
  readonly #metas = new Map<string, JournalMeta>();
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(link: RedisLink, name: string, extensions: ExtensionRegistry | undefined) {
    this.#link = link;
    this.#prefix = `${name}:{j}:`;
    this.#extensions = extensions;
  }

  /**
   * Connect (or adopt `options.client`) and open the journal `options.name`.
   * @throws ValidationError (`invalid_attribute`) for a bad name; StoreOptionError for bad
   *   connection options; MissingPeerDependencyError without `ioredis`;
   *   JournalUnavailableError (`journal_io_error`, retryable) when no server answers
   */
  static async open(options: RedisJournalOptions = {}): Promise<RedisJournal> {
    const name = options.name ?? 'jido:journal';
    if (typeof name !== 'string' || !NAME_RE.test(name)) {
      throw new ValidationError(
        'invalid_attribute',
        'name',
        'name must be 1 to 128 characters of A-Z, a-z, 0-9, "_", ".", ":" and "-"',
      );
    }
    let link: RedisLink;
    try {
      link = await RedisLink.open(options, NAME);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        throw new JournalUnavailableError(`${NAME} "${name}"`, 'open', 'cannot connect', error);
      }
      throw error;
    }
    return new RedisJournal(link, name, options.extensions);
  }

  /** Whether the connection is up right now. */
  get connected(): boolean {
    return !this.#closed && this.#link.connected;
  }

  /** Resolves after a `PING` round trip (health checks); rejects at once while disconnected. */
  async ping(): Promise<void> {
    await this.#run(
      'ping',
      async (c) => {
        await c.ping();
      },
      0,
    );
  }

  putSignal(entry: JournalEntry): Promise<void> {
    return this.#run('putSignal', async (c) => {
      const record: WireRecord = {
        v: 1,
        id: entry.id,
        time: entry.time,
        recordedAt: entry.recordedAt,
        ...(entry.causeId === undefined ? {} : { causeId: entry.causeId }),
        conversationId: entry.conversationId,
        signal: entry.signal.toJSON(),
      };
      const stored = await runScript(
        c,
        PUT_SCRIPT,
        [this.#key('rec'), this.#key('time'), this.#key('seq')],
        [
          entry.id,
          JSON.stringify(record),
          entry.time,
          entry.causeId === undefined ? '' : this.#key(`fx:${encodeId(entry.causeId)}`),
          this.#key(`conv:${encodeId(entry.conversationId)}`),
        ],
      );
      if (stored === 1) this.#remember(metaOf(record));
    });
  }

  getSignal(id: string): Promise<JournalEntry | undefined> {
    return this.#run('getSignal', async (c) => {
      const json = await c.hget(this.#key('rec'), id);
      return json === null ? undefined : this.#entry(json);
    });
  }

  getMeta(id: string): Promise<JournalMeta | undefined> {
    const known = this.#metas.get(id);
    if (known !== undefined && !this.#closed) return Promise.resolve(known);
    return this.#run('getMeta', async (c) => {
      const json = await c.hget(this.#key('rec'), id);
      if (json === null) return undefined;
      const meta = metaOf(this.#parse(json));
      this.#remember(meta);
      return meta;
    });
  }

  #remember(meta: JournalMeta): void {
    if (this.#metas.size >= META_CACHE) {
      this.#metas.delete(this.#metas.keys().next().value!);
    }
    this.#metas.set(meta.id, meta);
  }

  async getCause(id: string): Promise<string | undefined> {
    return (await this.getMeta(id))?.causeId;
  }

  getEffects(id: string): Promise<string[]> {
    return this.#run('getEffects', (c) => c.lrange(this.#key(`fx:${encodeId(id)}`), 0, -1));
  }

  getConversation(conversationId: string): Promise<string[]> {
    return this.#run('getConversation', (c) =>
      c.lrange(this.#key(`conv:${encodeId(conversationId)}`), 0, -1),
    );
  }

  /**
   * Entries in time order, read in pages of 500 from the time index (a page continues after
   * the last entry of the previous one, so entries recorded meanwhile never repeat one).
   */
  async *scan(range: JournalScan = {}): AsyncIterable<JournalEntry> {
    const desc = range.order === 'desc';
    const lo = range.since === undefined ? -Infinity : range.since;
    const hi = range.until === undefined ? Infinity : range.until;
    const bound = (v: number) => (v === Infinity ? '+inf' : v === -Infinity ? '-inf' : String(v));
    let last: { score: number; member: string } | undefined;
    for (;;) {
      const page = await this.#run('scan', async (c) => {
        const out: Array<{ score: number; member: string }> = [];
        const push = (flat: string[]) => {
          for (let i = 0; i < flat.length; i += 2) {
            out.push({ member: flat[i], score: Number(flat[i + 1]) });
          }
        };
        const key = this.#key('time');
        if (last === undefined) {
          push(
            desc
              ? await c.zrevrangebyscore(key, bound(hi), bound(lo), 'WITHSCORES', 'LIMIT', 0, PAGE)
              : await c.zrangebyscore(key, bound(lo), bound(hi), 'WITHSCORES', 'LIMIT', 0, PAGE),
          );
          return out;
        }
        // Ties of the last score after the last member, then the scores beyond it.
        const s = String(last.score);
        const m = last.member;
        const ties = desc
          ? await c.zrevrangebyscore(key, s, s, 'WITHSCORES')
          : await c.zrangebyscore(key, s, s, 'WITHSCORES');
        const tied: string[] = [];
        for (let i = 0; i < ties.length; i += 2) {
          if (desc ? ties[i] < m : ties[i] > m) tied.push(ties[i], ties[i + 1]);
        }
        push(tied);
        push(
          desc
            ? await c.zrevrangebyscore(key, `(${s}`, bound(lo), 'WITHSCORES', 'LIMIT', 0, PAGE)
            : await c.zrangebyscore(key, `(${s}`, bound(hi), 'WITHSCORES', 'LIMIT', 0, PAGE),
        );
        return out;
      });
      if (page.length === 0) return;
      const ids = page.map((p) => p.member.slice(16));
      const bodies = await this.#run('scan', (c) => c.hmget(this.#key('rec'), ...ids));
      for (const body of bodies) {
        if (body !== null) yield this.#entry(body);
      }
      last = page[page.length - 1];
    }
  }

  size(): Promise<number> {
    return this.#run('size', (c) => c.hlen(this.#key('rec')));
  }

  /** Every resolved `putSignal` is on the server already. */
  flush(): Promise<void> {
    return this.#closed ? Promise.reject(new JournalClosedError(NAME)) : Promise.resolve();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await this.#link.close();
    })();
    return this.#closing;
  }

  #key(what: string): string {
    return this.#prefix + what;
  }

  async #run<T>(
    operation: string,
    fn: (client: RedisLink['client']) => Promise<T>,
    wait?: number,
  ): Promise<T> {
    if (this.#closed) throw new JournalClosedError(NAME);
    try {
      await this.#link.ready(NAME, operation, wait);
      return await fn(this.#link.client);
    } catch (error) {
      throw this.#wrap(error, operation);
    }
  }

  #parse(json: string): WireRecord {
    try {
      return JSON.parse(json) as WireRecord;
    } catch (cause) {
      throw new JournalIoError(`${NAME}: a stored record is not valid JSON`, describeCause(cause));
    }
  }

  #entry(json: string): JournalEntry {
    const record = this.#parse(json);
    const signal = Signal.from(record.signal, {
      extensions: this.#extensions,
      maxDepth: STORED_MAX_DEPTH,
    });
    return { ...metaOf(record), signal };
  }

  /** Map a client failure to a journal error (no credentials in messages). */
  #wrap(error: unknown, operation: string): Error {
    if (this.#closed) return new JournalClosedError(NAME);
    if (error instanceof StoreUnavailableError) {
      return new JournalUnavailableError(
        NAME,
        operation,
        `no connection within ${String(error.details.waitedMs)} ms`,
        error,
      );
    }
    if (error instanceof JidoSignalError) return error;
    const cause = describeCause(error);
    if (!this.#link.connected) {
      return new JournalUnavailableError(NAME, operation, cause.message, cause);
    }
    return new JournalIoError(`${NAME}: ${operation} failed: ${cause.message}`, cause, {
      operation,
    });
  }
}

function metaOf(record: WireRecord): JournalMeta {
  return {
    id: record.id,
    time: record.time,
    recordedAt: record.recordedAt,
    causeId: record.causeId,
    conversationId: record.conversationId,
  };
}
