/**
 * Placeholders for stored jobs that cannot be restored. They are listed by
 * `getJobs` (so an operator sees them and can fix or remove them) but never run.
 */
import type { Trigger, TriggerJSON } from '../triggers/trigger.ts';
import { Job, type JobOwner } from './job.ts';

/** The trigger of a broken job: it never fires. */
class BrokenTrigger implements Trigger {
  readonly #reason: string;
  constructor(reason: string) {
    this.#reason = reason;
  }
  getNextFireTime(): Date | null {
    return null;
  }
  toJSON(): TriggerJSON {
    throw new Error(`A broken job's trigger cannot be serialized: ${this.#reason}`);
  }
  toString(): string {
    return `broken[${this.#reason}]`;
  }
}

/** A `Job` standing for a stored job that cannot be restored; `job.broken` is true and `restoreError` says why. */
export function brokenJob(
  owner: JobOwner,
  jobId: string,
  jobstore: string,
  nextRunTime: Date | null,
  error: unknown,
): Job {
  const reason = error instanceof Error ? error.message : String(error);
  return new Job(
    owner,
    {
      id: jobId,
      name: jobId,
      func: () => {
        throw error;
      },
      funcRef: null,
      args: [],
      trigger: new BrokenTrigger(reason),
      executor: 'default',
      coalesce: true,
      maxInstances: 1,
      misfireGraceTime: null,
      timeout: null,
      recover: false,
      history: 'all',
      retry: null,
      overlap: 'skip',
      nextRunTime,
    },
    jobstore,
    error,
  );
}
