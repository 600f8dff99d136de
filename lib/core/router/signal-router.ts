import { InvalidPatternError, InvalidRouteError, RoutingError } from '../errors/router.error.js';
import type { Signal } from '../signal/signal.js';
import { SignalId } from '../signal/signal-id.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import { isLiteralPattern, parsePattern, WILDCARD_ONE, WILDCARD_SOME } from './pattern.js';
import { RouteCache, type RouteCacheStats } from './route-cache.js';
import { combine, emptyEntry, RouteRecord, RouteSet, type Entry } from './route-set.js';
import {
  ROUTE_PRIORITY,
  type RoutableSignal,
  type Route,
  type RouterGuardErrorMessage,
  type RouterRoutedMessage,
  type RouteSpec,
  type SignalRouterOptions,
} from './route.interface.js';
import { numericSortKey } from './specificity.js';

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

const guardErrorChannel = telemetryChannel(TelemetryChannel.RouterGuardError);
const routedChannel = telemetryChannel(TelemetryChannel.RouterRouted);

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}

/**
 * Routes signals to targets by type pattern: an exact index for patterns without wildcards
 * and one trie for the others.
 *
 * - Matching is exactly {@link matches}: `*` is one non-empty segment, `**` zero or more
 *   segments anywhere, the whole type is consumed, case-sensitive.
 * - Result order: priority (desc), then specificity ({@link compareSpecificity}), then
 *   registration order. Every route contributes its target at most once.
 * - Guards run only when a signal object is routed; routing a bare type string leaves
 *   guarded routes out (their condition cannot be evaluated without the signal).
 * - A bounded result cache keyed by type is cleared on every change and switches itself off
 *   while its hit rate is low ({@link SignalRouterOptions}).
 * - Route ids are UUIDv7 strings, unique across the routers of a process, so an id from one
 *   router never removes a route of another: the router's own UUIDv7 ({@link SignalId.generate})
 *   with the route's registration number in its last 48 bits. They are derived, not stored.
 *
 * @typeParam T - what a route points at (a handler, a dispatch config, a name…)
 * @typeParam S - what guards receive; {@link Signal} unless you route your own shape
 *
 * @example
 * const router = new SignalRouter<string>();
 * router.add([
 *   { pattern: 'user.**', target: 'audit' },
 *   { pattern: 'user.created', target: 'welcome', priority: 10 },
 *   { pattern: 'user.*', target: 'vip', guard: (s) => s.subject === 'vip' },
 * ]);
 * router.route('user.created'); // ['welcome', 'audit'] — a bare type skips guarded routes
 */
export class SignalRouter<T, S extends RoutableSignal = Signal> {
  readonly #root = new TrieNode<T, S>(undefined, '', 0);
  readonly #exact = new Map<string, RouteSet<T, S>>();
  /** Routes by registration number (`seq`), in registration order. */
  readonly #bySeq = new Map<number, RouteRecord<T, S>>();
  /** The first 24 characters of this router's UUIDv7: every route id starts with them. */
  readonly #idPrefix = SignalId.generate().slice(0, 24);
  readonly #cache: RouteCache<Entry<T, S>>;
  readonly #cacheOn: boolean;
  #wildcardRoutes = 0;
  #seq = 0;
  #epoch = 0;
  // Scratch space of the walk, reused by every call: walks run no user code, so they never
  // re-enter. Stale slots above the top are left alone (clearing costs more than they hold).
  readonly #stackNodes: TrieNode<T, S>[] = [];
  readonly #stackPos: number[] = [];
  readonly #matched: RouteSet<T, S>[] = [];
  /** Per segment of the routed type: its hash, and its start offset (`starts[n]` = length + 1). */
  #hashes = new Int32Array(64);
  #starts = new Int32Array(65);

  /**
   * @param options - result cache tuning; every option has a default
   * @throws ValidationError (`invalid_route`) for an option out of range
   */
  constructor(options: SignalRouterOptions = {}) {
    this.#cache = new RouteCache<Entry<T, S>>(options);
    this.#cacheOn = this.#cache.stats().capacity > 0;
  }

  /** Number of registered routes. */
  get size(): number {
    return this.#bySeq.size;
  }

