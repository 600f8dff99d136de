/**
 * Dead letters of the JetStream store: the `<prefix>_DLQ` stream, one message per entry on
 * `<prefix>.dlq.<bus>.<subscription id>` (the signal's JSON with the entry's fields).
 * Deleting single entries deletes their messages by sequence; clearing purges the subject.
 * @module
 * @internal
 */
import { ValidationError } from '../../errors/validation.error.js';
import { JsApiCode } from '../../nats/api-errors.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import { Signal } from '../../signal/signal.js';
import type { DlqEntry } from '../signal-store.interface.js';
import { assertId, assertLimit, isList } from '../shared/args.js';
import { decodeSignal, MAX_BATCH, parseJson, type RawEntry } from './codec.js';
import type { StoreContext } from './store-context.js';
import { publish, purgeSubject, scanSubject } from './stream-io.js';

/** A DLQ entry as stored: the signal as its JSON value. */
type StoredDlqEntry = Omit<DlqEntry, 'signal'> & { readonly signal: unknown };

/** The dead letters of one store object. @internal */
export class DeadLetters {
  constructor(private readonly ctx: StoreContext) {}

  async put(bus: string, entry: DlqEntry): Promise<void> {
    const ctx = this.ctx;
    ctx.check(bus);
    if (typeof entry !== 'object' || entry === null || !(entry.signal instanceof Signal)) {
      throw new ValidationError('invalid_attribute', 'entry', 'a DLQ entry must hold a Signal');
    }
    assertId(entry.subscriptionId, 'subscriptionId');
    const body = stringifySignal({ ...entry, signal: entry.signal.toJSON() });
    await ctx.ready('putDlq');
    await ctx.ensureShared(ctx.names.dlqStream);
    await publish(ctx, 'putDlq', ctx.names.dlqSubject(bus, entry.subscriptionId), body);
  }

  async list(
    bus: string,
    subscriptionId: string,
    options: { limit?: number },
  ): Promise<DlqEntry[]> {
    const ctx = this.ctx;
    ctx.check(bus, subscriptionId, 'subscriptionId');
    assertLimit(options.limit);
    const limit = options.limit ?? Infinity;
    if (limit === 0) return [];
    await ctx.ready('listDlq');
    const out: DlqEntry[] = [];
    await this.#scan('listDlq', bus, subscriptionId, limit, (raw) => {
      out.push(decodeDlq(raw));
      return out.length < limit;
    });
    return out;
  }

  /** Delete the entries with these ids: find their sequences, then delete those messages. */
  async delete(bus: string, subscriptionId: string, ids: readonly string[]): Promise<number> {
    const ctx = this.ctx;
    ctx.check(bus, subscriptionId, 'subscriptionId');
    if (!isList(ids)) {
      throw new ValidationError('invalid_attribute', 'ids', 'ids must be an array');
    }
    if (ids.length === 0) return 0;
    await ctx.ready('deleteDlq');
    const wanted = new Set(ids);
    const seqs: number[] = [];
    await this.#scan('deleteDlq', bus, subscriptionId, MAX_BATCH, (raw) => {
      const entry = parseJson<{ id?: unknown }>(raw.data, 'DLQ entry');
      if (typeof entry.id === 'string' && wanted.has(entry.id)) seqs.push(raw.seq);
      return true;
    });
    let removed = 0;
    try {
      const results = await Promise.allSettled(
        seqs.map((seq) => ctx.link.jsm.streams.deleteMessage(ctx.names.dlqStream, seq, false)),
      );
      for (const r of results) {
        if (r.status === 'fulfilled' && r.value) removed++;
        // Deleted meanwhile (another instance): not an error, just not counted.
        else if (
          r.status === 'rejected' &&
          !ctx.isApiError(r.reason, JsApiCode.MessageDeleteFailed)
        )
          throw r.reason;
      }
    } catch (error) {
      throw ctx.mapError('deleteDlq', error);
    }
    return removed;
  }

  async clear(bus: string, subscriptionId: string): Promise<number> {
    const ctx = this.ctx;
    ctx.check(bus, subscriptionId, 'subscriptionId');
    const subject = ctx.names.dlqSubject(bus, subscriptionId);
    return purgeSubject(ctx, 'clearDlq', ctx.names.dlqStream, subject);
  }

  /** Entries of one subscription, or of the whole bus: counted from the stream's subjects. */
  async size(bus: string, subscriptionId?: string): Promise<number> {
    const ctx = this.ctx;
    ctx.check(bus);
    if (subscriptionId !== undefined) assertId(subscriptionId, 'subscriptionId');
    await ctx.ready('dlqSize');
    const filter =
      subscriptionId === undefined
        ? ctx.names.dlqBusSubjects(bus)
        : ctx.names.dlqSubject(bus, subscriptionId);
    try {
      let total = 0;
      let offset = 0;
      // Subject counts come in pages (the server caps one answer at 100,000 subjects).
      for (;;) {
        const info = await ctx.link.jsm.streams.info(ctx.names.dlqStream, {
          subjects_filter: filter,
          offset,
        });
        const subjects = info.state.subjects ?? {};
        let n = 0;
        for (const count of Object.values(subjects)) {
          total += count;
          n++;
        }
        offset += n;
        if (n === 0 || offset >= (info.state.num_subjects ?? 0)) break;
        const paged = info as { total?: number; limit?: number };
        if (paged.total === undefined || offset >= paged.total) break;
      }
      return total;
    } catch (error) {
      if (ctx.isApiError(error, JsApiCode.StreamNotFound)) return 0;
      throw ctx.mapError('dlqSize', error);
    }
  }

  /** Scan the entries of one subscription, `batch` at a time. */
  #scan(
    operation: string,
    bus: string,
    subscriptionId: string,
    batch: number,
    visit: (raw: RawEntry) => boolean,
  ): Promise<boolean> {
    const ctx = this.ctx;
    const subject = ctx.names.dlqSubject(bus, subscriptionId);
    return scanSubject(ctx, operation, ctx.names.dlqStream, subject, batch, visit);
  }
}

function decodeDlq(raw: RawEntry): DlqEntry {
  const stored = parseJson<StoredDlqEntry>(raw.data, 'DLQ entry');
  return Object.freeze({
    ...stored,
    lastError: Object.freeze({ ...stored.lastError }),
    signal: decodeSignal(stored.signal, { dlqEntry: stored.id }),
  });
}
