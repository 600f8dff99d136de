// The trie of a `SignalRouter`'s wildcard patterns (`*`, `**`): its nodes keyed by segment
// hash, inserting and removing routes, and the walk that collects the route sets matching a
// type without splitting it into strings.
import type { RoutableSignal } from './route.interface.js';
import { WILDCARD_ONE, WILDCARD_SOME } from './pattern.js';
import { RouteSet, type RouteRecord } from './route-set.js';

/** Seed and prime of 32-bit FNV-1a. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;
/** Hashes are cut to 30 bits so they stay small integers (Smis) as Map keys. */
const HASH_MASK = 0x3fffffff;

/** FNV-1a hash of a literal segment, the same as the walk computes on the type in place. */
function hashSegment(segment: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < segment.length; i++) h = Math.imul(h ^ segment.charCodeAt(i), FNV_PRIME);
  return h & HASH_MASK;
}

class TrieNode<T, S extends RoutableSignal> {
  /**
   * Literal children by segment hash. Routing hashes the type's segments in place instead
   * of splitting it (which allocates a string per segment); colliding keys chain through
   * {@link TrieNode.sameHash} and every hit is confirmed against the key text.
   */
  literal: Map<number, TrieNode<T, S>> | undefined = undefined;
  /** Next literal sibling whose key has the same hash. */
  sameHash: TrieNode<T, S> | undefined = undefined;
  star: TrieNode<T, S> | undefined = undefined;
  globstar: TrieNode<T, S> | undefined = undefined;
  /** Routes whose pattern ends here; `undefined` while there are none. */
  routes: RouteSet<T, S> | undefined = undefined;
  /** Walk state of a `**` node: the routing call that last entered it, and from where. */
  epoch = 0;
  minPos = 0;

  constructor(
    readonly parent: TrieNode<T, S> | undefined,
    readonly key: string,
    readonly hash: number,
  ) {}

  /** The literal child for `key`, if any. */
  child(key: string, hash: number): TrieNode<T, S> | undefined {
    let c = this.literal?.get(hash);
    while (c !== undefined && c.key !== key) c = c.sameHash;
    return c;
  }

  /** Attach a new literal child (the caller checked it does not exist). */
  attach(child: TrieNode<T, S>): void {
    const map = (this.literal ??= new Map<number, TrieNode<T, S>>());
    const head = map.get(child.hash);
    if (head === undefined) {
      map.set(child.hash, child);
      return;
    }
    let tail = head;
    while (tail.sameHash !== undefined) tail = tail.sameHash;
    tail.sameHash = child;
  }

  /** Detach a literal child. */
  detach(child: TrieNode<T, S>): void {
    const map = this.literal;
    if (map === undefined) return;
    const head = map.get(child.hash);
    if (head === child) {
      if (child.sameHash === undefined) map.delete(child.hash);
      else map.set(child.hash, child.sameHash);
    } else {
      let prev = head;
      while (prev !== undefined && prev.sameHash !== child) prev = prev.sameHash;
      if (prev !== undefined) prev.sameHash = child.sameHash;
    }
    child.sameHash = undefined;
    if (map.size === 0) this.literal = undefined;
  }

  isEmpty(): boolean {
    return (
      this.routes === undefined &&
      this.literal === undefined &&
      this.star === undefined &&
      this.globstar === undefined
    );
  }
}

/**
 * Whether a walk state (node, pos) can still produce a match: at the end of the type the node
 * needs routes or a `**` child, before it some child. Checked before pushing, so dead states
 * never reach the stack.
 */
function viable<T, S extends RoutableSignal>(
  node: TrieNode<T, S>,
  pos: number,
  n: number,
): boolean {
  return pos === n
    ? node.routes !== undefined || node.globstar !== undefined
    : node.literal !== undefined || node.star !== undefined || node.globstar !== undefined;
}

/**
 * The wildcard patterns of one router as a trie. Walks reuse the scratch space held here:
 * they run no user code, so they never re-enter.
 * @internal
 */
