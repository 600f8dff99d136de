// RedisJournal against the local Redis (127.0.0.1:6379): the journal conformance suite (with
// reopen), sharing between instances, and typed errors.
import { afterAll, describe, expect, it } from '@jest/globals';
import { ValidationError } from '../../../lib/core/errors/validation.error.js';
import type { JournalEntry } from '../../../lib/core/journal/index.js';
import { SignalJournal } from '../../../lib/core/journal/index.js';
import { RedisJournal } from '../../../lib/core/journal/redis.journal.js';
import { describeJournalAdapterConformance } from '../../../lib/testing/journal-conformance.js';
import { createTestSignalFactory } from '../../../lib/testing/test-signals.js';
import { rejection } from '../../helpers/errors.js';
import { deleteRedisKeys, REDIS_URL, redisTestPrefix } from '../../helpers/redis.js';

const prefix = redisTestPrefix('journal');
let n = 0;
const names = new WeakMap<RedisJournal, string>();

async function open(name = `${prefix}:j${n++}`): Promise<RedisJournal> {
  const journal = await RedisJournal.open({ url: REDIS_URL, name });
  names.set(journal, name);
  return journal;
}

afterAll(async () => {
  await deleteRedisKeys(prefix);
}, 30_000);

describeJournalAdapterConformance('RedisJournal', () => open(), {
  timeout: 20_000,
  reopen: async (adapter) => {
    const name = names.get(adapter as RedisJournal)!;
    await adapter.close();
    return open(name);
  },
});

describe('RedisJournal', () => {
  it('two instances on one name share one journal: records, edges and conversations', async () => {
    const name = `${prefix}:shared`;
    const a = new SignalJournal({ adapter: await open(name) });
    const b = new SignalJournal({ adapter: await open(name) });
    const f = createTestSignalFactory();
    const root = f.create('order.placed');
    const effect = f.create('order.paid');
    await a.record(root);
    await b.record(effect, { causeId: root.id });
    expect((await a.getEffects(root.id)).map((s) => s.id)).toEqual([effect.id]);
    expect((await b.getCause(effect.id))?.id).toBe(root.id);
    expect((await a.conversation(root.id)).map((s) => s.id)).toEqual([root.id, effect.id]);
    await a.close();
    await b.close();
  });

  it('the first record of an id wins; a scan never repeats an entry added while it runs', async () => {
    const adapter = await open();
    const f = createTestSignalFactory();
    const entry = (t: number): JournalEntry => {
      const s = f.create('t', { t });
      return {
        id: s.id,
        time: t,
        recordedAt: t,
        causeId: undefined,
        conversationId: s.id,
        signal: s,
      };
    };
    const first = entry(10);
    await adapter.putSignal(first);
    await adapter.putSignal({ ...first, time: 99 });
    expect((await adapter.getMeta(first.id))?.time).toBe(10);
    for (let t = 0; t < 1_200; t++) await adapter.putSignal(entry(1_000 + (t % 7)));
    const seen = new Set<string>();
    let i = 0;
    for await (const e of adapter.scan()) {
      expect(seen.has(e.id)).toBe(false);
      seen.add(e.id);
      if (i++ === 600) await adapter.putSignal(entry(1_003));
    }
    expect(seen.size).toBeGreaterThanOrEqual(1_201);
    await adapter.close();
  });

  it('bad names are typed errors; an unreachable server is journal_io_error without secrets', async () => {
    await expect(RedisJournal.open({ name: 'a b' })).rejects.toBeInstanceOf(ValidationError);
    const error = await rejection(
      RedisJournal.open({ url: 'redis://:s3cret@127.0.0.1:16398', connectTimeout: 300 }),
    );
    expect(error.code).toBe('journal_io_error');
    expect(error.retryable).toBe(true);
    expect(JSON.stringify(error.toJSON()) + error.message).not.toContain('s3cret');
  });
});
