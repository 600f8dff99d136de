/**
 * What every part of the JetStream store shares: the connection, stream and subject names,
 * resolved options, the closed state, error reporting and mapping, the record clock, the
 * streams created so far, and the feeds and consumers to stop on `close()`. One per store
 * object; the parts (log, state, DLQ, snapshots, consumers, tail) hold it.
 * @module
 * @internal
 */
import type { StreamConfig } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import { JidoSignalError } from '../../errors/jido-signal.error.js';
import { StoreClosedError, StoreError, StoreUnavailableError } from '../../errors/store.error.js';
import { isApiError } from '../../nats/api-errors.js';
import { isTransientClusterError } from '../../nats/cluster-errors.js';
import { describeCause, type NatsLink } from '../../nats/connection.js';
import { describeMismatches, ensureStream, streamConfig } from '../../nats/stream-config.js';
import { assertId } from '../shared/args.js';
import { reportFailure } from '../shared/report-failure.js';
import { RunningSet, type Running } from '../shared/running.js';
import { STORE } from './codec.js';
import type { ResolvedJetStreamStoreOptions } from './options.js';
import { assertBusName, JetStreamNames } from './subjects.js';

/** The shared state and helpers of one JetStream store object. @internal */
export class StoreContext {
  /** Random id of the store object, stamped on every entry it appends. */
  readonly instanceId: string = randomUUID();
  readonly names: JetStreamNames;
  /** Feeds and consumers of this store object, stopped by `close()`. */
  readonly running = new RunningSet();
  /** Listeners added with `onError` (besides `options.onError`). */
  readonly errorListeners = new Set<(error: StoreError) => void>();
  closed = false;
  /** Streams created (or being created) by this object, by name. */
  readonly #streams = new Map<string, Promise<void>>();
  /** Streams whose configuration mismatch was reported already. */
  readonly #warned = new Set<string>();
  #lastMs = 0;

  constructor(
    readonly link: NatsLink,
    readonly options: ResolvedJetStreamStoreOptions,
  ) {
    this.names = new JetStreamNames(options.prefix);
  }

  /** @throws StoreClosedError after `close()` */
  assertOpen(): void {
    if (this.closed) throw new StoreClosedError(STORE);
  }

  /**
   * The first step of every operation on `bus`: the store is open and `bus` is a valid bus
   * name (and `id` a string, when `field` names it).
   */
  check(bus: string, id?: unknown, field?: string): void {
    this.assertOpen();
    assertBusName(bus);
    if (field !== undefined) assertId(id, field);
  }

  /** Wait (at most `disconnectedWait`) for the connection, then check the store is open. */
  async ready(operation: string): Promise<void> {
    await this.link.ready(STORE, operation);
    this.assertOpen();
  }

  /** Record time of an append: the clock, never below an earlier one of this store object. */
  now(): number {
    const now = Date.now();
    if (now > this.#lastMs) this.#lastMs = now;
    return this.#lastMs;
  }

  /** Keep later appends' record times at or above `ms` (an entry another instance appended). */
  observe(ms: number): void {
    if (ms > this.#lastMs) this.#lastMs = ms;
  }

  /** Register something to stop on `close()`; its `stop()` also unregisters it (once). */
  track(bus: string, subscriptionId: string | undefined, stop: () => Promise<void>): Running {
    return this.running.track(bus, subscriptionId, stop);
  }

  /** Hand a failure nobody awaits to `options.onError` and every `onError` listener. */
  report(error: unknown, where: string): void {
    const listeners = [this.options.onError, ...this.errorListeners];
    reportFailure(STORE, error, where, describeCause, listeners);
  }

  /** Whether `error` is the JetStream API error `code`. */
  isApiError(error: unknown, code: number): boolean {
    return isApiError(this.link, error, code);
  }

  /**
   * The error a caller gets for a failed `operation`: typed errors as they are; otherwise
   * `closed` after `close()`, `store_unavailable` while disconnected, else a secret-free
   * `store_error` (retryable when the cluster is healing).
   */
  mapError(operation: string, error: unknown): Error {
    if (error instanceof JidoSignalError) return error;
    if (this.closed) return new StoreClosedError(STORE);
    const cause = describeCause(error);
    if (!this.link.connected) {
      return new StoreUnavailableError(STORE, operation, 0, cause);
    }
    return new StoreError(`${STORE}: ${operation} failed: ${cause.message}`, {
      details: { operation },
      cause,
      retryable: isTransientClusterError(error),
    });
  }

  /**
   * Create the stream `name` once per store object (with the store's storage and replicas).
   * An existing stream's `compared` settings (and replicas when the `replicas` option is
   * given) are changed only with `updateExisting`; otherwise a mismatch is reported once and
   * the server's configuration is kept. A failed creation is tried again by the next call.
   */
  ensure(
    name: string,
    config: Partial<StreamConfig>,
    compared: readonly (keyof StreamConfig)[],
  ): Promise<void> {
    let pending = this.#streams.get(name);
    if (pending === undefined) {
      const o = this.options;
      const fields: Array<keyof StreamConfig> = [...compared];
      if (o.replicasGiven) fields.push('num_replicas');
      const full = streamConfig(name, o.storage, o.replicas, { allow_direct: true, ...config });
      pending = ensureStream(this.link, full, {
        compare: fields,
        update: o.updateExisting,
        onMismatch: (mismatches) => {
          if (this.#warned.has(name)) return;
          this.#warned.add(name);
          this.report(
            new StoreError(
              `${STORE}: stream "${name}" exists with other settings: ${describeMismatches(mismatches)}; ` +
                "keeping the server's configuration (set updateExisting: true to change it)",
              { details: { stream: name, mismatches: mismatches.map((m) => ({ ...m })) } },
            ),
            'create stream',
          );
        },
      }).then(
        () => undefined,
        (error: unknown) => {
          this.#streams.delete(name);
          throw this.mapError('create stream', error);
        },
      );
      this.#streams.set(name, pending);
    }
    return pending;
  }

  /** Forget that `name` was created (it was deleted): the next {@link ensure} creates it. */
  forget(name: string): void {
    this.#streams.delete(name);
  }

  /** Create one of the prefix-wide streams (state, DLQ, snapshots). */
  ensureShared(stream: string): Promise<void> {
    const n = this.names;
    if (stream === n.stateStream) {
      return this.ensure(stream, { subjects: [n.stateSubjects()], max_msgs_per_subject: 1 }, [
        'max_msgs_per_subject',
      ]);
    }
    if (stream === n.dlqStream) return this.ensure(stream, { subjects: [n.dlqSubjects()] }, []);
    return this.ensure(stream, { subjects: [n.snapshotSubjects()] }, []);
  }
}
