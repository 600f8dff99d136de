/**
 * The store's reads and writes of single streams: publishing one message, reading the last
 * message of a subject, purging a subject, and scanning a stream in order with a short-lived
 * ordered consumer. Failures are mapped with {@link StoreContext.mapError}; a missing
 * stream reads as empty.
 * @module
 * @internal
 */
import type { OrderedConsumerOptions } from '@nats-io/jetstream';
import { StoreUnavailableError } from '../../errors/store.error.js';
import { JsApiCode } from '../../nats/api-errors.js';
import { MAX_BATCH, noop, rawOf, STORE, type RawEntry } from './codec.js';
import type { StoreContext } from './store-context.js';

/** Publish one message (state, DLQ entry, snapshot metadata) and await its acknowledgement. */
export async function publish(
  ctx: StoreContext,
  operation: string,
  subject: string,
  body: string,
): Promise<void> {
  try {
    await ctx.link.js.publish(subject, body, { timeout: ctx.link.requestTimeout });
  } catch (error) {
    throw ctx.mapError(operation, error);
  }
}

/** Body of the last message on `subject`, `undefined` when there is none (or no stream). */
export async function getLast(
  ctx: StoreContext,
  operation: string,
  stream: string,
  subject: string,
): Promise<Uint8Array | undefined> {
  await ctx.ready(operation);
  try {
    const m = await ctx.link.jsm.streams.getMessage(stream, { last_by_subj: subject });
    return m === null ? undefined : m.data;
  } catch (error) {
    if (ctx.isApiError(error, JsApiCode.StreamNotFound)) return undefined;
    throw ctx.mapError(operation, error);
  }
}

/** Purge one subject; resolves to the number of messages removed (0 without the stream). */
export async function purgeSubject(
  ctx: StoreContext,
  operation: string,
  stream: string,
  subject: string,
): Promise<number> {
  await ctx.ready(operation);
  try {
    return (await ctx.link.jsm.streams.purge(stream, { filter: subject })).purged;
  } catch (error) {
    if (ctx.isApiError(error, JsApiCode.StreamNotFound)) return 0;
    throw ctx.mapError(operation, error);
  }
}

/**
 * Read a stream with a short-lived ordered consumer, up to the messages it had when the scan
 * started, calling `visit` in order until it returns `false`.
 * @returns `false` when the stream does not exist
 */
export async function scan(
  ctx: StoreContext,
  operation: string,
  stream: string,
  options: Partial<OrderedConsumerOptions>,
  batch: number,
  visit: (raw: RawEntry) => boolean,
): Promise<boolean> {
  const link = ctx.link;
  const js = link.js;
  let consumer: Awaited<ReturnType<typeof js.consumers.get>>;
  try {
    consumer = await js.consumers.get(stream, options);
  } catch (error) {
    if (ctx.isApiError(error, JsApiCode.StreamNotFound)) return false;
    throw ctx.mapError(operation, error);
  }
  let failure: unknown;
  let stalled = false;
  try {
    // How many messages the scan reads at most: those in the stream now.
    const total = (await consumer.info(true)).num_pending;
    if (total === 0) return true;
    const messages = await consumer.consume({
      max_messages: Math.max(1, Math.min(total, batch, MAX_BATCH)),
    });
    // Messages removed while scanning (trim, retention) would leave the loop waiting for a
    // count it never reaches: give up after a quiet request timeout.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        messages.stop();
      }, link.requestTimeout);
    };
    arm();
    let seen = 0;
    try {
      for await (const m of messages) {
        arm();
        seen++;
        let more: boolean;
        try {
          more = visit(rawOf(m));
        } catch (error) {
          failure = error;
          break;
        }
        if (!more || seen >= total || m.info.pending === 0) break;
      }
    } finally {
      clearTimeout(timer);
      messages.stop();
      await messages.closed().catch(noop);
    }
  } catch (error) {
    failure ??= error;
  } finally {
    if (link.connected) await consumer.delete().catch(noop);
  }
  if (failure !== undefined) throw ctx.mapError(operation, failure);
  if (stalled && !link.connected) {
    throw new StoreUnavailableError(STORE, operation, link.requestTimeout);
  }
  return true;
}

/** {@link scan} of the messages on `filter`, `batch` at a time. */
export function scanSubject(
  ctx: StoreContext,
  operation: string,
  stream: string,
  filter: string,
  batch: number,
  visit: (raw: RawEntry) => boolean,
): Promise<boolean> {
  return scan(ctx, operation, stream, { filter_subjects: filter }, batch, visit);
}

/** {@link scan} of the last message of each subject on `filter` (state, snapshot metadata). */
export function scanLatest(
  ctx: StoreContext,
  operation: string,
  stream: string,
  filter: string,
  visit: (raw: RawEntry) => void,
): Promise<boolean> {
  const options = { filter_subjects: filter, deliver_policy: 'last_per_subject' } as const;
  return scan(ctx, operation, stream, options, MAX_BATCH, (raw) => {
    visit(raw);
    return true;
  });
}
