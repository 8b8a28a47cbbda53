/**
 * Scheduler events: bit-mask codes (APScheduler 3.x values), the event
 * classes listeners receive, and the types that tell a listener's event class
 * from its mask. Codes Horarium adds take the next free bits.
 */

export const EVENT_SCHEDULER_STARTED = 1;
/** Alias of {@link EVENT_SCHEDULER_STARTED}, as in APScheduler. */
export const EVENT_SCHEDULER_START = 1;
export const EVENT_SCHEDULER_SHUTDOWN = 2;
export const EVENT_SCHEDULER_PAUSED = 4;
export const EVENT_SCHEDULER_RESUMED = 8;
export const EVENT_EXECUTOR_ADDED = 16;
export const EVENT_EXECUTOR_REMOVED = 32;
export const EVENT_JOBSTORE_ADDED = 64;
export const EVENT_JOBSTORE_REMOVED = 128;
export const EVENT_ALL_JOBS_REMOVED = 256;
export const EVENT_JOB_ADDED = 512;
export const EVENT_JOB_REMOVED = 1024;
export const EVENT_JOB_MODIFIED = 2048;
export const EVENT_JOB_EXECUTED = 4096;
export const EVENT_JOB_ERROR = 8192;
export const EVENT_JOB_MISSED = 16384;
export const EVENT_JOB_SUBMITTED = 32768;
export const EVENT_JOB_MAX_INSTANCES = 65536;
/**
 * A job store operation failed (reading due jobs, or persisting a job's next
 * run time or removal); the scheduler keeps running and retries.
 */
export const EVENT_JOBSTORE_ERROR = 131072;
/**
 * A stored job could not be restored (its module moved, its export was
 * renamed, its row is corrupt). The job is skipped and kept, never deleted.
 */
export const EVENT_JOB_RESTORE_FAILED = 262144;
/**
 * A run of a job was in progress on a scheduler that stopped renewing its run
 * lease (its process died, or lost its store for longer than the lease): the
 * node that found it records the fire abandoned, or, for a job with
 * `recover: true`, runs it again (`recovered`).
 */
export const EVENT_JOB_ABANDONED = 524288;
/**
 * This scheduler lost the run lease of a run in progress (it could not renew
 * it in time, or another node took the fire over): the run's signal is
 * aborted with a `LeaseLostError`, and its outcome is no longer recorded.
 */
export const EVENT_JOB_LEASE_LOST = 1048576;
/**
 * A run of a fire failed or timed out, and the fire runs again after a
 * backoff (job option `retry`): a `JobRetryEvent` with the attempt to come
 * and when. On a shared store the retry waits in the ledger, so any node may run it.
 */
export const EVENT_JOB_RETRY = 4194304;
/**
 * Fire times of a job fell due while the scheduler was not running (down,
 * stopped or paused): how many, since when, and how the scheduler catches up.
 * Once per job and catch-up. (2 ** 21 is the code of the calendar event.)
 */
export const EVENT_JOB_CATCH_UP = 8388608;
/**
 * Fire times of a job were skipped because its calendar excludes them: one
 * event per job and pass, with how many, the first and last, and the rule.
 */
export const EVENT_JOB_EXCLUDED = 2097152;
/** Every event code (APScheduler's 131071 plus the codes Horarium adds). */
export const EVENT_ALL: number =
  EVENT_SCHEDULER_STARTED |
  EVENT_SCHEDULER_SHUTDOWN |
  EVENT_SCHEDULER_PAUSED |
  EVENT_SCHEDULER_RESUMED |
  EVENT_EXECUTOR_ADDED |
  EVENT_EXECUTOR_REMOVED |
  EVENT_JOBSTORE_ADDED |
  EVENT_JOBSTORE_REMOVED |
  EVENT_ALL_JOBS_REMOVED |
  EVENT_JOB_ADDED |
  EVENT_JOB_REMOVED |
  EVENT_JOB_MODIFIED |
  EVENT_JOB_EXECUTED |
  EVENT_JOB_ERROR |
  EVENT_JOB_MISSED |
  EVENT_JOB_SUBMITTED |
  EVENT_JOB_MAX_INSTANCES |
  EVENT_JOBSTORE_ERROR |
  EVENT_JOB_RESTORE_FAILED |
  EVENT_JOB_ABANDONED |
  EVENT_JOB_LEASE_LOST |
  EVENT_JOB_RETRY |
  EVENT_JOB_CATCH_UP |
  EVENT_JOB_EXCLUDED;

