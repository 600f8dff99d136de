import { describe, expect, it } from '@jest/globals';
import { matches } from '../../../lib/core/router/pattern.js';
import { SignalId } from '../../../lib/core/signal/signal-id.js';
import {
  assertBusName,
  consumerName,
  decodeIdToken,
  encodeIdToken,
  encodeType,
  encodeTypeSegment,
  JetStreamNames,
  logIdFor,
  patternFilter,
  sequenceOf,
} from '../../../lib/core/store/jetstream/subjects.js';
import { thrown } from '../../helpers/errors.js';

/** NATS subject semantics for a filter (`*` one token, `>` one or more trailing tokens). */
function subjectMatches(subject: string, filter: string): boolean {
  const s = subject.split('.');
  const f = filter.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return s.length === f.length;
}

// eslint-disable-next-line no-control-regex
const TOKEN_RE = /^[^\s.*>\x00-\x1f\x7f]+$/;

describe('JetStream subject mapping', () => {
  it('keeps plain types and percent-encodes odd segments into valid tokens', () => {
    expect(encodeType('user.created')).toBe('user.created');
    expect(encodeType('a-b_C.9')).toBe('a-b_C.9');
    expect(encodeTypeSegment('')).toBe('%');
    expect(encodeTypeSegment('a b')).toBe('a%20b');
    expect(encodeTypeSegment('*')).toBe('%2A');
    expect(encodeTypeSegment('>')).toBe('%3E');
    expect(encodeTypeSegment('%')).toBe('%25');
    expect(encodeTypeSegment('\u0000\t')).toBe('%00%09');
    expect(encodeTypeSegment('é')).toBe('%C3%A9');
    expect(encodeType('a..b')).toBe('a.%.b');
    expect(encodeType('.')).toBe('%.%');
    expect(encodeType('')).toBe('%');
    for (const type of ['a..b', ' ', 'x.*.>', 'tab\there', 'new\nline', '.lead', 'trail.', 'ü.ß']) {
      for (const token of encodeType(type).split('.')) expect(token).toMatch(TOKEN_RE);
      expect(encodeType(type).split('.')).toHaveLength(type.split('.').length);
    }
  });

  it('maps patterns to the narrowest superset filter', () => {
    expect(patternFilter('user.created')).toBe('user.created');
    expect(patternFilter('user.*')).toBe('user.*');
    expect(patternFilter('user.*.updated')).toBe('user.*.updated');
    expect(patternFilter('**')).toBe('>');
    expect(patternFilter('a.**')).toBe('>');
    expect(patternFilter('a.b.**')).toBe('a.>');
    expect(patternFilter('a.*.**')).toBe('a.>');
    expect(patternFilter('a.**.b')).toBe('a.>');
    expect(patternFilter('**.updated')).toBe('>');
    expect(patternFilter('a.b.**.c.**')).toBe('a.b.>');
    expect(thrown(() => patternFilter('a..b')).code).toBe('invalid_pattern');
  });

  it('every type a pattern matches is selected by its filter', () => {
    const types = [
      'a',
      'a.b',
      'a.b.c',
      'a.x.b',
      'audit',
      'audit.user.login',
      'user.created',
      'user.profile.updated',
      'a..b',
      'a b.c',
      'x.*.y',
      'a.b.c.d.e',
      'b',
    ];
    const patterns = [
      'a',
      'a.b',
      'a.*',
      'a.**',
      'a.b.**',
      'a.**.b',
      '**',
      '**.b',
      '*.b',
      '*.*.*',
      'a.*.**',
      'audit.**',
      'user.*',
      '**.updated',
      'a.**.c.**.e',
    ];
    const names = new JetStreamNames('p');
    for (const pattern of patterns) {
      const filter = names.logFilter('bus', pattern);
      for (const type of types) {
        if (matches(type, pattern)) {
          expect([type, pattern, subjectMatches(names.logSubject('bus', type), filter)]).toEqual([
            type,
            pattern,
            true,
          ]);
        }
      }
    }
  });

  it('names streams and subjects under the prefix', () => {
    const n = new JetStreamNames('jido');
    expect(n.logStream('orders')).toBe('jido_LOG_orders');
    expect(n.logSubjects('orders')).toBe('jido.log.orders.>');
    expect(n.logSubject('orders', 'order.created')).toBe('jido.log.orders.order.created');
    expect(n.stateStream).toBe('jido_STATE');
    expect(n.dlqStream).toBe('jido_DLQ');
    expect(n.snapshotStream).toBe('jido_SNAP');
    expect(n.subscriptionSubject('orders', 'a.b c')).toMatch(/^jido\.state\.orders\.sub\.i[\w-]+$/);
    expect(thrown(() => new JetStreamNames('a_b')).code).toBe('invalid_option');
    expect(thrown(() => new JetStreamNames('')).code).toBe('invalid_option');
    expect(thrown(() => new JetStreamNames('a.b')).code).toBe('invalid_option');
  });

  it('encodes ids into reversible tokens and valid consumer names', () => {
    for (const id of ['', 's1', 'a.b', 'x y/z', '*>', 'ünï', 'x'.repeat(500)]) {
      const token = encodeIdToken(id);
      expect(token).toMatch(/^i[A-Za-z0-9_-]*$/);
      expect(decodeIdToken(token)).toBe(id);
      const name = consumerName(id);
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(consumerName(id)).toBe(name);
    }
    expect(consumerName('a')).not.toBe(consumerName('b'));
  });

  it('validates bus names', () => {
    assertBusName('orders');
    assertBusName('a-b_C9');
    for (const bad of ['', 'a.b', 'a b', 'a*', 'a>', 'é', 'x'.repeat(129), 42]) {
      expect(thrown(() => assertBusName(bad)).code).toBe('invalid_bus_name');
    }
  });

  it('log ids carry the sequence and order by (time, sequence)', () => {
    const seqs = [1, 2, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
    let previous = '';
    for (const seq of seqs) {
      const id = logIdFor(1_700_000_000_000, seq);
      expect(SignalId.isValid(id)).toBe(true);
      expect(SignalId.timestamp(id)).toBe(1_700_000_000_000);
      expect(sequenceOf(id)).toBe(seq);
      expect(id > previous).toBe(true);
      previous = id;
    }
    expect(logIdFor(1_700_000_000_001, 1) > logIdFor(1_700_000_000_000, 99)).toBe(true);
    expect(thrown(() => sequenceOf('nope')).code).toBe('invalid_id');
  });
});
