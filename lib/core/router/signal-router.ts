// The `SignalRouter`: registers routes (an exact index for literal patterns, a trie for
// wildcard ones), routes a signal or type to the ordered targets of its matching routes, with
// a result cache, guards and route ids.
import { InvalidPatternError, InvalidRouteError, RoutingError } from '../errors/router.error.js';
import type { Signal } from '../signal/signal.js';
import { SignalId } from '../signal/signal-id.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { emit, telemetryChannel } from '../telemetry/telemetry.js';
import { isLiteralPattern, parsePattern } from './pattern.js';
import { RouteCache, type RouteCacheStats } from './route-cache.js';
import { combine, emptyEntry, RouteRecord, RouteSet, type Entry } from './route-set.js';
import { RouteTrie } from './route-trie.js';
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
  readonly #trie = new RouteTrie<T, S>();
  readonly #exact = new Map<string, RouteSet<T, S>>();
  /** Routes by registration number (`seq`), in registration order. */
  readonly #bySeq = new Map<number, RouteRecord<T, S>>();
  /** The first 24 characters of this router's UUIDv7: every route id starts with them. */
  readonly #idPrefix = SignalId.generate().slice(0, 24);
  readonly #cache: RouteCache<Entry<T, S>>;
  readonly #cacheOn: boolean;
  #seq = 0;
  /** Scratch list of the matched route sets, reused by every call (walks never re-enter). */
  readonly #matched: RouteSet<T, S>[] = [];

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
    this.#trie.clear();
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
    this.#trie.insert(record, segments);
  }

  #delete(record: RouteRecord<T, S>): void {
    this.#bySeq.delete(record.seq);
    const set = this.#setAt(record.pattern);
    if (set === undefined) return;
    if (isLiteralPattern(record.pattern)) {
      set.delete(record);
      if (set.size === 0) this.#exact.delete(record.pattern);
      return;
    }
    this.#trie.delete(record, set);
  }

  /** The routes registered with exactly `pattern`, if any. */
  #setAt(pattern: string): RouteSet<T, S> | undefined {
    if (typeof pattern !== 'string' || pattern.length === 0) return undefined;
    const set = isLiteralPattern(pattern) ? this.#exact.get(pattern) : this.#trie.routesAt(pattern);
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
    if (this.#trie.size === 0) return bucket ?? emptyEntry();
    const matched = this.#matched;
    let m = 0;
    if (bucket !== undefined) matched[m++] = bucket;
    m = this.#trie.match(type, matched, m);
    return m === 0 ? emptyEntry() : combine(matched, m);
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
