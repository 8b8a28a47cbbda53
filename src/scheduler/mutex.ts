/**
 * A first-come, first-served async lock. The main loop holds it for a whole
 * pass over the stores and the API holds it for each store change, so a job
 * is never updated by the loop and the API at once (APScheduler's jobstore lock).
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  /** Holders running or waiting. */
  #holders = 0;

  /**
   * True when nobody holds or waits for the lock: synchronous work done now
   * cannot interleave with a holder, exactly as if it had taken the lock.
   */
  get idle(): boolean {
    return this.#holders === 0;
  }

  /** Runs `fn` once every earlier holder has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.#holders++;
    const result = this.#tail.then(fn);
    const release = (): void => {
      this.#holders--;
    };
    this.#tail = result.then(release, release);
    return result;
  }
}
