import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import type { SignalBus } from '../../lib/core/bus/signal-bus.js';
import { createSignal } from '../../lib/core/signal/signal.js';
import { getSignalBusToken } from '../../lib/nest/index.js';
import {
  AppModule,
  InventoryService,
  OrdersService,
  Settlement,
  main,
} from './fixtures/readme-nest.fixtures.js';
import { CapturingLogger, eventually } from './fixtures/recorder.js';

const open: TestingModule[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.close()));
});

/** The first ```ts block after `heading` in `markdown`. */
function firstTsBlock(markdown: string, heading: string): string {
  const from = markdown.indexOf(heading);
  const start = markdown.indexOf('```ts\n', from) + '```ts\n'.length;
  return markdown.slice(start, markdown.indexOf('\n```', start));
}

describe("README 'NestJS module' example (e2e)", () => {
  it('is the code this spec runs (only the import path differs)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const fixture = readFileSync(
      new URL('./fixtures/readme-nest.fixtures.ts', import.meta.url),
      'utf8',
    );
    const marked = fixture.slice(
      fixture.indexOf('// README:begin\n') + '// README:begin\n'.length,
      fixture.indexOf('\n// README:end'),
    );
    expect(firstTsBlock(readme, '## NestJS module')).toBe(
      marked.replace("'../../../lib/index.js'", "'nestjs-jido-signal'"),
    );
  });

  it('main() boots the application, publishes and closes', async () => {
    await expect(main()).resolves.toBeUndefined();
  });

  it('validates, settles over both patterns, and logs the field errors of bad data', async () => {
    const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const logger = new CapturingLogger();
    app.useLogger(logger);
    open.push(app);
    await app.init();
    await app.get(OrdersService).place('book', 2);
    await app.get(OrdersService).place('pen', 0);
    const bus = app.get<SignalBus>(getSignalBusToken());
    await bus.publish([createSignal('payment.captured'), createSignal('refund.issued')]);

    expect(app.get(InventoryService).reserved).toEqual(['2 × book']);
    expect(logger.errors.map((e) => e.message)).toEqual([
      expect.stringContaining('quantity must not be less than 1'),
    ]);
    await eventually(() => app.get(Settlement).settled.length === 2);
    expect(app.get(Settlement).settled).toEqual(['payment.captured', 'refund.issued']);
    expect(logger.warnings.filter((w) => w.includes('derived id'))).toEqual([]);
  });
});
