import type { Redis } from 'ioredis';
import { StoreClosedError, StoreUnavailableError } from '../errors/store.error.js';
import { loadOptionalPeer } from '../signal/optional-peer.js';
import { ReadyWait } from '../util/ready-wait.js';
import { describeCause, redactUrl } from './errors.js';
import {
  checkConnectionOptions,
  clientOptions,
  DEFAULT_REDIS_URL,
  type RedisConnectionOptions,
} from './options.js';

type IoRedisModule = typeof import('ioredis');

/**
 * One `ioredis` command connection with connection-state tracking and a bounded wait for
 * reconnects, plus the blocking connections feeds need. Shared by the Redis store, journal
 * and pub/sub.
 *
 * Commands never queue while disconnected (`enableOfflineQueue: false`) and a command whose
 * connection drops is rejected, never sent twice (`maxRetriesPerRequest: 0`,
 * `autoResendUnfulfilledCommands: false`): callers wait with {@link RedisLink.ready}.
 */
export class RedisLink {
  readonly client: Redis;
  readonly disconnectedWait: number;
  readonly requestTimeout: number;
  /** Where the link connects, without credentials (for messages). */
  readonly where: string;
  readonly #owned: boolean;
  readonly #options: RedisConnectionOptions;
  readonly #module: IoRedisModule;
  #connected: boolean;
  #closed = false;
  /** Read by the reconnect strategy of every connection of the link: stop once closed. */
  #gate = { closed: false };
  readonly #listeners = new Set<(connected: boolean) => void>();
  readonly #ready = new ReadyWait(
    () => this.connected,
    () => this.#closed,
  );
  readonly #duplicates = new Set<Redis>();
  readonly #onReady = () => this.#set(true);
  readonly #onDown = () => this.#set(false);

  private constructor(
    module: IoRedisModule,
    client: Redis,
    owned: boolean,
    options: RedisConnectionOptions,
    where: string,
  ) {
    this.#module = module;
    this.client = client;
    this.#owned = owned;
    this.#options = options;
    this.where = where;
    this.disconnectedWait = options.disconnectedWait ?? 5_000;
    this.requestTimeout = options.requestTimeout ?? 5_000;
    this.#connected = client.status === 'ready';
    client.on('ready', this.#onReady);
    client.on('close', this.#onDown);
    client.on('end', this.#onDown);
    // ioredis emits 'error' on every failed reconnect; state changes come from the events above.
    client.on('error', noop);
  }

  /**
   * Connect (or adopt `options.client`).
   * @throws StoreOptionError for a bad option; MissingPeerDependencyError without `ioredis`;
   *   StoreUnavailableError when no server answers in time
   */
  static async open(options: RedisConnectionOptions, store: string): Promise<RedisLink> {
    checkConnectionOptions(store, options);
    const module = loadOptionalPeer<IoRedisModule>('ioredis', store);
    if (options.client !== undefined) {
      const client = options.client;
      const where = `Redis (${describeClient(client)})`;
      const link = new RedisLink(module, client, false, options, where);
      if (client.status === 'wait') await client.connect().catch(noop);
      try {
        await link.ready(store, 'connect', options.connectTimeout ?? 5_000);
      } catch (error) {
        link.#detach();
        throw error;
      }
      return link;
    }
    const url = options.url ?? DEFAULT_REDIS_URL;
    const where = `Redis (${redactUrl(url)})`;
    const gate = { closed: false };
    const client = new module.Redis(url, clientOptions(options, false, gate));
    const link = new RedisLink(module, client, true, options, where);
    link.#gate = gate;
    try {
      await client.connect();
    } catch (cause) {
      link.#closed = true;
      gate.closed = true;
      link.#detach();
      client.disconnect();
      throw new StoreUnavailableError(
        where,
        'connect',
        options.connectTimeout ?? 5_000,
        describeCause(cause),
      );
    }
    return link;
  }

  /** Whether the connection is up right now. */
  get connected(): boolean {
    // The socket may end a moment before ioredis emits 'close': ask the client too.
    return this.#connected && !this.#closed && this.client.status === 'ready';
  }

  /** Whether {@link RedisLink.close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Listen to connection changes. @returns a function that removes the listener */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolve once connected, waiting at most `wait` ms (default `disconnectedWait`).
   * @throws StoreUnavailableError when the connection does not come back in time;
   *   StoreClosedError after `close()`
   */
  ready(store: string, operation: string, wait = this.disconnectedWait): Promise<void> {
    return this.#ready.ready(store, operation, wait);
  }

  /**
   * A new connection to the same server for blocking commands (`XREAD BLOCK`) or pub/sub,
   * closed with the link. It reconnects forever; commands fail while it is down.
   */
  async duplicate(): Promise<Redis> {
    const dup = this.#owned
      ? new this.#module.Redis(
          this.#options.url ?? DEFAULT_REDIS_URL,
          clientOptions(this.#options, true, this.#gate),
        )
      : this.client.duplicate(clientOptions(this.#options, true, this.#gate));
    dup.on('error', noop);
    this.#duplicates.add(dup);
    if (this.#closed) {
      this.#duplicates.delete(dup);
      dup.disconnect();
      throw new StoreClosedError('RedisLink');
    }
    await dup.connect().catch(noop);
    return dup;
  }

  /** Close a connection from {@link RedisLink.duplicate}. */
  release(dup: Redis): void {
    if (!this.#duplicates.delete(dup)) return;
    dup.disconnect();
  }

  /** Close the connection when this link opened it, and every duplicate. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#gate.closed = true;
    this.#ready.wake();
    for (const dup of this.#duplicates) dup.disconnect();
    this.#duplicates.clear();
    this.#detach();
    if (this.#owned) {
      if (this.client.status === 'ready') await this.client.quit().catch(noop);
      this.client.disconnect();
    }
  }

  #detach(): void {
    this.client.off('ready', this.#onReady);
    this.client.off('close', this.#onDown);
    this.client.off('end', this.#onDown);
    this.client.off('error', noop);
  }

  #set(connected: boolean): void {
    if (this.#closed || this.#connected === connected) return;
    this.#connected = connected;
    if (connected) {
      this.#ready.wake();
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(connected);
      } catch {
        // A failing listener must not break the others.
      }
    }
  }
}

function noop(): void {}

function describeClient(client: Redis): string {
  const o = client.options;
  return o.path ?? `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}
