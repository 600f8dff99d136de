import { channel, type Channel } from 'node:diagnostics_channel';
import type { TelemetryChannelName } from './channels.js';

const cache = new Map<string, Channel>();

/** The `diagnostics_channel` channel for a name (cached). */
export function telemetryChannel(name: TelemetryChannelName): Channel {
  let ch = cache.get(name);
  if (ch === undefined) {
    ch = channel(name);
    cache.set(name, ch);
  }
  return ch;
}

/**
 * Publish on a channel only when somebody listens, so building the message costs nothing
 * otherwise: pass a factory for messages that are not free to build.
 */
export function emit<T extends object>(ch: Channel, message: T | (() => T)): void {
  if (!ch.hasSubscribers) return;
  ch.publish(typeof message === 'function' ? message() : message);
}
