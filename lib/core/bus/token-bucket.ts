/**
 * A token bucket: holds at most `capacity` tokens, starts full and refills continuously
 * (fractionally) at `ratePerSec` tokens per second. Used per partition to rate-limit
 * deliveries.
 */
export class TokenBucket {
  /** Refill rate in tokens per second. */
  readonly ratePerSec: number;
  /** Most tokens the bucket holds (the burst size). */
  readonly capacity: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  /**
   * @param ratePerSec - tokens added per second (> 0)
   * @param capacity - bucket size (≥ 1); the bucket starts full
   * @param now - clock in milliseconds @default `performance.now`
   */
  constructor(ratePerSec: number, capacity: number, now: () => number = () => performance.now()) {
    this.ratePerSec = ratePerSec;
    this.capacity = capacity;
    this.#now = now;
    this.#tokens = capacity;
    this.#last = now();
  }

  /** Tokens available now (fractional). */
  available(): number {
    this.#refill();
    return this.#tokens;
  }

  /**
   * Take up to `n` whole tokens; returns how many were taken (`n` when enough were
   * available, fewer — possibly 0 — otherwise).
   */
  take(n: number): number {
    this.#refill();
    const granted = Math.min(n, Math.floor(this.#tokens));
    this.#tokens -= granted;
    return granted;
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#last;
    this.#last = now;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.capacity, this.#tokens + (elapsed * this.ratePerSec) / 1000);
    }
  }
}

/**
 * Stable partition of a subscription: FNV-1a (32 bit) of its id, modulo `count`. The same id
 * always lands in the same partition, and ids spread evenly.
 */
export function partitionOf(id: string, count: number): number {
  if (count <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}
