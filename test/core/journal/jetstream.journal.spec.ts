import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JidoSignalError } from '../../../lib/core/errors/jido-signal.error.js';
import { JournalIoError, JournalUnavailableError } from '../../../lib/core/errors/journal.error.js';
import { ValidationError } from '../../../lib/core/errors/validation.error.js';
import { JetStreamJournal, type JetStreamJournalOptions } from '../../../lib/jetstream/index.js';
import {
  SignalJournal,
  type JournalAdapter,
  type JournalEntry,
} from '../../../lib/core/journal/index.js';
import { journalSubjectToken } from '../../../lib/core/journal/jetstream-journal.record.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { describeJournalAdapterConformance } from '../../../lib/testing/journal-conformance.js';
import { createTestSignalFactory } from '../../../lib/testing/test-signals.js';
import { NATS_URL } from '../../helpers/nats.js';

const SERVER = NATS_URL;
const T0 = Date.UTC(2026, 0, 1);

let admin: { nc: NatsConnection; jsm: JetStreamManager } | undefined;
const created: string[] = [];
let n = 0;

/** A fresh stream and subject prefix (the journal creates the stream; afterAll deletes it). */
function fresh(): { stream: string; subject: string } {
  n++;
  const stream = `TJ${process.pid}X${Date.now()}N${n}`;
  created.push(stream);
  return { stream, subject: `tj.${process.pid}.${Date.now()}.n${n}` };
}

function openJournal(
  target: { stream: string; subject: string },
  options: JetStreamJournalOptions = {},
): Promise<JetStreamJournal> {
  return JetStreamJournal.open({ servers: SERVER, ...target, ...options });
}

function entryOf(
  signal: Signal,
  meta: { causeId?: string; conversationId?: string; recordedAt?: number } = {},
): JournalEntry {
  const time = Date.parse(signal.time ?? new Date(T0).toISOString());
  return {
    id: signal.id,
    time,
    recordedAt: meta.recordedAt ?? time,
    causeId: meta.causeId,
    conversationId: meta.conversationId ?? signal.id,
    signal,
  };
}

async function ids(adapter: JournalAdapter): Promise<string[]> {
  const out: string[] = [];
  for await (const e of adapter.scan()) out.push(e.id);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<JidoSignalError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(JidoSignalError);
    return error as JidoSignalError;
  }
  throw new Error('expected a rejection');
}

{
  beforeAll(async () => {
    const nc = await connect({ servers: SERVER });
    admin = { nc, jsm: await jetstreamManager(nc) };
  });
  afterAll(async () => {
    if (admin === undefined) return;
    for (const stream of created) await admin.jsm.streams.delete(stream).catch(() => false);
    await admin.nc.close();
  });
}

