/** Above this many slots an emptied {@link Fifo} lets its array go (memory after a burst). */
const KEEP = 4096;

/**
 * A first-in first-out queue over one array with a head and a tail index. Emptying it only
 * resets the indices, so a queue that fills and empties once per publish reuses its array:
 * no array is allocated or truncated per operation (`length = 0` is a runtime call). Taken
 * slots are cleared, so nothing taken stays reachable from here.
 * @internal
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;
  #tail = 0;

  /** Items held. */
  get size(): number {
    return this.#tail - this.#head;
  }

  /** The `i`th item from the head (`0 ≤ i < size`). */
  at(i: number): T {
    return this.#items[this.#head + i]!;
  }

  /** The head item; `undefined` when empty. */
  peek(): T | undefined {
    return this.#head < this.#tail ? this.#items[this.#head] : undefined;
  }

  push(item: T): void {
    this.#items[this.#tail++] = item;
  }

  /** Remove and return the head item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#head === this.#tail) return undefined;
    const items = this.#items;
    const item = items[this.#head];
    items[this.#head++] = undefined;
    if (this.#head === this.#tail) this.#reset();
    else if (this.#head > KEEP && this.#head * 2 > this.#tail) this.#compact();
    return item;
  }

  /** Remove every item; returns them in order. */
  drain(): T[] {
    const out = this.#items.slice(this.#head, this.#tail) as T[];
    this.#items = [];
    this.#head = this.#tail = 0;
    return out;
  }

  #reset(): void {
    this.#head = this.#tail = 0;
    if (this.#items.length > KEEP) this.#items = [];
  }

  /** Move the items to the front once most of the array lies behind the head. */
  #compact(): void {
    const items = this.#items;
    const n = this.#tail - this.#head;
    items.copyWithin(0, this.#head, this.#tail);
    items.fill(undefined, n, this.#tail);
    this.#head = 0;
    this.#tail = n;
  }
}
