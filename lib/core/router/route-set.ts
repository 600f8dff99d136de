import type { RouteGuard, RoutableSignal, Route } from './route.interface.js';
import { NUMERIC_POSITIONS, priorityOf, specificityKey } from './specificity.js';

/**
 * One registered route with everything routing needs precomputed at add time. Kept small —
 * a router may hold hundreds of thousands: its id is derived from `seq` by the router, its
 * priority from `sortKey`, and the full specificity key of a long pattern is recomputed in
 * the rare tie that needs it.
 * @internal
 */
export class RouteRecord<T, S extends RoutableSignal> {
  /** Registration order, assigned when the route is inserted. */
  seq = 0;

  constructor(
    readonly pattern: string,
    readonly target: T,
    readonly guard: RouteGuard<S> | undefined,
    /** (priority, specificity of the first positions) in one small integer; larger first. */
    readonly sortKey: number,
  ) {}

  /** The priority (−100..100). */
  get priority(): number {
    return priorityOf(this.sortKey);
  }

  toRoute(id: string): Route<T, S> {
    return {
      id,
      pattern: this.pattern,
      target: this.target,
      priority: this.priority,
      guard: this.guard,
    };
  }
}

/** Whether a (valid) pattern has more segments than the numeric sort key encodes. */
function isLong(pattern: string): boolean {
  let dots = 0;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.charCodeAt(i) === 46 && ++dots >= NUMERIC_POSITIONS - 1) return true;
  }
  return false;
}

/** `a` comes strictly before `b`: priority desc, specificity desc, registration order. */
export function before<T, S extends RoutableSignal>(
  a: RouteRecord<T, S>,
  b: RouteRecord<T, S>,
): boolean {
  if (a.sortKey !== b.sortKey) return a.sortKey > b.sortKey;
  // Equal keys: the patterns rank the same, or both are long and their full keys decide.
  if (a.pattern !== b.pattern && isLong(a.pattern) && isLong(b.pattern)) {
    const ka = specificityKey(a.pattern.split('.'));
    const kb = specificityKey(b.pattern.split('.'));
    if (ka !== kb) return ka > kb;
  }
  return a.seq < b.seq;
}

function compare<T, S extends RoutableSignal>(a: RouteRecord<T, S>, b: RouteRecord<T, S>): number {
  return before(a, b) ? -1 : 1;
}

/** Sort records in route order (no two records are equal: `seq` is unique). */
export function sortRecords<T, S extends RoutableSignal>(list: RouteRecord<T, S>[]): void {
  const n = list.length;
  if (n > 32) {
    list.sort(compare);
    return;
  }
  // Merged results are short and mostly in order already: insertion sort wins there.
  for (let i = 1; i < n; i++) {
    const item = list[i];
    let j = i - 1;
    while (j >= 0 && before(item, list[j])) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = item;
  }
}

/**
 * The routes matching one type, in order — what the cache stores and what a route set is.
 * @internal
 */
export interface Entry<T, S extends RoutableSignal> {
  /** Targets of the unguarded routes, in order. Handed out as is, so never mutated. */
  readonly targets: readonly T[];
  /** Whether some route has a guard; then `routes` is set and signals need a guard pass. */
  readonly guarded: boolean;
  /** Every route in order (always set when `guarded`). */
  readonly routes: readonly RouteRecord<T, S>[] | undefined;
}

// The one shared object that is frozen: an empty array costs nothing to read, and a caller
// pushing into a shared "no match" result would be the worst kind of bug.
const EMPTY_ENTRY: Entry<unknown, RoutableSignal> = Object.freeze({
  targets: Object.freeze([]),
  guarded: false,
  routes: Object.freeze([]),
});

/** The shared "nothing matches" entry (it holds nothing, so any T and S fit). */
export function emptyEntry<T, S extends RoutableSignal>(): Entry<T, S> {
  return EMPTY_ENTRY as unknown as Entry<T, S>;
}

/** Build an entry from records already in route order. */
export function entryOf<T, S extends RoutableSignal>(routes: RouteRecord<T, S>[]): Entry<T, S> {
  const targets: T[] = [];
  let guarded = false;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i];
    if (r.guard === undefined) targets.push(r.target);
    else guarded = true;
  }
  return { targets, guarded, routes };
}

/** `targets` of a set whose routes are all guarded (or that is empty): read-only, shared. */
const EMPTY_TARGETS: readonly never[] = Object.freeze([]);

