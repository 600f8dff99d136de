export {
  SignalHealthIndicator,
  type BusHealthOptions,
  type BusHealthSubscription,
  type StoreHealthOptions,
  type TargetHealth,
} from './signal-health.indicator.js';
