import { JournalClosedError } from '../errors/journal.error.js';
import type {
  JournalAdapter,
  JournalEntry,
  JournalMeta,
  JournalScan,
} from './journal-adapter.interface.js';
import type { SyncStaging } from './sync-staging.js';

interface Slot {
  readonly entry: JournalEntry;
  /** Record order, the tie-breaker between equal times. */
  readonly seq: number;
}

/** `true` when slot `a` sorts before (time, seq) `b`. */
function before(a: Slot, time: number, seq: number): boolean {
  return a.entry.time < time || (a.entry.time === time && a.seq < seq);
}

/**
 * The default journal adapter: everything in process memory, nothing survives a restart.
 * Entries are kept in a time-ordered array (appends are O(1) while signals arrive in time
 * order; an older signal is inserted by binary search), so range scans are a binary search
 * plus a walk.
 */
export class MemoryJournal implements JournalAdapter {
  /** @inheritdoc */
  readonly name = 'memory';
  private readonly byId = new Map<string, Slot>();
  private readonly effects = new Map<string, string[]>();
  // A conversation with a single member keyed by that member's own id (every root without a
  // correlation id) needs no list: the list is created when a second member joins.
  private readonly conversations = new Map<string, string[]>();
  private readonly timeline: Slot[] = [];
  /** Bumped whenever an insert shifts existing timeline positions, so running scans re-seek. */
  private shifts = 0;
  private seq = 0;
  private closed = false;

  private check(): void {
    if (this.closed) throw new JournalClosedError('MemoryJournal');
  }

  /** @inheritdoc */
  putSignal(entry: JournalEntry): Promise<void> {
    if (this.closed) return Promise.reject(new JournalClosedError('MemoryJournal'));
    this.store(entry);
    return Promise.resolve();
  }

  /**
   * The synchronous fast path `SignalJournal` uses; `undefined` for a subclass that overrides
   * how entries are stored or looked up (its overrides must run).
   * @internal
   */
  syncStaging(): SyncStaging | undefined {
    const proto = MemoryJournal.prototype;
    if (
      this.putSignal !== proto.putSignal ||
      this.getMeta !== proto.getMeta ||
      (this as JournalAdapter).stageSignal !== undefined
    ) {
      return undefined;
    }
    return {
      metaSync: (id) => {
        this.check();
        return this.byId.get(id)?.entry;
      },
      linkedAhead: (id) => !this.byId.has(id) && this.effects.has(id),
      stageSync: (entry) => {
        this.check();
        this.store(entry);
        return undefined;
      },
      backpressure: undefined,
    };
  }

  private store(entry: JournalEntry): void {
    if (this.byId.has(entry.id)) return;
    const slot: Slot = { entry, seq: this.seq++ };
    this.byId.set(entry.id, slot);
    if (entry.causeId !== undefined) {
      const list = this.effects.get(entry.causeId);
      if (list === undefined) this.effects.set(entry.causeId, [entry.id]);
      else list.push(entry.id);
    }
    const key = entry.conversationId;
    const members = this.conversations.get(key);
    if (members !== undefined) members.push(entry.id);
    else if (key !== entry.id) {
      const root = this.byId.get(key);
      this.conversations.set(
        key,
        root !== undefined && root.entry.conversationId === key ? [key, entry.id] : [entry.id],
      );
    }
    const tl = this.timeline;
    const last = tl[tl.length - 1];
    if (last === undefined || last.entry.time <= entry.time) tl.push(slot);
    else {
      tl.splice(this.lowerBound(entry.time, slot.seq), 0, slot);
      this.shifts++;
    }
  }

  /** @inheritdoc */
  getSignal(id: string): Promise<JournalEntry | undefined> {
    return this.run(() => this.byId.get(id)?.entry);
  }

  /** @inheritdoc */
  getMeta(id: string): Promise<JournalMeta | undefined> {
    return this.run(() => this.byId.get(id)?.entry);
  }

  /** @inheritdoc */
  getCause(id: string): Promise<string | undefined> {
    return this.run(() => this.byId.get(id)?.entry.causeId);
  }

  /** @inheritdoc */
  getEffects(id: string): Promise<string[]> {
    return this.run(() => [...(this.effects.get(id) ?? [])]);
  }

  /** @inheritdoc */
  getConversation(conversationId: string): Promise<string[]> {
    return this.run(() => {
      const members = this.conversations.get(conversationId);
      if (members !== undefined) return [...members];
      const root = this.byId.get(conversationId);
      return root !== undefined && root.entry.conversationId === conversationId
        ? [conversationId]
        : [];
    });
  }

  /** @inheritdoc */
  // eslint-disable-next-line @typescript-eslint/require-await -- async by contract; answered from memory
  async *scan(range: JournalScan = {}): AsyncGenerator<JournalEntry> {
    this.check();
    const since = range.since ?? -Infinity;
    const until = range.until ?? Infinity;
    const tl = this.timeline;
    if (range.order === 'desc') {
      // Start at the last slot with time <= until; inserts at or after the cursor don't move
      // the slots still to visit, earlier ones are detected through `shifts`.
      let i = this.lowerBound(until, Infinity) - 1;
      let shifts = this.shifts;
      while (i >= 0) {
        const slot = tl[i];
        if (slot.entry.time < since) return;
        yield slot.entry;
        this.check();
        if (shifts !== this.shifts) {
          shifts = this.shifts;
          i = this.lowerBound(slot.entry.time, slot.seq);
        }
        i--;
      }
      return;
    }
    let i = this.lowerBound(since, -Infinity);
    let shifts = this.shifts;
    while (i < tl.length) {
      const slot = tl[i];
      if (slot.entry.time > until) return;
      yield slot.entry;
      this.check();
      if (shifts !== this.shifts) {
        shifts = this.shifts;
        i = this.lowerBound(slot.entry.time, slot.seq);
      }
      i++;
    }
  }

  /** @inheritdoc */
  size(): Promise<number> {
    return this.run(() => this.byId.size);
  }

  /** Nothing to make durable. */
  flush(): Promise<void> {
    return this.run(() => undefined);
  }

  /** @inheritdoc */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Index of the first slot not before (time, seq). */
  private lowerBound(time: number, seq: number): number {
    const tl = this.timeline;
    let lo = 0;
    let hi = tl.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(tl[mid], time, seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private run<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new JournalClosedError('MemoryJournal'));
    return Promise.resolve(fn());
  }
}
