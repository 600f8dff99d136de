import type { TelemetryChannelName } from '../channels.js';
import { telemetryChannel } from '../telemetry.js';

/**
 * Diagnostics-channel subscriptions the OpenTelemetry layer holds while a provider is
 * registered, released together when it is gone, so the channels cost nothing again.
 * @internal
 */
export class ChannelListeners {
  readonly #subscribed: [TelemetryChannelName, (message: unknown) => void][] = [];

  /** Whether the listeners are subscribed. */
  get active(): boolean {
    return this.#subscribed.length > 0;
  }

  /** Subscribe every `[channel, listener]` pair (no-op while already active). */
  subscribe(pairs: readonly [TelemetryChannelName, (message: unknown) => void][]): void {
    if (this.active) return;
    for (const [name, fn] of pairs) {
      telemetryChannel(name).subscribe(fn);
      this.#subscribed.push([name, fn]);
    }
  }

  /** Unsubscribe everything. */
  release(): void {
    for (const [name, fn] of this.#subscribed.splice(0)) telemetryChannel(name).unsubscribe(fn);
  }
}
