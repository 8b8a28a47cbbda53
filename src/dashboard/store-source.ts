/**
 * The dashboard on a store URL, with no scheduler in the process (`horarium
 * dashboard --store …`): the store is opened as the CLI opens it (jobs are
 * restored with a placeholder function and never run), and every change goes
 * through the CLI's own writes (`cli/job-actions.ts`), so a running cluster
 * sees them as it sees `horarium jobs pause`.
 */
import {
  changeStoredJob,
  pauseStoredJob,
  removeStoredJob,
  resumeStoredJob,
  runStoredJobNow,
} from '../cli/job-actions.ts';
import { type OpenStore, openStore, reasonOf } from '../cli/store.ts';
import { detectApplicationRoot } from '../jobs/app-root.ts';
import type { Job } from '../jobs/job.ts';
import { type JobReferenceRules, ReferencePolicy } from '../jobs/reference-policy.ts';
import { explainJob, readFires } from '../scheduler/history/fire-history.ts';
import { firstRunTime, forJob } from '../scheduler/job-builder.ts';
import { countStoreJobs, readJobPage } from '../stores/job-pages.ts';
import type { RestoreFailure } from '../stores/store.ts';
import type { Zone } from '../time/zone.ts';
import {
  changeVersion,
  type DashboardSource,
  StoreUnavailableError,
  storeKind,
  UnknownStoreError,
} from './source.ts';

export function storeSource(
  url: string,
  zone: Zone,
  references: JobReferenceRules,
): DashboardSource {
  let opening: Promise<OpenStore> | undefined;
  const open = (): Promise<OpenStore> => {
    opening ??= openStore(
      url,
      zone,
      new ReferencePolicy(references, detectApplicationRoot(null)),
    ).catch((error: unknown) => {
      throw new StoreUnavailableError(reasonOf(error), { cause: error });
    });
    // A failed open is tried again on the next request (the database may come back).
    opening.catch(() => {
      opening = undefined;
    });
    return opening;
  };
  const opened = async (alias: string): Promise<OpenStore> => {
    const store = await open();
    if (alias !== store.alias) throw new UnknownStoreError(alias, [store.alias]);
    return store;
  };
  let current: OpenStore | undefined;
  return {
    zone,
    mode: 'store',
    ready: async () => {
      current = await open();
    },
    stores: () =>
      current === undefined
        ? []
        : [
            {
              alias: current.alias,
              kind: storeKind(current.store),
              shared: current.store.ledger !== undefined,
            },
          ],
    jobPage: async (alias, query) => {
      const store = await opened(alias);
      store.broken.clear();
      return readJobPage(store.store, query);
    },
    brokenJobs: () => (current === undefined ? [] : [...current.broken.values()]),
    counts: async (alias) => countStoreJobs((await opened(alias)).store),
    job: async (alias, id): Promise<Job | RestoreFailure | null> => {
      const store = await opened(alias);
      store.broken.delete(id);
      return (await store.store.lookupJob(id)) ?? store.broken.get(id) ?? null;
    },
    version: async (alias, id) => changeVersion((await opened(alias)).store, id),
    fires: async (alias, options) => readFires(await opened(alias), options, zone),
    explain: async (alias, id, at) => explainJob(await opened(alias), id, at, zone),
    nodes: async (alias) => (await (await opened(alias)).store.ledger?.getNodes()) ?? [],
    pause: async (alias, job) => pauseStoredJob(await opened(alias), job),
    resume: async (alias, job) => resumeStoredJob(await opened(alias), job),
    runNow: async (alias, job) => runStoredJobNow(await opened(alias), job),
    reschedule: async (alias, job, trigger) => {
      const bound = forJob(trigger, job.id);
      const nextRunTime = firstRunTime(bound, Date.now());
      return changeStoredJob(await opened(alias), job, { trigger: bound, nextRunTime }, 'modified');
    },
    modify: async (alias, job, changes) =>
      changeStoredJob(await opened(alias), job, changes, 'modified'),
    remove: async (alias, id) => removeStoredJob(await opened(alias), id),
    // A fire runs in the scheduler that claimed it; this process runs none.
    cancel: () => false,
    subscribe: () => () => {},
    close: async () => {
      const pending = opening;
      opening = undefined;
      if (pending !== undefined) await (await pending).close();
    },
  };
}