describe('JetStreamJournal', () => {
  describeJournalAdapterConformance('JetStreamJournal', () => openJournal(fresh()), {
    timeout: 60_000,
    reopen: async (adapter) => {
      const journal = adapter as JetStreamJournal;
      await journal.close();
      return openJournal({ stream: journal.stream, subject: journal.subject });
    },
  });

  describe('shared between instances', () => {
    it('a record through one instance is visible through another at once', async () => {
      const target = fresh();
      const a = await openJournal(target);
      const b = await openJournal(target);
      try {
        const f = createTestSignalFactory({ start: T0, stepMs: 1000 });
        const root = f.create('order.placed', { n: 1 }, { extensions: { correlationid: 'c-1' } });
        const effect = f.create('order.paid');
        const other = f.create('unrelated');
        await a.putSignal(entryOf(root, { conversationId: 'c-1' }));
        await a.putSignal(entryOf(effect, { causeId: root.id, conversationId: 'c-1' }));
        await b.putSignal(entryOf(other));
        // No flush or wait: reads catch up with the stream first.
        expect((await b.getSignal(root.id))?.signal.toJSON()).toEqual(root.toJSON());
        expect(await b.getEffects(root.id)).toEqual([effect.id]);
        expect(await b.getCause(effect.id)).toBe(root.id);
        expect(await b.getConversation('c-1')).toEqual([root.id, effect.id]);
        expect(await ids(b)).toEqual([root.id, effect.id, other.id]);
        expect(await a.getMeta(other.id)).toMatchObject({ id: other.id, causeId: undefined });
        expect(await a.size()).toBe(3);
        expect(await b.size()).toBe(3);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('SignalJournals on two instances share causes, effects and traces', async () => {
      const target = fresh();
      const one = new SignalJournal({ adapter: await openJournal(target) });
      const two = new SignalJournal({ adapter: await openJournal(target) });
      try {
        const f = createTestSignalFactory({ start: T0, stepMs: 1000 });
        const cause = f.create('payment.requested', { amount: 42 });
        const effect = f.create('payment.captured', null, {
          extensions: { causationid: cause.id },
        });
        await one.record(cause);
        // The second instance finds the cause recorded by the first.
        const recorded = await two.record(effect);
        expect(recorded.causeId).toBe(cause.id);
        expect((await one.getCause(effect.id))?.id).toBe(cause.id);
        expect((await one.traceChain(cause.id)).map((s) => [s.id, s.relation, s.depth])).toEqual([
          [cause.id, 'origin', 0],
          [effect.id, 'effect', 1],
        ]);
        expect((await two.conversation(cause.id)).map((s) => s.id)).toEqual([cause.id, effect.id]);
        expect((await one.query({ type: 'payment.*' })).map((s) => s.id)).toEqual([
          cause.id,
          effect.id,
        ]);
        // Recording the same signal again through the other instance is an idempotent no-op.
        expect((await one.record(effect)).id).toBe(effect.id);
        expect(await two.size()).toBe(2);
      } finally {
        await one.close();
        await two.close();
      }
    });

    it('the first record of an id wins, whichever instance wrote it', async () => {
      const target = fresh();
      const a = await openJournal(target);
      const b = await openJournal(target);
      try {
        const f = createTestSignalFactory({ start: T0 });
        const s = f.create('x', { v: 1 });
        await a.putSignal(entryOf(s, { conversationId: 'first' }));
        // b has not read yet: its index may not know the id; the server refuses the copy.
        await b.putSignal(entryOf(s.with({ data: { v: 2 } }), { conversationId: 'second' }));
        for (const j of [a, b]) {
          const got = await j.getSignal(s.id);
          expect(got?.conversationId).toBe('first');
          expect(got?.signal.data).toEqual({ v: 1 });
          expect(await j.getConversation('second')).toEqual([]);
          expect(await j.size()).toBe(1);
        }
        // Racing writers of one id: exactly one copy is stored and both agree on it.
        const r = f.create('race');
        await Promise.all([
          a.putSignal(entryOf(r.with({ data: 'a' }))),
          b.putSignal(entryOf(r.with({ data: 'b' }))),
        ]);
        const fromA = (await a.getSignal(r.id))!.signal.data;
        expect((await b.getSignal(r.id))!.signal.data).toEqual(fromA);
        expect(await a.size()).toBe(2);
        expect(a.stats().records).toBe(2);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('recordedAt never decreases, even when another instance has a slower clock', async () => {
      const target = fresh();
      const a = await openJournal(target);
      const b = await openJournal(target);
      try {
        const f = createTestSignalFactory({ start: T0 });
        const first = f.create('first');
        const second = f.create('second');
        await a.putSignal(entryOf(first, { recordedAt: T0 + 5_000 }));
        await b.putSignal(entryOf(second, { recordedAt: T0 + 1_000 }));
        for (const j of [a, b]) {
          expect((await j.getMeta(first.id))?.recordedAt).toBe(T0 + 5_000);
          expect((await j.getMeta(second.id))?.recordedAt).toBe(T0 + 5_000);
        }
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("readConsistency 'local' answers from the tail and always sees its own writes", async () => {
      const target = fresh();
      const a = await openJournal(target, { readConsistency: 'local', cacheSize: 0 });
      const b = await openJournal(target);
      try {
        const f = createTestSignalFactory({ start: T0 });
        const own = f.create('own');
        await a.putSignal(entryOf(own));
        expect((await a.getSignal(own.id))?.signal.toJSON()).toEqual(own.toJSON());
        const foreign = f.create('foreign');
        await b.putSignal(entryOf(foreign));
        await a.putSignal(entryOf(f.create('later'))); // applied after `foreign`
        expect(await a.getMeta(foreign.id)).toBeDefined();
        expect(a.stats()).toMatchObject({ records: 3, cached: 0 });
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('durability', () => {
    it('close and reopen on the same stream: everything is still there', async () => {
      const target = fresh();
      const f = createTestSignalFactory({ start: T0, stepMs: 1000 });
      const journal = new SignalJournal({ adapter: await openJournal(target) });
      const root = f.create('root', { x: 1 }, { extensions: { correlationid: 'p-1' } });
      const child = f.create('child', null, { extensions: { causationid: root.id } });
      const odd = f.create('odd', null, { id: 'weird id.with*dots>and ünïcødé' });
      await journal.record(root);
      await journal.record(child);
      await journal.record(odd);
      await journal.flush();
      await journal.close();

      const again = new SignalJournal({ adapter: await openJournal(target) });
      try {
        expect(await again.size()).toBe(3);
        expect((await again.get(root.id))?.toJSON()).toEqual(root.toJSON());
        expect((await again.get(odd.id))?.id).toBe(odd.id);
        expect((await again.getCause(child.id))?.id).toBe(root.id);
        expect((await again.conversation('p-1')).map((s) => s.id)).toEqual([root.id, child.id]);
        expect((await again.traceChain(root.id)).map((s) => s.id)).toEqual([root.id, child.id]);
      } finally {
        await again.close();
      }
    });

    it('flush resolves once pending puts are acknowledged', async () => {
      const target = fresh();
      const journal = await openJournal(target);
      const f = createTestSignalFactory({ start: T0 });
      const puts = Array.from({ length: 50 }, () => journal.putSignal(entryOf(f.create('p'))));
      await journal.flush();
      await Promise.all(puts);
      const other = await openJournal(target);
      expect(await other.size()).toBe(50);
      await other.close();
      await journal.close();
    });
  });

  it('creates the stream with storage, replicas and maxAge; reuses an existing one', async () => {
    const target = fresh();
    const journal = await openJournal(target, { storage: 'memory', maxAge: 60_000 });
    const info = await admin!.jsm.streams.info(target.stream);
    expect(info.config).toMatchObject({
      subjects: [`${target.subject}.>`],
      storage: 'memory',
      num_replicas: 1,
      max_age: 60_000 * 1_000_000,
    });
    expect(journal.options).toMatchObject({ stream: target.stream, storage: 'memory' });
    // A second open with other creation options keeps the stream as configured.
    const again = await openJournal(target, { storage: 'file' });
    expect((await admin!.jsm.streams.info(target.stream)).config.storage).toBe('memory');
    await again.close();
    await journal.close();
  });

  describe('errors', () => {
    it('rejects invalid options with typed errors before connecting', async () => {
      const bad: JetStreamJournalOptions[] = [
        { stream: 'has.dot' },
        { stream: '' },
        { subject: 'a.*' },
        { subject: 'a..b' },
        { storage: 'disk' as 'file' },
        { replicas: 0 },
        { maxAge: -1 },
        { readConsistency: 'eventual' as 'local' },
        { cacheSize: 1.5 },
        { disconnectedWait: -5 },
      ];
      for (const options of bad) {
        const error = await rejection(JetStreamJournal.open({ servers: SERVER, ...options }));
        expect(error).toBeInstanceOf(ValidationError);
        expect(error.code).toBe('invalid_attribute');
      }
    });

    it('an unreachable server is a retryable journal_io_error without credentials', async () => {
      const error = await rejection(
        JetStreamJournal.open({
          servers: 'nats://someone:s3cret@127.0.0.1:1',
          connectTimeout: 500,
        }),
      );
      expect(error).toBeInstanceOf(JournalUnavailableError);
      expect(error.code).toBe('journal_io_error');
      expect(error.retryable).toBe(true);
      expect(JSON.stringify(error.toJSON())).not.toContain('s3cret');
      expect(error.message).not.toContain('s3cret');
    });

    it('a stream that does not capture the subject is refused', async () => {
      const target = fresh();
      await admin!.jsm.streams.add({ name: target.stream, subjects: [`${target.subject}x.>`] });
      const error = await rejection(openJournal(target));
      expect(error).toBeInstanceOf(JournalIoError);
      expect(error.code).toBe('journal_io_error');
    });

    it('a lost connection rejects after disconnectedWait with a retryable journal_io_error', async () => {
      const target = fresh();
      const nc = await connect({ servers: SERVER });
      const journal = await JetStreamJournal.open({
        connection: nc,
        ...target,
        disconnectedWait: 100,
      });
      const f = createTestSignalFactory({ start: T0 });
      const s = f.create('a');
      await journal.putSignal(entryOf(s));
      await nc.close();
      for (const op of [journal.getMeta(s.id), journal.putSignal(entryOf(f.create('b')))]) {
        const error = await rejection(op);
        expect(error).toBeInstanceOf(JournalUnavailableError);
        expect(error.code).toBe('journal_io_error');
        expect(error.retryable).toBe(true);
      }
      await journal.close();
      expect((await rejection(journal.size())).code).toBe('closed');
    });
  });

  it('subject tokens are injective and NATS-safe', () => {
    const samples = ['abc-DEF-123', 'a.b', 'a_2Eb', 'a b', '*', '>', 'ü', 'x'.repeat(200)];
    const tokens = samples.map(journalSubjectToken);
    expect(new Set(tokens).size).toBe(samples.length);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{1,130}$/);
    expect(journalSubjectToken('019b76da-abe8-7000-8000-000000000001')).toBe(
      '019b76da-abe8-7000-8000-000000000001',
    );
  });
});
