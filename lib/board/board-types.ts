import type { PartitionStats } from '../core/bus/partition.js';
import type { SubscriptionStats } from '../core/bus/subscription.js';
import type { CircuitSnapshot } from '../core/dispatch/circuit-breaker.js';
import type { SignalView } from './board-view.js';

/** Health of one bus as the board computes it. */
export interface SignalBoardHealth {
  /** `'down'`: closed or store unreachable; `'degraded'`: DLQ entries or open circuits. */
  readonly status: 'up' | 'degraded' | 'down';
  readonly problems: readonly string[];
}

/** One subscription of a bus with its counters and DLQ depth. */
export interface SignalBoardSubscription extends SubscriptionStats {
  /** Entries in its DLQ (persistent subscriptions; 0 otherwise). */
  readonly dlqSize: number;
}

/** A partition; `tokens` is `null` for an unlimited (no rate limit) partition. */
export interface SignalBoardPartition extends Omit<PartitionStats, 'tokens'> {
  readonly tokens: number | null;
}

/** One bus on the board. */
export interface SignalBoardBus {
  readonly name: string;
  readonly closed: boolean;
  readonly health: SignalBoardHealth;
  readonly logSize: number | null;
  readonly published: number | null;
  readonly pendingPublishes: number | null;
  readonly dlqSize: number | null;
  /** Whether causality traces are available (a journal is known). */
  readonly traces: boolean;
  readonly subscriptions: readonly SignalBoardSubscription[];
  readonly partitions: readonly SignalBoardPartition[];
}

/** `GET <path>/api/overview`. */
export interface SignalBoardOverview {
  readonly readOnly: boolean;
  readonly buses: readonly SignalBoardBus[];
  readonly circuits: readonly CircuitSnapshot[];
  /** Server time (ms since the epoch). */
  readonly at: number;
}

/** One DLQ entry on the board. */
export interface SignalBoardDlqEntry {
  readonly id: string;
  readonly subscriptionId: string;
  readonly logId: string | undefined;
  readonly attempts: number;
  readonly lastError: { readonly code: string; readonly message: string };
  readonly firstAttemptAt: number;
  readonly lastAttemptAt: number;
  readonly insertedAt: number;
  readonly signal: SignalView;
}

/** One node of a causality trace. */
export interface SignalBoardTraceNode {
  readonly id: string;
  readonly causeId: string | undefined;
  readonly time: number;
  readonly signal: SignalView;
}

/** `GET <path>/api/buses/:bus/trace/:id`: the tree holding a signal, from its root. */
export interface SignalBoardTrace {
  readonly focus: string;
  readonly root: string;
  /** Every node of the tree (root first, then by depth); children name their `causeId`. */
  readonly nodes: readonly SignalBoardTraceNode[];
  /** Whether the tree was cut at the node limit. */
  readonly truncated: boolean;
}
