import { DispatchError } from '../../errors/dispatch.error.js';
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
} from '../receiver.js';
import { ReceiverRegistry } from '../receiver-registry.js';
import { rejectUnknownKeys, requiredString } from './options.js';
import { validateDeliveryOptions, type ReceiverDeliveryOptions } from './pid.adapter.js';

/** Options of the `named` adapter: `{ adapter: 'named', name, ... }`. */
export interface NamedDispatchOptions extends ReceiverDeliveryOptions {
  /** Name of a receiver in the dispatcher's `ReceiverRegistry`, looked up per delivery. Required. */
  name: string;
}

/** Validated options of the `named` adapter. */
export interface NormalizedNamedOptions {
  /** Receiver name. */
  readonly name: string;
  /** Fire-and-forget or awaited. */
  readonly mode: 'async' | 'sync';
  /** Sync-mode timeout in milliseconds. */
  readonly timeout: number;
  /** Maps the signal to the message handed over. */
  readonly messageFormat: ((signal: Signal) => unknown) | undefined;
}

const NAMED_KEYS: ReadonlySet<string> = new Set([
  'name',
  'deliveryMode',
  'timeout',
  'messageFormat',
]);

/**
 * Delivers to a receiver looked up by name in a {@link ReceiverRegistry} at delivery time
 * (Elixir's registered process names). No receiver under the name → `process_not_found`;
 * then the same semantics as the `pid` adapter.
 */
export class NamedAdapter implements DispatchAdapter<NormalizedNamedOptions> {
  /** `'named'`. */
  readonly name = 'named';

  /** @param receivers where names are looked up @default a new, empty registry */
  constructor(readonly receivers: ReceiverRegistry = new ReceiverRegistry()) {}

  /** @throws DispatchConfigError naming `name`, `deliveryMode`, `timeout` or `messageFormat` */
  validateOptions(options: Readonly<Record<string, unknown>>): NormalizedNamedOptions {
    rejectUnknownKeys(this.name, options, NAMED_KEYS);
    return {
      name: requiredString(this.name, 'name', options.name),
      ...validateDeliveryOptions(this.name, options),
    };
  }

  /** @throws DispatchError `process_not_found` / `process_not_alive`, DispatchTimeoutError (sync) */
  deliver(
    signal: Signal,
    options: NormalizedNamedOptions,
    _context: DeliveryContext,
  ): void | Promise<void> {
    const receiver = this.receivers.get(options.name);
    const kind = receiverKind(receiver);
    if (receiver === undefined || kind === undefined) {
      throw new DispatchError(
        'process_not_found',
        this.name,
        receiver === undefined
          ? `No receiver is registered as "${options.name}"`
          : `"${options.name}" resolved to something that is not a receiver`,
        { details: { target: options.name } },
      );
    }
    // Resolver-provided ports are watched from their first delivery on.
    watchReceiver(receiver);
    return deliverToReceiver(
      {
        adapter: this.name,
        receiver,
        kind,
        target: `${options.name} (${describeReceiver(receiver, kind)})`,
        mode: options.mode,
        timeout: options.timeout,
        messageFormat: options.messageFormat,
      },
      signal,
    );
  }

  /**
   * Hand the signals to the receiver registered under the name one by one, in order
   * (looked up for each, so a re-registration takes effect); outcome per signal.
   */
  deliverBatch(
    signals: readonly Signal[],
    options: NormalizedNamedOptions,
    context: DeliveryContext,
  ): BatchDeliveryOutcome | Promise<BatchDeliveryOutcome> {
    return deliverEach(signals, (signal) => this.deliver(signal, options, context));
  }

  /** Healthy when a live receiver is registered under the name. */
  healthCheck(options: NormalizedNamedOptions): AdapterHealth {
    const receiver = this.receivers.get(options.name);
    const healthy =
      receiver !== undefined && receiverKind(receiver) !== undefined && isReceiverAlive(receiver);
    return { healthy, details: { target: options.name, registered: receiver !== undefined } };
  }

  /** The receiver name. */
  describeTarget(options: NormalizedNamedOptions): string {
    return options.name;
  }
}
