// Router bench: the topic-matching scenarios of performance-and-dependencies.md §1.3 —
// 10,000 subscriptions (70 % exact, 20 % `*`, 10 % `**`) against 100,000 random topics,
// "selective" (160,000-type universe) and "fanout" (10,800-type universe) — comparing our
// SignalRouter with qlobber and EventEmitter2 in the same run.
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import eventemitter2 from 'eventemitter2';
import { matches, SignalRouter } from '../lib/core/router/index.js';
import {
  atMost,
  fasterBy,
  micro,
  ratio,
  roundsRow,
  system,
  type BenchCheck,
  type BenchRow,
  type BenchSection,
} from './harness.js';
import { buildScenario, FANOUT, SELECTIVE, type Scenario } from './scenarios.js';

interface QlobberOptions {
  separator: string;
  wildcard_one: string;
  wildcard_some: string;
}
interface QlobberLike<R> {
  add(topic: string, value: number): unknown;
  match(topic: string): R;
}
interface QlobberModule {
  Qlobber: new (options: QlobberOptions) => QlobberLike<number[]>;
  QlobberDedup: new (options: QlobberOptions) => QlobberLike<Set<number>>;
}

// qlobber ships no type declarations; load it through require and describe what we use.
const { Qlobber, QlobberDedup } = createRequire(import.meta.url)('qlobber') as QlobberModule;
// eventemitter2 is CommonJS; its class is `module.exports.EventEmitter2` too.
const { EventEmitter2 } = eventemitter2;
const QLOBBER_OPTIONS: QlobberOptions = { separator: '.', wildcard_one: '*', wildcard_some: '**' };

const SUBSCRIPTIONS = 10_000;
const TOPICS = 100_000;
/** EventEmitter2 is ~35 µs per lookup: a 10k-topic sample keeps its rows under a minute. */
const EE2_TOPICS = 10_000;

let sink = 0;

/** Subscriptions of the memory and add() rows. */
const BUILD_SUBSCRIPTIONS = 100_000;

// Memory figures need a full collection before each reading; `npm run bench` has no --expose-gc.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
/** Live JS heap plus typed-array memory, after a full GC. */
function heap(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface Contender {
  name: string;
  ops: number;
  fn: () => void;
  note?: string;
}

/**
 * Measure contenders in alternating rounds (one `system` run each per round) and keep each
 * one's median. Peers then see the same machine load, so their ratios stay meaningful on a
 * busy host, where back-to-back blocks of runs would not.
 */
async function interleaved(contenders: readonly Contender[], rounds = 7): Promise<BenchRow[]> {
  const samples = contenders.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[i];
      samples[i].push((await system(c.name, c.ops, c.fn, { runs: 1 })).nsPerOp);
    }
  }
  return contenders.map((c, i) => roundsRow(c.name, samples[i], c.note));
}

