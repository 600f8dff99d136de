import type { Redis } from 'ioredis';
import type { SubscriptionState } from '../signal-store.interface.js';
import type { RedisKeys } from './keys.js';
import { parseJson } from './stored.js';

/**
 * Subscription state of a {@link RedisStore}: one hash per bus (`p:{b}:subs`, subscription id
 * → state JSON; see {@link RedisKeys}). Callers check arguments and connection; this class
 * only talks to Redis.
 * @internal
 */
export class RedisSubscriptionStates {
  constructor(
    private readonly client: () => Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(bus: string, id: string): Promise<SubscriptionState | undefined> {
    const json = await this.client().hget(this.keys.subscriptions(bus), id);
    return json === null ? undefined : parseJson<SubscriptionState>(json, 'subscription');
  }

  async put(bus: string, state: SubscriptionState): Promise<void> {
    await this.client().hset(
      this.keys.subscriptions(bus),
      state.subscriptionId,
      JSON.stringify(state),
    );
  }

  async delete(bus: string, id: string): Promise<boolean> {
    return (await this.client().hdel(this.keys.subscriptions(bus), id)) > 0;
  }

  async list(bus: string): Promise<SubscriptionState[]> {
    const all = await this.client().hvals(this.keys.subscriptions(bus));
    return all.map((json) => parseJson<SubscriptionState>(json, 'subscription'));
  }
}
