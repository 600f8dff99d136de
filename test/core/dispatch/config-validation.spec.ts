// config validation — typed errors with stable codes, never repeating secrets.
import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { DispatchConfigError } from '../../../lib/core/errors/dispatch.error.js';

const S = 'Sup3rS3cretT0ken';
const bad: [string, Record<string, unknown>][] = [
  ['userinfo', { adapter: 'http', url: `http://u:${S}@127.0.0.1/x` }],
  ['user only', { adapter: 'http', url: `http://${S}@127.0.0.1/x` }],
  ['CRLF in url', { adapter: 'http', url: `http://127.0.0.1/x?token=${S}\r\nX: y` }],
  ['ftp scheme', { adapter: 'http', url: `ftp://127.0.0.1/x?token=${S}` }],
  ['relative', { adapter: 'http', url: `/x?token=${S}` }],
  [
    'CRLF header value',
    {
      adapter: 'http',
      url: 'http://127.0.0.1/x',
      headers: { authorization: `Bearer ${S}\r\nX-Evil: 1` },
    },
  ],
  [
    'LF header value',
    { adapter: 'webhook', url: 'http://127.0.0.1/x', headers: [['x-api-key', `${S}\n`]] },
  ],
  [
    'NUL header value',
    { adapter: 'http', url: 'http://127.0.0.1/x', headers: { cookie: `${S}\0` } },
  ],
  [
    'unicode header value',
    { adapter: 'http', url: 'http://127.0.0.1/x', headers: { cookie: `${S}\u2028` } },
  ],
  [
    'bad header name',
    {
      adapter: 'http',
      url: 'http://127.0.0.1/x',
      headers: { [`Authorization: Bearer ${S}`]: 'x' },
    },
  ],
  [
    'framing header',
    { adapter: 'http', url: 'http://127.0.0.1/x', headers: { 'Transfer-Encoding': S } },
  ],
  [
    'dup header',
    {
      adapter: 'http',
      url: 'http://127.0.0.1/x',
      headers: [
        ['A', S],
        ['a', S],
      ],
    },
  ],
  ['method', { adapter: 'http', url: 'http://127.0.0.1/x', method: 'GET' }],
  ['huge timeout', { adapter: 'http', url: `http://127.0.0.1/x?token=${S}`, timeout: 2 ** 31 }],
  ['float timeout', { adapter: 'http', url: 'http://127.0.0.1/x', timeout: 1.5 }],
  ['bad secret', { adapter: 'webhook', url: 'http://127.0.0.1/x', secret: `whsec_${S}!!` }],
  [
    'jido two secrets',
    { adapter: 'webhook', url: 'http://127.0.0.1/x', secret: [S, S], signatureScheme: 'jido' },
  ],
  ['bad urls entry', { adapter: 'webhook', urls: ['http://127.0.0.1/x', `http://a:${S}@h/`] }],
  ['unknown adapter', { adapter: 'nope', url: `http://127.0.0.1/x?token=${S}` }],
  ['unknown key', { adapter: 'http', url: `http://127.0.0.1/x?token=${S}`, retries: 3 }],
  [
    'tls on http',
    { adapter: 'http', url: `http://127.0.0.1/x?token=${S}`, tls: { rejectUnauthorized: false } },
  ],
];

describe('config validation', () => {
  for (const [name, config] of bad) {
    it(`${name}: DispatchConfigError without the secret`, async () => {
      const d = new Dispatcher();
      try {
        let error: unknown;
        try {
          d.validate(config as never);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(DispatchConfigError);
        expect((error as DispatchConfigError).code).toBe('invalid_dispatch_config');
        const text = [
          String(error),
          JSON.stringify(error),
          inspect(error, { depth: 10, showHidden: true }),
        ].join('\n');
        expect(text.includes(S)).toBe(false);
        // dispatch rejects with the same code and never sends anything.
        const rejected = (await d
          .dispatch({} as never, config as never)
          .catch((e: unknown) => e)) as { code: string };
        expect(typeof rejected.code).toBe('string');
      } finally {
        await d.close();
      }
    });
  }
});