/**
 * The routes registered with one pattern (an exact-index bucket or a trie node's routes), kept
 * in route order with their unguarded targets precomputed, so a type matched by a single
 * pattern is answered without allocating.
 * @internal
 */
export class RouteSet<T, S extends RoutableSignal> implements Entry<T, S> {
  routes: RouteRecord<T, S>[] = [];
  targets: readonly T[] = [];
  guarded = false;
  /**
   * `sortKey` of the first and last route, copied here so that {@link combine} can usually
   * order sets without touching their records (fewer cache misses on large routers).
   */
  firstKey = 0;
  lastKey = 0;

  get size(): number {
    return this.routes.length;
  }

  // Copy-on-write: a guard that adds or removes routes while `route()` iterates this set's
  // routes must not disturb that iteration, and targets handed out earlier never change.
  // The new arrays are built with `concat`/`slice`, which size them exactly: an array grown by
  // `push`/`splice` keeps spare capacity (17 slots for one element), and most sets hold one
  // route — that slack was a third of the router's memory.
  add(record: RouteRecord<T, S>): void {
    const old = this.routes;
    let i = old.length;
    while (i > 0 && before(record, old[i - 1])) i--;
    this.routes =
      old.length === 0
        ? [record]
        : i === old.length
          ? old.concat([record])
          : old.slice(0, i).concat([record], old.slice(i));
    this.#refresh();
  }

  delete(record: RouteRecord<T, S>): void {
    const old = this.routes;
    const i = old.indexOf(record);
    if (i === -1) return;
    this.routes = old.slice(0, i).concat(old.slice(i + 1));
    this.#refresh();
  }

  #refresh(): void {
    const routes = this.routes;
    if (routes.length === 1) {
      // The common case, without a temporary array.
      const only = routes[0];
      this.guarded = only.guard !== undefined;
      this.targets = this.guarded ? EMPTY_TARGETS : [only.target];
      this.firstKey = this.lastKey = only.sortKey;
      return;
    }
    const targets: T[] = [];
    let guarded = false;
    for (const r of routes) {
      if (r.guard === undefined) targets.push(r.target);
      else guarded = true;
    }
    // Not frozen on purpose: V8 reads frozen arrays several times slower, and these are
    // copied on every multi-pattern match. `readonly` types keep callers honest.
    this.targets = targets.length === 0 ? EMPTY_TARGETS : targets.slice();
    this.guarded = guarded;
    if (routes.length > 0) {
      this.firstKey = routes[0].sortKey;
      this.lastKey = routes[routes.length - 1].sortKey;
    }
  }
}

/**
 * Combine the sets that matched one type into one entry in route order. When each set's
 * routes all come before the next set's (the usual case: the walk yields sets in
 * specificity order and priorities are mostly equal) the result is a concatenation;
 * otherwise the records are merged by a sort.
 * @internal
 */
export function combine<T, S extends RoutableSignal>(
  sets: RouteSet<T, S>[],
  m: number,
): Entry<T, S> {
  if (m === 1) return sets[0];
  // Fast path: the walk yields sets in route order, and sets of different patterns rarely
  // interleave (that takes mixed priorities). One pass checks both and sizes the result.
  let ordered = true;
  let guarded = false;
  let total = 0;
  let previous = sets[0];
  for (let i = 0; i < m; i++) {
    const set = sets[i];
    if (set.guarded) guarded = true;
    total += set.targets.length;
    if (i > 0) {
      // A strictly greater key decides without loading the records.
      if (
        previous.lastKey <= set.firstKey &&
        !before(previous.routes[previous.routes.length - 1], set.routes[0])
      ) {
        ordered = false;
      }
      previous = set;
    }
  }
  if (ordered && !guarded) {
    const targets = new Array<T>(total);
    let at = 0;
    for (let i = 0; i < m; i++) {
      const part = sets[i].targets;
      for (let k = 0; k < part.length; k++) targets[at++] = part[k]!;
    }
    return { targets, guarded: false, routes: undefined };
  }
  const records: RouteRecord<T, S>[] = [];
  for (let i = 0; i < m; i++) {
    const part = sets[i].routes;
    for (let k = 0; k < part.length; k++) records.push(part[k]);
  }
  if (!ordered) sortRecords(records);
  return entryOf(records);
}