export class RouteTrie<T, S extends RoutableSignal> {
  readonly #root = new TrieNode<T, S>(undefined, '', 0);
  /** Number of routes registered in the trie. */
  #size = 0;
  #epoch = 0;
  // Scratch space of the walk. Stale slots above the top are left alone (clearing costs more
  // than they hold).
  readonly #stackNodes: TrieNode<T, S>[] = [];
  readonly #stackPos: number[] = [];
  /** Per segment of the routed type: its hash, and its start offset (`starts[n]` = length + 1). */
  #hashes = new Int32Array(64);
  #starts = new Int32Array(65);

  /** Number of routes with a wildcard pattern. */
  get size(): number {
    return this.#size;
  }

  /** Register `record` under its parsed wildcard pattern. */
  insert(record: RouteRecord<T, S>, segments: readonly string[]): void {
    let node = this.#root;
    for (const s of segments) {
      let next: TrieNode<T, S> | undefined;
      if (s === WILDCARD_SOME) next = node.globstar ??= new TrieNode(node, s, 0);
      else if (s === WILDCARD_ONE) next = node.star ??= new TrieNode(node, s, 0);
      else {
        const hash = hashSegment(s);
        next = node.child(s, hash);
        if (next === undefined) {
          next = new TrieNode(node, s, hash);
          node.attach(next);
        }
      }
      node = next;
    }
    (node.routes ??= new RouteSet()).add(record);
    this.#size++;
  }

  /** Unregister `record`, whose wildcard pattern's route set is `set`. */
  delete(record: RouteRecord<T, S>, set: RouteSet<T, S>): void {
    set.delete(record);
    this.#size--;
    if (set.size > 0) return;
    const node = this.#nodeAt(record.pattern);
    if (node === undefined) return;
    node.routes = undefined;
    this.#prune(node);
  }

  /** The routes registered with exactly this wildcard pattern, if any (maybe empty). */
  routesAt(pattern: string): RouteSet<T, S> | undefined {
    return this.#nodeAt(pattern)?.routes;
  }

  /** Remove every route and drop the scratch space. */
  clear(): void {
    const root = this.#root;
    root.literal = root.star = root.globstar = undefined;
    root.routes = undefined;
    this.#size = 0;
    this.#stackNodes.length = 0;
    this.#stackPos.length = 0;
  }

  /**
   * Collect the route sets of the wildcard patterns matching `type` into `out` from index
   * `m`; returns the new count.
   */
  match(type: string, out: RouteSet<T, S>[], m: number): number {
    const count = this.#walk(type, this.#tokenize(type), out, m);
    // Do not keep scratch space sized for one huge type around.
    if (this.#starts.length > 4096) {
      this.#hashes = new Int32Array(64);
      this.#starts = new Int32Array(65);
    }
    return count;
  }

