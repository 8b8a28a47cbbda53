/**
 * Where a scheduler's jobs are: in the pending list while the scheduler is
 * stopped, in its stores while it runs. The job API finds, lists, replaces
 * and removes jobs through this one place, so it never branches on the
 * scheduler's state itself.
 */
import { brokenJob } from '../jobs/broken.ts';
import type { Job, JobOwner } from '../jobs/job.ts';
import { JobLookupError } from '../stores/errors.ts';
import type { JobChangeKind } from '../stores/job-changes.ts';
import { UnknownAliasError } from './errors.ts';
import type { ManagedStore } from './managed-store.ts';
import { Mutex } from './mutex.ts';
import type { PendingJob, PendingJobs } from './pending-jobs.ts';

/** Where a job was found: in a store, or in the pending list of a stopped scheduler. */
export type Located =
  | { job: Job; managed: ManagedStore; pending?: undefined }
  | { job: Job; managed?: undefined; pending: PendingJob };

export class JobLocations {
  readonly #stores: ReadonlyMap<string, ManagedStore>;
  readonly #pending: PendingJobs;
  readonly #stopped: () => boolean;
  /** Guards the pending list while a change to a pending job is read and written back. */
  readonly #pendingLock = new Mutex();

  constructor(
    stores: ReadonlyMap<string, ManagedStore>,
    pending: PendingJobs,
    stopped: () => boolean,
  ) {
    this.#stores = stores;
    this.#pending = pending;
    this.#stopped = stopped;
  }

  /** The job with this id (in the given store only, when given). @throws JobLookupError */
  async find(id: string, jobstore?: string): Promise<Located> {
    if (this.#stopped()) {
      const pending = this.#pending.find(id, jobstore);
      if (pending !== undefined) return { job: pending.job, pending };
      throw new JobLookupError(id);
    }
    let unavailable: ManagedStore | undefined;
    for (const managed of this.storesFor(jobstore)) {
      if (!managed.available) {
        unavailable ??= managed;
        continue;
      }
      const job = await managed.traced('lookupJob', () => managed.store.lookupJob(id), id);
      if (job !== null) return { job, managed };
    }
    // Not found, but a store that has not started may hold it: that is not "no such job".
    unavailable?.requireAvailable();
    throw new JobLookupError(id);
  }

  /** The lock to hold while a job found at `located` is read again and written back. */
  lockOf(located: Located): Mutex {
    return located.managed?.lock ?? this.#pendingLock;
  }

  /**
   * Writes a changed job back where it was found; `changedKeys` count as
   * given for a pending job. In a store, the change is recorded as `kinds`.
   */
  async replace(
    located: Located,
    job: Job,
    changedKeys: readonly string[],
    kinds: readonly JobChangeKind[],
  ): Promise<void> {
    const { managed } = located;
    if (managed === undefined) {
      this.#pending.replace(located.pending, job, changedKeys);
      return;
    }
    await managed.traced('updateJob', () => managed.store.updateJob(job), job.id);
    managed.forgetWrite(job.id);
    const { changes } = managed;
    if (changes !== undefined)
      await changes.record(kinds.map((kind) => changes.changeOf(kind, job)));
    managed.node?.announce();
  }

