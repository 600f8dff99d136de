import type { PersistentStats } from './engine.js';

/** The live part of {@link PersistentStats} (the rest are the {@link PersistentCounters}). @internal */
export type LiveStats = Omit<
  PersistentStats,
  'delivered' | 'acked' | 'retried' | 'deadLettered' | 'dlqDropped' | 'redriven'
>;

/** Counters both engines keep (the rest of {@link PersistentStats} is their live state). @internal */
export class PersistentCounters {
  /** Successful dispatches. */
  delivered = 0;
  acked = 0;
  /** Retries scheduled. */
  retried = 0;
  deadLettered = 0;
  /** DLQ entries discarded by a full DLQ. */
  dlqDropped = 0;
  redriven = 0;

  /** The frozen stats: these counters plus the engine's live state. */
  stats(live: LiveStats): PersistentStats {
    return Object.freeze({
      inFlight: live.inFlight,
      pending: live.pending,
      retrying: live.retrying,
      delivered: this.delivered,
      acked: this.acked,
      retried: this.retried,
      deadLettered: this.deadLettered,
      dlqDropped: this.dlqDropped,
      maxDlqSize: live.maxDlqSize,
      redriven: this.redriven,
      checkpoint: live.checkpoint,
      maxInFlight: live.maxInFlight,
      maxPending: live.maxPending,
      target: live.target,
    });
  }
}
