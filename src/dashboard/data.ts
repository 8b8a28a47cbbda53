/**
 * The data of every page, as plain JSON-ready objects: the API returns them
 * as they are, and the pages render them. Reading here never loads more than
 * a page: jobs by keyset, fires by the ledger's cursor.
 */
import { brokenView, type JobView as CliJobView, viewOf } from '../cli/commands/jobs.ts';
import { describeTrigger, preview } from '../cli/commands/next.ts';
import { Job } from '../jobs/job.ts';
import type { Explanation } from '../scheduler/history/explain.ts';
import { HistoryQueryError } from '../scheduler/history/fire-history.ts';
import type { JobPosition, JobStatusFilter } from '../stores/job-pages.ts';
import { positionOf } from '../stores/job-pages.ts';
import type { FireRecord, FireState, NodeRecord } from '../stores/ledger.ts';
import type { RestoreFailure } from '../stores/store.ts';
import { getZone, type Zone } from '../time/zone.ts';
import type { Trigger } from '../triggers/trigger.ts';
import type { DashboardSource, StoreInfo } from './source.ts';

/** A job as pages and the API show it: the CLI's view, with its trigger in words. */
export interface JobView extends CliJobView {
  /** The trigger in words: `at 03:00 every day`. */
  readonly schedule: string | null;
  readonly recover?: boolean;
}

function wordsOf(trigger: Trigger): string {
  try {
    return describeTrigger(trigger);
  } catch {
    return String(trigger);
  }
}

export function jobView(job: Job | RestoreFailure): JobView {
  if (!(job instanceof Job)) return { ...brokenView(job), schedule: null };
  return { ...viewOf(job), schedule: wordsOf(job.trigger), recover: job.recover };
}

/** The zone a job's trigger works in (cron and calendar triggers name one), else the dashboard's. */
export function triggerZone(trigger: Trigger, fallback: Zone): Zone {
  const name = (trigger as { timezone?: unknown }).timezone;
  if (typeof name !== 'string') return fallback;
  try {
    return getZone(name);
  } catch {
    return fallback;
  }
}

/** A fire time to come, with what DST did to it. */
export interface UpcomingFire {
  readonly time: string;
  /** A DST note (gap, fold, offset change), or null. */
  readonly dst: string | null;
}

export function upcoming(
  trigger: Trigger,
  zone: Zone,
  count: number,
  from: Date = new Date(),
): UpcomingFire[] {
  return preview(trigger, triggerZone(trigger, zone), from, count).map((entry) => ({
    time: entry.time.toISOString(),
    dst: entry.note,
  }));
}

// ------------------------------------------------------------------ jobs pages

export const JOBS_PAGE = 50;
export const MAX_PAGE = 500;

export interface JobsQuery {
  readonly store: string;
  readonly search: string;
  readonly status: JobStatusFilter;
  readonly cursor: string | null;
  readonly limit: number;
}

export interface JobsPage {
  readonly store: string;
  readonly jobs: readonly JobView[];
  /** Stored jobs this page's read could not restore (not in `jobs`). */
  readonly broken: readonly JobView[];
  /** Pass back as `cursor` for the next page; null on the last. */
  readonly cursor: string | null;
}

export function encodeJobCursor(position: JobPosition): string {
  return Buffer.from(JSON.stringify([position.nextRunTime, position.id])).toString('base64url');
}

export function decodeJobCursor(cursor: string): JobPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !(parsed[0] === null || (typeof parsed[0] === 'number' && Number.isFinite(parsed[0]))) ||
    typeof parsed[1] !== 'string'
  )
    throw new HistoryQueryError(
      'cursor',
      'is not a cursor a jobs page returned; pass the `cursor` of the previous page, or none for the first page',
    );
  return { nextRunTime: parsed[0] as number | null, id: parsed[1] };
}

export async function jobsPage(source: DashboardSource, query: JobsQuery): Promise<JobsPage> {
  const jobs = await source.jobPage(query.store, {
    limit: query.limit + 1,
    status: query.status,
    ...(query.search === '' ? {} : { search: query.search }),
    ...(query.cursor === null ? {} : { after: decodeJobCursor(query.cursor) }),
  });
  const page = jobs.slice(0, query.limit);
  const last = page.at(-1);
  return {
    store: query.store,
    jobs: page.map(jobView),
    broken: source.brokenJobs(query.store).map(jobView),
    cursor:
      jobs.length > query.limit && last !== undefined ? encodeJobCursor(positionOf(last)) : null,
  };
}

// ------------------------------------------------------------------ one job

export interface JobPageData {
  readonly store: string;
  readonly job: JobView;
  /** The job change log version writes are checked against. */
  readonly version: number;
  readonly upcoming: readonly UpcomingFire[];
  readonly fires: readonly FireRecord[];
  readonly firesCursor: string | null;
  /** The trigger's zone. */
  readonly zone: string;
}

