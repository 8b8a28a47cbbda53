/**
 * Keys seen lately, for "do this once while it keeps happening" (log a
 * restore failure once, not on every pass). A key stays known while it is
 * seen again within `memoryMs`; one not seen for between one and two
 * `memoryMs` is forgotten. Two generations swapped every `memoryMs` make
 * that bound without a timestamp per key, so the keys of things that stopped
 * happening (a broken job another node removed) do not pile up.
 */
export class RecentKeys {
  readonly #memoryMs: number;
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotatedAt: number;

  constructor(memoryMs: number, now: number = Date.now()) {
    this.#memoryMs = memoryMs;
    this.#rotatedAt = now;
  }

  /** Keys known now (each counted once per generation it is in). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  /** Records `key` as seen at `now`; true when it was known already. */
  see(key: string, now: number = Date.now()): boolean {
    const since = now - this.#rotatedAt;
    if (since >= this.#memoryMs) {
      this.#previous = since >= 2 * this.#memoryMs ? new Set() : this.#current;
      this.#current = new Set();
      this.#rotatedAt = now;
    }
    if (this.#current.has(key)) return true;
    this.#current.add(key);
    return this.#previous.has(key);
  }
}
