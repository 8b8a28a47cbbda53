/**
 * `SqlJobStore` (config type `'sql'`): jobs in one table of a SQLite,
 * PostgreSQL or MySQL/MariaDB database, through Kysely — APScheduler's
 * SQLAlchemyJobStore with JSON instead of pickle.
 *
 * Layout (created and upgraded by `migrations.ts`):
 *
 * | column          | type                                   | notes                                       |
 * |-----------------|----------------------------------------|---------------------------------------------|
 * | `id`            | varchar(191), binary collation         | primary key; ids compare by code point      |
 * | `next_run_time` | bigint, nullable, indexed              | epoch milliseconds; NULL = paused           |
 * | `job_state`     | text / longtext                        | `JSON.stringify(jobToDocument(job))`        |
 *
 * The `next_run_time` column is authoritative: a restored job takes its next
 * run time from it, so editing the column by hand reschedules the job.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { DeserializationError, InvalidJobOptionError } from '../../jobs/errors.ts';
import type { Job } from '../../jobs/job.ts';
import { serializeJob } from '../../jobs/serialization.ts';
import { coerceNumber } from '../../scheduler/config.ts';
import { ConfigurationError } from '../../scheduler/errors.ts';
import { registerJobStoreType } from '../../scheduler/plugins.ts';
import { ConflictingIdError, JobLookupError } from '../errors.ts';
import type { JobStore, StoreContext } from '../store.ts';
import {
  dialectOf,
  isKysely,
  isUniqueViolation,
  type KyselyInstance,
  openDatabase,
  parseSqlUrl,
  type SqlDialectName,
  type SqliteDriverName,
  type SqliteDurability,
  SqlStoreSetupError,
} from './dialects.ts';
import { checkTableName, MAX_ID_LENGTH, migrateJobsTable } from './migrations.ts';

/** Options of {@link SqlJobStore}: a `url` or a `db`, not both. */
export interface SqlJobStoreOptions {
  /**
   * The database: `'sqlite:jobs.db'`, `'sqlite:/var/lib/app/jobs.db'`,
   * `'sqlite::memory:'`, `'postgres://user:pass@host:5432/db'` (or
   * `postgresql://`), `'mysql://user:pass@host:3306/db'` (or `mariadb://`).
   * The store opens the connection (pool) at `start()` and closes it at `shutdown()`.
   */
  url?: string;
  /**
   * An existing Kysely instance (SQLite, PostgreSQL or MySQL dialect) to use
   * instead of `url`. The store never destroys it, and ignores its plugins.
   * Its connection settings (SQLite pragmas, MySQL `sql_mode`) are the
   * application's: the store sets them only on connections it opens.
   */
  db?: KyselyInstance;
  /** The table (default `'horarium_jobs'`); its migration tables are `<tableName>_migrations` and `<tableName>_migrations_lock`. */
  tableName?: string;
  /**
   * SQLite only (always in WAL mode). `'normal'` (default): an acknowledged
   * write survives a crash or `kill -9` of the process, but a power loss or OS
   * crash may lose the last writes. `'full'`: an fsync per write, and
   * acknowledged writes also survive a power loss.
   */
  durability?: SqliteDurability;
  /** SQLite only: seconds a write waits for another process's lock before failing (default 5). */
  busyTimeout?: number;
  /** SQLite only: `'auto'` (default) uses better-sqlite3 when installed, else `node:sqlite` (Node ≥ 22.13). */
  sqliteDriver?: SqliteDriverName;
  /** PostgreSQL / MySQL with `url`: the most connections in the pool (default: the driver's, 10). */
  poolSize?: number;
  /** PostgreSQL / MySQL with `url`: seconds to wait for a connection (default 10). */
  connectTimeout?: number;
}

/** The job table as Kysely sees it; any table name maps to it. */
interface JobsTable {
  id: string;
  /** pg returns bigint as text, mysql2 and SQLite as number; a hand-edited SQLite row may hold anything. */
  next_run_time: number | string | bigint | null;
  /** Text as written; a hand-edited row may hold something else. */
  job_state: unknown;
}

type JobsDatabase = Record<string, JobsTable>;

interface JobRow {
  id: string;
  next_run_time: unknown;
  job_state: unknown;
}

interface InsertRow {
  id: string;
  next_run_time: number | null;
  job_state: string;
}

