import type { BusError, SubscriberError } from '../errors/bus.error.js';
import type { Signal } from '../signal/signal.js';
import type { RecordedSignal } from '../store/signal-store.interface.js';
import type { Subscription } from './subscription.js';
import { TelemetryChannel } from '../telemetry/channels.js';
import { telemetryChannel } from '../telemetry/telemetry.js';

/** Message on {@link TelemetryChannel.BusPublish}. */
export interface BusPublishTelemetryMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** Number of signals recorded. */
  readonly count: number;
  /** The recorded entries, in order. */
  readonly entries: readonly RecordedSignal[];
  /** Whether deliveries go through partitions (and the publish does not wait for them). */
  readonly partitioned: boolean;
}

/** Fields shared by the per-delivery bus telemetry messages. */
export interface BusDeliveryTelemetryFields {
  /** Name of the bus. */
  readonly bus: string;
  /** The subscription concerned. */
  readonly subscriptionId: string;
  /** Its pattern. */
  readonly pattern: string;
  /** Partition (lane); `0` without partitions. */
  readonly partition: number;
  /** The signal (after `beforeDispatch` for deliveries). */
  readonly signal: Signal;
  /** Its log position. */
  readonly logId: string;
}

/** Message on {@link TelemetryChannel.BusDispatch}. */
export interface BusDispatchTelemetryMessage extends BusDeliveryTelemetryFields {
  /** Milliseconds from handing the signal over to the delivery settling. */
  readonly durationMs: number;
  /** Whether the delivery succeeded. */
  readonly outcome: 'ok' | 'error';
  /** The failure's code (errors only). */
  readonly errorCode?: string;
  /** The failure (errors only). */
  readonly error?: SubscriberError;
}

/** Message on {@link TelemetryChannel.BusDispatchSkipped}. */
export interface BusSkipTelemetryMessage extends BusDeliveryTelemetryFields {
  /** The middleware that skipped. */
  readonly middleware: string;
  /** Its reason, if it gave one. */
  readonly reason: string | undefined;
}

/** Message on {@link TelemetryChannel.BusError}. */
export interface BusErrorTelemetryMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** The error's stable code. */
  readonly code: string;
  /** The error (the same value `errors$` emits). */
  readonly error: BusError;
  /** The subscription concerned, if any. */
  readonly subscriptionId: string | undefined;
  /** The signal concerned, if any. */
  readonly signalId: string | undefined;
}

/** Message on {@link TelemetryChannel.BusRateLimited}. */
export interface BusRateLimitedTelemetryMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** Partition index. */
  readonly partition: number;
  /** Deliveries dropped. */
  readonly dropped: number;
  /** Deliveries that asked for admission. */
  readonly requested: number;
  /** Whole tokens that were available. */
  readonly available: number;
}

/** Message on {@link TelemetryChannel.BusLogTruncated}. */
export interface BusLogTruncatedTelemetryMessage {
  /** Name of the bus. */
  readonly bus: string;
  /** `'max_size'` (after a publish) or `'ttl'` (the periodic sweep). */
  readonly reason: 'max_size' | 'ttl';
  /** Entries removed. */
  readonly removed: number;
  /** Entries left. */
  readonly newSize: number;
  /** The TTL, for `'ttl'`. */
  readonly ttlMs?: number;
}

/** @internal */
export const publishChannel = telemetryChannel(TelemetryChannel.BusPublish);
/** @internal */
export const dispatchChannel = telemetryChannel(TelemetryChannel.BusDispatch);
/** @internal */
export const skipChannel = telemetryChannel(TelemetryChannel.BusDispatchSkipped);
/** @internal */
export const errorChannel = telemetryChannel(TelemetryChannel.BusError);
/** @internal */
export const rateLimitedChannel = telemetryChannel(TelemetryChannel.BusRateLimited);
/** @internal */
export const truncatedChannel = telemetryChannel(TelemetryChannel.BusLogTruncated);

/**
 * The `BusPublish` message of a publish that recorded `entries`.
 * @internal
 */
export function publishMessage(
  bus: string,
  entries: readonly RecordedSignal[],
  partitioned: boolean,
): BusPublishTelemetryMessage {
  return { bus, count: entries.length, entries, partitioned };
}

/**
 * The `BusDispatch` message of a successful delivery of `signal` to `sub`, handed over at
 * `started` (`performance.now()`; 0 when it was not timed).
 * @internal
 */
export function dispatchMessage(
  bus: string,
  sub: Subscription,
  signal: Signal,
  logId: string,
  partition: number,
  started: number,
): BusDispatchTelemetryMessage {
  return {
    bus,
    subscriptionId: sub.id,
    pattern: sub.pattern,
    partition,
    signal,
    logId,
    durationMs: started === 0 ? 0 : performance.now() - started,
    outcome: 'ok',
  };
}
