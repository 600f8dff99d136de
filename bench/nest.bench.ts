// Nest bench: an `@OnSignal` handler in a Nest application context against an `@OnEvent`
// handler of @nestjs/event-emitter (EventEmitter2 as `EventEmitterModule.forRoot()` sets it
// up by default — wildcard off — and with `wildcard: true, delimiter: '.'`, published with
// `await emitAsync()`), same workload, same run, interleaved, median of
// rounds. One long-lived application per contender (as in production), created before
// the first round and closed after the last. Every SignalBus publish is also recorded in
// the bus's MemoryStore, so our side always does more work.
import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SignalBus } from '../lib/core/bus/signal-bus.js';
import { createSignal, type Signal } from '../lib/core/signal/signal.js';
import { JidoSignalModule } from '../lib/nest/jido-signal.module.js';
import { OnSignal } from '../lib/nest/decorators/on-signal.decorator.js';
import { getSignalBusToken } from '../lib/nest/jido-signal.constants.js';
import { SignalHandlerRegistry } from '../lib/nest/signal-handler.registry.js';
import { fasterBy, roundsRow, type BenchRow, type BenchSection } from './harness.js';

const gc = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** Counts handler calls; injected by type into every handler class (checks swc's metadata). */
@Injectable()
class Counter {
  n = 0;
}

const WILDCARD_PATTERNS = ['order.*', 'order.**', '*.created', '**'];

type HandlerKind = 'sync' | 'async';

function checkCounter(counter: unknown): void {
  if (!(counter instanceof Counter)) {
    throw new Error('decorator metadata is missing: Counter was not injected by type');
  }
}

// Declared with decorators-free syntax but compiled by swc: `design:paramtypes` comes from
// swc's decorator metadata only when a class decorator is present, hence `@Injectable()`.
function asyncHandlerClass(): Type {
  @Injectable()
  class AsyncHandler {
    constructor(readonly counter: Counter) {
      checkCounter(counter);
    }
    async handle(_signal: Signal): Promise<void> {
      this.counter.n++;
    }
  }
  return AsyncHandler;
}

function syncHandlerClass(): Type {
  @Injectable()
  class SyncHandler {
    constructor(readonly counter: Counter) {
      checkCounter(counter);
    }
    handle(_signal: Signal): void {
      this.counter.n++;
    }
  }
  return SyncHandler;
}

/**
 * `count` handler classes, each with one async handler method decorated by `decorate`
 * (the pattern cycles through `patterns`), each depending on `Counter` by constructor type.
 */
function handlerClasses(
  count: number,
  patterns: readonly string[],
  kind: HandlerKind,
  decorate: (pattern: string) => MethodDecorator,
): Type[] {
  const classes: Type[] = [];
  for (let i = 0; i < count; i++) {
    const Handler = kind === 'async' ? asyncHandlerClass() : syncHandlerClass();
    const prototype = Handler.prototype as object;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, 'handle')!;
    decorate(patterns[i % patterns.length])(prototype, 'handle', descriptor);
    classes.push(Handler);
  }
  return classes;
}

/** A `@Module` class importing `imports`, providing `Counter` and `providers`. */
function moduleOf(imports: unknown[], providers: Type[]): Type {
  class BenchModule {}
  Module({ imports: imports as Type[], providers: [Counter, ...providers] })(BenchModule);
  return BenchModule;
}

interface Contender {
  name: string;
  note?: string;
  app?: INestApplicationContext;
  publish?: (signal: Signal) => Promise<unknown>;
  setup: () => Promise<{ app: INestApplicationContext; publish: (s: Signal) => Promise<unknown> }>;
}

function ours(
  name: string,
  handlers: number,
  patterns: readonly string[],
  kind: HandlerKind,
): Contender {
  return {
    name,
    setup: async () => {
      const classes = handlerClasses(handlers, patterns, kind, (p) => OnSignal(p));
      const app = await NestFactory.createApplicationContext(
        moduleOf([JidoSignalModule.forRoot()], classes),
        { logger: false },
      );
      const invocations = app.get(SignalHandlerRegistry).handlers();
      if (invocations.length !== handlers || invocations.some((h) => h.invocation !== 'direct')) {
        throw new Error('expected every @OnSignal handler on the direct path');
      }
      const bus = app.get<SignalBus>(getSignalBusToken());
      return { app, publish: (signal) => bus.publish(signal) };
    },
  };
}

/**
 * How the @nestjs/event-emitter peer is configured: `'defaults'` is
 * `EventEmitterModule.forRoot()` as most applications call it (wildcard off: exact event
 * names only); `'wildcard'` turns wildcards on (`wildcard: true, delimiter: '.'`), which
 * patterns such as `order.*` need.
 */
type PeerConfig = 'defaults' | 'wildcard';

function theirs(
  name: string,
  handlers: number,
  patterns: readonly string[],
  kind: HandlerKind,
  config: PeerConfig = 'wildcard',
): Contender {
  return {
    name,
    setup: async () => {
      const classes = handlerClasses(handlers, patterns, kind, (p) => OnEvent(p));
      const emitterModule =
        config === 'defaults'
          ? EventEmitterModule.forRoot()
          : EventEmitterModule.forRoot({ wildcard: true, delimiter: '.', maxListeners: 0 });
      const app = await NestFactory.createApplicationContext(moduleOf([emitterModule], classes), {
        logger: false,
      });
      const emitter = app.get(EventEmitter2);
      if (emitter.listenerCount('order.created') === 0 && handlers > 0) {
        throw new Error('expected @OnEvent listeners to be registered');
      }
      return { app, publish: (signal) => emitter.emitAsync(signal.type, signal) };
    },
  };
}

