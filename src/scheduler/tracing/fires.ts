/**
 * What became of planned fires, as `horarium:fire` reports them from the
 * passes: the slots a coalescing job folds into its run, the batches an
 * executor refuses, and the fires another scheduler's claim won. (A batch an
 * executor takes is reported `submitted` by the executor, before any of its
 * runs starts; see executors/run-tracing.ts.) The passes call these only
 * while the channel has subscribers.
 */
import {
  MaxInstancesReachedError,
  type RunFire,
  type SubmitOptions,
} from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import {
  type FireContext,
  type FireDisposition,
  fireChannel,
  type PublishingScheduler,
} from '../../tracing/channels.ts';
import type { Trigger } from '../../triggers/trigger.ts';

/** Folded slots counted at most for one `coalesced` report: beyond, the count is a lower bound. */
const FOLDED_COUNT_LIMIT = 1000;

/** What the reports need from the pass. */
export interface FireReporter {
  readonly scheduler?: PublishingScheduler | null;
}

/** The slots a coalescing job folded into the run of `runTimes` (nothing when it folded none). */
export function reportCoalesced(
  host: FireReporter,
  alias: string,
  job: Job,
  runTimes: readonly Date[],
  options: SubmitOptions | undefined,
): void {
  const run = runTimes[0];
  if (run === undefined || !job.coalesce || options?.continuation === true) return;
  if (run.getTime() <= job.nextRunTimeMs) return;
  const first = new Date(job.nextRunTimeMs);
  publish(host, alias, job, first, 'coalesced', null, foldedSlots(job.trigger, first, run));
}

/** A batch its executor refused: at `maxInstances`, or for another reason (`submit_failed`). */
export function reportRefused(
  host: FireReporter,
  alias: string,
  job: Job,
  runTimes: readonly Date[],
  options: SubmitOptions | undefined,
  error: unknown,
): void {
  const maxedOut = error instanceof MaxInstancesReachedError;
  const fires: readonly RunFire[] | undefined = options?.fires;
  runTimes.forEach((time, i) => {
    const fireId = fires?.[i]?.fireId ?? null;
    if (maxedOut) publish(host, alias, job, time, 'skipped_max_instances', fireId);
    else publish(host, alias, job, time, 'submit_failed', fireId, undefined, error);
  });
}

/** A batch refused before it reached an executor: the job runs `maxInstances` batches across the schedulers sharing its store. */
export function reportSkipped(
  host: FireReporter,
  alias: string,
  job: Job,
  runTimes: readonly Date[],
): void {
  reportCoalesced(host, alias, job, runTimes, undefined);
  for (const time of runTimes) publish(host, alias, job, time, 'skipped_max_instances', null);
}

/** Fires this scheduler planned whose claim another scheduler took over (they run there). */
export function reportLostFires(
  host: FireReporter,
  alias: string,
  job: Job,
  times: readonly (Date | number)[],
): void {
  for (const time of times)
    publish(host, alias, job, time instanceof Date ? time : new Date(time), 'lost_claim', null);
}

/** The planned fires a commit did not insert: another scheduler's commit inserted them first. */
export function reportUnwonFires(
  host: FireReporter,
  alias: string,
  job: Job,
  runs: readonly { fireId: string; scheduledTime: number }[],
  won: ReadonlySet<string>,
): void {
  const lost = runs.filter((fire) => !won.has(fire.fireId)).map((fire) => fire.scheduledTime);
  if (lost.length > 0) reportLostFires(host, alias, job, lost);
}

/** The fire times from `first` up to (not including) `run`: the slots folded into the run. */
function foldedSlots(
  trigger: Trigger,
  first: Date,
  run: Date,
): { count: number; complete: boolean } {
  let count = 0;
  let time: Date | null = first;
  while (time !== null && time.getTime() < run.getTime()) {
    if (count >= FOLDED_COUNT_LIMIT) return { count, complete: false };
    count++;
    time = trigger.getNextFireTime(time, run);
  }
  return { count, complete: true };
}

function publish(
  host: FireReporter,
  alias: string,
  job: Job,
  scheduledTime: Date,
  disposition: FireDisposition,
  fireId: string | null,
  folded: { count: number; complete: boolean } = { count: 1, complete: true },
  error?: unknown,
): void {
  const context: FireContext = {
    scheduler: host.scheduler ?? null,
    jobId: job.id,
    jobName: job.name,
    jobstore: alias,
    executor: job.executor,
    scheduledTime,
    disposition,
    fireId,
    count: folded.count,
    countComplete: folded.complete,
    ...(error === undefined ? {} : { error }),
  };
  fireChannel.publish(context);
}
