/**
 * `MemoryJobStore` (config type `'memory'`, the default store): jobs live in
 * the process, kept by reference, so any function works — closures included.
 */
import { ConfigurationError } from '../../config/errors.ts';
import type { Job } from '../../jobs/job.ts';
import { type CalendarStore, MemoryCalendars } from '../calendars.ts';
import { ConflictingIdError, JobLookupError } from '../errors.ts';
import { DEFAULT_FIRE_RING_SIZE, FireRing } from '../fire-ring.ts';
import type { JobChangeLog } from '../job-changes.ts';
import type { JobStore, StoreContext } from '../store.ts';
import { compareIds, JobHeap } from './job-heap.ts';
import { MemoryJobChanges } from './memory-job-changes.ts';

/** The most fires a memory store keeps. */
const MAX_FIRE_HISTORY = 1_000_000;

/**
 * Holds jobs in memory. Scheduled jobs sit in an indexed min-heap ordered by
 * (next run time, id), so adding, updating and removing a job is O(log n),
 * finding the k due jobs is O(k log k) whatever the store's size, and the next
 * run time is O(1). Paused jobs (next run time null) are kept apart, by id.
 *
 * A job's next run time is read when it is added or updated; the scheduler
 * replaces jobs through `updateJob` rather than mutating them.
 *
 * @example
 * ```ts
 * const scheduler = new AsyncScheduler({ jobstores: { default: new MemoryJobStore() } });
 * // or, in configuration: { jobstores: { default: { type: 'memory' } } }
 * ```
 */
export interface MemoryJobStoreOptions {
  /**
   * Fires kept for `scheduler.getFires` and `explain`: the newest, in a ring
   * of this many rows (default 1,000); 0 keeps none.
   */
  fireHistory?: number;
}

export class MemoryJobStore implements JobStore {
  readonly #scheduled = new JobHeap();
  /** Paused jobs by id: without a run time they have no place in the heap. */
  readonly #paused = new Map<string, Job>();
  readonly fireRing: FireRing | undefined;
  readonly #changes = new MemoryJobChanges(() => this.#scheduled.size + this.#paused.size);
  /**
   * The job change log, in the process (`memory-job-changes.ts`): bounded,
   * and emptied with the jobs when the store shuts down.
   */
  readonly jobChanges: JobChangeLog = this.#changes;
  /** The named calendars, kept in the process. */
  readonly calendars: CalendarStore = new MemoryCalendars();

  /** @throws ConfigurationError when `fireHistory` is not a whole number from 0 to 1,000,000. */
  constructor(options: MemoryJobStoreOptions = {}, key = 'fireHistory') {
    const size = options.fireHistory ?? DEFAULT_FIRE_RING_SIZE;
    if (!Number.isInteger(size) || size < 0 || size > MAX_FIRE_HISTORY)
      throw new ConfigurationError(
        key,
        `${String(size)} is not a whole number of fires from 0 to ${MAX_FIRE_HISTORY.toLocaleString('en-US')} (0 keeps none)`,
      );
    this.fireRing = size === 0 ? undefined : new FireRing(size);
  }

  /** Nothing to open: the store is ready once constructed. */
  async start(_context: StoreContext, _alias: string): Promise<void> {}

  /**
   * Removes every job, as APScheduler's `MemoryJobStore.shutdown()` does: a
   * memory store lives for one run of its scheduler, so a scheduler started
   * again finds it empty — just as a restarted process would. Persistent
   * stores keep their jobs.
   */
  async shutdown(): Promise<void> {
    this.#clear();
    this.fireRing?.clear();
    this.#changes.clear();
  }

  async lookupJob(id: string): Promise<Job | null> {
    const position = this.#scheduled.positionOf(id);
    if (position !== undefined) return this.#scheduled.jobAt(position);
    return this.#paused.get(id) ?? null;
  }

  async getDueJobs(now: Date): Promise<Job[]> {
    return this.#scheduled.dueJobs(now.getTime());
  }

