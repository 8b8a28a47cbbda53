/**
 * The changes the `jobs` commands make, recorded in the store's job change
 * log (`stores/job-changes.ts`) with no node: a scheduler's `explain` then
 * knows that a job was paused from a terminal, and when. A record that fails
 * is a warning on stderr, never an error: the change itself was made.
 */
import type { Job } from '../jobs/job.ts';
import { type JobChangeKind, jobChangeOf, removalOf } from '../stores/job-changes.ts';
import { printable } from './format.ts';
import { type OpenStore, reasonOf } from './store.ts';

/** Records `kind` of `job` (or the removal of the job with this id). */
export async function recordChange(
  open: OpenStore,
  kind: JobChangeKind,
  job: Job | string,
): Promise<void> {
  const log = open.store.jobChanges;
  if (log === undefined) return;
  const change = typeof job === 'string' ? removalOf(job, null) : jobChangeOf(kind, job, null);
  try {
    await log.recordJobChanges([change]);
  } catch (error) {
    process.stderr.write(
      `horarium: warning: job store "${open.alias}" could not record this change of job ${printable(change.jobId)} in its job change log (${printable(reasonOf(error))}); the change itself was made\n`,
    );
  }
}
