/**
 * The dashboard inside a running scheduler: reads go through the scheduler's
 * API (and its stores directly for pages of jobs), changes through its job
 * API, so they are recorded in the job change log, announced to the other
 * nodes and seen by its main loop at once; its own runs can be cancelled.
 */
import { EVENT_ALL } from '../events.ts';
import type { Job } from '../jobs/job.ts';
import { type BaseScheduler, schedulerStores } from '../scheduler/base-scheduler.ts';
import type { ManagedStore } from '../scheduler/managed-store.ts';
import { countStoreJobs, readJobPage } from '../stores/job-pages.ts';
import type { NodeRecord } from '../stores/ledger.ts';
import type { RestoreFailure } from '../stores/store.ts';
import {
  changeVersion,
  type DashboardJobChanges,
  type DashboardSource,
  type StoreInfo,
  storeKind,
  UnknownStoreError,
} from './source.ts';

export function schedulerSource(scheduler: BaseScheduler): DashboardSource {
  const managed = (alias: string): ManagedStore => {
    const stores = schedulerStores(scheduler);
    const found = stores.get(alias);
    if (found === undefined) throw new UnknownStoreError(alias, [...stores.keys()]);
    return found;
  };
  return {
    get zone() {
      return scheduler.zone;
    },
    mode: 'scheduler',
    ready: async () => {},
    stores: (): StoreInfo[] =>
      [...schedulerStores(scheduler).values()].map((entry) => ({
        alias: entry.alias,
        kind: storeKind(entry.store),
        shared: entry.store.ledger !== undefined,
      })),
    jobPage: (alias, query) => {
      const entry = managed(alias);
      return entry.withTimeout('getJobPage', () => readJobPage(entry.store, query));
    },
    // The scheduler reports rows it cannot restore in its log; a page lists the others.
    brokenJobs: () => [],
    counts: (alias) => {
      const entry = managed(alias);
      return entry.withTimeout('countJobs', () => countStoreJobs(entry.store));
    },
    job: async (alias, id): Promise<Job | RestoreFailure | null> => {
      const entry = managed(alias);
      const job = await entry.withTimeout('lookupJob', () => entry.store.lookupJob(id));
      return job ?? entry.broken.get(id) ?? null;
    },
    version: (alias, id) => changeVersion(managed(alias).store, id),
    fires: (alias, options) => scheduler.getFires({ ...options, jobstore: alias }),
    explain: (alias, id, at) => scheduler.explain(id, at, { jobstore: alias }),
    nodes: async (alias): Promise<NodeRecord[]> =>
      (await scheduler.getNodes(alias)).map((node) => ({
        ...node,
        startedAt: node.startedAt.getTime(),
        lastSeen: node.lastSeen.getTime(),
      })),
    pause: (alias, job) => scheduler.pauseJob(job.id, alias),
    resume: (alias, job) => scheduler.resumeJob(job.id, alias),
    runNow: (alias, job) =>
      scheduler.modifyJob(job.id, { nextRunTime: new Date(Date.now()) }, alias),
    reschedule: (alias, job, trigger) => scheduler.rescheduleJob(job.id, trigger, undefined, alias),
    modify: (alias, job, changes: DashboardJobChanges) =>
      scheduler.modifyJob(job.id, changes, alias),
    remove: (alias, id) => scheduler.removeJob(id, alias),
    cancel: (_alias, jobId, fireId) => scheduler.cancelFire(jobId, fireId),
    subscribe: (listener) => {
      const onEvent = (): void => listener();
      scheduler.addListener(onEvent, EVENT_ALL);
      return () => scheduler.removeListener(onEvent);
    },
    close: async () => {},
  };
}
