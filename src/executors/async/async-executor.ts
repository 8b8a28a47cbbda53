/** The `async` executor (the default): runs jobs in the event loop. */
import { type JobRun, runAsCurrentJob } from '../../jobs/current-job.ts';
import type { Job } from '../../jobs/job.ts';
import { BaseExecutor } from '../base.ts';

/**
 * Calls the job's function in the event loop and awaits the promise it
 * returns. Suited to I/O-bound work; CPU-bound work blocks every other job and
 * belongs in the `threadpool` or `processpool` executor.
 *
 * On timeout or cancellation the job's `currentJob().signal` aborts and the run
 * is reported at once; JavaScript that ignores the signal cannot be stopped
 * from outside and runs on, but its outcome is no longer awaited.
 *
 * @example
 * ```ts
 * // The default executor; an explicit one, under another alias:
 * const scheduler = new AsyncScheduler({ executors: { io: new AsyncExecutor() } });
 * await scheduler.addJob(fetchPrices, 'interval', { minutes: 5, executor: 'io', timeout: 30 });
 * ```
 */
export class AsyncExecutor extends BaseExecutor {
  protected runOnce(job: Job, run: JobRun): unknown {
    return runAsCurrentJob(run, () => job.func(...job.args));
  }
}
