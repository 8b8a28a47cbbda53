/**
 * Catching up after the scheduler was not running: what a service needs to
 * know when it starts again ("what did we miss while we were down?"), and the
 * bound that keeps a catch-up without coalescing from running away.
 *
 * - The summary: when a due job's first run time fell due before the
 *   scheduler began processing (more than a second before, so that a job due
 *   at start is not "missed"), the missed fire times are counted — bounded,
 *   from the job's trigger — and reported once per job as a
 *   `JobCatchUpEvent` and a log line.
 * - The bound: without coalescing, a catch-up replays at most
 *   {@link MAX_CATCH_UP_RUNS} missed run times of a job (the earliest, in
 *   batches); the rest are skipped, logged, and the job goes on from its next
 *   fire time after now. A year of a 1-second job is not 31 million runs.
 */
import { JobCatchUpEvent } from '../../events.ts';
import type { Job } from '../../jobs/job.ts';
import type { Trigger } from '../../triggers/trigger.ts';
import { latestFireTime, MAX_BATCH_RUN_TIMES } from './run-times.ts';

/** Missed run times replayed at most per job and catch-up when not coalescing. */
export const MAX_CATCH_UP_RUNS: number = 10 * MAX_BATCH_RUN_TIMES;
/** A run time due less than this before the scheduler began processing is on time, not missed. */
const ON_TIME_MS = 1000;
/**
 * Fire times counted at most for a coalescing job: beyond, the count is a
 * lower bound ("at least 1,000"), so that a year of a 1-second job costs a
 * thousand trigger steps, not millions. A job that runs each missed time is
 * counted up to the catch-up bound: its runs cost as much anyway.
 */
const COALESCED_COUNT_LIMIT = 1000;
/** Trigger steps one pass spends counting missed fire times, over all its jobs. */
const COUNT_BUDGET = 200_000;
/** Jobs whose catch-up a pass logs one line each; the rest are summed up in one line. */
const LOGGED_JOBS = 10;

/** The counting budget and the log lines of one pass's catch-up summaries. */
export class CatchUpReport {
  #budget = COUNT_BUDGET;
  #logged = 0;
  #unlogged = 0;
  /** The counts of the coalescing jobs this pass summarised, by job id. */
  readonly #summarized = new Map<string, { count: number; complete: boolean }>();

  /**
   * The summary of a due job whose first run time fell due before
   * `processingSince`, or null when it did not.
   *
   * @param runTimes the run times planned for it now (one when coalescing)
   */
  summarize(
    job: Job,
    alias: string,
    runTimes: readonly Date[],
    now: number,
    processingSince: number,
  ): JobCatchUpEvent | null {
    const first = job.nextRunTimeMs;
    if (!(first < processingSince - ON_TIME_MS)) return null;
    const since = new Date(first);
    const limit = job.coalesce ? COALESCED_COUNT_LIMIT : MAX_CATCH_UP_RUNS + 1;
    const { count, complete } = this.#count(job.trigger, since, now, limit);
    // The coalesced row's count is this one less the run's own time: not counted twice.
    if (job.coalesce) this.#summarized.set(job.id, { count, complete });
    const latest = job.coalesce
      ? (runTimes[0] as Date)
      : runTimes.length === count
        ? (runTimes.at(-1) as Date)
        : latestFireTime(job.trigger, since, now);
    return new JobCatchUpEvent(job.id, alias, {
      missedRunTimes: count,
      countComplete: complete,
      since,
      latest,
      runs: job.coalesce ? 1 : complete ? Math.min(count, MAX_CATCH_UP_RUNS) : MAX_CATCH_UP_RUNS,
    });
  }

  /** The log line of a summary, or null once the pass has logged enough (the rest go to {@link remainder}). */
  line(job: Job, event: JobCatchUpEvent): string | null {
    if (this.#logged >= LOGGED_JOBS) {
      this.#unlogged++;
      return null;
    }
    this.#logged++;
    const missed = `${event.countComplete ? '' : 'at least '}${event.missedRunTimes.toLocaleString('en-US')} run time${event.missedRunTimes === 1 ? '' : 's'}`;
    const range =
      event.missedRunTimes === 1
        ? `at ${event.since.toISOString()}`
        : `from ${event.since.toISOString()} to ${event.latest.toISOString()}`;
    const how = job.coalesce
      ? event.missedRunTimes === 1
        ? 'running it now'
        : 'coalesced into one run now'
      : event.runs < event.missedRunTimes || !event.countComplete
        ? `running the first ${event.runs.toLocaleString('en-US')} and skipping the rest (at most ${MAX_CATCH_UP_RUNS.toLocaleString('en-US')} are replayed)`
        : 'running each now';
    return `Job "${job.name}" (${job.id}) missed ${missed} while the scheduler was not running, ${range}; ${how}`;
  }

  /** The line for the jobs not logged one by one, or null. */
  remainder(): string | null {
    if (this.#unlogged === 0) return null;
    return `…and ${this.#unlogged.toLocaleString('en-US')} more job${this.#unlogged === 1 ? '' : 's'} missed run times while the scheduler was not running (each is reported as EVENT_JOB_CATCH_UP)`;
  }

  /**
   * The fire times of a coalescing job folded into its run at `into`: from its
   * next run time up to (not including) `into`, counted within the pass's budget.
   */
  countFolded(job: Job, into: Date): { count: number; complete: boolean } {
    const summarized = this.#summarized.get(job.id);
    if (summarized !== undefined)
      return { count: Math.max(1, summarized.count - 1), complete: summarized.complete };
    return this.#count(
      job.trigger,
      new Date(job.nextRunTimeMs),
      into.getTime() - 1,
      COALESCED_COUNT_LIMIT,
    );
  }

  /** Fire times from `since` (inclusive) up to `now`, counted within the pass's budget. */
  #count(
    trigger: Trigger,
    since: Date,
    now: number,
    jobLimit: number,
  ): { count: number; complete: boolean } {
    const limit = Math.min(jobLimit, Math.max(this.#budget, 1));
    const nowDate = new Date(now);
    let count = 1;
    let t: Date | null = since;
    for (;;) {
      t = trigger.getNextFireTime(t, nowDate);
      if (t === null || t.getTime() > now) break;
      if (count >= limit) {
        this.#budget -= count;
        return { count, complete: false };
      }
      count++;
    }
    this.#budget -= count;
    return { count, complete: true };
  }
}

/**
 * Where a non-coalescing catch-up that reached {@link MAX_CATCH_UP_RUNS} goes
 * on: the first fire time after the latest one due now (null when the trigger
 * finished), and the latest skipped one.
 */
export function skipRestOfCatchUp(
  trigger: Trigger,
  nextDue: Date,
  now: number,
): { next: Date | null; lastSkipped: Date } {
  const lastSkipped = latestFireTime(trigger, nextDue, now);
  return { next: trigger.getNextFireTime(lastSkipped, new Date(now)), lastSkipped };
}