const CODE_NAMES: ReadonlyMap<number, string> = new Map([
  [EVENT_SCHEDULER_STARTED, 'EVENT_SCHEDULER_STARTED'],
  [EVENT_SCHEDULER_SHUTDOWN, 'EVENT_SCHEDULER_SHUTDOWN'],
  [EVENT_SCHEDULER_PAUSED, 'EVENT_SCHEDULER_PAUSED'],
  [EVENT_SCHEDULER_RESUMED, 'EVENT_SCHEDULER_RESUMED'],
  [EVENT_EXECUTOR_ADDED, 'EVENT_EXECUTOR_ADDED'],
  [EVENT_EXECUTOR_REMOVED, 'EVENT_EXECUTOR_REMOVED'],
  [EVENT_JOBSTORE_ADDED, 'EVENT_JOBSTORE_ADDED'],
  [EVENT_JOBSTORE_REMOVED, 'EVENT_JOBSTORE_REMOVED'],
  [EVENT_ALL_JOBS_REMOVED, 'EVENT_ALL_JOBS_REMOVED'],
  [EVENT_JOB_ADDED, 'EVENT_JOB_ADDED'],
  [EVENT_JOB_REMOVED, 'EVENT_JOB_REMOVED'],
  [EVENT_JOB_MODIFIED, 'EVENT_JOB_MODIFIED'],
  [EVENT_JOB_EXECUTED, 'EVENT_JOB_EXECUTED'],
  [EVENT_JOB_ERROR, 'EVENT_JOB_ERROR'],
  [EVENT_JOB_MISSED, 'EVENT_JOB_MISSED'],
  [EVENT_JOB_SUBMITTED, 'EVENT_JOB_SUBMITTED'],
  [EVENT_JOB_MAX_INSTANCES, 'EVENT_JOB_MAX_INSTANCES'],
  [EVENT_JOBSTORE_ERROR, 'EVENT_JOBSTORE_ERROR'],
  [EVENT_JOB_RESTORE_FAILED, 'EVENT_JOB_RESTORE_FAILED'],
  [EVENT_JOB_ABANDONED, 'EVENT_JOB_ABANDONED'],
  [EVENT_JOB_LEASE_LOST, 'EVENT_JOB_LEASE_LOST'],
  [EVENT_JOB_RETRY, 'EVENT_JOB_RETRY'],
  [EVENT_JOB_CATCH_UP, 'EVENT_JOB_CATCH_UP'],
  [EVENT_JOB_EXCLUDED, 'EVENT_JOB_EXCLUDED'],
]);

/** The constant name of an event code, e.g. `'EVENT_JOB_EXECUTED'`. */
export function eventName(code: number): string {
  return CODE_NAMES.get(code) ?? `EVENT_${code}`;
}

/** Base class of every event: `code` and, for store and executor events, the `alias` involved. */
export class SchedulerEvent {
  readonly code: number;
  readonly alias: string | null;
  constructor(code: number, alias: string | null = null) {
    this.code = code;
    this.alias = alias;
  }
  toString(): string {
    return `<${this.constructor.name} (code=${this.code} ${eventName(this.code)})>`;
  }
}

/** An event about one job: added, removed, modified. */
export class JobEvent extends SchedulerEvent {
  readonly jobId: string;
  /** Alias of the job's store; null for a job still pending (scheduler not started). */
  readonly jobstore: string | null;
  constructor(code: number, jobId: string, jobstore: string | null) {
    super(code, jobstore);
    this.jobId = jobId;
    this.jobstore = jobstore;
  }
}

/** A batch of run times was submitted to an executor, or refused because of `maxInstances`. */
export class JobSubmissionEvent extends JobEvent {
  readonly scheduledRunTimes: readonly Date[];
  constructor(
    code: number,
    jobId: string,
    jobstore: string | null,
    scheduledRunTimes: readonly Date[],
  ) {
    super(code, jobId, jobstore);
    this.scheduledRunTimes = scheduledRunTimes;
  }
}

/** One run time of a job finished (executed, failed) or was missed. */
export class JobExecutionEvent extends JobEvent {
  readonly scheduledRunTime: Date;
  readonly retval: unknown;
  readonly exception: unknown;
  /** The error's stack trace, when the job failed. */
  readonly traceback: string | null;
  /** The fire's id in its store's ledger, for a job in a store several schedulers can share; otherwise null. */
  readonly fireId: string | null;
  constructor(
    code: number,
    jobId: string,
    jobstore: string | null,
    scheduledRunTime: Date,
    details: {
      retval?: unknown;
      exception?: unknown;
      traceback?: string | null;
      fireId?: string | null;
    } = {},
  ) {
    super(code, jobId, jobstore);
    this.scheduledRunTime = scheduledRunTime;
    this.retval = details.retval;
    this.exception = details.exception;
    this.traceback = details.traceback ?? null;
    this.fireId = details.fireId ?? null;
  }
}