async function scenarioSection(
  sc: Scenario,
): Promise<{ section: BenchSection; uncached: BenchRow }> {
  const uncachedRouter = new SignalRouter<number>({ cacheSize: 0 });
  const defaultRouter = new SignalRouter<number>();
  const qlobber = new Qlobber(QLOBBER_OPTIONS);
  const dedup = new QlobberDedup(QLOBBER_OPTIONS);
  const ee2 = new EventEmitter2({ wildcard: true, delimiter: '.', maxListeners: 0 });
  sc.subscriptions.forEach((pattern, i) => {
    uncachedRouter.add({ pattern, target: i });
    defaultRouter.add({ pattern, target: i });
    qlobber.add(pattern, i);
    dedup.add(pattern, i);
    ee2.on(pattern, () => i);
  });

  // Same answers before timing anything: every peer must agree on the match sets.
  let total = 0;
  for (const topic of sc.topics.slice(0, 5_000)) {
    const ours = uncachedRouter.route(topic);
    const theirs = dedup.match(topic);
    if (ours.length !== theirs.size || ours.some((t) => !theirs.has(t))) {
      throw new Error(`router and QlobberDedup disagree on ${topic}`);
    }
    if (ee2.listeners(topic).length !== ours.length)
      throw new Error(`EventEmitter2 disagrees on ${topic}`);
    total += ours.length;
  }
  const perTopic = total / 5_000;

  const topics = sc.topics;
  const ee2Topics = topics.slice(0, EE2_TOPICS);
  const loop =
    (fn: (topic: string) => { length: number } | { size: number }, list: readonly string[]) =>
    (): void => {
      let n = 0;
      for (let i = 0; i < list.length; i++) {
        const r = fn(list[i]);
        n += 'length' in r ? r.length : r.size;
      }
      sink += n;
    };

  const [uncached, withCache, q, qd, ee] = await interleaved([
    {
      name: `${sc.name}: SignalRouter.route() uncached`,
      ops: topics.length,
      fn: loop((t) => uncachedRouter.route(t), topics),
    },
    {
      name: `${sc.name}: SignalRouter.route() default options (self-tuning cache)`,
      ops: topics.length,
      fn: loop((t) => defaultRouter.route(t), topics),
    },
    {
      name: `${sc.name}: qlobber Qlobber.match`,
      ops: topics.length,
      fn: loop((t) => qlobber.match(t), topics),
    },
    {
      name: `${sc.name}: qlobber QlobberDedup.match`,
      ops: topics.length,
      fn: loop((t) => dedup.match(t), topics),
    },
    {
      name: `${sc.name}: EventEmitter2 listeners() (wildcard)`,
      ops: ee2Topics.length,
      fn: loop((t) => ee2.listeners(t), ee2Topics),
      note: `${EE2_TOPICS.toLocaleString('en-US')}-topic sample`,
    },
  ]);
  const stats = defaultRouter.cacheStats();
  withCache.note = `cache ${stats.enabled ? 'on' : 'off'}, ${((100 * stats.hits) / Math.max(1, stats.hits + stats.misses)).toFixed(0)} % hits, switched off ${stats.disabledCount}×`;

  const checks: BenchCheck[] = [
    fasterBy(`${sc.name}: uncached route() vs qlobber match`, uncached, q, 1.5),
    fasterBy(`${sc.name}: uncached route() vs EventEmitter2 listeners()`, uncached, ee, 10),
  ];
  return {
    uncached,
    section: {
      title: `Router — ${sc.name} (${SUBSCRIPTIONS.toLocaleString('en-US')} subscriptions, ${sc.universe.toLocaleString('en-US')}-type universe, ${topics.length.toLocaleString('en-US')} topics)`,
      rows: [uncached, withCache, q, qd, ee],
      checks,
      notes: [
        `${perTopic.toFixed(1)} matching subscriptions per topic; every result checked against QlobberDedup and EventEmitter2 before timing. ` +
          'Our route() also sorts each result (priority, specificity, registration order); the peers return unordered matches.',
      ],
    },
  };
}

async function cacheAndMatcherSection(fanout: Scenario): Promise<BenchSection> {
  const router = new SignalRouter<number>();
  fanout.subscriptions.forEach((pattern, i) => router.add({ pattern, target: i }));
  const hot = fanout.topics.slice(0, 1024);
  for (const t of hot) router.route(t);
  let i = 0;
  const hit = await micro('route() cache hit (1,024 hot types, fanout routes)', () =>
    router.route(hot[i++ & 1023]),
  );
  const hits = router.cacheStats();

  const rows: BenchRow[] = [
    hit,
    await micro("matches() literal: matches('user.created', 'user.created')", () =>
      matches('user.created', 'user.created'),
    ),
    await micro("matches() trailing **: matches('audit.user.login', 'audit.**')", () =>
      matches('audit.user.login', 'audit.**'),
    ),
    await micro("matches() general: matches('user.123.profile.updated', 'user.*.**.updated')", () =>
      matches('user.123.profile.updated', 'user.*.**.updated'),
    ),
  ];
  const long = Array.from({ length: 100 }, (_, k) => `s${k % 7}`).join('.');
  rows.push(
    await micro('matches() adversarial: 100-segment type vs **.s1.**.s3.**.s9', () =>
      matches(long, '**.s1.**.s3.**.s9'),
    ),
  );
  return {
    title: 'Router — result cache and matches()',
    rows,
    checks: [atMost('cached route() hit', hit, 200)],
    notes: [
      `cache after the hit run: ${hits.size} entries, ${hits.hits} hits, ${hits.misses} misses.`,
    ],
  };
}

