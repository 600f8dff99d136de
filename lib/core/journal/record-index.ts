import type { JournalMeta } from './journal-adapter.interface.js';

const NONE = -1;
/** `conv` value of a record alone in the conversation keyed by its own id (no list yet). */
const SELF = -2;

function grownF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
function grownI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n).fill(NONE, a.length);
  b.set(a);
  return b;
}
function grownU32(a: Uint32Array, n: number): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

/** A binary heap of seqs ordered by (time, seq), ascending or descending. */
class SeqHeap {
  private readonly items: number[] = [];

  constructor(
    private readonly time: () => Float64Array,
    private readonly desc: boolean,
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** Time of the first seq (the heap must not be empty). */
  peekTime(): number {
    return this.time()[this.items[0]];
  }

  push(seq: number): void {
    const a = this.items;
    a.push(seq);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l], a[m])) m = l;
        if (r < a.length && this.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  private before(x: number, y: number): boolean {
    const t = this.time();
    const tx = t[x];
    const ty = t[y];
    if (tx !== ty) return this.desc ? tx > ty : tx < ty;
    return this.desc ? x > y : x < y;
  }
}

/**
 * The in-memory index of a file journal, rebuilt from the segments on open. Records are
 * numbered in record order (`seq`); everything per record lives in typed-array columns, so
 * signals themselves stay on disk and a record costs little more than its id string and map
 * slot.
 *
 * - id → seq (`Map`), seq → id (array sharing the same strings);
 * - effective time, record time, location (segment, offset, length);
 * - cause edges as an intrusive list: `cause`, and `firstEffect` / `lastEffect` /
 *   `nextSibling` give every effect of a signal in record order without per-signal arrays;
 * - conversations the same way (`convHead` / `convTail` per conversation, `convNext` per
 *   record); a root alone in the conversation keyed by its own id has no entry at all;
 * - the sparse time index: for every block of `blockSize` consecutive records, the smallest
 *   and largest time in it (a zone map). {@link ordered} visits only the blocks whose
 *   [min, max] overlaps the range and emits lazily in time order — exact even when signals
 *   arrive out of time order, and as cheap as a classic time → offset index when they don't.
 *
 * @internal
 */
export class RecordIndex {
  /** Records indexed. */
  count = 0;
  /** The largest record time indexed (`-Infinity` when empty). */
  lastRecordedAt = -Infinity;
  /** Records from this seq on are hidden from reads (their write failed, see {@link hideFrom}). */
  private hiddenFrom = Infinity;
  private cap = 0;
  private readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  private time = new Float64Array(0);
  private recordedAt = new Float64Array(0);
  private cause = new Int32Array(0);
  private firstEffect = new Int32Array(0);
  private lastEffect = new Int32Array(0);
  private nextSibling = new Int32Array(0);
  private conv = new Int32Array(0);
  private convNext = new Int32Array(0);
  private segment = new Uint32Array(0);
  private offset = new Uint32Array(0);
  private length = new Uint32Array(0);
  /**
   * Causes that are not in the index: an effect recorded before its cause (another
   * instance's record still on its way, `unknownCause: 'link'`), or a hand-made / damaged file.
   */
  private readonly danglingCauses = new Map<number, string>();
  /** Effects (in record order) waiting for a cause id that is not indexed yet. */
  private readonly waitingEffects = new Map<string, number[]>();

  private readonly convKeys: string[] = [];
  private readonly convByKey = new Map<string, number>();
  private convCap = 0;
  private convHead = new Int32Array(0);
  private convTail = new Int32Array(0);

  private blockMin = new Float64Array(0);
  private blockMax = new Float64Array(0);

  /** @param blockSize records per block of the sparse time index */
  constructor(readonly blockSize: number) {}

  /** The seq of `id`, or `undefined`. */
  seqOf(id: string): number | undefined {
    const seq = this.byId.get(id);
    return seq === undefined || seq >= this.hiddenFrom ? undefined : seq;
  }

  /** Records readers see: every indexed one but those {@link hideFrom} hid. */
  get size(): number {
    return Math.min(this.count, this.hiddenFrom);
  }

  /**
   * Hide the records from `seq` on from every read (`seqOf`, effects, conversations, time
   * scans): their write failed, so they are not stored. They keep their seqs.
   */
  hideFrom(seq: number): void {
    if (seq < this.hiddenFrom) this.hiddenFrom = seq;
  }

  /** `true` when indexed records name `id` as their cause although `id` is not indexed. */
  linkedAhead(id: string): boolean {
    return this.waitingEffects.has(id);
  }

