/**
 * What a pass does with one due job: its run times (every missed one, or the
 * latest when coalescing, capped per batch), its next state, and whether the
 * batch continues a split one — the same for a store of one scheduler and for
 * a store several share.
 */
import type { Executor } from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import type { Logger } from '../../logging.ts';
import { MAX_CATCH_UP_RUNS, skipRestOfCatchUp } from './catch-up.ts';
import { planRuns, type RunPlan } from './run-times.ts';

/** What planning needs from its scheduler. */
export interface PlanHost {
  readonly logger: Logger;
  executor(alias: string): Executor | undefined;
}

/** What the loop does with one due job in a pass. */
export interface DuePlan {
  job: Job;
  /** Undefined when the job's executor is gone (the job is removed) or its trigger failed. */
  executor: Executor | undefined;
  runTimes: Date[];
  /** The job as it is stored after this pass; null removes it. */
  updated: Job | null;
  /** The job was paused because its trigger failed. */
  paused: boolean;
  /** The runs continue a split batch. */
  continuation: boolean;
  /** The batch was capped: more run times of this catch-up are due, and follow in the next pass. */
  capped: boolean;
}

/** What to do with one due job: its runs, and its next state (null = remove it). */
export function planJob(
  host: PlanHost,
  splitBatches: Map<string, number>,
  job: Job,
  now: number,
  nowDate: Date = new Date(now),
): DuePlan {
  const executor = host.executor(job.executor);
  if (executor === undefined) {
    // Never deleted: the executor may only be misnamed or not added yet.
    host.logger.error(
      `Job "${job.name}" (${job.id}) is paused: its executor "${job.executor}" is not configured; add the executor and resume the job`,
    );
    return pausedPlan(job);
  }
  let runs: RunPlan;
  try {
    runs = planRuns(job.trigger, job.nextRunTime as Date, now, job.coalesce, nowDate);
  } catch (error) {
    // A trigger that throws (e.g. MaxIterationsError) pauses its job instead of deleting it.
    host.logger.error(
      `Error computing the run times of job "${job.name}" (${job.id}); pausing it`,
      error,
    );
    return pausedPlan(job);
  }
  // A next run time that is already due means the batch was capped and continues next pass.
  let next = runs.next;
  const capped = next !== null && next.getTime() <= now;
  let continuation = false;
  if (capped || splitBatches.size > 0) {
    const replayed = splitBatches.get(job.id);
    continuation = replayed !== undefined;
    const total = (replayed ?? 0) + runs.runTimes.length;
    if (capped && total >= MAX_CATCH_UP_RUNS) {
      // The catch-up bound: the rest of the missed run times are skipped.
      const skip = skipRestOfCatchUp(job.trigger, next as Date, now);
      host.logger.warn(
        `Job "${job.name}" (${job.id}) replayed ${MAX_CATCH_UP_RUNS.toLocaleString('en-US')} missed run times; the rest, from ${(next as Date).toISOString()} to ${skip.lastSkipped.toISOString()}, are skipped`,
      );
      next = skip.next;
      splitBatches.delete(job.id);
    } else if (capped) splitBatches.set(job.id, total);
    else if (continuation) splitBatches.delete(job.id);
  }
  return {
    job,
    executor,
    runTimes: runs.runTimes,
    updated: next === null ? null : job.withNextRunTime(next),
    paused: false,
    continuation,
    capped: capped && next !== null && next.getTime() <= now,
  };
}

/** The plan of a job that cannot run: it is paused (kept, with nothing submitted). */
export function pausedPlan(job: Job): DuePlan {
  return {
    job,
    executor: undefined,
    runTimes: [],
    updated: job.withNextRunTime(null),
    paused: true,
    continuation: false,
    capped: false,
  };
}