/** Bytes a structure built by `build` holds (median of 3 builds, each measured alone). */
function retained(build: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = heap();
    let held: unknown = build();
    samples.push(heap() - before);
    if (held === sink) sink++;
    held = undefined;
  }
  return samples.sort((a, b) => a - b)[1];
}

/** Memory per subscription and `add()` time, ours against qlobber, 100,000 subscriptions. */
export async function buildSection(sc: Scenario): Promise<BenchSection> {
  const subs = sc.subscriptions;
  const ours = (): SignalRouter<number> => {
    const router = new SignalRouter<number>();
    for (let i = 0; i < subs.length; i++) router.add({ pattern: subs[i], target: i });
    return router;
  };
  const theirs = (): QlobberLike<number[]> => {
    const q = new Qlobber(QLOBBER_OPTIONS);
    for (let i = 0; i < subs.length; i++) q.add(subs[i], i);
    return q;
  };
  const oursBytes = retained(ours) / subs.length;
  const qlobberBytes = retained(theirs) / subs.length;
  const [add, qAdd] = await interleaved(
    [
      { name: 'SignalRouter.add() ×100,000 (fresh router)', ops: subs.length, fn: ours },
      { name: 'qlobber Qlobber.add() ×100,000 (fresh matcher)', ops: subs.length, fn: theirs },
    ],
    5,
  );
  const memory = oursBytes / qlobberBytes;
  const addTime = ratio(add, qAdd);
  return {
    title: `Router — memory and add() (${subs.length.toLocaleString('en-US')} subscriptions, the ${sc.name} mix)`,
    rows: [add, qAdd],
    checks: [
      {
        name: 'memory per subscription vs qlobber',
        actual: `${memory.toFixed(2)}× (${oursBytes.toFixed(0)} vs ${qlobberBytes.toFixed(0)} bytes)`,
        target: '≤ 1.2×',
        pass: memory <= 1.2,
      },
      {
        name: 'add() vs qlobber add()',
        actual: `${addTime.toFixed(2)}× the time`,
        target: '≤ 2×',
        pass: addTime <= 2,
      },
    ],
    notes: [
      `Retained memory per subscription: SignalRouter ${oursBytes.toFixed(0)} bytes, qlobber ${qlobberBytes.toFixed(0)} bytes.`,
      'Each structure is built alone, then measured as the growth of the live heap after a full GC (median of 3 builds); the pattern strings are shared, not counted. add() rows build a fresh router / matcher per run, alternating.',
    ],
  };
}

export default async function routerBench(): Promise<BenchSection[]> {
  const counts = { subscriptions: SUBSCRIPTIONS, topics: TOPICS };
  const selective = buildScenario('selective', SELECTIVE.dims, SELECTIVE.seed, counts);
  const fanout = buildScenario('fanout', FANOUT.dims, FANOUT.seed, counts);
  const sections: BenchSection[] = [];
  const sel = await scenarioSection(selective);
  sections.push(sel.section);
  const fan = await scenarioSection(fanout);
  sections.push(fan.section);
  sections.push(await cacheAndMatcherSection(fanout));
  sections.push(
    await buildSection(
      buildScenario('selective', SELECTIVE.dims, SELECTIVE.seed, {
        subscriptions: BUILD_SUBSCRIPTIONS,
        topics: 0,
      }),
    ),
  );
  if (sink === 42) console.log('');
  return sections;
}
