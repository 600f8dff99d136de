import type { PartitionStats } from './partition.js';
import type { SubscriptionStats } from './subscription.js';

/** What {@link SignalBus.stats} reports. */
export interface BusStats {
  /** Name of the bus. */
  readonly bus: string;
  /** Entries in the log now. */
  readonly logSize: number;
  /** Signals recorded by this bus instance since it started. */
  readonly published: number;
  /** Publishes accepted and not settled yet (queued or delivering). */
  readonly pendingPublishes: number;
  /** Number of subscriptions (streams included). */
  readonly subscriptionCount: number;
  /** Every subscription with its counters, in registration order. */
  readonly subscriptions: readonly SubscriptionStats[];
  /** One entry per partition (a single one on a bus without partitions). */
  readonly partitions: readonly PartitionStats[];
}