/**
 * Median ns per publish of each contender: runs interleaved (round k of every contender
 * before round k+1 of any, starting with a different one each round), a GC and an untimed
 * warm-up of `ops / 5` publishes before each timed run; round 0 is a warm-up round.
 */
async function interleaved(ops: number, contenders: Contender[], rounds = 7): Promise<BenchRow[]> {
  const signal = createSignal('order.created', { id: 1 });
  const contexts = [];
  for (const c of contenders) contexts.push(await c.setup());
  const samples = contenders.map(() => [] as number[]);
  const run = async (publish: (s: Signal) => Promise<unknown>, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await publish(signal);
  };
  try {
    for (let round = 0; round <= rounds; round++) {
      for (let k = 0; k < contenders.length; k++) {
        const index = (k + round) % contenders.length;
        const { publish } = contexts[index];
        gc();
        await run(publish, Math.ceil(ops / 5));
        const start = process.hrtime.bigint();
        await run(publish, ops);
        const ns = Number(process.hrtime.bigint() - start) / ops;
        if (round > 0) samples[index].push(ns);
      }
    }
  } finally {
    for (const { app } of contexts) await app.close();
  }
  return contenders.map((c, i) => roundsRow(c.name, samples[i], c.note));
}

export default async function nestBench(): Promise<BenchSection[]> {
  const exact = ['order.created'];
  const wild = ['order.*'];
  const [ours1, theirs1Defaults, theirs1, ours1w, theirs1w, ours1s, theirs1s] = await interleaved(
    30_000,
    [
      ours('@OnSignal: await bus.publish(), 1 async handler (exact), logged', 1, exact, 'async'),
      theirs(
        '@OnEvent, EventEmitterModule.forRoot() defaults (wildcard off): await emitAsync(), 1 async handler (exact)',
        1,
        exact,
        'async',
        'defaults',
      ),
      theirs(
        '@OnEvent, wildcards on: await emitAsync(), 1 async handler (exact)',
        1,
        exact,
        'async',
      ),
      ours('@OnSignal: await bus.publish(), 1 async handler (order.*), logged', 1, wild, 'async'),
      theirs(
        '@OnEvent, wildcards on: await emitAsync(), 1 async handler (order.*)',
        1,
        wild,
        'async',
      ),
      ours('@OnSignal: await bus.publish(), 1 sync handler (exact), logged', 1, exact, 'sync'),
      theirs('@OnEvent, wildcards on: await emitAsync(), 1 sync handler (exact)', 1, exact, 'sync'),
    ],
  );
  const [ours100s, theirs100s, ours100, theirs100] = await interleaved(10_000, [
    ours(
      '@OnSignal: await bus.publish(), 100 sync wildcard handlers, logged',
      100,
      WILDCARD_PATTERNS,
      'sync',
    ),
    theirs(
      '@OnEvent, wildcards on: await emitAsync(), 100 sync wildcard handlers',
      100,
      WILDCARD_PATTERNS,
      'sync',
    ),
    ours(
      '@OnSignal: await bus.publish(), 100 async wildcard handlers, logged',
      100,
      WILDCARD_PATTERNS,
      'async',
    ),
    theirs(
      '@OnEvent, wildcards on: await emitAsync(), 100 async wildcard handlers',
      100,
      WILDCARD_PATTERNS,
      'async',
    ),
  ]);
  return [
    {
      title: 'Nest — @OnSignal (JidoSignalModule) vs @OnEvent (@nestjs/event-emitter), 1 handler',
      rows: [ours1, theirs1Defaults, theirs1, ours1w, theirs1w, ours1s, theirs1s],
      checks: [
        fasterBy(
          '1 async handler (exact): @OnSignal vs @OnEvent with EventEmitterModule.forRoot() defaults',
          ours1,
          theirs1Defaults,
          1,
        ),
        fasterBy(
          '1 async handler (exact): @OnSignal vs @OnEvent with wildcards on',
          ours1,
          theirs1,
          1.3,
        ),
        fasterBy(
          '1 async handler (order.*): @OnSignal vs @OnEvent with wildcards on',
          ours1w,
          theirs1w,
          1.3,
        ),
        fasterBy(
          '1 sync handler (exact): @OnSignal vs @OnEvent with wildcards on',
          ours1s,
          theirs1s,
          1,
        ),
      ],
      notes: [
        'One Nest application context per contender (created once, warmed up), handlers on the ' +
          'direct path (no enhancers); one awaited publish at a time. The SignalBus also records ' +
          'every signal in its MemoryStore. `EventEmitterModule.forRoot()` defaults (wildcard off) ' +
          'match exact event names only, so that peer has no wildcard row.',
      ],
    },
    {
      title:
        'Nest — @OnSignal vs @OnEvent, 100 wildcard handlers (order.*, order.**, *.created, **)',
      rows: [ours100s, theirs100s, ours100, theirs100],
      checks: [
        fasterBy(
          '100 sync wildcard handlers: @OnSignal vs @OnEvent (emitAsync)',
          ours100s,
          theirs100s,
          3,
        ),
        fasterBy(
          '100 async wildcard handlers: @OnSignal vs @OnEvent (emitAsync)',
          ours100,
          theirs100,
          2,
        ),
      ],
      notes: [
        'Each handler is its own provider class, injected with a dependency by constructor type ' +
          '(which checks that the swc register emits decorator metadata). @OnEvent wraps every ' +
          'listener in an async function, so a sync handler method costs it a promise anyway; ' +
          '@OnSignal calls a sync method synchronously. With async handler methods both sides pay ' +
          'a promise per handler; the bus observes each promise itself (the Nest layer adds no ' +
          'promise of its own per handler).',
      ],
    },
  ];
}
