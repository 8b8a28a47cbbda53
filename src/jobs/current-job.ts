/** `currentJob()`: what a running job can know about its own run. */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CurrentJob {
  /** The job's id. */
  readonly id: string;
  /** The run time this run was scheduled for. */
  readonly scheduledRunTime: Date;
  /** Aborted when the run times out or the scheduler shuts down without waiting; `signal.reason` says why. */
  readonly signal: AbortSignal;
}

const storage = new AsyncLocalStorage<CurrentJob>();

/**
 * One run of a job as `currentJob()` shows it. Its AbortController is created
 * only when someone reads `signal`: most jobs never do, and a controller per
 * run is a measurable part of the cost of a run.
 */
export class JobRun implements CurrentJob {
  readonly id: string;
  readonly scheduledRunTime: Date;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  constructor(id: string, scheduledRunTime: Date) {
    this.id = id;
    this.scheduledRunTime = scheduledRunTime;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts the run's signal (now, or as soon as it is read). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/**
 * The job whose function is running in the current async context, or
 * undefined outside a job.
 *
 * @example
 * ```ts
 * async function report() {
 *   const { id, signal } = currentJob()!;
 *   await fetch(url, { signal });
 * }
 * ```
 */
export function currentJob(): CurrentJob | undefined {
  return storage.getStore();
}

/** Runs `fn` with `job` as the current job. */
export function runAsCurrentJob<T>(job: CurrentJob, fn: () => T): T {
  return storage.run(job, fn);
}
