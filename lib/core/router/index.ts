export {
  matches,
  validatePattern,
  isValidPattern,
  isLiteralPattern,
  WILDCARD_ONE,
  WILDCARD_SOME,
  MAX_PATTERN_SEGMENTS,
  MAX_PATTERN_GLOBSTARS,
} from './pattern.js';
export { compareSpecificity } from './specificity.js';
export type { RouteCacheOptions, RouteCacheStats } from './route-cache.js';
export {
  ROUTE_PRIORITY,
  type RoutableSignal,
  type RouteGuard,
  type RouteSpec,
  type Route,
  type SignalRouterOptions,
  type RouterGuardErrorMessage,
  type RouterRoutedMessage,
} from './route.interface.js';
export { SignalRouter } from './signal-router.js';
