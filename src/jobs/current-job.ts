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
