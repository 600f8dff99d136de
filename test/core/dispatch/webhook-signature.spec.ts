import { describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import {
  decodeWebhookSecret,
  signWebhook,
  verifyWebhook,
} from '../../../lib/core/dispatch/webhook-signature.js';
import {
  DispatchConfigError,
  WebhookVerificationError,
} from '../../../lib/core/errors/dispatch.error.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const OTHER = `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({
  specversion: '1.0',
  id: 'msg_1',
  type: 'order.created',
  source: '/shop',
  data: { n: 1 },
});
const now = Math.floor(Date.now() / 1000);

function verificationError(fn: () => unknown): WebhookVerificationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    const e = error as WebhookVerificationError;
    expect(e.code).toBe('invalid_webhook_signature');
    return e;
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('signWebhook / verifyWebhook (Standard Webhooks)', () => {
  it('our signatures verify with the standardwebhooks package', () => {
    const headers = signWebhook(body, SECRET, { id: 'msg_1' });
    expect(Object.keys(headers).sort()).toEqual([
      'webhook-id',
      'webhook-signature',
      'webhook-timestamp',
    ]);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('their signatures verify with verifyWebhook', () => {
    const wh = new Webhook(SECRET);
    const ts = new Date();
    const headers = {
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
      'webhook-signature': wh.sign('msg_2', ts, body),
    };
    expect(verifyWebhook(body, headers, SECRET)).toEqual({
      scheme: 'standard-webhooks',
      id: 'msg_2',
      timestamp: Math.floor(ts.getTime() / 1000),
    });
    expect(verifyWebhook(Buffer.from(body), headers, SECRET).id).toBe('msg_2');
    expect(verifyWebhook(body, new Headers(headers), SECRET).id).toBe('msg_2');
    // Header names are matched case-insensitively.
    expect(
      verifyWebhook(
        body,
        {
          'Webhook-Id': 'msg_2',
          'WEBHOOK-TIMESTAMP': headers['webhook-timestamp'],
          'webhook-signature': headers['webhook-signature'],
        },
        SECRET,
      ).id,
    ).toBe('msg_2');
  });

  it('raw (non-whsec) secrets are raw key bytes, like standardwebhooks format: raw', () => {
    const raw = 'my-plain-shared-secret';
    const headers = signWebhook(body, raw, { id: 'm' });
    expect(new Webhook(raw, { format: 'raw' }).verify(body, headers)).toBeDefined();
    expect(verifyWebhook(body, headers, raw).id).toBe('m');
  });

  it('supports key rotation: several signatures, several receiver secrets', () => {
    const headers = signWebhook(body, [OTHER, SECRET], { id: 'rot' });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(SECRET).verify(body, headers)).toBeDefined();
    expect(new Webhook(OTHER).verify(body, headers)).toBeDefined();
    expect(verifyWebhook(body, signWebhook(body, SECRET, { id: 'r' }), [OTHER, SECRET]).id).toBe(
      'r',
    );
    const third = `whsec_${randomBytes(24).toString('base64')}`;
    verificationError(() => verifyWebhook(body, headers, third));
  });

  it('skips unknown signature versions', () => {
    const headers = signWebhook(body, SECRET, { id: 'v' });
    headers['webhook-signature'] = `v2,abc ${headers['webhook-signature']}`;
    expect(verifyWebhook(body, headers, SECRET).id).toBe('v');
  });

  it('rejects a tampered body, id or timestamp', () => {
    const headers = signWebhook(body, SECRET, { id: 'msg_1' });
    expect(verificationError(() => verifyWebhook(`${body} `, headers, SECRET)).details.reason).toBe(
      'no_matching_signature',
    );
    verificationError(() => verifyWebhook(body, { ...headers, 'webhook-id': 'msg_X' }, SECRET));
    const ts = Number(headers['webhook-timestamp']) + 1;
    verificationError(() =>
      verifyWebhook(body, { ...headers, 'webhook-timestamp': String(ts) }, SECRET),
    );
    verificationError(() =>
      verifyWebhook(body, { ...headers, 'webhook-signature': 'v1,AAAA' }, SECRET),
    );
  });

  it('rejects stale and future timestamps (both directions of the replay window)', () => {
    const old = signWebhook(body, SECRET, { id: 'a', timestamp: now - 301 });
    const e = verificationError(() => verifyWebhook(body, old, SECRET));
    expect(e.details).toMatchObject({ reason: 'timestamp_too_old', toleranceSeconds: 300 });
    expect(() => new Webhook(SECRET).verify(body, old)).toThrow(); // same rule as the reference
    const future = signWebhook(body, SECRET, { id: 'a', timestamp: now + 301 });
    // `now` pinned: the module-level clock reading may be a second old by now.
    expect(
      verificationError(() => verifyWebhook(body, future, SECRET, { now })).details.reason,
    ).toBe('timestamp_too_new');
    // Inside the window, and a custom tolerance.
    expect(
      verifyWebhook(body, signWebhook(body, SECRET, { id: 'a', timestamp: now - 290 }), SECRET).id,
    ).toBe('a');
    verificationError(() =>
      verifyWebhook(body, signWebhook(body, SECRET, { id: 'a', timestamp: now - 11 }), SECRET, {
        toleranceSeconds: 10,
      }),
    );
    expect(verifyWebhook(body, old, SECRET, { toleranceSeconds: Infinity }).id).toBe('a');
    expect(verifyWebhook(body, old, SECRET, { now: now - 300 }).id).toBe('a');
  });

  it('rejects missing or malformed headers, naming the header', () => {
    const headers = signWebhook(body, SECRET, { id: 'm' });
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _drop, ...rest } = headers;
      const e = verificationError(() => verifyWebhook(body, rest, SECRET));
      expect(e.details).toMatchObject({ reason: 'missing_header', header: name });
    }
    verificationError(() => verifyWebhook(body, {}, SECRET));
    expect(
      verificationError(() =>
        verifyWebhook(body, { ...headers, 'webhook-timestamp': '12abc' }, SECRET),
      ).details.reason,
    ).toBe('invalid_timestamp');
    expect(
      verificationError(() => verifyWebhook({ parsed: true } as unknown as string, headers, SECRET))
        .details.reason,
    ).toBe('invalid_body');
  });

  it('never includes the secret or the expected signature in errors', () => {
    const secretText = SECRET.slice(6);
    const headers = signWebhook(body, SECRET, { id: 'm' });
    const expected = headers['webhook-signature'].slice(3);
    const attempts = [
      () => verifyWebhook(`${body}x`, headers, SECRET),
      () => verifyWebhook(body, { ...headers, 'webhook-signature': 'v1,bad' }, SECRET),
      () =>
        verifyWebhook(body, signWebhook(body, SECRET, { id: 'm', timestamp: now - 1000 }), SECRET),
    ];
    for (const attempt of attempts) {
      const e = verificationError(attempt);
      const dump = [JSON.stringify(e), e.message, e.stack ?? '', inspect(e, { depth: 5 })].join(
        '\n',
      );
      expect(dump).not.toContain(secretText);
      expect(dump).not.toContain(expected);
    }
  });

  it('rejects unusable secrets with a DispatchConfigError that does not echo them', () => {
    const bad = 'whsec_not*base64!!';
    for (const fn of [
      () => signWebhook(body, bad, { id: 'x' }),
      () => verifyWebhook(body, {}, bad),
    ]) {
      try {
        fn();
        throw new Error('expected a throw');
      } catch (e) {
        expect(e).toBeInstanceOf(DispatchConfigError);
        expect(JSON.stringify(e) + inspect(e)).not.toContain('not*base64');
      }
    }
    expect(() => decodeWebhookSecret('')).toThrow(DispatchConfigError);
    expect(() => decodeWebhookSecret('whsec_')).toThrow(DispatchConfigError);
    expect(() => signWebhook(body, [], { id: 'x' })).toThrow(DispatchConfigError);
    expect(() => signWebhook(body, SECRET)).toThrow(DispatchConfigError); // id required
    expect(() => verifyWebhook(body, {}, SECRET, { toleranceSeconds: -1 })).toThrow(
      DispatchConfigError,
    );
  });
});

