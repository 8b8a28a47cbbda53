/**
 * How an executor reports its runs on `horarium:job`, and on `horarium:fire`
 * the run times it takes (`submitted`) and those it finds missed. The run's events follow the executor's own view of the
 * run, not its function's promise: a run that times out or loses its lease
 * ends when the executor gives up on it, even if its function never settles.
 * Callers check `hasSubscribers` first, so nothing here runs unobserved.
 */
import type { JobRun } from '../jobs/current-job.ts';
import type { Job } from '../jobs/job.ts';
import {
  type FireContext,
  fireChannel,
  type JobRunContext,
  jobRunChannel,
  type PublishingScheduler,
  type RunOutcome,
} from '../tracing/channels.ts';
import { JobCancelledError, JobTimeoutError, LeaseLostError, type RunFire } from './executor.ts';

/** How a run ended, from what the executor reports. */
export function runOutcome(ok: boolean, value: unknown): RunOutcome {
  if (ok) return 'succeeded';
  if (value instanceof LeaseLostError) return 'lease_lost';
  if (value instanceof JobTimeoutError) return 'timed_out';
  if (value instanceof JobCancelledError) return 'cancelled';
  return 'failed';
}

/** The context of a run about to start; `lagMs` is by the store's clock. */
export function runContext(
  scheduler: PublishingScheduler | null,
  job: Job,
  run: JobRun,
  executor: string,
  lagMs: number,
): JobRunContext {
  return {
    scheduler,
    jobId: job.id,
    jobName: job.name,
    funcRef: job.funcRef,
    scheduledRunTime: run.scheduledRunTime,
    executor,
    jobstore: job.jobstore,
    fireId: run.fireId,
    fencingToken: run.fencingToken,
    recovering: run.recovering,
    startedAt: Date.now(),
    lagMs,
  };
}

/** Calls the job's function inside `start.runStores`, publishing `start`, then `end` when it returns or throws. */
export function startTracedRun(context: JobRunContext, call: () => unknown): unknown {
  return jobRunChannel.start.runStores(context, () => {
    try {
      return call();
    } finally {
      jobRunChannel.end.publish(context);
    }
  });
}

/** The run's outcome is known: `error` unless it succeeded, then `asyncStart` and `asyncEnd`. */
export function endTracedRun(context: JobRunContext, ok: boolean, value: unknown): void {
  context.outcome = runOutcome(ok, value);
  if (ok) context.result = value;
  else {
    context.error = value;
    jobRunChannel.error.publish(context);
  }
  jobRunChannel.asyncStart.publish(context);
  jobRunChannel.asyncEnd.publish(context);
}

/** The run times of a batch the executor took, before any of them starts. */
export function publishSubmittedFires(
  scheduler: PublishingScheduler | null,
  job: Job,
  runTimes: readonly Date[],
  fires: readonly RunFire[] | undefined,
  executor: string,
): void {
  runTimes.forEach((runTime, i) => {
    publishFire(scheduler, job, runTime, fires?.[i]?.fireId ?? null, executor, 'submitted');
  });
}

/** A submitted run time whose turn came after the job's misfire grace time. */
export function publishMissedFire(
  scheduler: PublishingScheduler | null,
  job: Job,
  runTime: Date,
  fireId: string | null,
  executor: string,
): void {
  publishFire(scheduler, job, runTime, fireId, executor, 'missed');
}

function publishFire(
  scheduler: PublishingScheduler | null,
  job: Job,
  runTime: Date,
  fireId: string | null,
  executor: string,
  disposition: 'submitted' | 'missed',
): void {
  const context: FireContext = {
    scheduler,
    jobId: job.id,
    jobName: job.name,
    jobstore: job.jobstore,
    executor,
    scheduledTime: runTime,
    disposition,
    fireId,
    count: 1,
    countComplete: true,
  };
  fireChannel.publish(context);
}
