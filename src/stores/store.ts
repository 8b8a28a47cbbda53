/** The job store contract: {@link JobStore}, and what a store gets from its scheduler. */

import type { Job } from '../jobs/job.ts';
import type { Logger } from '../logging.ts';
import type { CalendarStore } from './calendars.ts';
import type { FireRing } from './fire-ring.ts';
import type { JobChangeLog } from './job-changes.ts';
import type { ClusterLedger } from './ledger.ts';
import type { OutageLog } from './outages.ts';

/** A stored job that could not be restored. */
export interface RestoreFailure {
  /** The id the job is stored under. */
  jobId: string;
  /** The next run time from the row, when readable. */
  nextRunTime: Date | null;
  /** Why it cannot be restored, e.g. a `DeserializationError` or a `JobReferenceError`. */
  error: unknown;
}

/** What a store gets from its scheduler when it starts. */
export interface StoreContext {
  /** The scheduler's logger. */
  readonly logger: Logger;
  /**
   * Rebuilds a job from the document a persistent store saved (`jobToDocument`),
   * resolving its function reference. Rejects when the job cannot be restored;
   * the store then reports it with `restoreFailed` and skips it.
   */
  restoreJob(document: unknown): Promise<Job>;
  /** Reports a stored job that cannot be restored. The store skips it and never deletes it. */
  restoreFailed(failure: RestoreFailure): void;
}

/**
 * The job store contract. A store holds jobs sorted by next run time, then id
 * (compared as UTF-16 code units), with paused jobs (next run time null) last
 * by id. The scheduler talks to stores only through this interface, so a new
 * store is one folder and one run of the store contract suite.
 *
 * A persistent store keeps each job as its job state document
 * (`serializeJob` or `jobToDocument` from `horarium/extend`) and rebuilds
 * jobs with {@link StoreContext.restoreJob}. A stored job it cannot restore
 * is reported with {@link StoreContext.restoreFailed}, skipped by every
 * listing and by `getNextRunTime`, and never deleted by the store.
 *
 * The built-in stores are `MemoryJobStore`, `SqlJobStore`, `RedisJobStore`
 * and `MongoJobStore`. `registerJobStoreType` (from `horarium/extend`) makes
 * a store of your own usable as `{ type, ...options }` in a configuration.
 *
 * @example
 * ```ts
 * import { AsyncScheduler } from 'horarium';
 * import { type JobStore, registerJobStoreType } from 'horarium/extend';
 *
 * class FileJobStore implements JobStore {
 *   constructor(readonly path: string) {}
 *   // start, shutdown, lookupJob, getDueJobs, getNextRunTime, getAllJobs,
 *   // addJob, updateJob, removeJob and removeAllJobs, as documented below
 * }
 * registerJobStoreType('file', (options) => new FileJobStore(String(options.path)));
 * const scheduler = new AsyncScheduler({ jobstores: { default: { type: 'file', path: 'jobs.json' } } });
 * ```
 */
export interface JobStore {
  /**
   * The cluster ledger (claims, fencing, the fire ledger, run leases, node
   * check-ins: `ledger.ts`): present on every persistent store, so that any
   * number of schedulers may share it. The scheduler runs a store that has one
   * through claims and fenced commits, and one without (the memory store, a
   * single process) directly.
   */
  readonly ledger?: ClusterLedger;
  /**
   * The fire history of a store without a ledger, kept in the process (the
   * memory store's ring of the newest fires): the scheduler records the fires
   * it plans and runs there, and reads it for `getFires` and `explain`.
   */
  readonly fireRing?: FireRing;
  /**
   * The job change log (`job-changes.ts`): every change of a job (added,
   * modified, paused, resumed, removed) with the trigger in force after it,
   * so that a past fire time can be recomputed. Every built-in store has one;
   * the scheduler records into it when present.
   */
  readonly jobChanges?: JobChangeLog;
  /**
   * The store outage log (`outages.ts`): each scheduler sharing the store
   * writes there the spans during which it could not reach it, so that any
   * node can later tell a fire time missed for that reason. Every persistent
   * built-in store has one.
   */
  readonly outages?: OutageLog;
  /**
   * The named exclusion calendars (`calendars.ts`), shared by every scheduler
   * of the store. Every built-in store has them; `addCalendar` refuses a store without.
   */
  readonly calendars?: CalendarStore;
  /**
   * True for stores that other processes can change (databases): the
   * scheduler then polls them every `storePollInterval` seconds instead of
   * sleeping until the next run time it knows of.
   */
  readonly shared?: boolean;
  /** Called once when the scheduler starts (or when the store is added to a running scheduler). */
  start(context: StoreContext, alias: string): Promise<void>;
  /** Releases resources; never closes a client the store did not open. */
  shutdown(): Promise<void>;
  /** The job with this id, or null. */
  lookupJob(id: string): Promise<Job | null>;
  /** Jobs whose next run time is ≤ `now`, ascending by next run time then id. Never includes paused jobs. */
  getDueJobs(now: Date): Promise<Job[]>;
  /** The earliest next run time of any job, or null when no job is scheduled. */
  getNextRunTime(): Promise<Date | null>;
  /** Every job, ascending by next run time then id, paused jobs last. */
  getAllJobs(): Promise<Job[]>;
  /** @throws ConflictingIdError when the id exists. */
  addJob(job: Job): Promise<void>;
  /**
   * Adds many jobs at once, all or nothing (persistent stores: in one
   * transaction). Optional: without it, callers add jobs one by one.
   * @throws ConflictingIdError when an id exists in the store or repeats within `jobs`; nothing is added then.
   */
  addJobs?(jobs: readonly Job[]): Promise<void>;
  /** Replaces the stored job with the same id. @throws JobLookupError when it does not exist. */
  updateJob(job: Job): Promise<void>;
  /** @throws JobLookupError when it does not exist. */
  removeJob(id: string): Promise<void>;
  /**
   * Replaces many jobs at once (one transaction or pipeline where the backend
   * has them); jobs whose id no longer exists are skipped and their ids
   * returned. The main loop persists a pass's next run times with it.
   */
  updateJobs?(jobs: readonly Job[]): Promise<string[]>;
  /** Removes many jobs at once; ids that do not exist are skipped and returned. */
  removeJobs?(ids: readonly string[]): Promise<string[]>;
  removeAllJobs(): Promise<void>;
  /**
   * Refuses a job this store could never hold, before it is added: a job
   * without a textual function reference, arguments that cannot be
   * serialized, an id the backend cannot keep. Optional (the memory store holds
   * anything). The scheduler calls it when a job is added before `start()`
   * and in `scheduledJob`, so that such a job fails where it is added, never
   * later; it works before `start()`.
   * @throws SerializationError, InvalidJobOptionError
   */
  checkJob?(job: Job): void;
  /**
   * Synchronous `addJob`, for stores whose operations complete within the
   * process (the memory store). Optional; when the store is not busy the
   * scheduler adds through it, sparing each add the promise round trips.
   * @throws ConflictingIdError when the id exists.
   */
  addJobSync?(job: Job): void;
  /** Synchronous `updateJob`, with `addJobSync`. @throws JobLookupError when it does not exist. */
  updateJobSync?(job: Job): void;
}