describe('signWebhook / verifyWebhook (jido scheme)', () => {
  const secret = 'webhook_secret_key';

  it('signs lowercase hex HMAC-SHA256 of "<ts>.<body>" with x-webhook-* headers', () => {
    const headers = signWebhook(body, secret, { scheme: 'jido', timestamp: now });
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(headers).toEqual({
      'x-webhook-timestamp': String(now),
      'x-webhook-signature': expected,
    });
    expect(verifyWebhook(body, headers, secret, { scheme: 'jido' })).toEqual({
      scheme: 'jido',
      id: undefined,
      timestamp: now,
    });
  });

  it('verifies custom header names, uppercase hex and a sha256= prefix; rejects tampering', () => {
    const headers = signWebhook(body, secret, {
      scheme: 'jido',
      signatureHeader: 'x-sig',
      timestampHeader: 'x-ts',
    });
    const opts = { scheme: 'jido', signatureHeader: 'X-Sig', timestampHeader: 'X-Ts' } as const;
    expect(verifyWebhook(body, headers, secret, opts).scheme).toBe('jido');
    expect(
      verifyWebhook(body, { ...headers, 'x-sig': headers['x-sig'].toUpperCase() }, secret, opts)
        .scheme,
    ).toBe('jido');
    expect(
      verifyWebhook(body, { ...headers, 'x-sig': `sha256=${headers['x-sig']}` }, secret, opts)
        .scheme,
    ).toBe('jido');
    verificationError(() => verifyWebhook(`${body}!`, headers, secret, opts));
    verificationError(() => verifyWebhook(body, headers, 'other-secret', opts));
    verificationError(() => verifyWebhook(body, headers, secret, { scheme: 'jido' })); // default header names absent
  });

  it('takes exactly one signing secret', () => {
    expect(() => signWebhook(body, [secret, 'b'], { scheme: 'jido' })).toThrow(DispatchConfigError);
  });
});