  /**
   * Register one route; returns its id.
   * @throws InvalidPatternError for a bad pattern, InvalidRouteError for anything else
   */
  add(route: RouteSpec<T, S>): string;
  /**
   * Register several routes; returns their ids in the same order. All or nothing: when one
   * route is invalid, none is added.
   * @throws InvalidPatternError / InvalidRouteError whose `details.routeIndex` names the route
   */
  add(routes: readonly RouteSpec<T, S>[]): string[];
  add(input: RouteSpec<T, S> | readonly RouteSpec<T, S>[]): string | string[] {
    if (Array.isArray(input)) {
      const list = input as readonly RouteSpec<T, S>[];
      const prepared = list.map((spec, i) => this.#prepare(spec, i));
      for (const p of prepared) this.#insert(p.record, p.segments);
      this.#changed();
      return prepared.map((p) => this.#idOf(p.record.seq));
    }
    const p = this.#prepare(input as RouteSpec<T, S>, undefined);
    this.#insert(p.record, p.segments);
    this.#changed();
    return this.#idOf(p.record.seq);
  }

  /** Remove the route with this id. Returns whether it existed. */
  remove(routeId: string): boolean {
    const record = this.#recordOf(routeId);
    if (record === undefined) return false;
    this.#delete(record);
    this.#changed();
    return true;
  }

  /**
   * Remove the routes registered with exactly this pattern (string equality, not matching)
   * and, when `target` is given, that target (`Object.is`). Routes with other patterns —
   * longer ones included — stay. Returns how many were removed; an invalid or unknown
   * pattern removes nothing.
   */
  removeWhere(pattern: string, ...target: [target?: T]): number {
    const set = this.#setAt(pattern);
    if (set === undefined) return 0;
    const victims =
      target.length === 0
        ? [...set.routes]
        : set.routes.filter((r) => Object.is(r.target, target[0]));
    for (const r of victims) this.#delete(r);
    if (victims.length > 0) this.#changed();
    return victims.length;
  }

  /**
   * The targets of every route matching the signal (or bare type), in order: priority desc,
   * then specificity, then registration order; each route at most once. Empty when nothing
   * matches (never an error). The array is read-only and may be shared between calls.
   *
   * Guards receive the signal object passed in. For a bare type string guards do not run and
   * guarded routes are left out. Every call publishes `{ type, matched, cached }` on
   * `TelemetryChannel.RouterRouted` when that channel has subscribers.
   * @throws RoutingError when `input` is neither a string nor an object with a string `type`
   */
  route(input: S | string): readonly T[] {
    let type: string;
    let signal: S | undefined;
    if (typeof input === 'string') type = input;
    else {
      if (typeof input !== 'object' || input === null || typeof input.type !== 'string') {
        throw new RoutingError(
          `route() needs a type string or a signal with a string type, got ${describe(input)}`,
          { details: { input: describe(input) } },
        );
      }
      type = input.type;
      signal = input;
    }
    let entry: Entry<T, S> | undefined;
    let cached = false;
    if (this.#cacheOn) {
      entry = this.#cache.get(type);
      if (entry === undefined) {
        entry = this.#compute(type);
        this.#cache.set(type, entry);
      } else cached = true;
    } else entry = this.#compute(type);
    const result =
      signal === undefined || !entry.guarded ? entry.targets : this.#guarded(entry, signal, type);
    if (routedChannel.hasSubscribers) {
      routedChannel.publish({ type, matched: result.length, cached } satisfies RouterRoutedMessage);
    }
    return result;
  }

  /** Whether some route is registered with exactly this pattern (string equality). */
  has(pattern: string): boolean {
    return this.#setAt(pattern) !== undefined;
  }

  /** The route with this id, if registered. */
  get(routeId: string): Route<T, S> | undefined {
    return this.#recordOf(routeId)?.toRoute(routeId);
  }

  /** Every registered route, in registration order. */
  list(): Route<T, S>[] {
    const out: Route<T, S>[] = [];
    for (const r of this.#bySeq.values()) out.push(r.toRoute(this.#idOf(r.seq)));
    return out;
  }

  /** Remove every route. */
  clear(): void {
    this.#bySeq.clear();
    this.#exact.clear();
    const root = this.#root;
    root.literal = root.star = root.globstar = undefined;
    root.routes = undefined;
    this.#wildcardRoutes = 0;
    this.#stackNodes.length = 0;
    this.#stackPos.length = 0;
    this.#matched.length = 0;
    this.#changed();
  }

  /** Counters of the result cache (hits, misses, whether it is switched on). */
  cacheStats(): RouteCacheStats {
    return this.#cache.stats();
  }

  #prepare(
    spec: RouteSpec<T, S>,
    index: number | undefined,
  ): { record: RouteRecord<T, S>; segments: string[] } {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new InvalidRouteError(
        'route',
        `a route must be an object, got ${describe(spec)}`,
        index,
      );
    }
    let segments: string[];
    try {
      segments = parsePattern(spec.pattern);
    } catch (error) {
      if (index === undefined || !(error instanceof InvalidPatternError)) throw error;
      throw new InvalidPatternError(error.pattern, error.reason, error.segment, error.index, {
        details: { routeIndex: index },
      });
    }
    if (spec.target === undefined) {
      throw new InvalidRouteError('target', 'a route needs a target', index);
    }
    const priority: unknown = spec.priority ?? ROUTE_PRIORITY.default;
    if (
      typeof priority !== 'number' ||
      !Number.isInteger(priority) ||
      priority < ROUTE_PRIORITY.min ||
      priority > ROUTE_PRIORITY.max
    ) {
      throw new InvalidRouteError(
        'priority',
        `priority must be an integer in ${ROUTE_PRIORITY.min}..${ROUTE_PRIORITY.max}, got ${typeof priority === 'number' ? priority : describe(priority)}`,
        index,
        { details: { priority: typeof priority === 'number' ? priority : describe(priority) } },
      );
    }
    const guard: unknown = spec.guard;
    if (guard !== undefined && typeof guard !== 'function') {
      throw new InvalidRouteError(
        'guard',
        `guard must be a function, got ${describe(guard)}`,
        index,
      );
    }
    const normalised = priority === 0 ? 0 : priority; // -0 → 0
    const record = new RouteRecord<T, S>(
      spec.pattern,
      spec.target,
      spec.guard,
      numericSortKey(normalised, segments),
    );
    return { record, segments };
  }

  #insert(record: RouteRecord<T, S>, segments: readonly string[]): void {
    record.seq = ++this.#seq;
    this.#bySeq.set(record.seq, record);
    if (isLiteralPattern(record.pattern)) {
      let set = this.#exact.get(record.pattern);
      if (set === undefined) this.#exact.set(record.pattern, (set = new RouteSet()));
      set.add(record);
      return;
    }
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
    this.#wildcardRoutes++;
  }

