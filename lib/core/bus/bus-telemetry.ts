import type { BusError, SubscriberError } from '../errors/bus.error.js';
import type { Signal } from '../signal/signal.js';
import type { RecordedSignal } from '../store/signal-store.interface.js';
import type { SignalBus } from './signal-bus.js';
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
  origin: object,
): BusPublishTelemetryMessage {
  return withOrigin({ bus, count: entries.length, entries, partitioned }, origin);
}

/**
 * The bus instance a `BusPublish`, `BusDispatch` or `BusDispatchSkipped` message came from
 * (its context object), under a symbol key outside the message types: several buses may
 * share a name (in one process, two applications each with a `default` bus), and the
 * testing module's `SignalSpy` records only its application's.
 * @internal
 */
export const BUS_ORIGIN: unique symbol = Symbol('jido.signal.bus-origin');

/** `message` tagged with the bus it came from (see {@link BUS_ORIGIN}). @internal */
export function withOrigin<T extends object>(message: T, origin: object): T {
  (message as { [BUS_ORIGIN]?: object })[BUS_ORIGIN] = origin;
  return message;
}

/** The origin {@link withOrigin} put on a telemetry message, if any. @internal */
export function originOf(message: unknown): object | undefined {
  return typeof message === 'object' && message !== null
    ? (message as { [BUS_ORIGIN]?: object })[BUS_ORIGIN]
    : undefined;
}

/** The bus of each origin (see {@link withOrigin}). @internal */
export const busOfOrigin = new WeakMap<object, SignalBus>();

/**
 * The `BusDispatch` message of a successful delivery of `signal` to `sub`, handed over at
 * `started` (`performance.now()`; 0 when it was not timed).
 * @internal
 */
export function dispatchMessage(
  bus: string,
  origin: object,
  sub: Subscription,
  signal: Signal,
  logId: string,
  partition: number,
  started: number,
): BusDispatchTelemetryMessage {
  return withOrigin(
    {
      bus,
      subscriptionId: sub.id,
      pattern: sub.pattern,
      partition,
      signal,
      logId,
      durationMs: started === 0 ? 0 : performance.now() - started,
      outcome: 'ok',
    },
    origin,
  );
}
