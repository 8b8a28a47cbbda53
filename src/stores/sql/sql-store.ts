/**
 * `SqlJobStore` (config type `'sql'`): jobs in one table of a SQLite,
 * PostgreSQL or MySQL/MariaDB database, through Kysely — APScheduler's
 * SQLAlchemyJobStore with JSON instead of pickle. The store speaks to its
 * database only through a {@link SqlBackend} (`sql-backend.ts`), one folder
 * per dialect, loaded with its driver when the store starts.
 *
 * Layout (created and upgraded by `migrations.ts`):
 *
 * | column          | type                                   | notes                                       |
 * |-----------------|----------------------------------------|---------------------------------------------|
 * | `id`            | varchar(191), binary collation         | primary key; ids compare by code point      |
 * | `next_run_time` | bigint, nullable, indexed              | epoch milliseconds; NULL = paused           |
 * | `job_state`     | text / longtext                        | `JSON.stringify(jobToDocument(job))`        |
 * | `lease_owner`   | varchar(191), nullable                 | the node holding the job's claim            |
 * | `lease_until`   | bigint, nullable                       | until when the claim holds (store clock)    |
 * | `fence`         | bigint, default 0                      | +1 on every claim and every API write       |
 *
 * Beside it, the cluster ledger's `<table>_fires` (one row per job and
 * scheduled time, unique on the pair) and `<table>_nodes` (check-ins); see
 * `ledger/sql-ledger.ts`; and the job change log `<table>_job_changes`
 * (`job-changes-sql.ts`).
 *
 * The `next_run_time` column is authoritative: a restored job takes its next
 * run time from it, so editing the column by hand reschedules the job.
 */

import { hostname } from 'node:os';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from '../../jobs/job.ts';
import type { CalendarStore } from '../calendars.ts';
import { forgetUnread } from '../common.ts';
import { ConflictingIdError, JobLookupError } from '../errors.ts';
import type { JobChangeLog } from '../job-changes.ts';
import type { JobCounts, JobPageQuery, JobPageReader } from '../job-pages.ts';
import type { ClusterLedger, LeaseConnection } from '../ledger.ts';
import type { OutageLog } from '../outages.ts';
import type { JobStore, StoreContext } from '../store.ts';
import type { WakeChannel } from '../wake.ts';
import {
  DIALECT_NAMES,
  parseSqlUrl,
  type SqlDialectName,
  SqlStoreSetupError,
  startBackend,
} from './dialects.ts';
import type { SqlJobChanges } from './job-changes-sql.ts';
import { deferredLedger } from './ledger/deferred-ledger.ts';
import type { LeaseRenewerOptions } from './ledger/lease-renewer.ts';
import type { SqlLedger } from './ledger/sql-ledger.ts';
import { type NormalizedOptions, normalizeOptions, type SqlJobStoreOptions } from './options.ts';
import type { SqlOutages } from './outages-sql.ts';
import { PgWakeChannel } from './postgres/pg-wake-channel.ts';
import {
  checkRowSize,
  documentOf,
  epochMs,
  type InsertRow,
  idProblem,
  type JobRow,
  rowOf,
  sameTime,
  toDate,
} from './rows.ts';
import type { SqlBackend } from './sql-backend.ts';
import type { SqlCalendars } from './sql-calendars.ts';
import { tableNames } from './table-names.ts';

export type { SqlJobStoreOptions } from './options.ts';

/**
 * The module the lease worker imports (`ledger/lease-renewer.ts`), named here
 * without importing it: it loads Kysely.
 */
const LEASE_RENEWER_MODULE = new URL(
  `./ledger/lease-renewer${extname(fileURLToPath(import.meta.url))}`,
  import.meta.url,
).href;

/**
 * Stores jobs in a SQL database, shared with other processes (`shared`), so
 * the scheduler polls it for changes made elsewhere.
 *
 * Job ids: at most 191 Unicode characters (code points), well-formed UTF-16,
 * no NUL character (PostgreSQL text cannot hold it; the rule is the same on
 * every database, so a store can move between them). `addJob` refuses other
 * ids with an `InvalidJobOptionError`; lookups of such ids find nothing.
 *
 * A row that cannot be restored (its function's module moved, an export
 * renamed, invalid JSON, a field of the wrong type) is never deleted: reads
 * skip it and report it through `StoreContext.restoreFailed` once per read.
 *
 * @example
 * ```ts
 * const scheduler = new AsyncScheduler({
 *   jobstores: { default: new SqlJobStore({ url: 'sqlite:jobs.db' }) },
 * });
 * // or, in configuration:
 * // { jobstores: { default: { type: 'sql', url: 'postgres://app@db/app', tableName: 'jobs' } } }
 * ```
 */
