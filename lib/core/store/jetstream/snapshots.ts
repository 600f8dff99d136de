/**
 * Snapshots of the JetStream store. A snapshot's entries are one JSON array split into
 * chunks (it may exceed the server's max payload) on `<prefix>.snap.<bus>.<id>` in the
 * `<prefix>_SNAP` stream; its metadata is one message on `<prefix>.state.<bus>.snap.<id>` in
 * the `<prefix>_STATE` stream, written last, so a snapshot is visible only once complete.
 * @module
 * @internal
 */
import type { PubAck } from '@nats-io/jetstream';
import { StoreError } from '../../errors/store.error.js';
import { ValidationError } from '../../errors/validation.error.js';
import { stringifySignal } from '../../signal/serialization/json.serializer.js';
import {
  snapshotRecordOf,
  storedEntriesOf,
  type StoredSnapshotEntry,
  type StoredSnapshotMeta,
} from '../shared/snapshot-record.js';
import type { SnapshotRecord } from '../signal-store.interface.js';
import { assertId, isList } from '../shared/args.js';
import { MAX_BATCH, parseJson, STORE } from './codec.js';
import type { StoreContext } from './store-context.js';
import { getLast, publish, purgeSubject, scanLatest, scanSubject } from './stream-io.js';

/** Header of snapshot chunks: `<index>/<count>`. */
const CHUNK_HEADER = 'Jido-Chunk';

/** The metadata message of a snapshot. */
interface SnapshotMeta extends StoredSnapshotMeta {
  /** Chunks of the entries' JSON. */
  readonly chunks: number;
}

/** A snapshot as `listSnapshots` describes it. */
type SnapshotSummary = Omit<SnapshotRecord, 'entries'> & { size: number };

/** The snapshots of one store object. @internal */
export class Snapshots {
  constructor(private readonly ctx: StoreContext) {}

  async put(bus: string, snapshot: SnapshotRecord): Promise<void> {
    const ctx = this.ctx;
    const link = ctx.link;
    ctx.check(bus);
    if (typeof snapshot !== 'object' || snapshot === null || !isList(snapshot.entries)) {
      throw new ValidationError('invalid_attribute', 'snapshot', 'snapshot must have entries');
    }
    assertId(snapshot.id, 'id');
    const stored = storedEntriesOf(snapshot);
    const bytes = Buffer.from(stringifySignal(stored), 'utf8');
    await ctx.ready('putSnapshot');
    await ctx.ensureShared(ctx.names.snapshotStream);
    await ctx.ensureShared(ctx.names.stateStream);
    const subject = ctx.names.snapshotSubject(bus, snapshot.id);
    // Room for headers and protocol overhead below the server's max payload.
    const maxPayload = link.nc.info?.max_payload ?? 1024 * 1024;
    const chunkSize = Math.max(1024, maxPayload - 4096);
    const count = Math.max(1, Math.ceil(bytes.length / chunkSize));
    try {
      // Replacing a snapshot of the same id: drop its old chunks first.
      await link.jsm.streams.purge(ctx.names.snapshotStream, { filter: subject });
      const acks: Array<Promise<PubAck>> = [];
      for (let i = 0; i < count; i++) {
        const h = link.transport.headers();
        h.set(CHUNK_HEADER, `${i}/${count}`);
        acks.push(
          link.js.publish(subject, bytes.subarray(i * chunkSize, (i + 1) * chunkSize), {
            headers: h,
            timeout: link.requestTimeout,
          }),
        );
      }
      const settled = await Promise.allSettled(acks);
      for (const r of settled) if (r.status === 'rejected') throw r.reason;
    } catch (error) {
      throw ctx.mapError('putSnapshot', error);
    }
    const meta: SnapshotMeta = {
      id: snapshot.id,
      pattern: snapshot.pattern,
      createdAt: snapshot.createdAt,
      size: stored.length,
      chunks: count,
    };
    // Metadata last: a snapshot is visible only once all its chunks are stored.
    await publish(
      ctx,
      'putSnapshot',
      ctx.names.snapshotMetaSubject(bus, snapshot.id),
      JSON.stringify(meta),
    );
  }

  async get(bus: string, id: string): Promise<SnapshotRecord | undefined> {
    const ctx = this.ctx;
    ctx.check(bus, id, 'id');
    const metaSubject = ctx.names.snapshotMetaSubject(bus, id);
    const data = await getLast(ctx, 'getSnapshot', ctx.names.stateStream, metaSubject);
    if (data === undefined) return undefined;
    const meta = parseJson<SnapshotMeta>(data, 'snapshot metadata');
    const chunks: Uint8Array[] = [];
    const subject = ctx.names.snapshotSubject(bus, id);
    await scanSubject(ctx, 'getSnapshot', ctx.names.snapshotStream, subject, MAX_BATCH, (raw) => {
      chunks.push(raw.data);
      return chunks.length < meta.chunks;
    });
    if (chunks.length !== meta.chunks) {
      throw new StoreError(`${STORE}: snapshot "${id}" of bus "${bus}" is incomplete`, {
        details: { bus, snapshot: id, chunks: chunks.length, expected: meta.chunks },
      });
    }
    const stored = parseJson<StoredSnapshotEntry[]>(Buffer.concat(chunks), 'snapshot');
    return snapshotRecordOf(STORE, bus, id, meta, stored);
  }

  /** The snapshots of `bus`, newest first (by `createdAt`, then id). */
  async list(bus: string): Promise<SnapshotSummary[]> {
    const ctx = this.ctx;
    ctx.check(bus);
    await ctx.ready('listSnapshots');
    const out: SnapshotSummary[] = [];
    const filter = ctx.names.snapshotMetaSubjects(bus);
    await scanLatest(ctx, 'listSnapshots', ctx.names.stateStream, filter, (raw) => {
      const m = parseJson<SnapshotMeta>(raw.data, 'snapshot metadata');
      out.push({ id: m.id, pattern: m.pattern, createdAt: m.createdAt, size: m.size });
    });
    return out.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  /** Delete the metadata (the snapshot disappears), then the chunks. */
  async delete(bus: string, id: string): Promise<boolean> {
    const ctx = this.ctx;
    ctx.check(bus, id, 'id');
    const { stateStream, snapshotStream } = ctx.names;
    const metaSubject = ctx.names.snapshotMetaSubject(bus, id);
    const existed = (await purgeSubject(ctx, 'deleteSnapshot', stateStream, metaSubject)) > 0;
    const subject = ctx.names.snapshotSubject(bus, id);
    await purgeSubject(ctx, 'deleteSnapshot', snapshotStream, subject);
    return existed;
  }
}
