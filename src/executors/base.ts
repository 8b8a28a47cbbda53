/**
 * What every executor shares: counting instances per job for `maxInstances`,
 * running a batch of run times in order with the misfire grace check at the
 * moment each run starts, timeouts and cancellation through the run's
 * AbortSignal, and reporting each outcome as an event. Subclasses only say how
 * one run of a job's function happens (`runOnce`).
 */
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel';
import {
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MISSED,
  JobExecutionEvent,
} from '../events.ts';
import { JobRun } from '../jobs/current-job.ts';
import type { Job } from '../jobs/job.ts';
import { debugEnabled } from '../logging.ts';
import type { Executor, ExecutorContext, ShutdownOptions, SubmitOptions } from './executor.ts';
import {
  ExecutorNotRunningError,
  JobCancelledError,
  JobTimeoutError,
  MaxInstancesReachedError,
} from './executor.ts';

/** The context object published on `horarium:job` for each run. */
export interface JobRunContext {
  jobId: string;
  scheduledRunTime: Date;
  executor: string;
  jobstore: string | null;
}

/** Published around every run; APM tools subscribe to `horarium:job` (start, end, asyncStart, asyncEnd, error). */
export const jobRunChannel: TracingChannel<unknown, JobRunContext> = tracingChannel<
  unknown,
  JobRunContext
>('horarium:job');

/** One batch in flight. */
interface Batch {
  readonly job: Job;
  /** Run times still to run; a continuation appends to it. */
  readonly queue: Date[];
  /** Ends the run in progress early (timeout, cancellation); null between runs. */
  cancel: ((reason: unknown) => void) | null;
  /** Settles when the batch has finished, whatever the outcome. */
  done: Promise<void>;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const DONE: Promise<void> = Promise.resolve();

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as PromiseLike<unknown>).then === 'function';

export abstract class BaseExecutor implements Executor {
  #context: ExecutorContext | undefined;
  #alias = '';
  /** Running batches per job id; their number is the job's instance count. */
  readonly #batches = new Map<string, Batch[]>();
  #accepting = false;

  protected get context(): ExecutorContext {
    if (this.#context === undefined) throw new ExecutorNotRunningError(this.#alias);
    return this.#context;
  }

  get alias(): string {
    return this.#alias;
  }

  start(context: ExecutorContext, alias: string): Promise<void> | void {
    this.#context = context;
    this.#alias = alias;
    this.#accepting = true;
  }

  runningInstances(jobId: string): number {
    return this.#batches.get(jobId)?.length ?? 0;
  }

  submitJob(job: Job, runTimes: readonly Date[], options?: SubmitOptions): void {
    if (!this.#accepting) throw new ExecutorNotRunningError(this.#alias);
    const running = this.#batches.get(job.id);
    if (options?.continuation === true && running !== undefined) {
      (running[running.length - 1] as Batch).queue.push(...runTimes);
      return;
    }
    if ((running?.length ?? 0) >= job.maxInstances) {
      throw new MaxInstancesReachedError(job.id, job.maxInstances);
    }
    const batch: Batch = { job, queue: runTimes.slice(), cancel: null, done: DONE };
    const list = running ?? [];
    list.push(batch);
    if (running === undefined) this.#batches.set(job.id, list);
    const release = (): void => {
      list.splice(list.indexOf(batch), 1);
      if (list.length === 0 && this.#batches.get(job.id) === list) this.#batches.delete(job.id);
    };
    const result = this.#runBatch(batch);
    if (result === undefined) release();
    else batch.done = result.then(release);
  }

  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#accepting = false;
    const batches = [...this.#batches.values()].flat();
    const wait = options.wait ?? true;
    const cancelAll = (reason: (batch: Batch) => JobCancelledError): void => {
      for (const batch of batches) {
        batch.queue.length = 0;
        batch.cancel?.(reason(batch));
      }
    };
    if (!wait) {
      cancelAll((b) => new JobCancelledError(b.job.id, 'the scheduler shut down without waiting'));
      await this.onShutdown(false);
      return;
    }
    const all = Promise.all(batches.map((b) => b.done));
    if (options.timeout === undefined) {
      await all;
    } else {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), (options.timeout as number) * 1000);
      });
      const outcome = await Promise.race([all.then(() => 'done' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        cancelAll(
          (b) =>
            new JobCancelledError(
              b.job.id,
              `the run exceeded the ${options.timeout} s shutdown timeout`,
            ),
        );
        await all;
      }
    }
    await this.onShutdown(true);
  }

  /** Releases executor resources (pools); called at the end of `shutdown`. */
  protected onShutdown(_wait: boolean): Promise<void> | void {}

  /**
   * Runs the job's function once and returns its result: a value for a
   * synchronous function, a promise otherwise (or throws). `run.signal` aborts
   * on timeout or cancellation; implementations that can stop the work
   * (threads, processes) must do so and reject. The in-process executor cannot
   * stop JavaScript that ignores the signal, so the batch stops waiting for it.
   */
  protected abstract runOnce(job: Job, run: JobRun): unknown;

  /**
   * Runs the queued run times in order. Runs of a synchronous function complete
   * (and dispatch their events) without yielding, so the whole batch may finish
   * inside `submitJob`: then it returns undefined, otherwise a promise.
   */
  #runBatch(batch: Batch): Promise<void> | undefined {
    const { job } = batch;
    const context = this.context;
    for (let runTime = batch.queue.shift(); runTime !== undefined; runTime = batch.queue.shift()) {
      const now = context.now();
      if (job.misfireGraceTime !== null && now - runTime.getTime() > job.misfireGraceTime * 1000) {
        context.logger.warn(
          `Run time of job "${job.name}" (${job.id}) was missed by ${(now - runTime.getTime()) / 1000} s`,
        );
        if (context.wants(EVENT_JOB_MISSED)) {
          context.dispatch(new JobExecutionEvent(EVENT_JOB_MISSED, job.id, job.jobstore, runTime));
        }
        continue;
      }
      if (debugEnabled(context.logger)) {
        context.logger.debug(
          `Running job "${job.name}" (${job.id}) scheduled at ${runTime.toISOString()}`,
        );
      }
      const outcome = this.#runOnceWithLimits(job, runTime, batch);
      if (outcome instanceof Promise) {
        return outcome.then((settled) => {
          this.#report(job, runTime, settled);
          return this.#runBatch(batch);
        });
      }
      this.#report(job, runTime, outcome);
    }
    return undefined;
  }