  async getNextRunTime(): Promise<Date | null> {
    return this.#scheduled.size === 0 ? null : new Date(this.#scheduled.timeAt(0));
  }

  async getAllJobs(): Promise<Job[]> {
    const jobs = this.#scheduled.sortedJobs();
    if (this.#paused.size > 0) {
      const paused = [...this.#paused.values()].sort((a, b) => compareIds(a.id, b.id));
      for (const job of paused) jobs.push(job);
    }
    return jobs;
  }

  async addJob(job: Job): Promise<void> {
    this.#add(job);
  }

  addJobSync(job: Job): void {
    this.#add(job);
  }

  /**
   * Adds every job or none: when an id exists in the store or repeats within
   * `jobs`, throws ConflictingIdError for the first such id and adds nothing.
   */
  async addJobs(jobs: readonly Job[]): Promise<void> {
    let added = 0;
    try {
      for (const job of jobs) {
        this.#add(job);
        added++;
      }
    } catch (error) {
      // Nothing awaits in between, so no caller saw the partial batch: taking
      // it back leaves the store exactly as it was, without a pre-pass over the ids.
      for (let i = 0; i < added; i++) this.#remove(jobs[i]!.id);
      throw error;
    }
  }

  async updateJob(job: Job): Promise<void> {
    if (!this.#update(job)) throw new JobLookupError(job.id);
  }

  updateJobSync(job: Job): void {
    if (!this.#update(job)) throw new JobLookupError(job.id);
  }

  /**
   * Jobs that stay scheduled are replaced lazily (a pass's due jobs given
   * their next run times: see `JobHeap.replaceLazily`); the others, in order,
   * one by one.
   */
  async updateJobs(jobs: readonly Job[]): Promise<string[]> {
    const missing: string[] = [];
    const heap = this.#scheduled;
    for (const job of jobs) {
      const time = runTimeOf(job);
      if (time !== null && heap.replaceLazily(job, time)) continue;
      if (!this.#update(job)) missing.push(job.id);
    }
    return missing;
  }

  async removeJobs(ids: readonly string[]): Promise<string[]> {
    const missing: string[] = [];
    for (const id of this.#scheduled.removeMany(ids)) {
      if (!this.#paused.delete(id)) missing.push(id);
    }
    return missing;
  }

  /** Replaces a stored job; false when there is none with that id. */
  #update(job: Job): boolean {
    const time = runTimeOf(job);
    const position = this.#scheduled.positionOf(job.id);
    if (position !== undefined) {
      if (time === null) {
        this.#scheduled.removeAt(position);
        this.#paused.set(job.id, job);
      } else {
        this.#scheduled.replaceAt(position, job, time);
      }
    } else if (this.#paused.has(job.id)) {
      if (time === null) {
        this.#paused.set(job.id, job);
      } else {
        this.#paused.delete(job.id);
        this.#scheduled.push(job, time);
      }
    } else {
      return false;
    }
    return true;
  }

  async removeJob(id: string): Promise<void> {
    this.#remove(id);
  }

  async removeAllJobs(): Promise<void> {
    this.#clear();
  }

  #add(job: Job): void {
    if (this.#contains(job.id)) throw new ConflictingIdError(job.id);
    const time = runTimeOf(job);
    if (time === null) this.#paused.set(job.id, job);
    else this.#scheduled.push(job, time);
  }

  #remove(id: string): void {
    const position = this.#scheduled.positionOf(id);
    if (position !== undefined) this.#scheduled.removeAt(position);
    else if (!this.#paused.delete(id)) throw new JobLookupError(id);
  }

  #contains(id: string): boolean {
    return (
      this.#scheduled.positionOf(id) !== undefined ||
      (this.#paused.size > 0 && this.#paused.has(id))
    );
  }

  #clear(): void {
    this.#scheduled.clear();
    this.#paused.clear();
  }
}

/** The job's next run time in epoch ms, null when paused (a Job never holds an invalid Date). */
function runTimeOf(job: Job): number | null {
  const time = job.nextRunTimeMs;
  return Number.isNaN(time) ? null : time;
}