  /**
   * Every job (of one store, when given), per store sorted by next run time,
   * paused last; stored jobs that cannot be restored are listed as broken jobs.
   */
  async list(owner: JobOwner, jobstore?: string): Promise<Job[]> {
    if (this.#stopped()) return this.#pending.list(jobstore);
    const jobs: Job[] = [];
    for (const managed of this.storesFor(jobstore)) {
      managed.requireAvailable();
      // The store reports the jobs it cannot restore while reading; they are listed as broken.
      const listed = await managed.traced('getAllJobs', () => managed.listJobs());
      // A loop, not push(...all): spreading hundreds of thousands of arguments overflows the stack.
      for (const job of listed.jobs) jobs.push(job);
      for (const failure of listed.broken) {
        jobs.push(
          brokenJob(owner, failure.jobId, managed.alias, failure.nextRunTime, failure.error),
        );
      }
    }
    return jobs;
  }

  /**
   * Removes the job from the pending list or the first store that has it;
   * returns that store's alias (null for a pending job). @throws JobLookupError
   */
  async remove(id: string, jobstore?: string): Promise<string | null> {
    if (this.#stopped()) {
      if (this.#pending.remove(id, jobstore)) return null;
      throw new JobLookupError(id);
    }
    let unavailable: ManagedStore | undefined;
    for (const managed of this.storesFor(jobstore)) {
      if (!managed.available) {
        unavailable ??= managed;
        continue;
      }
      const removed = await managed.lock.run(async () => {
        try {
          await managed.traced('removeJob', () => managed.store.removeJob(id), id);
          managed.forgetWrite(id);
          const { changes } = managed;
          if (changes !== undefined) await changes.record([changes.removalOf(id)]);
          return true;
        } catch (error) {
          if (error instanceof JobLookupError) return false;
          throw error;
        }
      });
      if (removed) return managed.alias;
    }
    unavailable?.requireAvailable();
    throw new JobLookupError(id);
  }

  /** Removes every job (of one store, when given). */
  async removeAll(jobstore?: string): Promise<void> {
    if (this.#stopped()) {
      this.#pending.removeAll(jobstore);
      return;
    }
    for (const managed of this.storesFor(jobstore)) managed.requireAvailable();
    for (const managed of this.storesFor(jobstore)) {
      await managed.lock.run(async () => {
        const { changes } = managed;
        // The jobs removed, to record each removal (those that cannot be restored too).
        const ids: string[] = [];
        if (changes !== undefined) {
          managed.broken.clear();
          for (const job of await managed.traced('getAllJobs', () => managed.store.getAllJobs()))
            ids.push(job.id);
          for (const id of managed.broken.keys()) ids.push(id);
        }
        await managed.traced('removeAllJobs', () => managed.store.removeAllJobs());
        managed.forgetAllWrites();
        if (changes !== undefined) await changes.record(ids.map((id) => changes.removalOf(id)));
      });
    }
  }

  /**
   * The jobs as `printJobs` shows them, like APScheduler's `print_jobs`: the
   * pending jobs while stopped, else each store (sorted by alias) with its jobs.
   */
  async listing(jobstore?: string): Promise<string[]> {
    const lines: string[] = [];
    if (this.#stopped()) {
      lines.push('Pending jobs:');
      const pending = this.#pending.list(jobstore);
      if (pending.length === 0) lines.push('    No pending jobs');
      for (const job of pending) lines.push(`    ${String(job)}`);
      return lines;
    }
    for (const alias of [...this.#stores.keys()].sort()) {
      if (jobstore !== undefined && alias !== jobstore) continue;
      lines.push(`Jobstore ${alias}:`);
      const managed = this.store(alias);
      if (!managed.available) {
        lines.push('    Not available (it could not start; it is retried)');
        continue;
      }
      const jobs = await managed.traced('getAllJobs', () => managed.store.getAllJobs());
      if (jobs.length === 0) lines.push('    No scheduled jobs');
      for (const job of jobs) lines.push(`    ${String(job)}`);
    }
    return lines;
  }

  /** The stores a call names: the one given, or all of them in order. */
  storesFor(jobstore: string | undefined): Iterable<ManagedStore> {
    if (jobstore === undefined) return this.#stores.values();
    const managed = this.#stores.get(jobstore);
    return managed === undefined ? [] : [managed];
  }

  /** @throws UnknownAliasError when there is no such store */
  store(alias: string): ManagedStore {
    const managed = this.#stores.get(alias);
    if (managed === undefined)
      throw new UnknownAliasError('jobstore', alias, [...this.#stores.keys()]);
    return managed;
  }
}
