/**
 * The job store contract. A store holds jobs sorted by next run time (then
 * id), paused jobs (next run time null) last. The scheduler talks to stores
 * only through this interface, so a new store is one folder and one run of
 * the store contract suite.
 */
import type { Logger } from '../logging.ts';
import type { Job } from '../jobs/job.ts';

/** What a store gets from its scheduler when it starts. */
export interface StoreContext {
  readonly logger: Logger;
}

export interface JobStore {
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
  /** Replaces the stored job with the same id. @throws JobLookupError when it does not exist. */
  updateJob(job: Job): Promise<void>;
  /** @throws JobLookupError when it does not exist. */
  removeJob(id: string): Promise<void>;
  removeAllJobs(): Promise<void>;
}
