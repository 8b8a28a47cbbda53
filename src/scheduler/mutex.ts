/**
 * A first-come, first-served async lock. The main loop holds it for a whole
 * pass over the stores and the API holds it for each store change, so a job
 * is never updated by the loop and the API at once (APScheduler's jobstore lock).
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every earlier holder has finished. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
