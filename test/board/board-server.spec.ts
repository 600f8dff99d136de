import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JidoSignalBoardModule, SignalBoardError } from '../../lib/board/index.js';
import { ADMIN_AUTH, PAYMENTS, startBoardFixture } from './board-fixture.js';
import { openSession, post, readSse, waitFor, type BoardSession } from './board-http.js';
import { startRemoteFixture } from './board-remote.js';

/** Values that must never appear in a board response. */
const SECRETS = [
  'hunter2-pw',
  'sk_live_abcdef',
  'url-pass-123',
  'qtok-98765',
  'ext-tok-555',
  '4111111111111111',
];

interface Fixture {
  readonly url: string;
  publish(type: string, data?: unknown, extensions?: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

/** The same token with its first character changed, so it is always wrong (never equal by chance). */
function flipFirst(token: string): string {
  return `${token[0] === 'a' ? 'b' : 'a'}${token.slice(1)}`;
}

// JSON answers are read loosely; the assertions pin their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function json(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('JidoSignalBoardModule.forRoot', () => {
  it('refuses to mount without an access decision', () => {
    const attempt = () => JidoSignalBoardModule.forRoot({});
    expect(attempt).toThrow(SignalBoardError);
    expect(attempt).toThrow(/without an access decision/);
    try {
      attempt();
    } catch (error) {
      expect((error as SignalBoardError).code).toBe('invalid_option');
    }
    expect(() => JidoSignalBoardModule.forRoot({ allowUnauthenticated: false })).toThrow(
      SignalBoardError,
    );
  });

  it.each([
    [{ allowUnauthenticated: true, path: 'a b' }, /"path"/],
    [{ allowUnauthenticated: true, stream: { flushIntervalMs: 0 } }, /flushIntervalMs/],
    [{ allowUnauthenticated: true, maxReplay: -1 }, /maxReplay/],
    [{ canActivate: 'yes' as unknown as () => boolean }, /canActivate/],
  ])('rejects bad options %#', (options, message) => {
    expect(() => JidoSignalBoardModule.forRoot(options)).toThrow(message);
  });
});

