import { subscribe as dcSubscribe, unsubscribe as dcUnsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from '@jest/globals';
import { SignalBus } from '../../../lib/core/bus/signal-bus.js';
import { setRejectionHook } from '../../../lib/core/bus/rejection-hook.js';
import { SubscriberError } from '../../../lib/core/errors/bus.error.js';
import { matches } from '../../../lib/core/router/pattern.js';
import { TelemetryChannel } from '../../../lib/core/telemetry/channels.js';
import type { Signal } from '../../../lib/core/signal/signal.js';
import { prng } from '../../helpers/prng.js';
import { collectErrors, sig, sleep } from './helpers.js';

type Kind =
  'sync' | 'throw' | 'ok' | 'reject' | 'eagerOk' | 'eagerFail' | 'lazyOk' | 'lazyFail' | 'hang';
type Hook = 'none' | 'true' | 'false' | 'throw';

/**
 * Ordinary subscriptions whose handlers re-enter the bus while plain (shared, lone and
 * per-delivery) publishes settle: they publish follow-ups (awaited or not), unsubscribe
 * themselves, subscribe new subscriptions, add a middleware, and attach a dispatch-telemetry
 * listener — with random outcomes (sync, throw, async ok/reject, conforming eager and lazy
 * thenables, deliveries that hang until the end) and rejection hooks (true/false/throw).
 * Seeded and bounded. Invariants:
 * - per subscription: delivered + failed = handler calls, inFlight 0 at the end, each
 *   failure counted once with the expected outcome (hooks applied);
 * - every SubscriberError names the subscription and signal whose delivery failed, with the
 *   cause that delivery produced, and each failure is reported exactly once;
 * - a publish resolves only after each delivery of its own signals settled;
 * - every publish resolves (none rejects: failures are only reported).
 */
describe('re-entrant plain publishes under random outcomes (seeded)', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 9, 11, 13])(
    'seed %i',
    async (seed) => {
      const random = prng(seed);
      const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)];
      const bus = new SignalBus({ name: `reentrant-${seed}` });
      const errors = collectErrors(bus);
      // errors$ observers run inside settle callbacks too: publish from there sometimes.
      bus.errors$.subscribe(() => {
        if (random() < 0.2 && budget > 0) void publish([sig(pick(TYPES), { depth: 3 })]);
      });
      const TYPES = ['a.x', 'a.y', 'b.x', 'b.y.z'];
      const PATTERNS = ['a.*', '**', '*.x', 'a.x', 'b.**', '**.z', 'b.*'];
      const calls = new Map<string, number>(); // sub → handler calls
      const expectFailures = new Map<string, string>(); // `${sub}|${signal}` → cause message
      const settled = new Set<string>();
      const callKeys = new Map<string, string[]>(); // signal id → keys of its deliveries
      const hung: Array<() => void> = [];
      const publishes: Promise<unknown>[] = [];
      const problems: string[] = [];
      let budget = 400; // signals this run may publish
      let subCount = 0;
      let middlewareAdded = false;
      let listener: ((m: unknown) => void) | undefined;
      const dispatchName = TelemetryChannel.BusDispatch;

      const publish = (signals: Signal[]): Promise<unknown> => {
        budget -= signals.length;
        const ids = signals.map((s) => s.id);
        const p = bus.publish(signals).then(
          () => {
            for (const id of ids) {
              for (const key of callKeys.get(id) ?? []) {
                if (!settled.has(key)) problems.push(`publish resolved before ${key} settled`);
              }
            }
          },
          (error) => problems.push(`publish rejected: ${String(error)}`),
        );
        publishes.push(p);
        return p;
      };
      const nextSignals = (depth: number): Signal[] =>
        Array.from({ length: random() < 0.75 ? 1 : 2 }, () => sig(pick(TYPES), { depth }));

      const addSub = async (pattern: string): Promise<string> => {
        const id = `s${subCount++}`;
        calls.set(id, 0);
        const hook: Hook = random() < 0.5 ? 'none' : pick(['true', 'false', 'throw'] as const);
        const handler = (signal: Signal): unknown => {
          const key = `${id}|${signal.id}`;
          calls.set(id, calls.get(id)! + 1);
          let keys = callKeys.get(signal.id);
          if (keys === undefined) callKeys.set(signal.id, (keys = []));
          keys.push(key);
          const depth = (signal.data as { depth: number }).depth;
          // Side effects while the publish is being fanned out.
          const r = random();
          if (r < 0.12 && budget > 0 && depth < 3) void publish(nextSignals(depth + 1));
          else if (r < 0.15) void bus.unsubscribe(id).catch(() => undefined);
          else if (r < 0.17 && subCount < 14) void addSub(pick(PATTERNS));
          else if (r < 0.175 && !middlewareAdded && seed % 2 === 0) {
            middlewareAdded = true;
            bus.use({ name: 'late', afterDispatch: () => undefined });
          } else if (r < 0.19) {
            if (listener === undefined) {
              listener = () => undefined;
              dcSubscribe(dispatchName, listener);
            } else {
              dcUnsubscribe(dispatchName, listener);
              listener = undefined;
            }
          }
          const kind: Kind = pick([
            'sync',
            'throw',
            'ok',
            'ok',
            'ok',
            'reject',
            'eagerOk',
            'eagerFail',
            'lazyOk',
            'lazyFail',
            'hang',
          ] as const);
          const awaitFollowUp = random() < 0.1 && budget > 0 && depth < 3;
          const failAsync = (cause: string): void => {
            if (hook === 'none' || hook === 'true') expectFailures.set(key, cause);
            else if (hook === 'throw') expectFailures.set(key, `hook:${cause}`);
          };
          switch (kind) {
            case 'sync':
              settled.add(key);
              return undefined;
            case 'throw':
              settled.add(key);
              expectFailures.set(key, key);
              throw new Error(key);
            case 'eagerOk':
            case 'eagerFail':
              return {
                then(ok: (v: unknown) => void, ko: (e: unknown) => void) {
                  settled.add(key);
                  if (kind === 'eagerOk') ok(undefined);
                  else {
                    failAsync(key);
                    ko(new Error(key));
                  }
                },
              };
            case 'lazyOk':
            case 'lazyFail':
              return {
                then(ok: (v: unknown) => void, ko: (e: unknown) => void) {
                  setTimeout(
                    () => {
                      settled.add(key);
                      if (kind === 'lazyOk') ok(undefined);
                      else {
                        failAsync(key);
                        ko(new Error(key));
                      }
                    },
                    Math.floor(random() * 3),
                  );
                },
              };
            case 'hang':
              return new Promise<void>((resolve) =>
                hung.push(() => {
                  settled.add(key);
                  resolve();
                }),
              );
            default: {
              const delay = Math.floor(random() * 3);
              return (async () => {
                if (awaitFollowUp) await publish(nextSignals(depth + 1));
                if (delay > 0) await sleep(delay);
                else await Promise.resolve();
                settled.add(key);
                if (kind === 'reject') {
                  failAsync(key);
                  throw new Error(key);
                }
              })();
            }
          }
        };
        if (hook !== 'none') {
          setRejectionHook(handler, (error, signal) => {
            // Re-enter from inside the settle callback.
            const depth = (signal.data as { depth: number }).depth;
            if (random() < 0.3 && budget > 0 && depth < 3) void publish(nextSignals(depth + 1));
            if (hook === 'throw') throw new Error(`hook:${(error as Error).message}`);
            return hook === 'true';
          });
        }
        return bus.subscribe(pattern, { subscriptionId: id, dispatch: handler });
      };

      for (let k = 0; k < 7; k++) await addSub(PATTERNS[k]);
      for (let round = 0; round < 60 && budget > 0; round++) {
        const burst = 1 + Math.floor(random() * 4);
        for (let b = 0; b < burst; b++) void publish(nextSignals(0));
        if (random() < 0.4) await Promise.race([publishes[publishes.length - 1], sleep(3)]);
        if (random() < 0.2) await sleep(1);
        if (random() < 0.3 && hung.length > 0)
          hung.splice(0, Math.ceil(hung.length / 2)).forEach((f) => f());
      }
      // Release everything still hanging until nothing new shows up.
      for (let i = 0; i < 50; i++) {
        hung.splice(0).forEach((f) => f());
        await sleep(5);
        if (
          hung.length === 0 &&
          (await Promise.race([
            Promise.all(publishes).then(() => true),
            sleep(5).then(() => false),
          ]))
        ) {
          if (hung.length === 0) break;
        }
      }
      await Promise.race([
        Promise.all(publishes),
        sleep(2000).then(() => problems.push('publishes never settled')),
      ]);
      if (listener !== undefined) dcUnsubscribe(dispatchName, listener);
      expect(problems).toEqual([]);
      const stats = (await bus.stats()).subscriptions;
      const failedBySub = new Map<string, number>();
      for (const key of expectFailures.keys()) {
        const sub = key.split('|')[0];
        failedBySub.set(sub, (failedBySub.get(sub) ?? 0) + 1);
      }
      for (const s of stats) {
        const n = calls.get(s.id)!;
        const f = failedBySub.get(s.id) ?? 0;
        expect({
          id: s.id,
          delivered: s.delivered,
          failed: s.failed,
          inFlight: s.inFlight,
        }).toEqual({
          id: s.id,
          delivered: n - f,
          failed: f,
          inFlight: 0,
        });
      }
      const reported = errors.map((e) => {
        expect(e).toBeInstanceOf(SubscriberError);
        const se = e as SubscriberError;
        return `${se.subscriptionId}|${se.signalId} => ${(se.cause as Error).message}`;
      });
      const expected = [...expectFailures].map(([key, cause]) => `${key} => ${cause}`);
      expect(reported.sort()).toEqual(expected.sort());
      void matches;
      await bus.close({ timeout: 100 });
    },
    20_000,
  );
});