  #report(job: Job, runTime: Date, outcome: Outcome): void {
    const context = this.context;
    if (outcome.ok) {
      if (debugEnabled(context.logger))
        context.logger.debug(`Job "${job.name}" (${job.id}) executed successfully`);
      if (context.wants(EVENT_JOB_EXECUTED)) {
        context.dispatch(
          new JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job.jobstore, runTime, {
            retval: outcome.value,
          }),
        );
      }
      return;
    }
    context.logger.error(`Job "${job.name}" (${job.id}) raised an exception`, outcome.error);
    if (context.wants(EVENT_JOB_ERROR)) {
      const traceback =
        outcome.error instanceof Error
          ? (outcome.error.stack ?? String(outcome.error))
          : String(outcome.error);
      context.dispatch(
        new JobExecutionEvent(EVENT_JOB_ERROR, job.id, job.jobstore, runTime, {
          exception: outcome.error,
          traceback,
        }),
      );
    }
  }

  /**
   * Runs once. A synchronous result is returned as it is; an asynchronous run
   * settles when its promise does, or early when it times out or is cancelled
   * (its signal is aborted then, and its own outcome is ignored, never unhandled).
   */
  #runOnceWithLimits(job: Job, runTime: Date, batch: Batch): Outcome | Promise<Outcome> {
    const run = new JobRun(job.id, runTime);
    let result: unknown;
    try {
      result = this.#traced(job, run);
    } catch (error) {
      return { ok: false, error };
    }
    if (!isThenable(result)) return { ok: true, value: result };
    return new Promise<Outcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const finish = (outcome: Outcome): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        batch.cancel = null;
        resolve(outcome);
      };
      batch.cancel = (reason) => {
        run.abort(reason);
        finish({ ok: false, error: reason });
      };
      if (job.timeout !== null) {
        const seconds = job.timeout;
        timer = setTimeout(
          () => batch.cancel?.(new JobTimeoutError(job.id, seconds)),
          seconds * 1000,
        );
        timer.unref();
      }
      result.then(
        (value) => finish({ ok: true, value }),
        (error: unknown) => finish({ ok: false, error }),
      );
    });
  }

  #traced(job: Job, run: JobRun): unknown {
    if (!jobRunChannel.hasSubscribers) return this.runOnce(job, run);
    return jobRunChannel.tracePromise(async () => this.runOnce(job, run), {
      jobId: job.id,
      scheduledRunTime: run.scheduledRunTime,
      executor: this.#alias,
      jobstore: job.jobstore,
    });
  }
}
