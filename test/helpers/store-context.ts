/**
 * A StoreContext without a scheduler, for store tests: restores stored jobs
 * the way the scheduler does (document → state, function reference → import)
 * and records the jobs a store reports as unrestorable.
 */
import { type RestoreFailure, readJobDocument, type StoreContext } from '../../src/extend.ts';
import { Job } from '../../src/index.ts';
import type { JobOwner } from '../../src/jobs/job.ts';
import { resolveReference } from '../../src/jobs/job-ref.ts';
import { silentLogger } from '../../src/logging.ts';
import { getZone } from '../../src/time/zone.ts';

function unused(): never {
  throw new Error('Store tests never call back into the scheduler');
}

/** The scheduler a restored job delegates to; store tests never call it. */
export const storeTestOwner: JobOwner = {
  zone: getZone('UTC'),
  modifyJob: unused,
  rescheduleJob: unused,
  pauseJob: unused,
  resumeJob: unused,
  removeJob: unused,
};

export interface RecordingStoreContext extends StoreContext {
  /** Every failure the store reported, in order. */
  readonly failures: RestoreFailure[];
}

export function storeTestContext(alias = 'default'): RecordingStoreContext {
  const failures: RestoreFailure[] = [];
  return {
    logger: silentLogger,
    failures,
    async restoreJob(document: unknown): Promise<Job> {
      const state = readJobDocument(document);
      const func = await resolveReference(state.funcRef);
      return new Job(storeTestOwner, { ...state, func }, alias);
    },
    restoreFailed(failure: RestoreFailure): void {
      failures.push(failure);
    },
  };
}
