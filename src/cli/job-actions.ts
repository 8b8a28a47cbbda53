/**
 * The changes the `jobs` commands (and the dashboard on a store URL) make to a
 * stored job with no scheduler in the process: written through the store's API
 * (`updateJob` moves the job's fencing token on and releases its claim, so a
 * running scheduler's claim taken before the write commits nothing and the
 * change wins), recorded in the job change log, and announced to running
 * schedulers where the store has wake-ups.
 */
import { Job, type JobState } from '../jobs/job.ts';
import { recordChange } from './record-change.ts';
import { type OpenStore, wakeSchedulers } from './store.ts';

/** What a stored job may be changed to (the id and function stay). */
export type StoredJobChanges = Partial<Omit<JobState, 'id' | 'func' | 'funcRef'>>;

/** Writes the job with `changes` applied and records it as `kind`. */
export async function changeStoredJob(
  open: OpenStore,
  job: Job,
  changes: StoredJobChanges,
  kind: 'modified' | 'paused' | 'resumed',
): Promise<Job> {
  const changed = new Job(open.owner, { ...job.state(), ...changes }, open.alias);
  await open.store.updateJob(changed);
  await recordChange(open, kind, changed);
  if (kind !== 'paused') await wakeSchedulers(open.store);
  return changed;
}

/** Pauses the job (next run time: none). */
export function pauseStoredJob(open: OpenStore, job: Job): Promise<Job> {
  return changeStoredJob(open, job, { nextRunTime: null }, 'paused');
}

/**
 * Resumes the job from now, as `scheduler.resumeJob`: runs missed while it was
 * paused are skipped; a job whose trigger has finished is removed (null).
 */
export async function resumeStoredJob(open: OpenStore, job: Job): Promise<Job | null> {
  const next = job.trigger.getNextFireTime(null, new Date());
  if (next === null) {
    await removeStoredJob(open, job.id);
    return null;
  }
  return changeStoredJob(open, job, { nextRunTime: next }, 'resumed');
}

/** Makes the job due now (a paused job is resumed by it). */
export function runStoredJobNow(open: OpenStore, job: Job): Promise<Job> {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  return changeStoredJob(
    open,
    job,
    { nextRunTime: now },
    job.nextRunTime === null ? 'resumed' : 'modified',
  );
}

/** Removes the job and records the removal. */
export async function removeStoredJob(open: OpenStore, id: string): Promise<void> {
  await open.store.removeJob(id);
  await recordChange(open, 'removed', id);
}