/**
 * A run in progress on another scheduler stopped renewing its lease: the
 * fire is recorded abandoned, or run again here when `recovered`.
 */
export class JobAbandonedEvent extends JobEvent {
  readonly scheduledRunTime: Date;
  readonly fireId: string;
  /** The scheduler (node id) whose run was abandoned. */
  readonly node: string | null;
  /** True when the job has `recover: true` and this scheduler runs the fire again. */
  readonly recovered: boolean;
  constructor(
    jobId: string,
    jobstore: string,
    details: { scheduledRunTime: Date; fireId: string; node: string | null; recovered: boolean },
  ) {
    super(EVENT_JOB_ABANDONED, jobId, jobstore);
    this.scheduledRunTime = details.scheduledRunTime;
    this.fireId = details.fireId;
    this.node = details.node;
    this.recovered = details.recovered;
  }
}

/** A fire's run failed (or timed out) and the fire runs again at `retryAt`. */
export class JobRetryEvent extends JobEvent {
  readonly scheduledRunTime: Date;
  readonly fireId: string;
  /** The attempt that will run (2 for the first retry). */
  readonly attempt: number;
  /** When it becomes due (the backoff after the failure, jitter included). */
  readonly retryAt: Date;
  /** The failed run's error. */
  readonly exception: unknown;
  constructor(
    jobId: string,
    jobstore: string,
    details: {
      scheduledRunTime: Date;
      fireId: string;
      attempt: number;
      retryAt: Date;
      exception: unknown;
    },
  ) {
    super(EVENT_JOB_RETRY, jobId, jobstore);
    this.scheduledRunTime = details.scheduledRunTime;
    this.fireId = details.fireId;
    this.attempt = details.attempt;
    this.retryAt = details.retryAt;
    this.exception = details.exception;
  }
}

/** A job store operation failed; the scheduler retries. `jobId` is null when the failure was not about one job. */
export class JobStoreErrorEvent extends SchedulerEvent {
  readonly jobId: string | null;
  /** The store method that failed, e.g. `'getDueJobs'`, `'updateJob'`. */
  readonly operation: string;
  readonly exception: unknown;
  constructor(alias: string, operation: string, exception: unknown, jobId: string | null = null) {
    super(EVENT_JOBSTORE_ERROR, alias);
    this.operation = operation;
    this.exception = exception;
    this.jobId = jobId;
  }
}

/** A stored job could not be restored; it stays in the store and is listed by `getJobs` as broken. */
export class JobRestoreFailedEvent extends JobEvent {
  readonly exception: unknown;
  constructor(jobId: string, jobstore: string, exception: unknown) {
    super(EVENT_JOB_RESTORE_FAILED, jobId, jobstore);
    this.exception = exception;
  }
}

/**
 * Fire times of a job that fell due while the scheduler was not running, and
 * how it catches up on them: one run of the latest (coalescing), or a run of
 * each, up to the catch-up bound of 10,000 (the rest are skipped).
 */
export class JobCatchUpEvent extends JobEvent {
  /** How many fire times were missed (a lower bound when `countComplete` is false). */
  readonly missedRunTimes: number;
  /** False when counting stopped at its limit: at least `missedRunTimes` were missed. */
  readonly countComplete: boolean;
  /** The first missed fire time. */
  readonly since: Date;
  /** The latest missed fire time (the one run when coalescing). */
  readonly latest: Date;
  /** How many of them run now. */
  readonly runs: number;
  constructor(
    jobId: string,
    jobstore: string,
    details: {
      missedRunTimes: number;
      countComplete: boolean;
      since: Date;
      latest: Date;
      runs: number;
    },
  ) {
    super(EVENT_JOB_CATCH_UP, jobId, jobstore);
    this.missedRunTimes = details.missedRunTimes;
    this.countComplete = details.countComplete;
    this.since = details.since;
    this.latest = details.latest;
    this.runs = details.runs;
  }
}