export class SqlJobStore implements JobStore, JobPageReader {
  readonly shared = true;
  /**
   * The cluster ledger (`ledger/sql-ledger.ts`): claims, fencing, fires, run
   * leases and node check-ins, in `<tableName>_fires` and `<tableName>_nodes`
   * beside the job table. Usable once the store has started.
   */
  readonly ledger: ClusterLedger;
  /**
   * The job change log (`job-changes-sql.ts`), in `<tableName>_job_changes`.
   * Usable once the store has started.
   */
  readonly jobChanges: JobChangeLog = {
    recordJobChanges: async (changes) => this.#changeLog().recordJobChanges(changes),
    getJobChanges: async (jobId, query) => this.#changeLog().getJobChanges(jobId, query),
  };
  #jobChanges: SqlJobChanges | null = null;
  /**
   * The store outage log (`outages-sql.ts`), in `<tableName>_outages`. Usable
   * once the store has started.
   */
  readonly outages: OutageLog = {
    recordOutage: async (outage) => this.#outageLog().recordOutage(outage),
    getOutages: async (query) => this.#outageLog().getOutages(query),
  };
  #outages: SqlOutages | null = null;
  /** The named calendars (`sql-calendars.ts`), in `<tableName>_calendars`. Usable once the store has started. */
  readonly calendars: CalendarStore = {
    getCalendars: async () => this.#calendarTable().getCalendars(),
    putCalendar: async (name, state, replace) =>
      this.#calendarTable().putCalendar(name, state, replace),
    removeCalendar: async (name) => this.#calendarTable().removeCalendar(name),
  };
  #calendars: SqlCalendars | null = null;
  readonly #options: NormalizedOptions;
  readonly #table: string;
  #backend: SqlBackend | null = null;
  #ledger: SqlLedger | null = null;
  #dialect: SqlDialectName = 'sqlite';
  #context: StoreContext | null = null;
  #alias = '';
  /**
   * Rows that failed to restore, by id, with the `next_run_time` they had
   * then. `getNextRunTime` passes over them while that time is unchanged: a
   * broken row that is due would otherwise make the scheduler wake up at once,
   * find nothing it can run, and wake up again — a busy loop.
   */
  readonly #broken = new Map<string, unknown>();

  constructor(options: SqlJobStoreOptions) {
    const normalized = normalizeOptions(options as Record<string, unknown>, 'SqlJobStore');
    this.#options = normalized;
    this.#table = normalized.tableName;
    this.ledger = {
      ...deferredLedger(() => {
        this.#started();
        return this.#ledger as SqlLedger;
      }),
      wakeChannel: (onError) => this.#wakeChannel(onError),
      identity: () => this.#identity(),
    };
  }

