/**
 * Jobs a page at a time, in the store's order (next run time, then id; paused
 * jobs last, by id), with keyset paging and a search over id, name and
 * function reference: what a dashboard lists without reading every job.
 *
 * A store may offer {@link JobPageReader} (the SQL store does: one indexed
 * query a page); {@link readJobPage} falls back on `getAllJobs` for the
 * others, which costs a read of every job per page.
 */
import type { Job } from '../jobs/job.ts';
import type { JobStore } from './store.ts';

/** Which jobs a page lists. */
export type JobStatusFilter = 'all' | 'scheduled' | 'paused';

/** A place in the store's order: a job's next run time (null: paused) and id. */
export interface JobPosition {
  readonly nextRunTime: number | null;
  readonly id: string;
}

export interface JobPageQuery {
  /** Only jobs after this place (the last job of the previous page). */
  readonly after?: JobPosition;
  readonly limit: number;
  readonly status?: JobStatusFilter;
  /** Only jobs whose id, name or function reference contains this text (case-insensitive). */
  readonly search?: string;
}

/** How many jobs a store holds: scheduled and paused. */
export interface JobCounts {
  readonly scheduled: number;
  readonly paused: number;
}

/** What a store offers to list its jobs a page at a time. */
export interface JobPageReader {
  /** At most `limit` jobs after `after`, in the store's order, matching the filters. */
  getJobPage(query: JobPageQuery): Promise<Job[]>;
  countJobs(): Promise<JobCounts>;
}

/** The position of a job in the store's order. */
export function positionOf(job: Job): JobPosition {
  return { nextRunTime: job.nextRunTime?.getTime() ?? null, id: job.id };
}

/** Compares ids by UTF-16 code units, as every store orders them. */
const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Does `position` come after `after` in the store's order? */
export function isAfter(position: JobPosition, after: JobPosition): boolean {
  const a = position.nextRunTime;
  const b = after.nextRunTime;
  if (a === b) return compareIds(position.id, after.id) > 0;
  if (a === null) return true;
  if (b === null) return false;
  return a > b;
}

/** Does the job's id, name or function reference contain `search` (case-insensitive)? */
export function matchesSearch(job: Job, search: string): boolean {
  const needle = search.toLowerCase();
  return [job.id, job.name, job.funcRef ?? ''].some((field) =>
    field.toLowerCase().includes(needle),
  );
}

/** Does the job pass the query's filters (not its position)? */
export function matchesQuery(job: Job, query: JobPageQuery): boolean {
  const paused = job.nextRunTime === null;
  if (query.status === 'paused' && !paused) return false;
  if (query.status === 'scheduled' && paused) return false;
  return query.search === undefined || query.search === '' || matchesSearch(job, query.search);
}

function isPageReader(store: JobStore): store is JobStore & JobPageReader {
  const reader = store as Partial<JobPageReader>;
  return typeof reader.getJobPage === 'function' && typeof reader.countJobs === 'function';
}

/** A page of the store's jobs, through its own reader where it has one. */
export async function readJobPage(store: JobStore, query: JobPageQuery): Promise<Job[]> {
  if (isPageReader(store)) return store.getJobPage(query);
  const page: Job[] = [];
  for (const job of await store.getAllJobs()) {
    if (query.after !== undefined && !isAfter(positionOf(job), query.after)) continue;
    if (!matchesQuery(job, query)) continue;
    page.push(job);
    if (page.length >= query.limit) break;
  }
  return page;
}

/** How many jobs the store holds, through its own reader where it has one. */
export async function countStoreJobs(store: JobStore): Promise<JobCounts> {
  if (isPageReader(store)) return store.countJobs();
  let paused = 0;
  const jobs = await store.getAllJobs();
  for (const job of jobs) if (job.nextRunTime === null) paused++;
  return { scheduled: jobs.length - paused, paused };
}
