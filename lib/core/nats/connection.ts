/**
 * The NATS connection every NATS client of the library uses (the JetStream store, the
 * JetStream journal, the NATS pub/sub): connecting or adopting a connection, the JetStream
 * client and manager, connection-state tracking, the bounded wait for a reconnect, and
 * secret-free descriptions of client errors.
 * @module
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { JidoSignalError } from '../errors/jido-signal.error.js';
import { StoreError, StoreUnavailableError } from '../errors/store.error.js';
import { loadOptionalPeer } from '../signal/optional-peer.js';
import { ReadyWait } from '../util/ready-wait.js';
import type { NatsServerOptions } from './server-options.js';

type TransportModule = typeof import('@nats-io/transport-node');
type JetStreamModule = typeof import('@nats-io/jetstream');

/** How to reach NATS: the server options, or an open connection to reuse. */
export interface NatsConnectionOptions extends NatsServerOptions {
  /**
   * An open connection to use instead of connecting. It is not closed by `close()`.
   * @default undefined (connect to `servers`)
   */
  connection?: NatsConnection;
}

/** Remove credentials from a server URL so it can appear in messages. */
export function redactServer(server: string): string {
  // Everything up to the last '@' is user info (a password may itself contain '@' or '/').
  const at = server.lastIndexOf('@');
  if (at < 0) return server;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(server)?.[0] ?? '';
  return scheme + server.slice(at + 1);
}

/**
 * One NATS connection with its JetStream client and manager, connection-state tracking and
 * a bounded wait for reconnects. Shared by the JetStream store, journal and pubsub.
 */
export class NatsLink {
  readonly nc: NatsConnection;
  readonly disconnectedWait: number;
  readonly requestTimeout: number;
  readonly #jetstream:
    { jsm: JetStreamManager; js: JetStreamClient; module: JetStreamModule } | undefined;
  readonly #owned: boolean;
  #connected = true;
  #closed = false;
  readonly #listeners = new Set<(connected: boolean) => void>();
  readonly #ready = new ReadyWait(
    () => this.connected,
    () => this.#closed,
  );
  #stopWatching: (() => void) | undefined;

  private constructor(
    nc: NatsConnection,
    jetstream: { jsm: JetStreamManager; module: JetStreamModule } | undefined,
    owned: boolean,
    options: NatsConnectionOptions,
  ) {
    this.nc = nc;
    this.#jetstream =
      jetstream === undefined ? undefined : { ...jetstream, js: jetstream.jsm.jetstream() };
    this.#owned = owned;
    this.disconnectedWait = options.disconnectedWait ?? 5_000;
    this.requestTimeout = options.requestTimeout ?? 5_000;
    void this.#watch();
  }

  /**
   * Connect (or adopt `options.connection`) and, unless `jetstream` is false, check that
   * JetStream is enabled.
   * @throws MissingPeerDependencyError without the NATS packages (`@nats-io/jetstream` only
   *   when `jetstream` is true); StoreUnavailableError when no server answers in time;
   *   StoreError when JetStream is not enabled
   */
  static async open(
    options: NatsConnectionOptions,
    feature: string,
    jetstream = true,
  ): Promise<NatsLink> {
    const transport = loadOptionalPeer<TransportModule>('@nats-io/transport-node', feature);
    const owned = options.connection === undefined;
    let nc: NatsConnection;
    if (options.connection !== undefined) nc = options.connection;
    else {
      const servers = options.servers ?? 'nats://127.0.0.1:4222';
      const connectOptions: NodeConnectionOptions = {
        servers,
        name: options.name ?? 'nestjs-jido-signal',
        timeout: options.connectTimeout ?? 5_000,
        maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
        reconnectTimeWait: options.reconnectTimeWait ?? 1_000,
        user: options.user,
        pass: options.pass,
        token: options.token,
      };
      try {
        nc = await transport.connect(connectOptions);
      } catch (cause) {
        const list = (Array.isArray(servers) ? servers : [servers]).map(redactServer).join(', ');
        throw new StoreUnavailableError(
          `NATS (${list})`,
          'connect',
          connectOptions.timeout ?? 5_000,
          describeCause(cause),
        );
      }
    }
    if (!jetstream) return new NatsLink(nc, undefined, owned, options);
    try {
      const module = loadOptionalPeer<JetStreamModule>('@nats-io/jetstream', feature);
      const jsm = await module.jetstreamManager(nc, {
        timeout: options.requestTimeout ?? 5_000,
      });
      return new NatsLink(nc, { jsm, module }, owned, options);
    } catch (cause) {
      if (owned) await nc.close().catch(() => undefined);
      // A missing `@nats-io/jetstream` stays a MissingPeerDependencyError.
      if (cause instanceof JidoSignalError) throw cause;
      throw new StoreError('NATS server has no JetStream (start it with -js)', {
        cause: describeCause(cause),
      });
    }
  }

  /** The loaded `@nats-io/transport-node` module (`headers()`, …); loaded with the link. */
  get transport(): TransportModule {
    return loadOptionalPeer<TransportModule>('@nats-io/transport-node', 'NATS');
  }

  /** The JetStream manager (links opened with JetStream only). */
  get jsm(): JetStreamManager {
    return this.#js().jsm;
  }

  /** The JetStream client (links opened with JetStream only). */
  get js(): JetStreamClient {
    return this.#js().js;
  }

  /** The loaded `@nats-io/jetstream` module (links opened with JetStream only). */
  get module(): JetStreamModule {
    return this.#js().module;
  }

  #js(): { jsm: JetStreamManager; js: JetStreamClient; module: JetStreamModule } {
    if (this.#jetstream === undefined) {
      throw new StoreError('This NATS link was opened without JetStream');
    }
    return this.#jetstream;
  }

  /** Whether the connection is up right now. */
  get connected(): boolean {
    return this.#connected && !this.#closed;
  }

  /** Listen to connection changes. @returns a function that removes the listener */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolve once connected, waiting at most `disconnectedWait` ms.
   * @throws StoreUnavailableError when the connection does not come back in time
   */
  ready(store: string, operation: string): Promise<void> {
    return this.#ready.ready(store, operation, this.disconnectedWait);
  }

  /** Close the connection when this link opened it (drains pending publishes first). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching?.();
    this.#ready.wake();
    if (this.#owned && !this.nc.isClosed()) {
      await this.nc.drain().catch(() => this.nc.close());
    }
  }

  async #watch(): Promise<void> {
    const statuses = this.nc.status();
    // A shared connection outlives the link: stop listening when the link closes.
    this.#stopWatching = () => (statuses as { stop?: () => void }).stop?.();
    for await (const status of statuses) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') this.#set(false);
      else if (status.type === 'reconnect') this.#set(true);
      else if (status.type === 'close') {
        this.#set(false);
        break;
      }
    }
  }

  #set(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    if (connected) {
      this.#ready.wake();
    }
    for (const listener of this.#listeners) listener(connected);
  }
}

/** A secret-free description of a client error (NATS errors never carry credentials). */
export function describeCause(cause: unknown): Error {
  if (cause instanceof Error) {
    return new Error(cause.message.replace(/([a-z][a-z0-9+.-]*:\/\/)?\S*@/gi, '$1'));
  }
  return new Error(String(cause));
}
