/**
 * What the dashboard reads and changes, whether it runs inside a scheduler
 * (`createDashboard(scheduler)`) or on a store URL with no scheduler in the
 * process (`createDashboard('postgres://…')`, `horarium dashboard`). Pages and
 * the API only talk to a {@link DashboardSource}.
 */
import { HorariumError } from '../errors.ts';
import type { Job } from '../jobs/job.ts';
import type { Explanation } from '../scheduler/history/explain.ts';
import type { FiresPage, GetFiresOptions } from '../scheduler/history/fire-history.ts';
import type { JobCounts, JobPageQuery } from '../stores/job-pages.ts';
import type { NodeRecord } from '../stores/ledger.ts';
import type { JobStore, RestoreFailure } from '../stores/store.ts';
import type { Zone } from '../time/zone.ts';
import type { Trigger } from '../triggers/trigger.ts';

/** A store as a page may name it: its alias and kind, never its URL. */
export interface StoreInfo {
  readonly alias: string;
  /** `SQL (postgres)`, `Redis`, `memory`, … */
  readonly kind: string;
  /** Schedulers can share it (it has a cluster ledger). */
  readonly shared: boolean;
}

/** The changes the dashboard's modify form and API make. */
export interface DashboardJobChanges {
  name?: string;
  coalesce?: boolean;
  maxInstances?: number;
  misfireGraceTime?: number | null;
  timeout?: number | null;
}

export interface DashboardSource {
  /** The zone times are shown in. */
  readonly zone: Zone;
  /** `scheduler` when mounted in one (it can cancel its own runs), `store` on a store URL. */
  readonly mode: 'scheduler' | 'store';
  /** Resolves once the source can be read (a store URL is opened on first use). */
  ready(): Promise<void>;
  stores(): StoreInfo[];
  jobPage(alias: string, query: JobPageQuery): Promise<Job[]>;
  /** The stored jobs the latest `jobPage` read could not restore (they are not in its page). */
  brokenJobs(alias: string): RestoreFailure[];
  counts(alias: string): Promise<JobCounts>;
  /** The job, the reason it cannot be restored, or null when there is none. */
  job(alias: string, id: string): Promise<Job | RestoreFailure | null>;
  /** The job's newest change log version (0 when none is recorded): what writes are checked against. */
  version(alias: string, id: string): Promise<number>;
  fires(alias: string, options: GetFiresOptions): Promise<FiresPage>;
  explain(alias: string, id: string, at: string): Promise<Explanation>;
  nodes(alias: string): Promise<NodeRecord[]>;
  pause(alias: string, job: Job): Promise<Job>;
  resume(alias: string, job: Job): Promise<Job | null>;
  runNow(alias: string, job: Job): Promise<Job>;
  reschedule(alias: string, job: Job, trigger: Trigger): Promise<Job>;
  modify(alias: string, job: Job, changes: DashboardJobChanges): Promise<Job>;
  remove(alias: string, id: string): Promise<void>;
  /** Cancels a fire this process runs; false when it does not run it. */
  cancel(alias: string, jobId: string, fireId: string): boolean;
  /** Calls `listener` when something changed (a hint; the live feed also polls). */
  subscribe(listener: () => void): () => void;
  close(): Promise<void>;
}

/** A store alias the source does not have. */
export class UnknownStoreError extends HorariumError {
  override name = 'UnknownStoreError';
  constructor(alias: string, known: readonly string[]) {
    super(`No job store ${JSON.stringify(alias)}: the stores are ${known.join(', ')}`);
  }
}

/** The store cannot be opened or read now (the database is down, say): the request may be tried again. */
export class StoreUnavailableError extends HorariumError {
  override name = 'StoreUnavailableError';
}

/** What kind of store this is, in a few words that hold no secret. */
export function storeKind(store: JobStore): string {
  const name = store.constructor.name;
  const dialect = (store as { dialect?: unknown }).dialect;
  if (name === 'SqlJobStore' && typeof dialect === 'string' && dialect !== '')
    return `SQL (${dialect})`;
  if (name === 'MemoryJobStore') return 'memory';
  return name.replace(/JobStore$/, '');
}

/** The job change log version of a job in `store` (0 without a log or a change). */
export async function changeVersion(store: JobStore, id: string): Promise<number> {
  const changes = await store.jobChanges?.getJobChanges(id, { limit: 1 });
  return changes?.at(-1)?.version ?? 0;
}