export async function jobData(
  source: DashboardSource,
  store: string,
  found: Job | RestoreFailure,
): Promise<JobPageData> {
  const id = found instanceof Job ? found.id : found.jobId;
  const [version, fires] = await Promise.all([
    source.version(store, id),
    source.fires(store, { jobId: id, limit: 20 }).catch(() => ({ fires: [], cursor: null })),
  ]);
  return {
    store,
    job: jobView(found),
    version,
    upcoming:
      found instanceof Job && found.nextRunTime !== null
        ? upcoming(found.trigger, source.zone, 10)
        : [],
    fires: fires.fires,
    firesCursor: fires.cursor,
    zone: found instanceof Job ? triggerZone(found.trigger, source.zone).name : source.zone.name,
  };
}

export type ExplainView = Explanation;

// ------------------------------------------------------------------ nodes, running, overview

export interface NodeView extends NodeRecord {
  /** How long ago it last checked in, ms (by the store's clock when known). */
  readonly checkInAgeMs: number;
  /** Checked in within the last minute. */
  readonly alive: boolean;
}

const ALIVE_MS = 60_000;

export function nodeViews(nodes: readonly NodeRecord[], now: number): NodeView[] {
  return nodes.map((node) => {
    const age = Math.max(0, now - node.lastSeen);
    return { ...node, checkInAgeMs: age, alive: age <= ALIVE_MS };
  });
}

export const LIVE_STATES: readonly FireState[] = ['claimed', 'running'];

/** The fires running or about to (claimed) in a store, newest first. */
export async function runningFires(source: DashboardSource, store: string): Promise<FireRecord[]> {
  try {
    return [...(await source.fires(store, { states: LIVE_STATES, limit: 200 })).fires];
  } catch {
    return [];
  }
}

/** How one hour's fires ended. */
export interface OutcomeBucket {
  /** The hour's start, epoch ms. */
  readonly start: number;
  readonly succeeded: number;
  /** failed, timed_out, abandoned, retried (a failed attempt waiting for the next) */
  readonly failed: number;
  /** missed, skipped_max_instances, coalesced, excluded, cancelled */
  readonly missed: number;
  /** claimed, running, queued (waiting for its turn) */
  readonly running: number;
}

export interface Outcomes {
  readonly buckets: readonly OutcomeBucket[];
  /** Fires read: the newest ones when there were more than the read limit. */
  readonly read: number;
  /** Were there more fires than were read? */
  readonly capped: boolean;
}

const OUTCOME_READ_LIMIT = 5000;
const HOUR = 3_600_000;

function outcomeOf(state: FireState): keyof Omit<OutcomeBucket, 'start'> {
  if (state === 'succeeded') return 'succeeded';
  if (state === 'failed' || state === 'timed_out' || state === 'abandoned' || state === 'retried')
    return 'failed';
  if (state === 'claimed' || state === 'running' || state === 'queued') return 'running';
  return 'missed';
}

/** The last 24 hours of fires of a store, by hour (the newest 5,000 fires at most). */
export async function outcomes(
  source: DashboardSource,
  store: string,
  now: number,
): Promise<Outcomes> {
  const firstHour = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
  const counts = Array.from({ length: 24 }, (_, i) => ({
    start: firstHour + i * HOUR,
    succeeded: 0,
    failed: 0,
    missed: 0,
    running: 0,
  }));
  let read = 0;
  let cursor: string | null = null;
  try {
    do {
      const page = await source.fires(store, {
        from: firstHour,
        to: now + HOUR,
        limit: 1000,
        ...(cursor === null ? {} : { cursor }),
      });
      for (const fire of page.fires) {
        const bucket = counts[Math.floor((fire.scheduledTime - firstHour) / HOUR)];
        if (bucket !== undefined) bucket[outcomeOf(fire.state)]++;
      }
      read += page.fires.length;
      cursor = page.cursor;
    } while (cursor !== null && read < OUTCOME_READ_LIMIT);
  } catch {
    // A store without fire history: no chart.
  }
  return { buckets: counts, read, capped: cursor !== null };
}

export interface OverviewData {
  readonly store: string;
  readonly stores: readonly StoreInfo[];
  readonly counts: { readonly scheduled: number; readonly paused: number };
  readonly running: number;
  readonly nodes: readonly NodeView[];
  readonly nextFires: readonly JobView[];
  readonly outcomes: Outcomes;
  readonly now: string;
}

export async function overviewData(source: DashboardSource, store: string): Promise<OverviewData> {
  const now = Date.now();
  const [counts, running, nodes, next, chart] = await Promise.all([
    source.counts(store),
    runningFires(source, store),
    source.nodes(store).catch(() => []),
    source.jobPage(store, { limit: 20, status: 'scheduled' }),
    outcomes(source, store, now),
  ]);
  return {
    store,
    stores: source.stores(),
    counts,
    running: running.length,
    nodes: nodeViews(nodes, now),
    nextFires: next.map(jobView),
    outcomes: chart,
    now: new Date(now).toISOString(),
  };
}
