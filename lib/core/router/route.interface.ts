import type { Signal } from '../signal/signal.js';
import type { RouteCacheOptions } from './route-cache.js';

/** The least a routed value needs: a string `type`. {@link Signal} qualifies. */
export interface RoutableSignal {
  /** Dotted signal type, e.g. `order.created`. */
  readonly type: string;
}

/**
 * Decides per signal whether a matching route applies. Only a returned `true` includes the
 * route; `false`, any other value or a thrown error exclude it (a throw is reported on
 * `TelemetryChannel.RouterGuardError` and never breaks routing).
 */
export type RouteGuard<S extends RoutableSignal = Signal> = (signal: S) => boolean;

/** Bounds and default of a route's priority. */
export const ROUTE_PRIORITY = {
  /** Lowest allowed priority. */
  min: -100,
  /** Highest allowed priority. */
  max: 100,
  /** Priority of a route that names none. */
  default: 0,
} as const;

/** What `SignalRouter.add` accepts. */
export interface RouteSpec<T, S extends RoutableSignal = Signal> {
  /** Pattern in the grammar of `validatePattern`. */
  pattern: string;
  /** Returned by `SignalRouter.route` when the route matches; must not be `undefined`. */
  target: T;
  /** Integer in −100..100; higher routes come first. @default 0 */
  priority?: number;
  /** Extra per-signal condition, see {@link RouteGuard}. @default undefined */
  guard?: RouteGuard<S>;
}

/** A registered route, as listed by `SignalRouter.list`. */
export interface Route<T, S extends RoutableSignal = Signal> {
  /** Unique id (a UUIDv7, unique across routers), returned by `SignalRouter.add`. */
  readonly id: string;
  /** The validated pattern. */
  readonly pattern: string;
  /** The target. */
  readonly target: T;
  /** The priority (−100..100). */
  readonly priority: number;
  /** The guard, if any. */
  readonly guard: RouteGuard<S> | undefined;
}

/** Options of a `SignalRouter`: the result cache's tuning, all optional. */
export type SignalRouterOptions = RouteCacheOptions;

/** Message published on `TelemetryChannel.RouterGuardError` when a guard throws. */
export interface RouterGuardErrorMessage {
  /** Id of the route whose guard threw (the route was left out of the result). */
  readonly routeId: string;
  /** Its pattern. */
  readonly pattern: string;
  /** The routed type. */
  readonly type: string;
  /** What the guard threw. */
  readonly error: unknown;
}

/** Message published on `TelemetryChannel.RouterRouted` after every `route()` call. */
export interface RouterRoutedMessage {
  /** The routed type. */
  readonly type: string;
  /** Number of targets returned. */
  readonly matched: number;
  /** Whether the matching routes came from the result cache. */
  readonly cached: boolean;
}
