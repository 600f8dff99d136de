// Shared topic-matching scenarios of performance-and-dependencies.md §1.3, used by the router
// and bus benches: the same seed yields the same subscriptions and topics in both, so their
// figures stay comparable.

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Dimensions {
  domains: number;
  entities: number;
  subs: number;
  actions: number;
}

export interface Scenario {
  name: string;
  universe: number;
  subscriptions: string[];
  topics: string[];
}

/** The "selective" scenario: a 160,000-type universe. */
export const SELECTIVE: { dims: Dimensions; seed: number } = {
  dims: { domains: 32, entities: 25, subs: 9, actions: 20 },
  seed: 0x5e1ec7,
};

/** The "fanout" scenario: a 10,800-type universe. */
export const FANOUT: { dims: Dimensions; seed: number } = {
  dims: { domains: 10, entities: 12, subs: 8, actions: 10 },
  seed: 0xfa0047,
};

/**
 * Types are `d.e.a` or `d.e.s.a`, uniform over that universe. Subscriptions: 70 % exact
 * types; 20 % `*` patterns (`d.*.a`, `d.e.*`, `*.e.a`, `d.*.s.*`, `d.e.*.a`, equally often);
 * 10 % `**` patterns (60 % `d.e.**`, 25 % `d.**.a`, 10 % `d.**`, 5 % `**.a`), shuffled;
 * then `counts.topics` random types.
 */
export function buildScenario(
  name: string,
  dims: Dimensions,
  seed: number,
  counts: { subscriptions: number; topics: number },
): Scenario {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const d = (): string => `d${pick(dims.domains)}`;
  const e = (): string => `e${pick(dims.entities)}`;
  const s = (): string => `s${pick(dims.subs)}`;
  const a = (): string => `a${pick(dims.actions)}`;
  const three = dims.domains * dims.entities * dims.actions;
  const universe = three * (1 + dims.subs);
  const randomType = (): string =>
    pick(universe) < three ? `${d()}.${e()}.${a()}` : `${d()}.${e()}.${s()}.${a()}`;

  const subscriptions: string[] = [];
  for (let i = 0; i < counts.subscriptions * 0.7; i++) subscriptions.push(randomType());
  const starShapes = [
    () => `${d()}.*.${a()}`,
    () => `${d()}.${e()}.*`,
    () => `*.${e()}.${a()}`,
    () => `${d()}.*.${s()}.*`,
    () => `${d()}.${e()}.*.${a()}`,
  ];
  for (let i = 0; i < counts.subscriptions * 0.2; i++)
    subscriptions.push(starShapes[pick(starShapes.length)]());
  const globstars = counts.subscriptions * 0.1;
  for (let i = 0; i < globstars; i++) {
    const r = i / globstars;
    subscriptions.push(
      r < 0.6
        ? `${d()}.${e()}.**`
        : r < 0.85
          ? `${d()}.**.${a()}`
          : r < 0.95
            ? `${d()}.**`
            : `**.${a()}`,
    );
  }
  // Shuffle so registration order does not group the kinds.
  for (let i = subscriptions.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [subscriptions[i], subscriptions[j]] = [subscriptions[j], subscriptions[i]];
  }
  const topics: string[] = [];
  for (let i = 0; i < counts.topics; i++) topics.push(randomType());
  return { name, universe, subscriptions, topics };
}