describe('verifyWebhook accepts only the canonical spelling of a signature', () => {
  // Regression: signatures were compared as latin1 strings, so replacing a character c with
  // c + 0x100 (same latin1 byte) still verified; lenient decoding has the same flaw.
  // Fixed inputs, so the signature deterministically contains "+" or "/" (base64url case).
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const raw = 'webhook_secret_key';
  const ts = 1_700_000_000;
  const std = signWebhook(body, secret, { id: 'msg_3', timestamp: ts });
  const stdSig = std['webhook-signature'].slice(3);
  const jido = signWebhook(body, raw, { scheme: 'jido', timestamp: ts });
  const jidoSig = jido['x-webhook-signature'];
  const verifyStd = (sig: string) =>
    verifyWebhook(body, { ...std, 'webhook-signature': `v1,${sig}` }, secret, { now: ts });
  const verifyJido = (sig: string) =>
    verifyWebhook(body, { ...jido, 'x-webhook-signature': sig }, raw, {
      scheme: 'jido',
      now: ts,
    });
  const plus100 = (s: string, i: number) =>
    s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) + 0x100) + s.slice(i + 1);

  it('the unmodified signatures verify (control)', () => {
    expect(verifyStd(stdSig).id).toBe('msg_3');
    expect(verifyJido(jidoSig).scheme).toBe('jido');
  });

  it.each([
    ['standard-webhooks', stdSig, verifyStd],
    ['jido', jidoSig, verifyJido],
  ] as const)(
    '%s: no character may be replaced by c + 0x100 (every position)',
    (_s, sig, verify) => {
      for (let i = 0; i < sig.length; i++) {
        const forged = plus100(sig, i);
        expect(Buffer.from(forged, 'latin1').equals(Buffer.from(sig, 'latin1'))).toBe(true);
        expect(verificationError(() => verify(forged)).details.reason).toBe(
          'no_matching_signature',
        );
      }
    },
  );

  // Each of these decodes to the same bytes with Buffer.from(…, 'base64'), yet is not the
  // canonical spelling.
  const lastBitsFlipped = (() => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = alphabet.indexOf(stdSig[42]);
    return `${stdSig.slice(0, 42)}${alphabet[last ^ 1]}=`; // an unused low bit set
  })();
  it.each([
    ['unused padding bits set', lastBitsFlipped],
    ['padding removed', stdSig.slice(0, -1)],
    ['base64url alphabet', stdSig.replace(/\+/g, '-').replace(/\//g, '_')],
    ['whitespace inside', `${stdSig.slice(0, 10)} ${stdSig.slice(10)}`],
    ['trailing garbage', `${stdSig}AA==`],
  ])('standard-webhooks: rejects a non-canonical base64 spelling (%s)', (_name, forged) => {
    expect(() => verifyStd(forged)).toThrow(WebhookVerificationError);
  });

  it('standard-webhooks: the mutated spellings really decode to the same bytes leniently', () => {
    const bytes = Buffer.from(stdSig, 'base64');
    expect(Buffer.from(lastBitsFlipped, 'base64').equals(bytes)).toBe(true);
    expect(Buffer.from(stdSig.slice(0, -1), 'base64').equals(bytes)).toBe(true);
    expect(stdSig).toMatch(/[+/]/);
    const url = stdSig.replace(/\+/g, '-').replace(/\//g, '_');
    expect(Buffer.from(url, 'base64').equals(bytes)).toBe(true);
  });

  it.each([
    ['trailing garbage', `${jidoSig}zz`],
    ['odd length', jidoSig.slice(0, -1)],
    ['non-hex character', `${jidoSig.slice(0, -1)}g`],
    ['whitespace inside', `${jidoSig.slice(0, 10)}\t${jidoSig.slice(10)}`],
  ])('jido: rejects a non-canonical hex spelling (%s)', (_name, forged) => {
    expect(() => verifyJido(forged)).toThrow(WebhookVerificationError);
  });
});
