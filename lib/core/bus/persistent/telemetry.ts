import type { Signal } from '../../signal/signal.js';
import { TelemetryChannel } from '../../telemetry/channels.js';
import { telemetryChannel } from '../../telemetry/telemetry.js';
import type { OverflowPolicy } from './options.js';

/** Message on {@link TelemetryChannel.SubscriptionDeliver}. */
export interface PersistentDeliverMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly signal: Signal;
  readonly logId: string | undefined;
  /** 1 for the first delivery. */
  readonly attempt: number;
}

/** Message on {@link TelemetryChannel.SubscriptionAck}. */
export interface PersistentAckMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly count: number;
  readonly checkpoint: string | undefined;
}

/** Message on {@link TelemetryChannel.SubscriptionNack}. */
export interface PersistentNackMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly signalId: string;
  readonly logId: string | undefined;
  readonly requeue: boolean;
  readonly delayMs: number | undefined;
}

/** Message on {@link TelemetryChannel.SubscriptionRetry}. */
export interface PersistentRetryMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly signalId: string;
  readonly logId: string | undefined;
  /** Attempts made so far. */
  readonly attempt: number;
  readonly delayMs: number;
  /** Code of the failure (`dispatch_error`, `nacked`, `ack_timeout`, …). */
  readonly reason: string;
}

/** Message on {@link TelemetryChannel.SubscriptionBackpressure}. */
export interface PersistentBackpressureMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly inFlight: number;
  readonly pending: number;
  readonly requested: number;
  readonly overflow: OverflowPolicy;
}

/** Message on {@link TelemetryChannel.SubscriptionDeadLetter}. */
export interface PersistentDeadLetterMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly signalId: string;
  readonly logId: string | undefined;
  readonly dlqId: string;
  readonly attempts: number;
  readonly reason: string;
  /**
   * Set when the DLQ was full (`maxDlqSize`): the id of the entry discarded — the oldest
   * one, or `dlqId` itself with `dlqOverflow: 'drop-newest'`.
   */
  readonly dropped: string | undefined;
}

/** Message on {@link TelemetryChannel.BusDlqRedrive}. */
export interface PersistentRedriveMessage {
  readonly bus: string;
  readonly subscriptionId: string;
  readonly redriven: number;
  readonly failed: number;
}

const deliverChannel = telemetryChannel(TelemetryChannel.SubscriptionDeliver);
const ackChannel = telemetryChannel(TelemetryChannel.SubscriptionAck);
const nackChannel = telemetryChannel(TelemetryChannel.SubscriptionNack);
const retryChannel = telemetryChannel(TelemetryChannel.SubscriptionRetry);
const backpressureChannel = telemetryChannel(TelemetryChannel.SubscriptionBackpressure);
const deadLetterChannel = telemetryChannel(TelemetryChannel.SubscriptionDeadLetter);
const redriveChannel = telemetryChannel(TelemetryChannel.BusDlqRedrive);

/** What the reports read of a tracked delivery (both engines' deliveries have it). @internal */
export interface ReportedDelivery {
  readonly signal: Signal;
  readonly logId: string | undefined;
  readonly attempts: number;
}

// Each report is free when nobody listens: the message is built only for a subscriber.

/** A delivery attempt is handed over. @internal */
export function reportDeliver(bus: string, subscriptionId: string, d: ReportedDelivery): void {
  if (!deliverChannel.hasSubscribers) return;
  deliverChannel.publish({
    bus,
    subscriptionId,
    signal: d.signal,
    logId: d.logId,
    attempt: d.attempts,
  } satisfies PersistentDeliverMessage);
}

/** `count` deliveries were acked; `checkpoint` is the ack floor after them. @internal */
export function reportAck(
  bus: string,
  subscriptionId: string,
  count: number,
  checkpoint: string | undefined,
): void {
  if (!ackChannel.hasSubscribers) return;
  ackChannel.publish({ bus, subscriptionId, count, checkpoint } satisfies PersistentAckMessage);
}

/** A delivery was nacked. @internal */
export function reportNack(
  bus: string,
  subscriptionId: string,
  d: ReportedDelivery,
  requeue: boolean,
  delayMs: number | undefined,
): void {
  if (!nackChannel.hasSubscribers) return;
  nackChannel.publish({
    bus,
    subscriptionId,
    signalId: d.signal.id,
    logId: d.logId,
    requeue,
    delayMs,
  } satisfies PersistentNackMessage);
}

/** A failed attempt of `d` is retried after `delayMs`. @internal */
export function reportRetry(
  bus: string,
  subscriptionId: string,
  d: ReportedDelivery,
  delayMs: number,
  reason: string,
): void {
  if (!retryChannel.hasSubscribers) return;
  retryChannel.publish({
    bus,
    subscriptionId,
    signalId: d.signal.id,
    logId: d.logId,
    attempt: d.attempts,
    delayMs,
    reason,
  } satisfies PersistentRetryMessage);
}

/** A subscription is full (`inFlight + pending` at its bound) and `requested` more came. @internal */
export function reportBackpressure(
  bus: string,
  subscriptionId: string,
  held: { readonly inFlight: number; readonly pending: number },
  requested: number,
  overflow: OverflowPolicy,
): void {
  if (!backpressureChannel.hasSubscribers) return;
  backpressureChannel.publish({
    bus,
    subscriptionId,
    inFlight: held.inFlight,
    pending: held.pending,
    requested,
    overflow,
  } satisfies PersistentBackpressureMessage);
}

/** `d` was dead-lettered into DLQ entry `dlqId` (`dropped`: the entry a full DLQ discarded). @internal */
export function reportDeadLetter(
  bus: string,
  subscriptionId: string,
  d: ReportedDelivery,
  entry: { readonly id: string; readonly attempts: number; readonly reason: string },
  dropped: string | undefined,
): void {
  if (!deadLetterChannel.hasSubscribers) return;
  deadLetterChannel.publish({
    bus,
    subscriptionId,
    signalId: d.signal.id,
    logId: d.logId,
    dlqId: entry.id,
    attempts: entry.attempts,
    reason: entry.reason,
    dropped,
  } satisfies PersistentDeadLetterMessage);
}

/** A redrive took `redriven` DLQ entries and left `failed`. @internal */
export function reportRedrive(
  bus: string,
  subscriptionId: string,
  redriven: number,
  failed: number,
): void {
  if (!redriveChannel.hasSubscribers) return;
  redriveChannel.publish({
    bus,
    subscriptionId,
    redriven,
    failed,
  } satisfies PersistentRedriveMessage);
}
