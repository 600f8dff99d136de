import { DispatchConfigError } from '../../errors/dispatch.error.js';
import type { Signal } from '../../signal/signal.js';
import type {
  AdapterHealth,
  BatchDeliveryOutcome,
  DeliveryContext,
  DispatchAdapter,
} from '../adapter.interface.js';
import { deliverEach } from '../batching/deliver-each.js';
import {
  deliverToReceiver,
  describeReceiver,
  isReceiverAlive,
  receiverKind,
  watchReceiver,
  type DeliveryMode,
  type NormalizedReceiverOptions,
  type SignalReceiver,
} from '../receiver.js';
import {
  optionalEnum,
  optionalFunction,
  optionalInteger,
  rejectUnknownKeys,
  typeName,
} from './options.js';

/** Options shared by the `pid` and `named` adapters. */
export interface ReceiverDeliveryOptions {
  /**
   * `'async'`: fire-and-forget — the dispatch succeeds once the signal is queued in the
   * receiver's FIFO mailbox; receiver failures go to `jido.dispatch.receiver_error`.
   * `'sync'`: the dispatch awaits the receiver and fails when it throws, rejects or
   * exceeds `timeout`.
   * @default 'async'
   */
  deliveryMode?: DeliveryMode;
  /** Milliseconds a `'sync'` delivery may take (1..3 600 000). @default 5000 */
  timeout?: number;
  /**
   * Maps the signal to what the receiver gets (must be structured-cloneable for ports).
   * @default the `Signal` itself; for ports and workers `signal.toJSON()`
   */
  messageFormat?: (signal: Signal) => unknown;
}

/** Options of the `pid` adapter: `{ adapter: 'pid', target, ... }`. */
export interface PidDispatchOptions extends ReceiverDeliveryOptions {
  /**
   * The in-process receiver: a function, an object with `handleSignal`, an RxJS
   * `Observer`/`Subject`, or a `MessagePort`/`Worker`/`BroadcastChannel`. Required.
   */
  target: SignalReceiver;
}

/** Default sync-mode timeout of the `pid` and `named` adapters, in milliseconds. */
export const DEFAULT_RECEIVER_TIMEOUT = 5000;

const PID_KEYS: ReadonlySet<string> = new Set([
  'target',
  'deliveryMode',
  'timeout',
  'messageFormat',
]);
const MODES: readonly DeliveryMode[] = ['async', 'sync'];

/** Validate `deliveryMode`, `timeout` and `messageFormat`. @internal */
export function validateDeliveryOptions(
  adapter: string,
  options: Readonly<Record<string, unknown>>,
): Pick<NormalizedReceiverOptions, 'mode' | 'timeout' | 'messageFormat'> {
  return {
    mode: optionalEnum(adapter, 'deliveryMode', options.deliveryMode, MODES, 'async'),
    timeout: optionalInteger(
      adapter,
      'timeout',
      options.timeout,
      1,
      3_600_000,
      DEFAULT_RECEIVER_TIMEOUT,
    ),
    messageFormat: optionalFunction<(signal: Signal) => unknown>(
      adapter,
      'messageFormat',
      options.messageFormat,
    ),
  };
}

/**
 * Delivers to an in-process receiver held in the config (Elixir's `send(pid, ...)`).
 * A closed `MessagePort`, an exited `Worker` or a completed/unsubscribed `Subject` fails
 * with `process_not_alive`.
 */
export class PidAdapter implements DispatchAdapter<NormalizedReceiverOptions> {
  /** `'pid'`. */
  readonly name = 'pid';

  /** @throws DispatchConfigError naming `target`, `deliveryMode`, `timeout` or `messageFormat` */
  validateOptions(options: Readonly<Record<string, unknown>>): NormalizedReceiverOptions {
    rejectUnknownKeys(this.name, options, PID_KEYS);
    const receiver = options.target;
    const kind = receiverKind(receiver);
    if (kind === undefined) {
      throw new DispatchConfigError(
        this.name,
        'target',
        `"target" must be a function, an object with handleSignal(), an observer (next) or a port (postMessage), got ${typeName(receiver)}`,
      );
    }
    watchReceiver(receiver);
    const r = receiver as SignalReceiver;
    return {
      adapter: this.name,
      receiver: r,
      kind,
      target: describeReceiver(r, kind),
      ...validateDeliveryOptions(this.name, options),
    };
  }

  /** @throws DispatchError `process_not_alive`, DispatchTimeoutError (sync) */
  deliver(
    signal: Signal,
    options: NormalizedReceiverOptions,
    _context: DeliveryContext,
  ): void | Promise<void> {
    return deliverToReceiver(options, signal);
  }

  /** Hand the signals to the receiver one by one, in order; outcome per signal. */
  deliverBatch(
    signals: readonly Signal[],
    options: NormalizedReceiverOptions,
    _context: DeliveryContext,
  ): BatchDeliveryOutcome | Promise<BatchDeliveryOutcome> {
    return deliverEach(signals, (signal) => deliverToReceiver(options, signal));
  }

  /** Healthy while the receiver is alive. */
  healthCheck(options: NormalizedReceiverOptions): AdapterHealth {
    return { healthy: isReceiverAlive(options.receiver), details: { target: options.target } };
  }

  /** The receiver's kind and name (`function onOrder`, `MessagePort`, `Worker 3`). */
  describeTarget(options: NormalizedReceiverOptions): string {
    return options.target;
  }
}
