import { ValidationError } from '../errors/validation.error.js';

/** Tuning of the router's result cache; see {@link SignalRouterOptions}. */
export interface RouteCacheOptions {
  /**
   * Most types kept. `0` turns the cache off. Memory is roughly one entry (the type string
   * and one array of the matched routes) per cached type.
   * @default 16384
   */
  cacheSize?: number;
  /**
   * Lookups per observation window. At the end of a window in which the cache had to evict,
   * the hit rate of the window is compared with {@link RouteCacheOptions.cacheMinHitRate}.
   * @default 4096
   */
  cacheWindow?: number;
  /**
   * Below this hit rate (0..1) in a window with evictions, the cache switches itself off: a
   * cache that keeps evicting costs more on every miss than it saves on its few hits.
   * @default 0.2
   */
  cacheMinHitRate?: number;
  /**
   * How many lookups the cache stays off before it tries again for one window (its entries
   * are kept while off, so the trial starts warm unless the routes changed meanwhile).
   * @default 65536
   */
  cacheCooldown?: number;
}

/** Counters of a router's result cache, from {@link SignalRouter.cacheStats}. */
export interface RouteCacheStats {
  /** Whether lookups currently use the cache (false while switched off or with `cacheSize: 0`). */
  readonly enabled: boolean;
  /** Types currently cached. */
  readonly size: number;
  /** Configured bound. */
  readonly capacity: number;
  /** Lookups answered from the cache since the router was created. */
  readonly hits: number;
  /** Lookups that had to compute the result (including those made while switched off). */
  readonly misses: number;
  /** How often the cache switched itself off because of a low hit rate. */
  readonly disabledCount: number;
}

function option(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new ValidationError(
      'invalid_route',
      name,
      `Router option ${name} must be an integer ≥ ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Bounded type → value cache with FIFO eviction that watches its own hit rate. Callers only
 * `set` a key after a missed `get`, so a key is never stored twice. Not exported
 * from the package: the router owns one and exposes its counters.
 * @internal
 */
export class RouteCache<V> {
  readonly #map = new Map<string, V>();
  /** Keys in insertion order as a ring, so eviction needs no Map iterator. */
  readonly #ring: string[] = [];
  #head = 0;
  readonly #capacity: number;
  readonly #window: number;
  readonly #minHits: number;
  readonly #cooldown: number;
  #enabled: boolean;
  #lookups = 0;
  #windowHits = 0;
  #windowEvictions = 0;
  #skip = 0;
  #hits = 0;
  #misses = 0;
  #disabledCount = 0;

  constructor(options: RouteCacheOptions = {}) {
    this.#capacity = option('cacheSize', options.cacheSize, 16384, 0);
    this.#window = option('cacheWindow', options.cacheWindow, 4096, 1);
    const rate = options.cacheMinHitRate ?? 0.2;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new ValidationError(
        'invalid_route',
        'cacheMinHitRate',
        `Router option cacheMinHitRate must be a number in 0..1, got ${String(rate)}`,
      );
    }
    this.#minHits = rate * this.#window;
    this.#cooldown = option('cacheCooldown', options.cacheCooldown, 65536, 1);
    this.#enabled = this.#capacity > 0;
  }

  /** The cached value, or `undefined` (always while switched off). */
  get(key: string): V | undefined {
    if (!this.#enabled) {
      if (this.#capacity === 0 || --this.#skip > 0) {
        this.#misses++;
        return undefined;
      }
      this.#enabled = true; // cooldown over: this lookup starts the trial window
    }
    const value = this.#map.get(key);
    if (value === undefined) this.#misses++;
    else {
      this.#hits++;
      this.#windowHits++;
    }
    if (++this.#lookups >= this.#window) this.#judge();
    return value;
  }

  /** Store a value (ignored while switched off). */
  set(key: string, value: V): void {
    if (!this.#enabled) return;
    const ring = this.#ring;
    if (ring.length < this.#capacity) ring.push(key);
    else {
      // FIFO: the oldest entry goes (LRU would cost a Map write on every hit).
      this.#map.delete(ring[this.#head]);
      ring[this.#head] = key;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#windowEvictions++;
    }
    this.#map.set(key, value);
  }

  /** Forget every entry (on every route change). */
  clear(): void {
    this.#map.clear();
    this.#ring.length = 0;
    this.#head = 0;
  }

  /** Counters for {@link RouteCacheStats}. */
  stats(): RouteCacheStats {
    return {
      enabled: this.#enabled,
      size: this.#map.size,
      capacity: this.#capacity,
      hits: this.#hits,
      misses: this.#misses,
      disabledCount: this.#disabledCount,
    };
  }

  #judge(): void {
    // Only a window that evicted says anything: while the cache still fills up, misses are
    // warm-up, and a cache that never evicts converges to a high hit rate.
    if (this.#windowEvictions > 0 && this.#windowHits < this.#minHits) {
      this.#enabled = false;
      this.#skip = this.#cooldown;
      this.#disabledCount++;
    }
    this.#lookups = 0;
    this.#windowHits = 0;
    this.#windowEvictions = 0;
  }
}
