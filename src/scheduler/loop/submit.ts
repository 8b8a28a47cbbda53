/**
 * Hands a job's runs to its executor, as both passes do: `EVENT_JOB_SUBMITTED`
 * when it takes them; when it refuses them, a warning and
 * `EVENT_JOB_MAX_INSTANCES` for a job at its `maxInstances`, an error log for
 * anything else, and `refused` told which it was.
 */
import {
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_SUBMITTED,
  JobSubmissionEvent,
  type SchedulerEvent,
} from '../../events.ts';
import {
  type Executor,
  MaxInstancesReachedError,
  type SubmitOptions,
} from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import type { Logger } from '../../logging.ts';
import { fireChannel, type PublishingScheduler } from '../../tracing/channels.ts';
import { reportCoalesced, reportRefused } from '../tracing/fires.ts';

export interface SubmitHost {
  readonly logger: Logger;
  wants(mask: number): boolean;
  readonly scheduler?: PublishingScheduler;
}

export function submitRuns(
  host: SubmitHost,
  alias: string,
  executor: Executor,
  job: Job,
  runTimes: Date[],
  options: SubmitOptions | undefined,
  queued: SchedulerEvent[],
  /** Told why the executor refused; true when it took care of a refusal for maxInstances (the job's overlap). */
  refused?: (maxedOut: boolean, error: unknown) => boolean | undefined,
): void {
  try {
    if (fireChannel.hasSubscribers) reportCoalesced(host, alias, job, runTimes, options);
    executor.submitJob(job, runTimes, options);
    if (host.wants(EVENT_JOB_SUBMITTED))
      queued.push(new JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, alias, runTimes));
  } catch (error) {
    const maxedOut = error instanceof MaxInstancesReachedError;
    if (fireChannel.hasSubscribers) reportRefused(host, alias, job, runTimes, options, error);
    const handled = refused?.(maxedOut, error) === true;
    if (maxedOut && handled) {
      host.logger.info(
        `Job "${job.name}" (${job.id}) runs its maximum number of instances (${job.maxInstances}); its run waits (overlap: ${job.overlap})`,
      );
    } else if (maxedOut) {
      host.logger.warn(
        `Execution of job "${job.name}" (${job.id}) skipped: maximum number of running instances reached (${job.maxInstances})`,
      );
      if (host.wants(EVENT_JOB_MAX_INSTANCES))
        queued.push(new JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, alias, runTimes));
    } else {
      host.logger.error(
        `Error submitting job "${job.name}" (${job.id}) to executor "${job.executor}"`,
        error,
      );
    }
  }
}