/** Fire times of a job its calendar excluded, skipped in one pass. */
export class JobExcludedEvent extends JobEvent {
  /** The calendar's name. */
  readonly calendar: string;
  /** How many fire times were skipped (a lower bound when `countComplete` is false). */
  readonly excludedRunTimes: number;
  readonly countComplete: boolean;
  /** The first and the last skipped fire time. */
  readonly first: Date;
  readonly last: Date;
  /** The rule that excluded the first, e.g. `'holiday 2026-12-25'`. */
  readonly reason: string | null;
  constructor(
    jobId: string,
    jobstore: string,
    details: {
      calendar: string;
      excludedRunTimes: number;
      countComplete: boolean;
      first: Date;
      last: Date;
      reason: string | null;
    },
  ) {
    super(EVENT_JOB_EXCLUDED, jobId, jobstore);
    this.calendar = details.calendar;
    this.excludedRunTimes = details.excludedRunTimes;
    this.countComplete = details.countComplete;
    this.first = details.first;
    this.last = details.last;
    this.reason = details.reason;
  }
}

/** A listener; a returned promise that rejects is logged like a thrown error. */
export type SchedulerEventListener<E extends SchedulerEvent = SchedulerEvent> = (
  event: E,
) => void | Promise<void>;

/** The class of the events each code is dispatched with. */
export interface EventsByCode {
  [EVENT_SCHEDULER_STARTED]: SchedulerEvent;
  [EVENT_SCHEDULER_SHUTDOWN]: SchedulerEvent;
  [EVENT_SCHEDULER_PAUSED]: SchedulerEvent;
  [EVENT_SCHEDULER_RESUMED]: SchedulerEvent;
  [EVENT_EXECUTOR_ADDED]: SchedulerEvent;
  [EVENT_EXECUTOR_REMOVED]: SchedulerEvent;
  [EVENT_JOBSTORE_ADDED]: SchedulerEvent;
  [EVENT_JOBSTORE_REMOVED]: SchedulerEvent;
  [EVENT_ALL_JOBS_REMOVED]: SchedulerEvent;
  [EVENT_JOB_ADDED]: JobEvent;
  [EVENT_JOB_REMOVED]: JobEvent;
  [EVENT_JOB_MODIFIED]: JobEvent;
  [EVENT_JOB_EXECUTED]: JobExecutionEvent;
  [EVENT_JOB_ERROR]: JobExecutionEvent;
  [EVENT_JOB_MISSED]: JobExecutionEvent;
  [EVENT_JOB_SUBMITTED]: JobSubmissionEvent;
  [EVENT_JOB_MAX_INSTANCES]: JobSubmissionEvent;
  [EVENT_JOBSTORE_ERROR]: JobStoreErrorEvent;
  [EVENT_JOB_RESTORE_FAILED]: JobRestoreFailedEvent;
  [EVENT_JOB_ABANDONED]: JobAbandonedEvent;
  [EVENT_JOB_LEASE_LOST]: JobExecutionEvent;
  [EVENT_JOB_RETRY]: JobRetryEvent;
  [EVENT_JOB_CATCH_UP]: JobCatchUpEvent;
  [EVENT_JOB_EXCLUDED]: JobExcludedEvent;
}

type EventClass = EventsByCode[keyof EventsByCode];
/** The fields the classes in `E` add to SchedulerEvent. */
type FieldOf<E> = E extends unknown ? Exclude<keyof E, keyof SchedulerEvent> : never;
/** The union of the types field `K` has in the classes of `E` that have it. */
type FieldType<E, K extends PropertyKey> = E extends unknown
  ? K extends keyof E
    ? E[K]
    : never
  : never;
/** Derived from the classes, so that a field added to one cannot be forgotten here. */
type OptionalFields<E> = { readonly [K in FieldOf<E>]?: FieldType<E, K> };

/**
 * An event as a listener sees it when the compiler cannot tell its class from
 * the mask: `EVENT_ALL`, a `number` variable, or an OR of codes (TypeScript
 * types `EVENT_JOB_EXECUTED | EVENT_JOB_ERROR` as `number`). It has `code`
 * and `alias`, and every other event class's fields as optional ones:
 * `event.exception` is `undefined` on an event without one. `instanceof`
 * narrows it to its class.
 */
export interface AnySchedulerEvent extends SchedulerEvent, OptionalFields<EventClass> {}

/**
 * The event a listener for `mask` receives: the class of the code for a mask
 * of one code (`EVENT_JOB_ERROR`: a `JobExecutionEvent`), an
 * {@link AnySchedulerEvent} for any other mask.
 */
export type EventForMask<M extends number> = number extends M
  ? AnySchedulerEvent
  : M extends keyof EventsByCode
    ? EventsByCode[M]
    : AnySchedulerEvent;
