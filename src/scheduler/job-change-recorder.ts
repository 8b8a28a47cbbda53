/**
 * Records the changes the scheduler makes to a store's jobs in the store's
 * job change log (`stores/job-changes.ts`), after each write that succeeded.
 * A record never fails the operation it follows: a failure is reported as a
 * store error event (`recordJobChanges`) and logged, once while failures go
 * on (a store that cannot record says so once, not at every change).
 */
import type { Job } from '../jobs/job.ts';
import {
  type JobChangeKind,
  type JobChangeLog,
  jobChangeOf,
  type NewJobChange,
  removalOf,
} from '../stores/job-changes.ts';

/** The operation named in the store error events and log lines of a failed record. */
export const RECORD_OPERATION = 'recordJobChanges';

/** What a recorder needs of its store. */
export interface RecorderHost {
  readonly log: JobChangeLog;
  /** The scheduler's node id, named in each change. */
  nodeId(): string | null;
  /** A store call bounded in time (shared stores). */
  withTimeout<T>(operation: string, call: () => Promise<T>): Promise<T>;
  /** Reports a failed record; `log` says whether to log it too (the first of a run of failures). */
  failed(error: unknown, jobId: string | null, log: boolean): void;
}

export class JobChangeRecorder {
  readonly #host: RecorderHost;
  /** The last record failed: the next failures are reported without a log line each. */
  #failing = false;

  constructor(host: RecorderHost) {
    this.#host = host;
  }

  /** The change `kind` of `job` made by this scheduler. */
  changeOf(kind: JobChangeKind, job: Job): NewJobChange {
    return jobChangeOf(kind, job, this.#host.nodeId());
  }

  /** The removal of the job with this id, made by this scheduler. */
  removalOf(jobId: string): NewJobChange {
    return removalOf(jobId, this.#host.nodeId());
  }

  /**
   * Records one change synchronously when the log can (the memory store);
   * false when it cannot, and {@link record} is to be used.
   */
  recordNow(change: NewJobChange): boolean {
    const { log } = this.#host;
    if (log.recordJobChangeSync === undefined) return false;
    try {
      log.recordJobChangeSync(change);
      this.#failing = false;
    } catch (error) {
      this.#fail(error, change.jobId);
    }
    return true;
  }

  /** Records changes, in order. Never rejects. */
  async record(changes: readonly NewJobChange[]): Promise<void> {
    if (changes.length === 0) return;
    const { log } = this.#host;
    if (log.recordJobChangeSync !== undefined) {
      for (const change of changes) this.recordNow(change);
      return;
    }
    try {
      await this.#host.withTimeout(RECORD_OPERATION, () => log.recordJobChanges(changes));
      this.#failing = false;
    } catch (error) {
      this.#fail(error, changes.length === 1 ? (changes[0] as NewJobChange).jobId : null);
    }
  }

  #fail(error: unknown, jobId: string | null): void {
    this.#host.failed(error, jobId, !this.#failing);
    this.#failing = true;
  }
}

/**
 * The changes a modification of a job makes, from the job before and after
 * it and the keys that were given: a pause or a resume when only the next
 * run time was given; otherwise `modified`, followed by `paused` or
 * `resumed` when the modification also paused or resumed the job.
 */
export function modificationKinds(
  before: Job,
  after: Job,
  keys: readonly string[],
): JobChangeKind[] {
  const wasPaused = Number.isNaN(before.nextRunTimeMs);
  const isPaused = Number.isNaN(after.nextRunTimeMs);
  const pauseChange: JobChangeKind[] =
    isPaused && !wasPaused ? ['paused'] : wasPaused && !isPaused ? ['resumed'] : [];
  if (keys.length === 1 && keys[0] === 'nextRunTime') {
    if (isPaused) return ['paused'];
    return pauseChange.length > 0 ? pauseChange : ['modified'];
  }
  return ['modified', ...pauseChange];
}