  /** Drop empty nodes from `start` upwards, so removed patterns leave no dead branches. */
  #prune(start: TrieNode<T, S>): void {
    let node = start;
    while (node.parent !== undefined && node.isEmpty()) {
      const parent = node.parent;
      if (parent.globstar === node) parent.globstar = undefined;
      else if (parent.star === node) parent.star = undefined;
      else parent.detach(node);
      node = parent;
    }
  }

  /** The trie node at exactly this wildcard pattern (wildcards taken as keys). */
  #nodeAt(pattern: string): TrieNode<T, S> | undefined {
    let node: TrieNode<T, S> | undefined = this.#root;
    for (const s of pattern.split('.')) {
      if (s === WILDCARD_SOME) node = node.globstar;
      else if (s === WILDCARD_ONE) node = node.star;
      else node = node.child(s, hashSegment(s));
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** Hash the segments of `type` in place into the scratch arrays; returns their count. */
  #tokenize(type: string): number {
    const len = type.length;
    if (len + 2 > this.#starts.length) {
      this.#hashes = new Int32Array(len + 2);
      this.#starts = new Int32Array(len + 2);
    }
    const hashes = this.#hashes;
    const starts = this.#starts;
    let n = 0;
    let start = 0;
    let h = FNV_OFFSET;
    for (let i = 0; i < len; i++) {
      const c = type.charCodeAt(i);
      if (c === 46) {
        hashes[n] = h & HASH_MASK;
        starts[n++] = start;
        start = i + 1;
        h = FNV_OFFSET;
      } else h = Math.imul(h ^ c, FNV_PRIME);
    }
    hashes[n] = h & HASH_MASK;
    starts[n++] = start;
    starts[n] = len + 1;
    return n;
  }

  /**
   * Collect the route sets of the wildcard patterns matching the `n` tokenized segments of
   * `type` into `out` from index `m`; returns the new count.
   *
   * An explicit stack of (node, position) states keeps deep patterns off the call stack.
   * Children are pushed so that they pop in specificity order — literal subtree, `*`
   * subtree, the node's own routes, then its `**` subtree — so the sets usually come out
   * already in route order and {@link combine} has little left to sort.
   *
   * Entering a `**` node g from position p is a separate stack item (position encoded as
   * −1 − p). Each `**` node remembers the smallest position it was entered at during this
   * walk: entered at p it covers p..n, so a later entry at p' ≥ p adds nothing and one at
   * p' < p only adds p'..p−1. Every (node, position) state is therefore processed at most
   * once: the walk is bounded by nodes × positions and yields each route set at most once,
   * whatever the number of `**`.
   */
  #walk(type: string, n: number, out: RouteSet<T, S>[], m: number): number {
    const hashes = this.#hashes;
    const starts = this.#starts;
    const epoch = ++this.#epoch;
    const nodes = this.#stackNodes;
    const positions = this.#stackPos;
    nodes[0] = this.#root;
    positions[0] = 0;
    let top = 1;
    while (top > 0) {
      top--;
      const node = nodes[top];
      const pos = positions[top];
      if (pos < 0) {
        // Enter the `**` node `node` from position −1 − pos.
        const from = -1 - pos;
        let until: number;
        if (node.epoch === epoch) {
          if (from >= node.minPos) continue;
          until = node.minPos;
        } else {
          node.epoch = epoch;
          until = n + 1;
        }
        node.minPos = from;
        const gLiteral = node.literal;
        const gStar = node.star;
        if (until === n + 1) {
          until = n;
          if (node.routes !== undefined) {
            if (gLiteral === undefined && gStar === undefined) {
              out[m++] = node.routes; // a trailing `**`: nothing else to do
              continue;
            }
            // Its own routes rank after its children's: pop them last.
            nodes[top] = node;
            positions[top++] = n;
          }
        }
        // A `**` node has no `**` child (adjacent `**` are invalid), so it never re-enters
        // itself. `*` states first so that literal states pop first.
        if (gStar !== undefined) {
          for (let q = until - 1; q >= from; q--) {
            if (starts[q + 1] - 1 > starts[q] && viable(gStar, q + 1, n)) {
              nodes[top] = gStar;
              positions[top++] = q + 1;
            }
          }
        }
        if (gLiteral !== undefined) {
          for (let q = until - 1; q >= from; q--) {
            const start = starts[q];
            const length = starts[q + 1] - 1 - start;
            let c = gLiteral.get(hashes[q]);
            while (c !== undefined && !(c.key.length === length && type.startsWith(c.key, start))) {
              c = c.sameHash;
            }
            if (c !== undefined && viable(c, q + 1, n)) {
              nodes[top] = c;
              positions[top++] = q + 1;
            }
          }
        }
        continue;
      }
      if (node.globstar !== undefined) {
        nodes[top] = node.globstar;
        positions[top++] = -1 - pos;
      }
      if (pos === n) {
        if (node.routes !== undefined) out[m++] = node.routes;
        continue;
      }
      const next = pos + 1;
      const start = starts[pos];
      const length = starts[next] - 1 - start;
      const star = node.star;
      if (star !== undefined && length > 0 && viable(star, next, n)) {
        nodes[top] = star;
        positions[top++] = next;
      }
      const literalMap = node.literal;
      if (literalMap !== undefined) {
        let c = literalMap.get(hashes[pos]);
        while (c !== undefined && !(c.key.length === length && type.startsWith(c.key, start))) {
          c = c.sameHash;
        }
        if (c !== undefined && viable(c, next, n)) {
          nodes[top] = c;
          positions[top++] = next;
        }
      }
    }
    return m;
  }
}
