import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { ConsoleLogger, Logger } from '@nestjs/common';
import {
  ConsoleAdapter,
  type TextSink,
} from '../../../lib/core/dispatch/adapters/console.adapter.js';
import {
  consoleLogger,
  LoggerAdapter,
  type DispatchLogger,
} from '../../../lib/core/dispatch/adapters/logger.adapter.js';
import { NoopAdapter } from '../../../lib/core/dispatch/adapters/noop.adapter.js';
import { Dispatcher } from '../../../lib/core/dispatch/dispatcher.js';
import { DispatchConfigError } from '../../../lib/core/errors/dispatch.error.js';
import { createSignal } from '../../../lib/core/signal/signal.js';

const SECRETS = ['hunter2', 'sk_live_123', 'Bearer abc.def', 'whsec_x', 'tok-1', 'cookie=1'];
const signal = createSignal(
  'user.signed_up',
  {
    email: 'ada@example.com',
    password: 'hunter2',
    apiKey: 'sk_live_123',
    headers: { Authorization: 'Bearer abc.def', 'X-Webhook-Signature': 'whsec_x' },
    nested: { access_token: 'tok-1', list: [['Cookie', 'cookie=1']] },
  },
  { source: '/auth', subject: 'user-1' },
);

function expectNoSecrets(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  expect(text).toContain('[REDACTED]');
}

class MemoryLogger implements DispatchLogger {
  readonly lines: { level: string; message: unknown; params: unknown[] }[] = [];
  log(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'log', message, params });
  }
  error(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'error', message, params });
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'warn', message, params });
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.lines.push({ level: 'debug', message, params });
  }
}

class MemorySink implements TextSink {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): void {
    this.text += chunk;
  }
}

describe('logger adapter', () => {
  const logger = new MemoryLogger();
  const dispatcher = new Dispatcher({ logger });
  afterAll(() => dispatcher.close());

  it('logs "$type from $source" with a redacted data preview at level log by default', async () => {
    await dispatcher.dispatch(signal, { adapter: 'logger' });
    const line = logger.lines.pop()!;
    expect(line.level).toBe('log');
    expect(line.params).toEqual([]);
    const message = line.message as string;
    expect(message.startsWith('user.signed_up from /auth data={')).toBe(true);
    expect(message).toContain('ada@example.com');
    expectNoSecrets(message);
  });

  it('fills every placeholder, bounds the preview, honours level and includeData', async () => {
    await dispatcher.dispatch(signal, {
      adapter: 'logger',
      level: 'warn',
      format: '$id|$type|$source|$subject|$time|$data',
      maxDataLength: 40,
      context: 'Audit',
    });
    const line = logger.lines.pop()!;
    expect(line.level).toBe('warn');
    expect(line.params).toEqual(['Audit']);
    const [id, type, source, subject, time, data] = (line.message as string).split('|');
    expect([id, type, source, subject, time]).toEqual([
      signal.id,
      signal.type,
      '/auth',
      'user-1',
      signal.time,
    ]);
    expect(data.length).toBeLessThanOrEqual(40);
    expect(data.endsWith('…')).toBe(true);

    await dispatcher.dispatch(signal, { adapter: 'logger', level: 'error', includeData: false });
    expect(logger.lines.pop()).toMatchObject({
      level: 'error',
      message: 'user.signed_up from /auth',
    });
  });

  it('logs a structured object with sanitized data', async () => {
    await dispatcher.dispatch(signal, { adapter: 'logger', structured: true, level: 'debug' });
    const line = logger.lines.pop()!;
    expect(line.level).toBe('debug');
    expect(line.message).toMatchObject({
      event: 'signal_dispatched',
      id: signal.id,
      type: 'user.signed_up',
      source: '/auth',
      subject: 'user-1',
      data: { email: 'ada@example.com', password: '[REDACTED]', apiKey: '[REDACTED]' },
    });
    expectNoSecrets(JSON.stringify(line.message));
  });

  it('falls back to log/error for levels the logger lacks, and accepts a per-config logger', async () => {
    const minimal = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };
    await dispatcher.dispatch(signal, { adapter: 'logger', logger: minimal, level: 'verbose' });
    await dispatcher.dispatch(signal, { adapter: 'logger', logger: minimal, level: 'fatal' });
    expect(minimal.log).toHaveBeenCalledTimes(1);
    expect(minimal.error).toHaveBeenCalledTimes(1);
  });

  it('accepts Nest loggers as they are', async () => {
    const nest = new ConsoleLogger('Test');
    const spy = jest.spyOn(nest, 'log').mockImplementation(() => {});
    await dispatcher.dispatch(signal, { adapter: 'logger', logger: nest });
    expect(spy).toHaveBeenCalledWith(expect.stringContaining('user.signed_up from /auth'));
    // No extra context argument: a Nest Logger would print it as a second message.
    expect(spy.mock.calls[0]).toHaveLength(1);
    const typed: DispatchLogger = new Logger('Typed');
    expect(typeof typed.log).toBe('function');
  });

  it('the default console logger writes with a [context] prefix and redacts secrets', async () => {
    const spy = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const d = new Dispatcher();
      await d.dispatch(signal, { adapter: 'logger' });
      await d.close();
      expect(spy).toHaveBeenCalledTimes(1);
      const [prefix, message] = spy.mock.calls[0] as [string, string];
      expect(prefix).toBe('[JidoSignal]');
      expectNoSecrets(message);
      consoleLogger.log({ a: 1 }, 'Ctx');
      expect(spy.mock.calls[1]).toEqual(['[Ctx]', { a: 1 }]);
    } finally {
      spy.mockRestore();
    }
  });

  it.each([
    [{ level: 'info' }, 'level'],
    [{ format: '' }, 'format'],
    [{ format: 3 }, 'format'],
    [{ structured: 'yes' }, 'structured'],
    [{ includeData: 1 }, 'includeData'],
    [{ maxDataLength: 2 }, 'maxDataLength'],
    [{ context: 1 }, 'context'],
    [{ logger: console.log }, 'logger'],
    [{ metadata: ['user_id'] }, 'metadata'],
  ])('rejects %j with a DispatchConfigError naming %s', (options, field) => {
    try {
      new LoggerAdapter().validateOptions(options);
      throw new Error('expected a DispatchConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(DispatchConfigError);
      expect((error as DispatchConfigError).field).toBe(field);
    }
  });
});

