/**
 * Subscription state of the JetStream store: one message per subscription on
 * `<prefix>.state.<bus>.sub.<id>` in the `<prefix>_STATE` stream, which keeps only the last
 * message of each subject.
 * @module
 * @internal
 */
import { ValidationError } from '../../errors/validation.error.js';
import type { SubscriptionState } from '../signal-store.interface.js';
import { assertId } from '../shared/args.js';
import { parseJson } from './codec.js';
import type { StoreContext } from './store-context.js';
import { getLast, publish, purgeSubject, scanLatest } from './stream-io.js';

/** The subscription state of one store object. @internal */
export class SubscriptionStates {
  constructor(private readonly ctx: StoreContext) {}

  async get(bus: string, subscriptionId: string): Promise<SubscriptionState | undefined> {
    const ctx = this.ctx;
    ctx.check(bus, subscriptionId, 'subscriptionId');
    const subject = ctx.names.subscriptionSubject(bus, subscriptionId);
    const data = await getLast(ctx, 'getSubscription', ctx.names.stateStream, subject);
    return data === undefined ? undefined : parseJson<SubscriptionState>(data, 'subscription');
  }

  async put(bus: string, state: SubscriptionState): Promise<void> {
    const ctx = this.ctx;
    ctx.check(bus);
    if (typeof state !== 'object' || state === null) {
      throw new ValidationError('invalid_attribute', 'state', 'state must be an object');
    }
    assertId(state.subscriptionId, 'subscriptionId');
    const body = JSON.stringify(state);
    await ctx.ready('putSubscription');
    await ctx.ensureShared(ctx.names.stateStream);
    await publish(
      ctx,
      'putSubscription',
      ctx.names.subscriptionSubject(bus, state.subscriptionId),
      body,
    );
  }

  async delete(bus: string, subscriptionId: string): Promise<boolean> {
    const ctx = this.ctx;
    ctx.check(bus, subscriptionId, 'subscriptionId');
    const subject = ctx.names.subscriptionSubject(bus, subscriptionId);
    return (await purgeSubject(ctx, 'deleteSubscription', ctx.names.stateStream, subject)) > 0;
  }

  async list(bus: string): Promise<SubscriptionState[]> {
    const ctx = this.ctx;
    ctx.check(bus);
    await ctx.ready('listSubscriptions');
    const out: SubscriptionState[] = [];
    const filter = ctx.names.subscriptionSubjects(bus);
    await scanLatest(ctx, 'listSubscriptions', ctx.names.stateStream, filter, (raw) => {
      out.push(parseJson<SubscriptionState>(raw.data, 'subscription'));
    });
    return out;
  }
}