  /** The id of `seq`. */
  idOf(seq: number): string {
    return this.ids[seq];
  }

  /** Where `seq` is stored. */
  location(seq: number): { segment: number; offset: number; length: number } {
    return { segment: this.segment[seq], offset: this.offset[seq], length: this.length[seq] };
  }

  /** Metadata of `seq`. */
  meta(seq: number): JournalMeta {
    return {
      id: this.ids[seq],
      time: this.time[seq],
      recordedAt: this.recordedAt[seq],
      causeId: this.causeOf(seq),
      conversationId: this.conversationOf(seq),
    };
  }

  /** Cause id of `seq`. */
  causeOf(seq: number): string | undefined {
    const cause = this.cause[seq];
    return cause === NONE ? this.danglingCauses.get(seq) : this.ids[cause];
  }

  /** Conversation key of `seq`. */
  conversationOf(seq: number): string {
    const c = this.conv[seq];
    return c === SELF ? this.ids[seq] : this.convKeys[c];
  }

  /** Ids of the effects of `seq`, in record order. */
  effectsOf(seq: number): string[] {
    const out: string[] = [];
    for (let e = this.firstEffect[seq]; e !== NONE; e = this.nextSibling[e]!) {
      if (e < this.hiddenFrom) out.push(this.ids[e]);
    }
    return out;
  }

  /** Ids of a conversation, in record order. */
  conversation(key: string): string[] {
    const out: string[] = [];
    const c = this.convByKey.get(key);
    if (c === undefined) {
      const seq = this.seqOf(key);
      if (seq !== undefined && this.conv[seq] === SELF) out.push(key);
      return out;
    }
    for (let s = this.convHead[c]; s !== NONE; s = this.convNext[s]!) {
      if (s < this.hiddenFrom) out.push(this.ids[s]);
    }
    return out;
  }

  /**
   * Index a record. Ids already present are ignored (the first record wins).
   * @returns its seq, or `-1` for a duplicate id
   */
  add(meta: JournalMeta, segment: number, offset: number, length: number): number {
    if (this.byId.has(meta.id)) return NONE;
    return this.append(meta, segment, offset, length);
  }

  /**
   * {@link add} for an id the caller has just looked up and found absent (one map lookup per
   * record instead of two).
   * @returns its seq
   */
  append(meta: JournalMeta, segment: number, offset: number, length: number): number {
    const seq = this.count;
    if (seq === this.cap) this.grow();
    this.count++;
    this.ids.push(meta.id);
    this.byId.set(meta.id, seq);
    this.time[seq] = meta.time;
    this.recordedAt[seq] = meta.recordedAt;
    if (meta.recordedAt > this.lastRecordedAt) this.lastRecordedAt = meta.recordedAt;
    this.segment[seq] = segment;
    this.offset[seq] = offset;
    this.length[seq] = length;
    // Effects recorded before this signal (their cause) link up now, in record order.
    const waiting = this.waitingEffects.get(meta.id);
    if (waiting !== undefined) {
      this.waitingEffects.delete(meta.id);
      for (const effect of waiting) {
        this.danglingCauses.delete(effect);
        this.linkEffect(effect, seq);
      }
    }
    if (meta.causeId !== undefined) {
      const cause = this.byId.get(meta.causeId);
      if (cause === undefined || cause === seq) {
        this.danglingCauses.set(seq, meta.causeId);
        const list = this.waitingEffects.get(meta.causeId);
        if (list === undefined) this.waitingEffects.set(meta.causeId, [seq]);
        else list.push(seq);
      } else this.linkEffect(seq, cause);
    }
    this.joinConversation(seq, meta.id, meta.conversationId);
    const block = Math.floor(seq / this.blockSize);
    if (seq % this.blockSize === 0) {
      this.blockMin[block] = meta.time;
      this.blockMax[block] = meta.time;
    } else {
      if (meta.time < this.blockMin[block]) this.blockMin[block] = meta.time;
      if (meta.time > this.blockMax[block]) this.blockMax[block] = meta.time;
    }
    return seq;
  }

  private linkEffect(seq: number, cause: number): void {
    this.cause[seq] = cause;
    const last = this.lastEffect[cause];
    if (last === NONE) this.firstEffect[cause] = seq;
    else this.nextSibling[last] = seq;
    this.lastEffect[cause] = seq;
  }