const DEFAULT_TABLE = 'horarium_jobs';
/** addJobs inserts this many rows per statement at most (3 parameters each; SQLite allows 32,766)… */
const BATCH_ROWS = 500;
/** …and about this many characters of job state (MySQL's max_allowed_packet is 16 MiB by default). */
const BATCH_CHARS = 4 * 1024 * 1024;

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
export class SqlJobStore implements JobStore {
  readonly shared = true;
  readonly #options: NormalizedOptions;
  readonly #table: string;
  #db: Kysely<JobsDatabase> | null = null;
  #dialect: SqlDialectName = 'sqlite';
  /** Did this store open the database (so that it closes it)? */
  #owned = false;
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
    if (this.#db !== null)
      throw new SqlStoreSetupError(`SqlJobStore "${alias}" is already started`);
    this.#context = context;
    this.#alias = alias;
    const { db: given, url } = this.#options;
    let db: Kysely<JobsDatabase>;
    if (given !== undefined) {
      const kysely = given as unknown as Kysely<JobsDatabase>;
      if (kysely.isTransaction) {
        throw new SqlStoreSetupError(
          'SqlJobStore needs a Kysely instance, not a transaction: it runs its own transactions',
        );
      }
      this.#dialect = dialectOf(given);
      db = kysely.withoutPlugins();
      this.#owned = false;
    } else {
      const target = parseSqlUrl(url as string);
      this.#dialect = target.dialect;
      db = await openDatabase<JobsDatabase>(target, {
        durability: this.#options.durability,
        busyTimeout: this.#options.busyTimeout * 1000,
        sqliteDriver: this.#options.sqliteDriver,
        poolSize: this.#options.poolSize,
        connectTimeout: this.#options.connectTimeout * 1000,
        onPoolError: (error) =>
          context.logger.error(`Job store "${alias}": an idle database connection failed`, error),
      });
      this.#owned = true;
    }
    try {
      await migrateJobsTable(db as unknown as Kysely<unknown>, this.#dialect, this.#table);
    } catch (error) {
      if (this.#owned) await db.destroy();
      throw error;
    }
    this.#broken.clear();
    this.#db = db;
  }

  /** Closes the connection (pool) if the store opened it; a `db` given to the store stays open. */
  async shutdown(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    if (db !== null && this.#owned) await db.destroy();
  }

  async lookupJob(id: string): Promise<Job | null> {
    const db = this.#started();
    if (idProblem(id) !== null) return null;
    const row = await db
      .selectFrom(this.#table)
      .select(['id', 'next_run_time', 'job_state'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : this.#restore(row);
  }

  async getDueJobs(now: Date): Promise<Job[]> {
    const db = this.#started();
    const rows = await db
      .selectFrom(this.#table)
      .select(['id', 'next_run_time', 'job_state'])
      .where('next_run_time', '<=', epochMs(now, 'now'))
      .orderBy('next_run_time')
      .orderBy('id')
      .execute();
    return this.#restoreAll(rows);
  }

  async getNextRunTime(): Promise<Date | null> {
    const db = this.#started();
    if (this.#broken.size === 0) {
      const row = await db
        .selectFrom(this.#table)
        .select((eb) => eb.fn.min('next_run_time').as('next'))
        .executeTakeFirst();
      return toDate(row?.next ?? null);
    }
    // Read as many (id, time) pairs as there are broken rows, plus one: at
    // least one of them is a job that was not broken when last read.
    const rows = await db
      .selectFrom(this.#table)
      .select(['id', 'next_run_time'])
      .where('next_run_time', 'is not', null)
      .orderBy('next_run_time')
      .orderBy('id')
      .limit(this.#broken.size + 1)
      .execute();
    for (const row of rows) {
      if (this.#broken.has(row.id) && sameTime(this.#broken.get(row.id), row.next_run_time))
        continue;
      const time = toDate(row.next_run_time);
      if (time !== null) return time;
    }
    return null;
  }

  async getAllJobs(): Promise<Job[]> {
    const db = this.#started();
    const rows = await db
      .selectFrom(this.#table)
      .select(['id', 'next_run_time', 'job_state'])
      .orderBy(sql`next_run_time is null`)
      .orderBy('next_run_time')
      .orderBy('id')
      .execute();
    return this.#restoreAll(rows);
  }

  /**
   * @throws ConflictingIdError when the id exists.
   * @throws InvalidJobOptionError when the id is too long or contains NUL or an unpaired surrogate.
   * @throws SerializationError when the job cannot be stored (no textual function reference, unserializable arguments).
   */
  async addJob(job: Job): Promise<void> {
    const db = this.#started();
    const row = rowOf(job);
    try {
      await db.insertInto(this.#table).values(row).execute();
    } catch (error) {
      if (isUniqueViolation(this.#dialect, error)) throw new ConflictingIdError(job.id);
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
    const db = this.#started();
    const rows = jobs.map(rowOf);
    const seen = new Set<string>();
    let repeat = rows.findIndex((row) => seen.has(row.id) || !seen.add(row.id));
    if (repeat === -1) repeat = rows.length;
    // Insert the rows before the first repeated id; a duplicate among them means
    // one of them exists in the table, and it is an earlier conflict than the repeat.
    const distinct = rows.slice(0, repeat);
    try {
      await db.transaction().execute(async (trx) => {
        for (const chunk of chunks(distinct))
          await trx.insertInto(this.#table).values(chunk).execute();
        if (repeat < rows.length) throw new ConflictingIdError(rows[repeat]!.id);
      });
    } catch (error) {
      if (!isUniqueViolation(this.#dialect, error)) throw error;
      throw new ConflictingIdError(await this.#firstExisting(distinct));
    }
  }

  /**
   * @throws JobLookupError when no job has this id.
   * @throws SerializationError when the job cannot be stored.
   */
  async updateJob(job: Job): Promise<void> {
    const db = this.#started();
    if (idProblem(job.id) !== null) throw new JobLookupError(job.id);
    const { id, ...values } = rowOf(job);
    const result = await db
      .updateTable(this.#table)
      .set(values)
      .where('id', '=', id)
      .executeTakeFirst();
    // A MySQL client without FOUND_ROWS counts only changed rows: 0 may mean "unchanged".
    if (result.numUpdatedRows === 0n && !(await this.#exists(id))) throw new JobLookupError(id);
    this.#broken.delete(id);
  }

  /** @throws JobLookupError when no job has this id. */
  async removeJob(id: string): Promise<void> {
    const db = this.#started();
    if (idProblem(id) !== null) throw new JobLookupError(id);
    const result = await db.deleteFrom(this.#table).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new JobLookupError(id);
    this.#broken.delete(id);
  }

  async removeAllJobs(): Promise<void> {
    const db = this.#started();
    await db.deleteFrom(this.#table).execute();
    this.#broken.clear();
  }

  #started(): Kysely<JobsDatabase> {
    if (this.#db === null) {
      throw new SqlStoreSetupError(
        'SqlJobStore is not started: add it to a scheduler (or call start()) first',
      );
    }
    return this.#db;
  }

  async #exists(id: string): Promise<boolean> {
    const row = await this.#started()
      .selectFrom(this.#table)
      .select('id')
      .where('id', '=', id)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The first of `rows` whose id is in the table, after a batch insert hit a
   * duplicate key. Another process may have removed it since; the first id of
   * the batch stands in then.
   */
  async #firstExisting(rows: readonly InsertRow[]): Promise<string> {
    const existing = new Set<string>();
    for (const chunk of chunks(rows)) {
      const found = await this.#started()
        .selectFrom(this.#table)
        .select('id')
        .where(
          'id',
          'in',
          chunk.map((row) => row.id),
        )
        .execute();
      for (const row of found) existing.add(row.id);
    }
    return (rows.find((row) => existing.has(row.id)) ?? rows[0]!).id;
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

registerJobStoreType('sql', (options, { key }) => new SqlJobStore(normalizeOptions(options, key)));

// ------------------------------------------------------------------ rows

/**
 * Why the SQL store cannot hold this id, or null when it can.
 */
function idProblem(id: string): string | null {
  if (typeof id !== 'string') return 'is not a string';
  if (id.includes('\u0000')) return 'contains a NUL character, which PostgreSQL text cannot hold';
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id))
    return 'contains an unpaired UTF-16 surrogate, which is not valid Unicode text';
  if (id.length > MAX_ID_LENGTH) {
    let length = 0;
    for (const _ of id) length++;
    if (length > MAX_ID_LENGTH)
      return `is ${length} characters long; the SQL job store holds ids of at most ${MAX_ID_LENGTH} characters`;
  }
  return null;
}

function describeId(id: string): string {
  const preview = id.length > 60 ? `${id.slice(0, 60)}…` : id;
  return JSON.stringify(preview);
}

/** The row of a job. @throws InvalidJobOptionError, SerializationError, RangeError */
function rowOf(job: Job): InsertRow {
  const problem = idProblem(job.id);
  if (problem !== null) {
    throw new InvalidJobOptionError('id', `Job id ${describeId(job.id)} ${problem}`);
  }
  let time: number | null = null;
  if (job.nextRunTime !== null) {
    time = job.nextRunTime.getTime();
    if (Number.isNaN(time)) throw new RangeError(`Job "${job.id}" has an invalid next run time`);
  }
  return { id: job.id, next_run_time: time, job_state: serializeJob(job) };
}

function* chunks(rows: readonly InsertRow[]): Generator<InsertRow[]> {
  let chunk: InsertRow[] = [];
  let chars = 0;
  for (const row of rows) {
    if (
      chunk.length > 0 &&
      (chunk.length >= BATCH_ROWS || chars + row.job_state.length > BATCH_CHARS)
    ) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
    chunk.push(row);
    chars += row.job_state.length;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * The job document stored in `row`, its next run time taken from the
 * `next_run_time` column. @throws DeserializationError naming the job
 */
function documentOf(row: JobRow): unknown {
  const fail = (reason: string, cause?: unknown): never => {
    throw new DeserializationError(
      `job '${row.id}' cannot be restored: ${reason}`,
      { jobId: row.id },
      cause === undefined ? undefined : { cause },
    );
  };
  if (typeof row.job_state !== 'string') {
    return fail(`its job_state column holds ${describeValue(row.job_state)}, not JSON text`);
  }
  let document: unknown;
  try {
    document = JSON.parse(row.job_state);
  } catch (error) {
    return fail(
      `its job_state column is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return document; // restoreJob names what is wrong with it
  }
  const stored = document as Record<string, unknown>;
  if (stored.id !== row.id) {
    fail(`its job_state holds the state of job ${JSON.stringify(stored.id)}`);
  }
  let time: Date | null;
  try {
    time = toDate(row.next_run_time);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), error);
  }
  return { ...stored, nextRunTime: time === null ? null : time.toISOString() };
}

function describeValue(value: unknown): string {
  if (value === null) return 'NULL';
  if (value instanceof Uint8Array) return `a ${value.length}-byte blob`;
  return `a ${typeof value}`;
}

/** A `next_run_time` value as a Date. @throws RangeError when it is not an epoch-milliseconds integer */
function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  let ms = Number.NaN;
  if (typeof value === 'number' || typeof value === 'bigint') ms = Number(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) ms = Number(value);
  const date = new Date(ms);
  if (!Number.isSafeInteger(ms) || Number.isNaN(date.getTime())) {
    throw new RangeError(
      `its next_run_time column holds ${JSON.stringify(String(value))}, not epoch milliseconds`,
    );
  }
  return date;
}

function sameTime(a: unknown, b: unknown): boolean {
  return a === b || (a !== null && b !== null && String(a) === String(b));
}

function epochMs(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be a valid Date`);
  return ms;
}

// ------------------------------------------------------------------ options

type NormalizedOptions = Required<Omit<SqlJobStoreOptions, 'url' | 'db' | 'poolSize'>> &
  Pick<SqlJobStoreOptions, 'url' | 'db' | 'poolSize'>;

const OPTION_NAMES = [
  'url',
  'db',
  'tableName',
  'durability',
  'busyTimeout',
  'sqliteDriver',
  'poolSize',
  'connectTimeout',
];

/** Checks the options (from code or configuration). @throws ConfigurationError naming `key.option` */
function normalizeOptions(options: Record<string, unknown>, key: string): NormalizedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(key, 'expected an options object with a url or a db');
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name) && options[name] !== undefined) {
      throw new ConfigurationError(
        `${key}.${name}`,
        `unknown SQL job store option (known: ${OPTION_NAMES.join(', ')})`,
      );
    }
  }
  const { url, db } = options;
  if ((url === undefined) === (db === undefined)) {
    throw new ConfigurationError(
      key,
      url === undefined
        ? 'the SQL job store needs a url (e.g. "sqlite:jobs.db") or a db (a Kysely instance)'
        : 'give the SQL job store a url or a db, not both',
    );
  }
  if (url !== undefined) {
    if (typeof url !== 'string') throw new ConfigurationError(`${key}.url`, 'expected a string');
    try {
      parseSqlUrl(url);
    } catch (error) {
      throw new ConfigurationError(`${key}.url`, (error as Error).message, { cause: error });
    }
  }
  if (db !== undefined && !isKysely(db)) {
    throw new ConfigurationError(`${key}.db`, 'expected a Kysely instance');
  }
  let tableName: string;
  try {
    tableName = checkTableName(options.tableName ?? DEFAULT_TABLE);
  } catch (error) {
    throw new ConfigurationError(`${key}.tableName`, (error as Error).message, { cause: error });
  }
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
      return value as T;
    throw new ConfigurationError(
      `${key}.${name}`,
      `expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${JSON.stringify(value) ?? typeof value}`,
    );
  };
  const seconds = (name: string, fallback: number): number =>
    options[name] === undefined
      ? fallback
      : coerceNumber(`${key}.${name}`, options[name], { min: 0, max: 86_400 });
  return {
    url: url as string | undefined,
    db: db as KyselyInstance | undefined,
    tableName,
    durability: oneOf<SqliteDurability>('durability', ['normal', 'full'], 'normal'),
    busyTimeout: seconds('busyTimeout', 5),
    sqliteDriver: oneOf<SqliteDriverName>(
      'sqliteDriver',
      ['auto', 'better-sqlite3', 'node:sqlite'],
      'auto',
    ),
    poolSize:
      options.poolSize === undefined
        ? undefined
        : coerceNumber(`${key}.poolSize`, options.poolSize, { integer: true, min: 1, max: 1000 }),
    connectTimeout: seconds('connectTimeout', 10),
  };
}