  /**
   * Wake-ups over PostgreSQL LISTEN/NOTIFY, on a connection of their own
   * opened from the store's URL; the other databases have none (nodes poll).
   */
  #wakeChannel(onError: (message: string) => void): WakeChannel | undefined {
    const { url } = this.#options;
    if (url === undefined) return undefined;
    const target = parseSqlUrl(url);
    if (target.dialect !== 'postgres') return undefined;
    return new PgWakeChannel({
      url: target.url,
      storeIdentity: this.#identity(),
      connectTimeoutMs: this.#options.connectTimeout * 1000,
      onError,
    });
  }

  /** The database and table, never credentials: a SQLite file by host and absolute path. */
  #identity(): string {
    const { url } = this.#options;
    if (url === undefined) return `sql:${this.#dialect}#${this.#table}`;
    const target = parseSqlUrl(url);
    if (target.dialect === 'sqlite')
      return `sqlite:${hostname()}:${resolve(target.path)}#${this.#table}`;
    try {
      const parsed = new URL(target.url);
      return `${target.dialect}://${parsed.hostname}:${parsed.port}${parsed.pathname}#${this.#table}`;
    } catch {
      return `${target.dialect}#${this.#table}`;
    }
  }

  /**
   * How the lease worker opens a connection of its own: from the store's
   * URL only (an application's Kysely instance cannot be opened again in a
   * worker), and never to an in-memory SQLite database, which another
   * connection would not see.
   */
  #leaseConnection(): LeaseConnection | undefined {
    const { url } = this.#options;
    if (url === undefined) return undefined;
    const target = parseSqlUrl(url);
    if (
      target.dialect === 'sqlite' &&
      (target.path === ':memory:' || target.path.includes('mode=memory'))
    )
      return undefined;
    const options: LeaseRenewerOptions = {
      url,
      tableName: this.#table,
      durability: this.#options.durability,
      sqliteDriver: this.#options.sqliteDriver,
      busyTimeout: this.#options.busyTimeout * 1000,
      connectTimeout: this.#options.connectTimeout * 1000,
    };
    return { module: LEASE_RENEWER_MODULE, export: 'openLeaseRenewer', options };
  }

  /** The dialect in use (known after `start()`). */
  get dialect(): SqlDialectName {
    return this.#dialect;
  }

  /** The table name. */
  get tableName(): string {
    return this.#table;
  }

  /**
   * Opens the database (when given a `url`) and creates or upgrades the table.
   * @throws SqlStoreSetupError when the URL, driver or schema is unusable.
   */
  async start(context: StoreContext, alias: string): Promise<void> {
    if (this.#backend !== null)
      throw new SqlStoreSetupError(`SqlJobStore "${alias}" is already started`);
    this.#context = context;
    this.#alias = alias;
    const { db, url } = this.#options;
    const backend = await startBackend(
      db !== undefined ? { db } : { url: url as string },
      {
        durability: this.#options.durability,
        busyTimeout: this.#options.busyTimeout * 1000,
        sqliteDriver: this.#options.sqliteDriver,
        poolSize: this.#options.poolSize,
        connectTimeout: this.#options.connectTimeout * 1000,
        onPoolError: (error) =>
          context.logger.error(`Job store "${alias}": an idle database connection failed`, error),
        onSessionSetupError: (error) =>
          context.logger.error(
            `Job store "${alias}": a new database connection could not be set up as configured; it runs with the server's settings`,
            error,
          ),
      },
      this.#table,
    );
    this.#dialect = backend.dialect;
    this.#broken.clear();
    // Loaded with the store's database, as the backend is: it builds its statements with Kysely.
    const { SqlLedger } = await import('./ledger/sql-ledger.ts');
    this.#ledger = new SqlLedger({
      backend,
      names: tableNames(this.#table),
      restoreRows: (rows) => Promise.all(rows.map((row) => this.#restore(row))),
      rowOf: (job) => this.#rowOf(job),
      written: (id) => this.#broken.delete(id),
      leaseConnection: () => this.#leaseConnection(),
    });
    const { SqlJobChanges } = await import('./job-changes-sql.ts');
    this.#jobChanges = new SqlJobChanges(() => this.#started(), tableNames(this.#table));
    const { SqlOutages } = await import('./outages-sql.ts');
    this.#outages = new SqlOutages(() => this.#started(), tableNames(this.#table));
    const { SqlCalendars } = await import('./sql-calendars.ts');
    this.#calendars = new SqlCalendars(() => this.#started(), tableNames(this.#table));
    this.#backend = backend;
  }

  /** The calendars, once the store has started. */
  #calendarTable(): SqlCalendars {
    this.#started();
    return this.#calendars as SqlCalendars;
  }

  /** The job change log, once the store has started (it builds its statements with Kysely). */
  #changeLog(): SqlJobChanges {
    this.#started();
    return this.#jobChanges as SqlJobChanges;
  }

  /** The outage log, once the store has started (it builds its statements with Kysely). */
  #outageLog(): SqlOutages {
    this.#started();
    return this.#outages as SqlOutages;
  }

  /** Closes the connection (pool) if the store opened it; a `db` given to the store stays open. */
  async shutdown(): Promise<void> {
    const backend = this.#backend;
    this.#backend = null;
    await backend?.close();
  }

  async lookupJob(id: string): Promise<Job | null> {
    const { run, queries } = this.#started();
    if (idProblem(id) !== null) return null;
    const { rows } = await run<JobRow>(queries.lookup.bind([id]));
    const row = rows[0];
    return row === undefined ? null : this.#restore(row);
  }

  async getDueJobs(now: Date): Promise<Job[]> {
    const { run, queries } = this.#started();
    const { rows } = await run<JobRow>(queries.due.bind([epochMs(now, 'now')]));
    return this.#restoreAll(rows);
  }

  async getNextRunTime(): Promise<Date | null> {
    const backend = this.#started();
    if (this.#broken.size === 0) {
      const { rows } = await backend.run<{ next: unknown }>(backend.queries.nextRunTime.bind([]));
      return toDate(rows[0]?.next ?? null);
    }
    // Read as many (id, time) pairs as there are broken rows, plus one: at
    // least one of them is a job that was not broken when last read.
    const { rows } = await backend.runOnce<{ id: string; next_run_time: unknown }>(
      backend.queries.firstRunTimes(this.#broken.size + 1),
    );
    forgetUnread(
      this.#broken,
      rows.map((row) => row.id),
    );
    for (const row of rows) {
      if (this.#broken.has(row.id) && sameTime(this.#broken.get(row.id), row.next_run_time))
        continue;
      const time = toDate(row.next_run_time);
      if (time !== null) return time;
    }
    return null;
  }

  async getAllJobs(): Promise<Job[]> {
    const { run, queries } = this.#started();
    const { rows } = await run<JobRow>(queries.all.bind([]));
    return this.#restoreAll(rows);
  }

  /** A page of jobs in the store's order (keyset paging, see `stores/job-pages.ts`): one indexed query. */
  async getJobPage(query: JobPageQuery): Promise<Job[]> {
    const backend = this.#started();
    const { readSqlJobPage } = await import('./job-pages-sql.ts');
    return readSqlJobPage(backend, this.#table, query, (rows) => this.#restoreAll(rows));
  }

  /** How many jobs the table holds, scheduled and paused. */
  async countJobs(): Promise<JobCounts> {
    const backend = this.#started();
    const { countSqlJobs } = await import('./job-pages-sql.ts');
    return countSqlJobs(backend, this.#table);
  }

  /**
   * @throws ConflictingIdError when the id exists.
   * @throws InvalidJobOptionError when the id is too long or contains NUL or an unpaired surrogate.
   * @throws SerializationError when the job cannot be stored (no textual function reference, unserializable arguments).
   * @throws JobTooLargeError (a SerializationError) when the job is larger than the database takes.
   */
  async addJob(job: Job): Promise<void> {
    const backend = this.#started();
    const row = this.#rowOf(job);
    try {
      await backend.run(backend.queries.insert.bind([row.id, row.next_run_time, row.job_state]));
    } catch (error) {
      if (backend.isUniqueViolation(error)) throw new ConflictingIdError(job.id);
      throw error;
    }
  }

  /**
   * Adds every job in one transaction, or none: when an id exists in the
   * table or repeats within `jobs`, throws ConflictingIdError for the first
   * such id (in `jobs` order). Every job is serialized before the database is
   * touched.
   */
  async addJobs(jobs: readonly Job[]): Promise<void> {
    const backend = this.#started();
    await backend.insertRows(jobs.map((job) => this.#rowOf(job)));
  }

  /**
   * @throws JobLookupError when no job has this id.
   * @throws SerializationError when the job cannot be stored.
   */
  async updateJob(job: Job): Promise<void> {
    const { run, queries } = this.#started();
    if (idProblem(job.id) !== null) throw new JobLookupError(job.id);
    const row = this.#rowOf(job);
    const result = await run(queries.update.bind([row.id, row.next_run_time, row.job_state]));
    // A MySQL client without FOUND_ROWS counts only changed rows: 0 may mean "unchanged".
    if (!result.numAffectedRows && (await run(queries.exists.bind([row.id]))).rows.length === 0)
      throw new JobLookupError(row.id);
    this.#broken.delete(row.id);
  }

  /**
   * Replaces many jobs in one transaction. Jobs whose id is not in the table
   * (or that no job can have) are skipped; their ids are returned. Every job
   * is serialized before the database is touched.
   *
   * @throws SerializationError when a job cannot be stored; nothing is written then.
   */
  async updateJobs(jobs: readonly Job[]): Promise<string[]> {
    const backend = this.#started();
    const missing: string[] = [];
    // The last version of each job wins, as with one updateJob call after another.
    const latest = new Map<string, InsertRow>();
    for (const job of jobs) {
      if (idProblem(job.id) !== null) missing.push(job.id);
      else latest.set(job.id, this.#rowOf(job));
    }
    if (latest.size === 0) return missing;
    const found = await backend.updateRows([...latest.values()]);
    for (const id of found) this.#broken.delete(id);
    for (const job of jobs) {
      if (latest.has(job.id) && !found.has(job.id)) missing.push(job.id);
    }
    return missing;
  }

  /** @throws JobLookupError when no job has this id. */
  async removeJob(id: string): Promise<void> {
    const { run, queries } = this.#started();
    if (idProblem(id) !== null) throw new JobLookupError(id);
    const result = await run(queries.remove.bind([id]));
    if (!result.numAffectedRows) throw new JobLookupError(id);
    this.#broken.delete(id);
  }

  /** Removes many jobs in one transaction; ids not in the table are skipped and returned. */
  async removeJobs(ids: readonly string[]): Promise<string[]> {
    const backend = this.#started();
    const valid = [...new Set(ids.filter((id) => idProblem(id) === null))];
    const removed = valid.length === 0 ? new Set<string>() : await backend.removeRows(valid);
    for (const id of removed) this.#broken.delete(id);
    // Each id that was removed counts once; a repeat of it is missing, as with removeJob.
    const counted = new Set<string>();
    return ids.filter((id) => !removed.has(id) || counted.has(id) || !counted.add(id));
  }

  async removeAllJobs(): Promise<void> {
    const { run, queries } = this.#started();
    await run(queries.removeAll.bind([]));
    this.#broken.clear();
  }

  /**
   * Refuses a job the store could never hold (before `start()` too: the
   * database is known from the options). Its size is checked once the store
   * has started and knows its database's limit.
   */
  checkJob(job: Job): void {
    const dialect =
      this.#backend?.dialect ??
      (this.#options.url !== undefined ? parseSqlUrl(this.#options.url).dialect : undefined);
    // A Kysely instance given as `db` names its dialect only once the store has started.
    rowOf(job, dialect === undefined ? 'its database' : DIALECT_NAMES[dialect]);
  }

  /** The row of a job. @throws InvalidJobOptionError, SerializationError, JobTooLargeError */
  #rowOf(job: Job): InsertRow {
    const backend = this.#started();
    const row = rowOf(job, DIALECT_NAMES[backend.dialect]);
    checkRowSize(row, backend.jobSizeLimit);
    return row;
  }

  #started(): SqlBackend {
    if (this.#backend === null) {
      throw new SqlStoreSetupError(
        'SqlJobStore is not started: add it to a scheduler (or call start()) first',
      );
    }
    return this.#backend;
  }

  /**
   * The jobs in `rows`, in order. Rows are restored concurrently (resolving
   * function references may import modules); failures are reported in row order.
   */
  async #restoreAll(rows: readonly JobRow[]): Promise<Job[]> {
    const outcomes = await Promise.all(rows.map((row) => this.#attempt(row)));
    const jobs: Job[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) jobs.push(outcome.job);
      else this.#reportFailure(rows[i]!, outcome.error);
    });
    return jobs;
  }

  /** The job in `row`, or null after reporting why it cannot be restored. */
  async #restore(row: JobRow): Promise<Job | null> {
    const outcome = await this.#attempt(row);
    if (outcome.ok) return outcome.job;
    this.#reportFailure(row, outcome.error);
    return null;
  }

  async #attempt(row: JobRow): Promise<{ ok: true; job: Job } | { ok: false; error: unknown }> {
    try {
      const job = await this.#context!.restoreJob(documentOf(row));
      this.#broken.delete(row.id);
      return { ok: true, job };
    } catch (error) {
      return { ok: false, error };
    }
  }

  #reportFailure(row: JobRow, error: unknown): void {
    const context = this.#context!;
    this.#broken.set(row.id, row.next_run_time);
    let nextRunTime: Date | null = null;
    try {
      nextRunTime = toDate(row.next_run_time);
    } catch {
      // An unreadable time is reported as unknown.
    }
    try {
      context.restoreFailed({ jobId: row.id, nextRunTime, error });
    } catch (reportError) {
      context.logger.error(
        `Job store "${this.#alias}": reporting that job "${row.id}" cannot be restored failed`,
        reportError,
      );
    }
  }
}

/** A SQL job store from a configuration entry's options; `key` names the entry in errors. */
export function sqlJobStoreFromConfig(options: Record<string, unknown>, key: string): SqlJobStore {
  return new SqlJobStore(normalizeOptions(options, key));
}
