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
    expect(verificationError(() => verifyWebhook(body, future, SECRET)).details.reason).toBe(
      'timestamp_too_new',
    );
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
