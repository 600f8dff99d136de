import {
  InvalidSnapshotIdError,
  SnapshotExistsError,
  SnapshotNotFoundError,
} from '../errors/bus.error.js';
import { validatePattern } from '../router/pattern.js';
import { SignalId } from '../signal/signal-id.js';
import type {
  RecordedSignal,
  SignalStore,
  SnapshotRecord,
} from '../store/signal-store.interface.js';

/** What to capture in a snapshot. */
export interface SnapshotOptions {
  /** Only entries recorded at or after this time (ms since the epoch or a Date). @default undefined (from the start) */
  since?: number | Date;
  /** Only entries recorded at or before this time. @default undefined (up to now) */
  until?: number | Date;
  /** Only signals whose `correlationid` extension equals this. @default undefined */
  correlationId?: string;
  /** At most this many entries (the oldest matching). @default undefined (all) */
  limit?: number;
  /**
   * The snapshot's id, chosen by the caller (e.g. `'before-migration-42'`): 1-128 letters,
   * digits, `.`, `_`, `:` or `-`, starting with a letter or digit, and not taken by another
   * snapshot of this bus.
   * @default undefined (a new UUIDv7)
   */
  id?: string;
}

/** Ids a caller may choose for a snapshot. */
const SNAPSHOT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function describeId(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  return value === null ? 'null' : `of type ${typeof value}`;
}

/** A snapshot without its entries, as returned by `create` and `list`. */
export interface SnapshotRef {
  /** Snapshot id (a UUIDv7 unless chosen with `SnapshotOptions.id`). */
  readonly id: string;
  /** The pattern it captured. */
  readonly pattern: string;
  /** When it was taken (ms since the epoch). */
  readonly createdAt: number;
  /** Number of entries. */
  readonly size: number;
}

/** A snapshot with its entries, as returned by `read`. Frozen: later publishes never change it. */
export type Snapshot = SnapshotRecord;

/** @internal */
export function toMillis(value: number | Date | undefined): number | undefined {
  return value instanceof Date ? value.getTime() : value;
}

function frozen(record: SnapshotRecord): SnapshotRecord {
  if (Object.isFrozen(record) && Object.isFrozen(record.entries)) return record;
  return Object.freeze({
    id: record.id,
    pattern: record.pattern,
    createdAt: record.createdAt,
    entries: Object.freeze(
      record.entries.map((e) => (Object.isFrozen(e) ? e : Object.freeze({ ...e }))),
    ),
  });
}

/**
 * Point-in-time copies of matching log entries, kept in the bus's store (`bus.snapshots`).
 * A snapshot is immutable: later publishes, trims and TTL sweeps do not change it. With the
 * default `MemoryStore` owned by the bus, snapshots end with the bus; with a shared store
 * they live as long as the store keeps them.
 */
export class BusSnapshots {
  readonly #bus: string;
  readonly #store: SignalStore;
  readonly #ensureOpen: (operation: string) => void;
  /** Caller-chosen ids being created now (two concurrent creates cannot both take one). */
  readonly #claimed = new Set<string>();

  /** @internal */
  constructor(bus: string, store: SignalStore, ensureOpen: (operation: string) => void) {
    this.#bus = bus;
    this.#store = store;
    this.#ensureOpen = ensureOpen;
  }

  /**
   * Capture the entries whose type matches `pattern` (and the filters) now.
   * @param pattern - router grammar @default '**' (everything)
   * @throws (rejects with) InvalidPatternError for a bad pattern; InvalidSnapshotIdError
   *   (`invalid_id`) for an unusable `id`; SnapshotExistsError (`snapshot_exists`) when
   *   this bus already has a snapshot with that `id` (it is left unchanged); BusClosedError
   *   once the bus is closed
   */
  async create(pattern = '**', options: SnapshotOptions = {}): Promise<SnapshotRef> {
    this.#ensureOpen('create a snapshot');
    validatePattern(pattern);
    const chosen = options.id;
    if (chosen === undefined) return this.#create(SignalId.generate(), pattern, options);
    if (typeof chosen !== 'string' || !SNAPSHOT_ID_RE.test(chosen)) {
      throw new InvalidSnapshotIdError(this.#bus, describeId(chosen));
    }
    // Checked in the store (and among creates in progress here); with a store shared by
    // several processes, two of them creating the same id at the same moment may both pass.
    if (this.#claimed.has(chosen)) throw new SnapshotExistsError(this.#bus, chosen);
    this.#claimed.add(chosen);
    try {
      if ((await this.#store.getSnapshot(this.#bus, chosen)) !== undefined) {
        throw new SnapshotExistsError(this.#bus, chosen);
      }
      return await this.#create(chosen, pattern, options);
    } finally {
      this.#claimed.delete(chosen);
    }
  }

  async #create(id: string, pattern: string, options: SnapshotOptions): Promise<SnapshotRef> {
    const entries: RecordedSignal[] = await this.#store.read(this.#bus, {
      pattern,
      since: toMillis(options.since),
      until: toMillis(options.until),
      correlationId: options.correlationId,
      limit: options.limit,
    });
    const record: SnapshotRecord = Object.freeze({
      id,
      pattern,
      createdAt: Date.now(),
      entries: Object.freeze(entries),
    });
    await this.#store.putSnapshot(this.#bus, record);
    return Object.freeze({
      id: record.id,
      pattern,
      createdAt: record.createdAt,
      size: entries.length,
    });
  }

  /** Every snapshot of this bus, newest first (without entries). */
  async list(): Promise<SnapshotRef[]> {
    this.#ensureOpen('list snapshots');
    const refs = await this.#store.listSnapshots(this.#bus);
    return refs.map((r) =>
      Object.freeze({ id: r.id, pattern: r.pattern, createdAt: r.createdAt, size: r.size }),
    );
  }

  /**
   * The snapshot with its entries (frozen).
   * @throws SnapshotNotFoundError (`snapshot_not_found`) for an unknown id
   */
  async read(id: string): Promise<Snapshot> {
    this.#ensureOpen('read a snapshot');
    const record = await this.#store.getSnapshot(this.#bus, id);
    if (record === undefined) throw new SnapshotNotFoundError(this.#bus, String(id));
    return frozen(record);
  }

  /**
   * Delete a snapshot; its id may be reused afterwards.
   * @throws SnapshotNotFoundError (`snapshot_not_found`) for an unknown id
   */
  async delete(id: string): Promise<void> {
    this.#ensureOpen('delete a snapshot');
    const existed = await this.#store.deleteSnapshot(this.#bus, id);
    if (!existed) throw new SnapshotNotFoundError(this.#bus, String(id));
  }
}