describe('console adapter', () => {
  const stdout = new MemorySink();
  const stderr = new MemorySink(true);
  const dispatcher = new Dispatcher({ consoleStreams: { stdout, stderr } });
  afterAll(() => dispatcher.close());

  it('pretty (default): header line and indented fields, secrets redacted, no colors off-TTY', async () => {
    stdout.text = '';
    await dispatcher.dispatch(signal, { adapter: 'console' });
    const text = stdout.text;
    expect(text).toMatch(/^\[\d{4}-\d\d-\d\dT[^\]]+\] SIGNAL user\.signed_up\n/);
    expect(text).toContain(`  id:      ${signal.id}\n`);
    expect(text).toContain('  subject: user-1\n');
    expect(text).toContain('"email": "ada@example.com"');
    expect(text).not.toContain('\x1b[');
    expectNoSecrets(text);
  });

  it('compact: one line; json: one line of CloudEvents JSON', async () => {
    stdout.text = '';
    await dispatcher.dispatch(signal, { adapter: 'console', format: 'compact' });
    expect(stdout.text.split('\n')).toHaveLength(2);
    expect(stdout.text).toContain(
      `user.signed_up id=${signal.id} source=/auth subject=user-1 data=`,
    );
    expectNoSecrets(stdout.text);

    stdout.text = '';
    await dispatcher.dispatch(signal, { adapter: 'console', format: 'json' });
    const json = JSON.parse(stdout.text) as Record<string, unknown>;
    expect(json).toMatchObject({ specversion: '1.0', id: signal.id, type: 'user.signed_up' });
    expectNoSecrets(stdout.text);

    stdout.text = '';
    await dispatcher.dispatch(signal, { adapter: 'console', format: 'json', includeData: false });
    expect(JSON.parse(stdout.text)).not.toHaveProperty('data');
  });

  it('writes to stderr, with colors by default on a TTY unless NO_COLOR is set', async () => {
    await dispatcher.dispatch(signal, { adapter: 'console', stream: 'stderr' });
    expect(stderr.text).toContain('\x1b[');
    expect(
      dispatcher.validate({ adapter: 'console', stream: 'stderr', colors: false }).options,
    ).toMatchObject({
      colors: false,
    });
    const previous = process.env.NO_COLOR;
    process.env.NO_COLOR = '1';
    try {
      expect(new ConsoleAdapter({ stderr }).validateOptions({ stream: 'stderr' }).colors).toBe(
        false,
      );
    } finally {
      if (previous === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = previous;
    }
    stdout.text = '';
    await dispatcher.dispatch(signal, { adapter: 'console', includeData: false });
    expect(stdout.text).toContain('data:    [omitted]');
  });

  it.each([
    [{ format: 'xml' }, 'format'],
    [{ colors: 'auto' }, 'colors'],
    [{ stream: 'stdio' }, 'stream'],
    [{ includeData: 'no' }, 'includeData'],
    [{ device: 'stderr' }, 'device'],
  ])('rejects %j with a DispatchConfigError naming %s', (options, field) => {
    try {
      new ConsoleAdapter().validateOptions(options);
      throw new Error('expected a DispatchConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(DispatchConfigError);
      expect((error as DispatchConfigError).field).toBe(field);
    }
  });
});

describe('noop adapter', () => {
  it('accepts any options and does nothing', async () => {
    const adapter = new NoopAdapter();
    const options = { anything: [1, 2], goes: true };
    expect(adapter.validateOptions(options)).toBe(options);
    const d = new Dispatcher();
    await expect(d.dispatch(signal, { adapter: 'noop', ...options })).resolves.toBeUndefined();
    expect(d.validate({ adapter: 'noop' }).target).toBe('noop');
    await d.close();
  });
});
