/**
 * The SQL job store's pages of jobs (`stores/job-pages.ts`): keyset queries on
 * the next-run-time index (scheduled jobs) and the primary key (paused jobs),
 * so that the first page of 100,000 jobs costs one short index scan. A search
 * is first narrowed in SQL (id or stored document contains the text), then
 * checked on the restored job (the document also holds the arguments).
 * Loaded with the store's database, as Kysely is.
 */
import { sql } from 'kysely';
import type { Job } from '../../jobs/job.ts';
import type { JobCounts, JobPageQuery } from '../job-pages.ts';
import { matchesQuery } from '../job-pages.ts';
import type { JobRow } from './rows.ts';
import type { SqlBackend } from './sql-backend.ts';

/** Rows read a batch while a search is narrowed in SQL (some match in the arguments only). */
const SEARCH_BATCH = 200;
/** Rows read a batch while a search cannot be narrowed in SQL (text JSON escapes, non-ASCII). */
const SCAN_BATCH = 1000;

/** Text that reads the same inside a JSON string (printable ASCII but `"` and `\`) and lower-cases alike in SQL and JavaScript. */
const NARROWABLE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** `%text%` for `like … escape '!'`. */
const containsPattern = (text: string): string =>
  `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;

interface Phase {
  readonly paused: boolean;
  /** After this (next run time, id) within the phase, or from its start. */
  after: { time: number | null; id: string } | undefined;
}

function phasesOf(query: JobPageQuery): Phase[] {
  const phases: Phase[] = [];
  const after = query.after;
  const status = query.status ?? 'all';
  if (status !== 'paused' && (after === undefined || after.nextRunTime !== null))
    phases.push({
      paused: false,
      after: after === undefined ? undefined : { time: after.nextRunTime, id: after.id },
    });
  if (status !== 'scheduled')
    phases.push({
      paused: true,
      after: after?.nextRunTime === null ? { time: null, id: after.id } : undefined,
    });
  return phases;
}

function batchQuery(backend: SqlBackend, table: string, phase: Phase, size: number, like?: string) {
  let select = backend.db
    .selectFrom(table)
    .select(['id', 'next_run_time', 'job_state'])
    .limit(size);
  if (phase.paused) {
    select = select.where('next_run_time', 'is', null).orderBy('id');
    if (phase.after !== undefined) select = select.where('id', '>', phase.after.id);
  } else {
    select = select.where('next_run_time', 'is not', null).orderBy('next_run_time').orderBy('id');
    const after = phase.after;
    if (after !== undefined && after.time !== null) {
      const time = after.time;
      select = select.where((eb) =>
        eb.or([
          eb('next_run_time', '>', time),
          eb.and([eb('next_run_time', '=', time), eb('id', '>', after.id)]),
        ]),
      );
    }
  }
  if (like !== undefined)
    select = select.where(
      sql<boolean>`(lower(id) like ${like} escape '!' or lower(job_state) like ${like} escape '!')`,
    );
  return select.compile();
}

/** A page of jobs (see `JobPageReader.getJobPage`); `restore` restores rows, skipping broken ones. */
export async function readSqlJobPage(
  backend: SqlBackend,
  table: string,
  query: JobPageQuery,
  restore: (rows: readonly JobRow[]) => Promise<Job[]>,
): Promise<Job[]> {
  const search = query.search ?? '';
  const narrow = search !== '' && NARROWABLE.test(search);
  const like = narrow ? containsPattern(search) : undefined;
  const size = search === '' ? query.limit : narrow ? SEARCH_BATCH : SCAN_BATCH;
  const page: Job[] = [];
  for (const phase of phasesOf(query)) {
    for (;;) {
      const { rows } = await backend.runOnce<JobRow>(batchQuery(backend, table, phase, size, like));
      for (const job of await restore(rows))
        if (matchesQuery(job, query) && page.length < query.limit) page.push(job);
      if (page.length >= query.limit) return page;
      const last = rows.at(-1);
      if (last === undefined || rows.length < size) break;
      phase.after = {
        time: last.next_run_time === null ? null : Number(last.next_run_time),
        id: last.id,
      };
    }
  }
  return page;
}

/** How many jobs the table holds, scheduled and paused, in one query. */
export async function countSqlJobs(backend: SqlBackend, table: string): Promise<JobCounts> {
  const { rows } = await backend.runOnce<{ total: unknown; scheduled: unknown }>(
    backend.db
      .selectFrom(table)
      .select((eb) => [eb.fn.countAll().as('total'), eb.fn.count('next_run_time').as('scheduled')])
      .compile(),
  );
  const total = Number(rows[0]?.total ?? 0);
  const scheduled = Number(rows[0]?.scheduled ?? 0);
  return { scheduled, paused: total - scheduled };
}