describe.each(['express', 'fastify'] as const)('signal board over HTTP (%s)', (adapter) => {
  let f: Fixture;
  let board: string;
  let session: BoardSession;
  /** Every response body read from the board, checked for secrets at the end. */
  const bodies: string[] = [];

  async function read(path: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${board}${path}`, { headers });
    const text = await res.text();
    bodies.push(text);
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : undefined,
    };
  }

  beforeAll(async () => {
    f =
      adapter === 'express'
        ? await startBoardFixture('express')
        : await startRemoteFixture('fastify');
    board = `${f.url}/board`;
    session = await openSession(board);
  }, 40_000);

  afterAll(async () => {
    for (const secret of SECRETS) {
      expect(bodies.filter((b) => b.includes(secret))).toEqual([]);
    }
    await f?.close();
  });

  it('serves one page with a strict CSP, no inline code and an HttpOnly SameSite session cookie', async () => {
    const res = await fetch(board);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/);
    expect(html).not.toMatch(/https?:\/\//);
    for (const src of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])) {
      const asset = await fetch(`${f.url}${src}`);
      expect([src, asset.status]).toEqual([src, 200]);
      const body = await asset.text();
      expect(body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    }
    const js = await fetch(`${board}/assets/stream.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain('EventSource');
    expect((await read('/assets/nope.js')).body).toMatchObject({ code: 'not_found' });
  });

  it('reports buses, subscriptions with counters, partitions and health', async () => {
    const { status, body } = await read('/api/overview');
    expect(status).toBe(200);
    expect(body.readOnly).toBe(false);
    const bus = body.buses.find((b: { name: string }) => b.name === 'default');
    expect(bus).toMatchObject({
      closed: false,
      traces: true,
      health: { status: expect.any(String) },
    });
    const payments = bus.subscriptions.find((s: { id: string }) => s.id === PAYMENTS);
    expect(payments).toMatchObject({
      persistent: true,
      delivered: expect.any(Number),
      dlqSize: expect.any(Number),
    });
    expect(payments.persistence).toMatchObject({
      pending: expect.any(Number),
      retried: expect.any(Number),
      deadLettered: expect.any(Number),
    });
    expect(bus.partitions[0]).toMatchObject({ index: 0, tokens: null });
    expect((await read('/api/buses/nope/replay')).status).toBe(404);
  });

  it('refuses requests without access: 401 without credentials, 403 when refused', async () => {
    for (const path of [
      '/secure',
      '/secure/api/overview',
      '/secure/api/buses/default/stream',
      '/secure/assets/app.js',
    ]) {
      expect([path, (await fetch(`${f.url}${path}`)).status]).toEqual([path, 401]);
      const wrong = await fetch(`${f.url}${path}`, { headers: { authorization: 'Bearer nope' } });
      expect([path, wrong.status]).toEqual([path, 403]);
      await wrong.body?.cancel();
    }
    expect((await fetch(`${f.url}/deny/api/overview`)).status).toBe(403);
    expect((await fetch(`${f.url}/deny`)).status).toBe(403);
    const ok = await json(`${f.url}/secure/api/overview`, { authorization: ADMIN_AUTH });
    expect(ok.status).toBe(200);
  });

  it('masks data and never sends secrets (data, extensions, URLs, DLQ, replay, stream)', async () => {
    const payload = {
      orderId: 'm-1',
      card: '4111111111111111',
      password: 'hunter2-pw',
      nested: { apiKey: 'sk_live_abcdef' },
      callback: 'https://ops:url-pass-123@hooks.example.com/in?token=qtok-98765&x=1',
    };
    const stream = readSse(
      `${board}/api/buses/default/stream?pattern=payment.**`,
      (events) => events.some((e) => e.event === 'batch' && e.data.includes('m-1')),
      8_000,
      () => f.publish('payment.requested', payload, { apitoken: 'ext-tok-555' }),
    );
    const sse = await stream;
    bodies.push(...sse.events.map((e) => e.data));
    const batch = JSON.parse(sse.events.find((e) => e.data.includes('m-1'))!.data);
    const view = batch.signals.find((s: { data: { orderId: string } }) => s.data.orderId === 'm-1');
    expect(view.data).toMatchObject({
      card: '****',
      password: '[REDACTED]',
      nested: { apiKey: '[REDACTED]' },
    });
    expect(view.data.callback).toBe('https://[REDACTED]@hooks.example.com/in?token=[REDACTED]&x=1');
    expect(view.extensions.apitoken).toBe('[REDACTED]');
    expect(view.size).toBeGreaterThan(100);
    // The failing handler dead-letters it; its DLQ entry is masked too.
    const entries = await waitFor('the DLQ entry', async () => {
      const { body } = await read(`/api/buses/default/subscriptions/${PAYMENTS}/dlq`);
      return body.find(
        (e: { signal: { data: { orderId: string } } }) => e.signal.data.orderId === 'm-1',
      )
        ? body
        : undefined;
    });
    expect(entries[0]).toMatchObject({ attempts: 1, lastError: { message: 'card declined' } });
    await read('/api/buses/default/replay?pattern=payment.*');
    await read('/api/overview');
  });

  it('streams only signals matching the pattern, in coalesced batches', async () => {
    const sse = await readSse(
      `${board}/api/buses/default/stream?pattern=${encodeURIComponent('order.*')}`,
      (events) => events.some((e) => e.data.includes('"order.created"')),
      8_000,
      () =>
        f
          .publish('user.signed_up', { n: 1 })
          .then(() => f.publish('order.created', { orderId: 's-1' })),
    );
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/^text\/event-stream/);
    const types = sse.events
      .filter((e) => e.event === 'batch')
      .flatMap((e) =>
        (JSON.parse(e.data) as { signals: { type: string }[] }).signals.map((s) => s.type),
      );
    expect(types).toContain('order.created');
    expect(types.every((t) => t.startsWith('order.'))).toBe(true);
    expect((await read('/api/buses/default/stream?pattern=a..b')).body).toMatchObject({
      code: 'invalid_pattern',
    });
  });

  it('protects actions with CSRF: token, cookie and same origin required', async () => {
    const url = `${board}/api/buses/default/subscriptions/${PAYMENTS}/dlq/redrive`;
    const cases: [string, Response][] = [
      ['no token', await post(url, { all: true }, { cookie: session.cookie })],
      ['no cookie', await post(url, { all: true }, { csrf: session.csrf })],
      [
        'wrong token',
        await post(url, { all: true }, { ...session, csrf: flipFirst(session.csrf) }),
      ],
      ['other origin', await post(url, { all: true }, session, { origin: 'https://evil.example' })],
      ['cross site', await post(url, { all: true }, session, { 'sec-fetch-site': 'cross-site' })],
    ];
    for (const [name, res] of cases) {
      expect([name, res.status, ((await res.json()) as { code: string }).code]).toEqual([
        name,
        403,
        'csrf_rejected',
      ]);
    }
    const bad = await post(url, { ids: 'x' }, session);
    expect(bad.status).toBe(400);
  });

  it('redrives one DLQ entry and deletes another, with the counts reported', async () => {
    const dlqUrl = `/api/buses/default/subscriptions/${PAYMENTS}/dlq`;
    await f.publish('payment.requested', { orderId: 'r-1' });
    await f.publish('payment.requested', { orderId: 'r-2' });
    const entries = await waitFor('two DLQ entries', async () => {
      const { body } = await read(dlqUrl);
      const mine = body.filter((e: { signal: { data: { orderId: string } } }) =>
        /^r-/.test(e.signal.data.orderId),
      );
      return mine.length === 2 ? mine : undefined;
    });
    const [first, second] = entries as { id: string; signal: { data: { orderId: string } } }[];
    const deleted = await post(`${board}${dlqUrl}/delete`, { ids: [second.id] }, session);
    expect(await deleted.json()).toEqual({ deleted: 1 });
    await fetch(`${f.url}/fixture/payments/fix`, { method: 'POST' });
    const redriven = await post(`${board}${dlqUrl}/redrive`, { ids: [first.id] }, session);
    expect([redriven.status, await redriven.json()]).toEqual([200, { redriven: 1, failed: 0 }]);
    await waitFor('the redriven entry to leave the DLQ', async () => {
      const { body } = await read(dlqUrl);
      return body.some((e: { id: string }) => e.id === first.id || e.id === second.id)
        ? undefined
        : true;
    });
    const all = await post(`${board}${dlqUrl}/delete`, { all: true }, session);
    expect(all.status).toBe(200);
  });

  it('refuses actions on a read-only board', async () => {
    const ro = await openSession(`${f.url}/ro`);
    const res = await post(
      `${f.url}/ro/api/buses/default/subscriptions/${PAYMENTS}/dlq/redrive`,
      { all: true },
      ro,
    );
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([403, 'read_only']);
    expect((await json(`${f.url}/ro/api/overview`)).body.readOnly).toBe(true);
  });

  it('builds the causality tree of a signal from the journal', async () => {
    const orderId = await f.publish('order.created', { orderId: 't-1' });
    const trace = await waitFor('the effects', async () => {
      const { body } = await read(`/api/buses/default/trace/${orderId}`);
      return body.nodes?.length === 3 ? body : undefined;
    });
    expect(trace.root).toBe(orderId);
    const effects = trace.nodes.filter((n: { causeId?: string }) => n.causeId === orderId);
    expect(effects.map((n: { signal: { type: string } }) => n.signal.type).sort()).toEqual([
      'email.queued',
      'inventory.reserved',
    ]);
    // From an effect, the same tree, focused on the effect.
    const fromEffect = (await read(`/api/buses/default/trace/${effects[0].id}`)).body;
    expect([fromEffect.root, fromEffect.focus, fromEffect.nodes.length]).toEqual([
      orderId,
      effects[0].id,
      3,
    ]);
    expect((await read('/api/buses/default/trace/unknown-id')).status).toBe(404);
  });

  it('replays by time range and pattern without republishing', async () => {
    const before = (await json(`${board}/api/overview`)).body.buses[0].published;
    const since = Date.now();
    await f.publish('audit.replay', { n: 1 });
    await f.publish('audit.other', { n: 2 });
    const { status, body } = await read(
      `/api/buses/default/replay?pattern=audit.replay&since=${since}&until=${Date.now() + 1000}`,
    );
    expect(status).toBe(200);
    expect(body.map((v: { type: string }) => v.type)).toEqual(['audit.replay']);
    const empty = (
      await read(`/api/buses/default/replay?pattern=audit.**&until=${since - 1}&since=0`)
    ).body;
    expect(empty.filter((v: { type: string }) => v.type.startsWith('audit.'))).toEqual([]);
    expect((await json(`${board}/api/overview`)).body.buses[0].published).toBe(before + 2);
    expect((await read('/api/buses/default/replay?since=yesterday')).body).toMatchObject({
      code: 'invalid_option',
    });
    expect((await read('/api/buses/default/replay?limit=100000')).status).toBe(400);
  });
});
