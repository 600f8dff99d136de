import fc from 'fast-check';
import { describe, expect, it, jest } from '@jest/globals';
import { validate as uuidValidate, version as uuidVersion } from 'uuid';
import { SignalId, ValidationError } from '../../../lib/index.js';

describe('SignalId', () => {
  it('1,000,000 ids in a loop are strictly increasing and valid UUIDv7 per the uuid package', () => {
    let previous = SignalId.generate();
    let ordered = true;
    let invalid = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const id = SignalId.generate();
      if (!(id > previous)) ordered = false;
      // Checking each id with uuid is the slow part; sample every 100th plus the last.
      if (i % 100 === 0 && !(uuidValidate(id) && uuidVersion(id) === 7)) invalid++;
      previous = id;
    }
    expect(ordered).toBe(true);
    expect(invalid).toBe(0);
    expect(uuidValidate(previous) && uuidVersion(previous)).toBe(7);
  });

  it('every id of a batch is valid and the batch is strictly increasing', () => {
    const ids = SignalId.generateBatch(5000);
    expect(ids).toHaveLength(5000);
    expect(new Set(ids).size).toBe(5000);
    for (let i = 1; i < ids.length; i++) {
      expect(SignalId.compare(ids[i - 1], ids[i])).toBe(-1);
    }
    for (const id of ids.slice(0, 50)) expect(uuidVersion(id)).toBe(7);
    expect(SignalId.generateBatch(0)).toEqual([]);
    expect(() => SignalId.generateBatch(-1)).toThrow(ValidationError);
    expect(() => SignalId.generateBatch(1.5)).toThrow(ValidationError);
  });

  it('borrows the next millisecond when the counter runs out, staying monotonic', () => {
    // Freeze the clock just ahead of real time so the generator state stays realistic.
    const frozen = Date.now() + 5;
    const spy = jest.spyOn(Date, 'now').mockReturnValue(frozen);
    try {
      const ids = Array.from({ length: 6000 }, () => SignalId.generate());
      for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
      const stamps = new Set(ids.map((id) => SignalId.timestamp(id)));
      expect(Math.min(...stamps)).toBeGreaterThanOrEqual(frozen);
      expect(stamps.size).toBeGreaterThan(1);
      // A clock going backwards never produces a smaller id.
      spy.mockReturnValue(frozen - 60_000);
      const after = SignalId.generate();
      expect(after > ids[ids.length - 1]).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('timestamp() and sequence() decode the id', () => {
    const { id, timestamp } = SignalId.generateWithTimestamp();
    expect(SignalId.timestamp(id)).toBe(timestamp);
    expect(Math.abs(timestamp - Date.now())).toBeLessThan(5_000);
    // RFC 9562 appendix example.
    expect(SignalId.timestamp('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(0x017f22e279b0);
    expect(SignalId.sequence('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(0xcc3);
    expect(SignalId.timestamp('017F22E2-79B0-7CC3-98C4-DC0C0C07398F')).toBe(0x017f22e279b0);
  });

  it('compare() orders by timestamp, counter, then tail, ignoring case', () => {
    const a = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';
    const b = '017f22e2-79b1-7000-8000-000000000000';
    expect(SignalId.compare(a, b)).toBe(-1);
    expect(SignalId.compare(b, a)).toBe(1);
    expect(SignalId.compare(a, a.toUpperCase())).toBe(0);
    expect(() => SignalId.compare('nope', a)).toThrow(ValidationError);
  });

  it('isValid() accepts v7 only', () => {
    expect(SignalId.isValid('017f22e2-79b0-7cc3-98c4-dc0c0c07398f')).toBe(true);
    expect(SignalId.isValid('017f22e2-79b0-6cc3-98c4-dc0c0c07398f')).toBe(false); // version 6
    expect(SignalId.isValid('017f22e2-79b0-7cc3-c8c4-dc0c0c07398f')).toBe(false); // variant
    expect(SignalId.isValid('017f22e279b07cc398c4dc0c0c07398f')).toBe(false);
    expect(SignalId.isValid(42)).toBe(false);
  });

  it('timestamp() rejects malformed ids with a typed error', () => {
    try {
      SignalId.timestamp('not-an-id');
      throw new Error('unreachable');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe('invalid_id');
    }
  });

  it('lowerBound() sorts at or before every id of that millisecond', () => {
    const { id, timestamp } = SignalId.generateWithTimestamp();
    const bound = SignalId.lowerBound(timestamp);
    expect(SignalId.timestamp(bound)).toBe(timestamp);
    expect(bound <= id).toBe(true);
    expect(SignalId.lowerBound(timestamp + 1) > id).toBe(true);
    expect(() => SignalId.lowerBound(-1)).toThrow(ValidationError);
  });
});

describe('id parts (internal)', () => {
  it('format(parse(id)) is the id, and part order is string order', async () => {
    const { formatIdParts, parseIdParts, nextIdParts } =
      await import('../../../lib/core/signal/signal-id.js');
    const ids = SignalId.generateBatch(2000);
    const parts = ids.map((id) => parseIdParts(id, { ms: 0, seq: 0, hi: 0, lo: 0 }));
    parts.forEach((p, i) => expect(formatIdParts(p.ms, p.seq, p.hi, p.lo)).toBe(ids[i]));
    for (let i = 1; i < parts.length; i++) {
      const a = parts[i - 1];
      const b = parts[i];
      const cmp = a.ms - b.ms || a.seq - b.seq || a.hi - b.hi || a.lo - b.lo;
      expect(Math.sign(cmp)).toBe(-1);
    }
    const fresh = nextIdParts({ ms: 0, seq: 0, hi: 0, lo: 0 });
    const id = formatIdParts(fresh.ms, fresh.seq, fresh.hi, fresh.lo);
    expect(SignalId.isValid(id)).toBe(true);
    expect(id > ids[ids.length - 1]).toBe(true);
  });

  it('formats any parts as the reference layout, whether or not the millisecond changed', async () => {
    const { formatIdParts, parseIdParts } = await import('../../../lib/core/signal/signal-id.js');
    const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
    const reference = (ms: number, seq: number, hi: number, lo: number): string => {
      const t = hex(ms, 12);
      const r = hex(((0x80 << 24) | hi) >>> 0, 8);
      return `${t.slice(0, 8)}-${t.slice(8)}-7${hex(seq, 3)}-${r.slice(0, 4)}-${r.slice(4)}${hex(lo, 8)}`;
    };
    // Runs of ids in one millisecond, and jumps between far-apart ones (the cached prefix).
    const part = fc.record({
      ms: fc.oneof(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.constantFrom(0, 1, 2 ** 48 - 1)),
      seq: fc.integer({ min: 0, max: 0xfff }),
      hi: fc.integer({ min: 0, max: 2 ** 30 - 1 }),
      lo: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      repeat: fc.integer({ min: 1, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 20 }), (parts) => {
        for (const { ms, seq, hi, lo, repeat } of parts) {
          for (let k = 0; k < repeat; k++) {
            const s = (seq + k) & 0xfff;
            const id = formatIdParts(ms, s, hi, lo);
            expect(id).toBe(reference(ms, s, hi, lo));
            expect(parseIdParts(id, { ms: 0, seq: 0, hi: 0, lo: 0 })).toEqual({
              ms,
              seq: s,
              hi,
              lo,
            });
          }
        }
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  it('log ids: increasing, unique, the same string as formatIdParts, random bits shared within a millisecond', async () => {
    const { formatIdParts, formatLogId, nextLogIdParts, nextIdParts } =
      await import('../../../lib/core/signal/signal-id.js');
    const ids: string[] = [];
    const seen = new Set<string>();
    let previous: { ms: number; hi: number; lo: number } | undefined;
    for (let i = 0; i < 6_000; i++) {
      // Signal ids drawn in between share the clock and counter (and must not disturb the order).
      if (i % 7 === 0) nextIdParts({ ms: 0, seq: 0, hi: 0, lo: 0 });
      // A few clock values per millisecond run, so runs end and the counter borrows ahead.
      const p = nextLogIdParts({ ms: 0, seq: 0, hi: 0, lo: 0 }, 1_800_000_000_000 + (i >> 10));
      const id = formatLogId(p.ms, p.seq, p.hi, p.lo);
      expect(id).toBe(formatIdParts(p.ms, p.seq, p.hi, p.lo));
      expect(SignalId.isValid(id)).toBe(true);
      if (previous?.ms === p.ms) expect([p.hi, p.lo]).toEqual([previous.hi, previous.lo]);
      previous = p;
      seen.add(id);
      ids.push(id);
    }
    expect(seen.size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i - 1] < ids[i]).toBe(true);
  });
});
