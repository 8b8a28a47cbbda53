/**
 * Jobs added before `start()`: kept in order, with the store they are meant
 * for and the options their caller gave, and stored when the scheduler starts
 * (the settings the caller left out take the job defaults in force then).
 */
import { Job, type JobOwner } from '../jobs/job.ts';
import { ConflictingIdError } from '../stores/errors.ts';
import type { PreparedJob } from './job-builder.ts';

export interface PendingJob {
  job: Job;
  jobstore: string;
  replaceExisting: boolean;
  /** Options the caller gave explicitly. */
  explicit: Set<string>;
}

export class PendingJobs {
  readonly #entries: PendingJob[] = [];

  /** Adds (or, with `replaceExisting`, replaces) a job. @throws ConflictingIdError */
  add(prepared: PreparedJob, owner: JobOwner): Job {
    const entry: PendingJob = {
      job: new Job(owner, prepared.state, null),
      jobstore: prepared.jobstore,
      replaceExisting: prepared.replaceExisting,
      explicit: new Set(prepared.explicit),
    };
    const index = this.#entries.findIndex((p) => p.job.id === entry.job.id);
    if (index >= 0) {
      if (!entry.replaceExisting) throw new ConflictingIdError(entry.job.id);
      this.#entries[index] = entry;
    } else {
      this.#entries.push(entry);
    }
    return entry.job;
  }

  find(id: string, jobstore?: string): PendingJob | undefined {
    return this.#entries.find(
      (p) => p.job.id === id && (jobstore === undefined || p.jobstore === jobstore),
    );
  }

  list(jobstore?: string): Job[] {
    return this.#entries
      .filter((p) => jobstore === undefined || p.jobstore === jobstore)
      .map((p) => p.job);
  }

  /** Replaces a pending job with its changed version; the changed keys count as given. */
  replace(entry: PendingJob, job: Job, changedKeys: readonly string[]): void {
    entry.job = job;
    for (const key of changedKeys) entry.explicit.add(key);
  }

  /** Removes the job; false when there is none. */
  remove(id: string, jobstore?: string): boolean {
    const index = this.#entries.findIndex(
      (p) => p.job.id === id && (jobstore === undefined || p.jobstore === jobstore),
    );
    if (index < 0) return false;
    this.#entries.splice(index, 1);
    return true;
  }

  removeAll(jobstore?: string): void {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      if (jobstore === undefined || this.#entries[i]?.jobstore === jobstore)
        this.#entries.splice(i, 1);
    }
  }

  /** Takes every entry out, in order (to store them at start). */
  takeAll(): PendingJob[] {
    return this.#entries.splice(0);
  }

  /** Takes out the entries meant for one store, in order. */
  takeFor(jobstore: string): PendingJob[] {
    const taken = this.#entries.filter((p) => p.jobstore === jobstore);
    for (const entry of taken) this.#entries.splice(this.#entries.indexOf(entry), 1);
    return taken;
  }

  /** Puts entries taken by {@link takeAll} back in front (a start that failed). */
  putBack(entries: readonly PendingJob[]): void {
    this.#entries.unshift(...entries);
  }
}
