/**
 * Main side only: the runs a pool executor has handed to its pool and not got
 * back, with what both pool executors do with them — stop a run once when its
 * signal aborts, stop every aborted run at shutdown, wait for the pool to
 * drain. How a run is stopped (a message, then terminating a thread or
 * signalling a process) is the executor's part.
 *
 * The runs form an intrusive list: adding and removing one hashes nothing.
 */
import type { JobRun } from '../../jobs/current-job.ts';
import type { Job } from '../../jobs/job.ts';
import { PoolRun, type RunLandings } from './pool-run.ts';

export class RunsInFlight<Stop> implements RunLandings<Stop> {
  #first: PoolRun<Stop> | null = null;
  #last: PoolRun<Stop> | null = null;
  #size = 0;
  #nextToken = 1;
  /** Called when the last run comes back. */
  readonly #drained: (() => void)[] = [];
  readonly #onPoolFailure: () => void;

  /** `onPoolFailure` is called when the pool fails a task itself: its worker may be gone. */
  constructor(onPoolFailure: () => void) {
    this.#onPoolFailure = onPoolFailure;
  }

  get size(): number {
    return this.#size;
  }

  /** A token no run has had: runs and warm-up tasks are told apart by it in control messages. */
  token(): number {
    return this.#nextToken++;
  }

  /** Tracks a new run; the executor then sets its `sent`. */
  start(job: Job, run: JobRun, funcRef: string): PoolRun<Stop> {
    const flight = new PoolRun<Stop>(job, run, this.#nextToken++, funcRef, this);
    const last = this.#last;
    if (last === null) this.#first = flight;
    else {
      last.next = flight;
      flight.previous = last;
    }
    this.#last = flight;
    this.#size += 1;
    return flight;
  }

  land(flight: PoolRun<Stop>, poolFailed: boolean): void {
    if (flight.landed) return;
    flight.landed = true;
    const { previous, next } = flight;
    if (previous === null) this.#first = next;
    else previous.next = next;
    if (next === null) this.#last = previous;
    else next.previous = previous;
    flight.previous = null;
    flight.next = null;
    if (flight.timers !== null) for (const timer of flight.timers) clearTimeout(timer);
    this.#size -= 1;
    if (this.#size === 0 && this.#drained.length > 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
    if (poolFailed) this.#onPoolFailure();
  }

  /** Stops the run with `stop` when its signal aborts (timeout, cancellation), once, unless it has landed. */
  stopWhenAborted(flight: PoolRun<Stop>, stop: (flight: PoolRun<Stop>) => void): void {
    flight.run.signal.addEventListener('abort', () => this.#stopOnce(flight, stop), { once: true });
  }

  /**
   * Stops every run whose signal has aborted. At shutdown, the runs without
   * a timeout have no abort listener (they pay for none): this is how their
   * cancellation reaches the worker.
   */
  stopAborted(stop: (flight: PoolRun<Stop>) => void): void {
    for (const flight of this.#snapshot()) {
      if (flight.run.signal.aborted) this.#stopOnce(flight, stop);
    }
  }

  /** Gives every run that has not landed the error it fails with once its pool is torn down. */
  failAll(failure: (flight: PoolRun<Stop>) => Error): void {
    for (const flight of this.#snapshot()) flight.failure ??= failure(flight);
  }

  /** Resolves once no run is in the pool, or after `ms` milliseconds. */
  drain(ms: number): Promise<void> {
    if (this.#size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#drained.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #stopOnce(flight: PoolRun<Stop>, stop: (flight: PoolRun<Stop>) => void): void {
    if (flight.stopping || flight.landed) return;
    flight.stopping = true;
    stop(flight);
  }

  /** The runs now in flight (stopping one may land others). */
  #snapshot(): PoolRun<Stop>[] {
    const flights: PoolRun<Stop>[] = [];
    for (let flight = this.#first; flight !== null; flight = flight.next) flights.push(flight);
    return flights;
  }
}