  #delete(record: RouteRecord<T, S>): void {
    this.#bySeq.delete(record.seq);
    const set = this.#setAt(record.pattern);
    if (set === undefined) return;
    set.delete(record);
    if (isLiteralPattern(record.pattern)) {
      if (set.size === 0) this.#exact.delete(record.pattern);
      return;
    }
    this.#wildcardRoutes--;
    if (set.size > 0) return;
    const node = this.#nodeAt(record.pattern);
    if (node === undefined) return;
    node.routes = undefined;
    this.#prune(node);
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

  /** The routes registered with exactly `pattern`, if any. */
  #setAt(pattern: string): RouteSet<T, S> | undefined {
    if (typeof pattern !== 'string' || pattern.length === 0) return undefined;
    const set = isLiteralPattern(pattern)
      ? this.#exact.get(pattern)
      : this.#nodeAt(pattern)?.routes;
    return set !== undefined && set.size > 0 ? set : undefined;
  }

  /** The id of the route registered `seq`-th: this router's prefix, then 12 hex digits. */
  #idOf(seq: number): string {
    return this.#idPrefix + seq.toString(16).padStart(12, '0');
  }

  /** The route an id names, if it is one of this router's and still registered. */
  #recordOf(routeId: string): RouteRecord<T, S> | undefined {
    if (typeof routeId !== 'string' || routeId.length !== 36) return undefined;
    if (!routeId.startsWith(this.#idPrefix)) return undefined;
    const seq = parseInt(routeId.slice(24), 16);
    // Only the canonical spelling (lower-case, as issued) names a route.
    if (!Number.isSafeInteger(seq) || this.#idOf(seq) !== routeId) return undefined;
    return this.#bySeq.get(seq);
  }

  #changed(): void {
    this.#cache.clear();
  }

  /** The ordered routes for one type (guarded or not). */
  #compute(type: string): Entry<T, S> {
    if (type.length === 0) return emptyEntry();
    const bucket = this.#exact.get(type);
    if (this.#wildcardRoutes === 0) return bucket ?? emptyEntry();
    const matched = this.#matched;
    let m = 0;
    if (bucket !== undefined) matched[m++] = bucket;
    m = this.#walk(type, this.#tokenize(type), matched, m);
    // Do not keep scratch space sized for one huge type around.
    if (this.#starts.length > 4096) {
      this.#hashes = new Int32Array(64);
      this.#starts = new Int32Array(65);
    }
    return m === 0 ? emptyEntry() : combine(matched, m);
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

  #guarded(entry: Entry<T, S>, signal: S, type: string): T[] {
    const out: T[] = [];
    for (const r of entry.routes!) {
      const guard = r.guard;
      if (guard === undefined) {
        out.push(r.target);
        continue;
      }
      let verdict: unknown;
      try {
        verdict = guard(signal);
      } catch (error) {
        emit(guardErrorChannel, (): RouterGuardErrorMessage => ({
          routeId: this.#idOf(r.seq),
          pattern: r.pattern,
          type,
          error,
        }));
        continue;
      }
      if (verdict === true) out.push(r.target);
    }
    return out;
  }
}
