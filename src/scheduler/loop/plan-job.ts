/**
 * What a pass does with one due job: its run times (every missed one, or the
 * latest when coalescing, capped per batch), its next state, and whether the
 * batch continues a split one — the same for a store of one scheduler and for
 * a store several share.
 */
import type { ExclusionCalendar } from '../../calendars/calendar.ts';
import { CalendarTrigger, type ExcludedFireTimes } from '../../calendars/calendar-trigger.ts';
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
  /** Fire times the job's calendar excluded in this pass (recorded once, as one `excluded` fire). */
  excluded?: ExcludedFireTimes & { readonly calendar: string };
}

/** What to do with one due job: its runs, and its next state (null = remove it). */
export function planJob(
  host: PlanHost,
  splitBatches: Map<string, number>,
  job: Job,
  now: number,
  nowDate: Date = new Date(now),
  calendars?: ReadonlyMap<string, ExclusionCalendar>,
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
  let bound: CalendarTrigger | undefined;
  try {
    if (job.calendar !== null) {
      const calendar = calendars?.get(job.calendar);
      if (calendar === undefined) {
        host.logger.error(
          `Job "${job.name}" (${job.id}) is paused: its calendar "${job.calendar}" is not in its job store (removed, or unreadable); add the calendar with scheduler.addCalendar and resume the job`,
        );
        return pausedPlan(job);
      }
      bound = new CalendarTrigger(job.trigger, calendar, job.calendar);
      // The stored next run time was included when computed; the calendar may have changed since.
      const first = bound.includedFrom(job.nextRunTime, nowDate);
      if (first === null || first.getTime() > now) {
        return withExcluded(
          {
            ...idlePlan(job, executor),
            updated: first === null ? null : job.withNextRunTime(first),
          },
          bound,
        );
      }
      if (first.getTime() !== job.nextRunTimeMs) job = job.withNextRunTime(first);
    }
    runs = planRuns(bound ?? job.trigger, job.nextRunTime as Date, now, job.coalesce, nowDate);
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
  return withExcluded(
    {
      job,
      executor,
      runTimes: runs.runTimes,
      updated: next === null ? null : job.withNextRunTime(next),
      paused: false,
      continuation,
      capped: capped && next !== null && next.getTime() <= now,
    },
    bound,
  );
}

/** A plan with no runs this pass. */
function idlePlan(job: Job, executor: Executor): DuePlan {
  return {
    job,
    executor,
    runTimes: [],
    updated: job,
    paused: false,
    continuation: false,
    capped: false,
  };
}

/** The plan with the fire times its calendar excluded, if any. */
function withExcluded(plan: DuePlan, bound: CalendarTrigger | undefined): DuePlan {
  const excluded = bound?.takeExcluded();
  if (excluded === undefined || excluded === null) return plan;
  return { ...plan, excluded: { ...excluded, calendar: bound?.calendarName as string } };
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