  /**
   * Seqs whose time lies in [since, until], in (time, seq) order — reversed for `desc` —
   * produced lazily: a consumer that stops after `limit` results only pays for the blocks
   * it needed. Records added while iterating are not visited.
   */
  *ordered(since: number, until: number, desc: boolean): Generator<number> {
    const count = this.size;
    const size = this.blockSize;
    const blocks = Math.ceil(count / size);
    if (blocks === 0 || since > until) return;
    // bound[b]: the earliest (asc) / latest (desc) time any block from b onwards (in visiting
    // order) can still contribute. A result is final once it is not after that bound.
    const bound = new Float64Array(blocks + 1);
    const overlaps = (b: number) => this.blockMax[b] >= since && this.blockMin[b] <= until;
    if (desc) {
      bound[0] = -Infinity;
      for (let b = 0; b < blocks; b++) {
        const own = overlaps(b) ? Math.min(this.blockMax[b], until) : -Infinity;
        bound[b + 1] = Math.max(bound[b], own);
      }
    } else {
      bound[blocks] = Infinity;
      for (let b = blocks - 1; b >= 0; b--) {
        const own = overlaps(b) ? Math.max(this.blockMin[b], since) : Infinity;
        bound[b] = Math.min(bound[b + 1], own);
      }
    }
    const heap = new SeqHeap(() => this.time, desc);
    const candidates: number[] = [];
    for (let i = 0; i < blocks; i++) {
      const b = desc ? blocks - 1 - i : i;
      // Bound of the blocks still to visit after this one.
      const next = desc ? bound[b] : bound[b + 1];
      if (overlaps(b)) {
        candidates.length = 0;
        let sorted = true;
        let previous = -Infinity;
        const end = Math.min(count, (b + 1) * size);
        const time = this.time;
        for (let s = b * size; s < end; s++) {
          const t = time[s];
          if (t < since || t > until) continue;
          if (t < previous) sorted = false;
          previous = t;
          candidates.push(s);
        }
        const n = candidates.length;
        if (
          heap.size === 0 &&
          sorted &&
          n > 0 &&
          (desc ? this.time[candidates[0]] >= next : this.time[candidates[n - 1]] <= next)
        ) {
          // In-order block that nothing later can precede: emit straight away.
          if (desc) for (let k = n - 1; k >= 0; k--) yield candidates[k];
          else for (let k = 0; k < n; k++) yield candidates[k];
          continue;
        }
        for (let k = 0; k < n; k++) heap.push(candidates[k]);
      }
      while (heap.size > 0 && (desc ? heap.peekTime() >= next : heap.peekTime() <= next)) {
        yield heap.pop();
      }
    }
    while (heap.size > 0) yield heap.pop();
  }

  /** Number of blocks of the sparse time index. */
  get blocks(): number {
    return Math.ceil(this.count / this.blockSize);
  }

  private joinConversation(seq: number, id: string, key: string): void {
    let c = this.convByKey.get(key);
    if (c === undefined) {
      // Roots without a correlation id key their conversation by their own id; most never get
      // a second member, so they get no list (and no map entry) until one joins.
      if (key === id) {
        this.conv[seq] = SELF;
        return;
      }
      c = this.newConversation(key);
      const root = this.byId.get(key);
      if (root !== undefined && this.conv[root] === SELF) {
        this.conv[root] = c;
        this.convHead[c] = root;
        this.convNext[root] = seq;
      } else this.convHead[c] = seq;
    } else this.convNext[this.convTail[c]] = seq;
    this.convTail[c] = seq;
    this.conv[seq] = c;
  }

  private newConversation(key: string): number {
    const c = this.convKeys.length;
    if (c === this.convCap) this.growConversations();
    this.convKeys.push(key);
    this.convByKey.set(key, c);
    return c;
  }

  private grow(): void {
    const n = Math.max(1024, this.cap * 2);
    this.time = grownF64(this.time, n);
    this.recordedAt = grownF64(this.recordedAt, n);
    this.cause = grownI32(this.cause, n);
    this.firstEffect = grownI32(this.firstEffect, n);
    this.lastEffect = grownI32(this.lastEffect, n);
    this.nextSibling = grownI32(this.nextSibling, n);
    this.conv = grownI32(this.conv, n);
    this.convNext = grownI32(this.convNext, n);
    this.segment = grownU32(this.segment, n);
    this.offset = grownU32(this.offset, n);
    this.length = grownU32(this.length, n);
    const blocks = Math.ceil(n / this.blockSize);
    this.blockMin = grownF64(this.blockMin, blocks);
    this.blockMax = grownF64(this.blockMax, blocks);
    this.cap = n;
  }

  private growConversations(): void {
    const n = Math.max(256, this.convCap * 2);
    this.convHead = grownI32(this.convHead, n);
    this.convTail = grownI32(this.convTail, n);
    this.convCap = n;
  }
}
