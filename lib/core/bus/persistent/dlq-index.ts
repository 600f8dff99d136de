/**
 * The ids of one subscription's DLQ entries, oldest first, for the `maxDlqSize` bound:
 * O(1) add, delete and "take the oldest". (A `Set` alone is not enough: finding its first
 * live entry after many deletes scans the holes they leave.) Deleted ids stay in the FIFO
 * and are skipped lazily.
 * @internal
 */
export class DlqIndex {
  readonly #live = new Set<string>();
  #fifo: string[] = [];
  #head = 0;

  /** Number of entries. */
  get size(): number {
    return this.#live.size;
  }

  add(id: string): void {
    this.#live.add(id);
    this.#fifo.push(id);
  }

  delete(id: string): void {
    this.#live.delete(id);
  }

  /** Remove and return the oldest id (`undefined` when empty). */
  shift(): string | undefined {
    const fifo = this.#fifo;
    while (this.#head < fifo.length) {
      const id = fifo[this.#head++];
      if (this.#live.delete(id)) {
        this.#compact();
        return id;
      }
    }
    this.#compact();
    return undefined;
  }

  clear(): void {
    this.#live.clear();
    this.#fifo = [];
    this.#head = 0;
  }

  #compact(): void {
    if (this.#head === this.#fifo.length) {
      this.#fifo = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#fifo.length) {
      this.#fifo = this.#fifo.slice(this.#head);
      this.#head = 0;
    }
  }
}
