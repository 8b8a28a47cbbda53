/**
 * `SqlJobStore` (config type `'sql'`): jobs in one table of a SQLite,
 * PostgreSQL or MySQL/MariaDB database, through Kysely — APScheduler's
 * SQLAlchemyJobStore with JSON instead of pickle. Its statements are built
 * once (`queries.ts`); on connections the store opens itself they run as
 * prepared statements of the driver (`statement-runner.ts`).
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
import type { CompiledQuery, Kysely, QueryResult, SqliteDatabase, SqliteStatement } from 'kysely';
import { coerceNumber } from '../../config/coerce.ts';
import { ConfigurationError } from '../../config/errors.ts';
import { checkOptionNames } from '../../config/suggest.ts';
import { DeserializationError, InvalidJobOptionError } from '../../jobs/errors.ts';
import type { Job } from '../../jobs/job.ts';
import { serializeJob } from '../../jobs/serialization.ts';
import { isStorableId } from '../common.ts';
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
  type SqlDurability,
  type SqliteDriverName,
  SqlStoreSetupError,
} from './dialects.ts';
import { checkTableName, MAX_ID_LENGTH, migrateJobsTable } from './migrations.ts';
import {
  type BatchStatements,
  BEGIN_IMMEDIATE,
  batchStatements,
  COMMIT,
  compileQueries,
  insertSizes,
  type JobsDatabase,
  MAX_INSERT_ROWS,
  MAX_PADDED_ROWS,
  paddedSizes,
  type Queries,
  ROLLBACK,
  type SizedStatements,
} from './queries.ts';
import { kyselyRunner, type RunStatement, type StatementRunner } from './statement-runner.ts';

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
   * SQLite (always in WAL mode): `'normal'` (default): an acknowledged
   * write survives a crash or `kill -9` of the process, but a power loss or OS
   * crash may lose the last writes. `'full'`: an fsync per write, and
   * acknowledged writes also survive a power loss.
   *
   * PostgreSQL: by default the server's settings, fully durable with
   * PostgreSQL's defaults. `'relaxed'` (opt-in, with `url` only) runs the
   * store's connections with `synchronous_commit = off`: writes are several
   * times faster and stay consistent, and survive the application's process
   * dying, but a crash of the database server or its machine may lose the
   * last fraction of a second of them. See {@link SqlDurability}.
   *
   * MySQL/MariaDB: the server's settings (`innodb_flush_log_at_trx_commit` is
   * server-wide); `'relaxed'` is refused.
   */
  durability?: SqlDurability;
  /** SQLite only: seconds a write waits for another process's lock before failing (default 5). */
  busyTimeout?: number;
  /**
   * SQLite only: `'auto'` (default) uses `node:sqlite` on Node ≥ 24; on Node 20
   * and 22, better-sqlite3 when installed, else `node:sqlite` (Node ≥ 22.13).
   */
  sqliteDriver?: SqliteDriverName;
  /** PostgreSQL / MySQL with `url`: the most connections in the pool (default: the driver's, 10). */
  poolSize?: number;
  /** PostgreSQL / MySQL with `url`: seconds to wait for a connection (default 10). */
  connectTimeout?: number;
}

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
/** Conflict lookups pass this many ids per statement at most. */
const LOOKUP_IDS = 500;
/** A statement carries about this many characters of job state at most (MySQL's max_allowed_packet is 16 MiB by default). */
const BATCH_CHARS = 4 * 1024 * 1024;
/** PostgreSQL batch statements pass three arrays, whatever the number of rows: this many rows at most. */
const UNNEST_ROWS = 5_000;

/** The arguments of a PostgreSQL batch statement: one array per column. */
function columnsOf(rows: readonly InsertRow[]): [string[], (number | null)[], string[]] {
  return [rows.map((r) => r.id), rows.map((r) => r.next_run_time), rows.map((r) => r.job_state)];
}

/** What a started store works with. */
interface Connection {
  db: Kysely<JobsDatabase>;
  queries: Queries;
  batches: BatchStatements;
  /**
   * The SQLite connection the store opened, on which it runs its statements
   * directly, each prepared once; null when the store runs them through `runner`.
   */
  sqlite: SqliteDatabase | null;
  /** Runs the store's statements when `sqlite` is null. */
  runner: StatementRunner;
}

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
  #connection: Connection | null = null;
  #dialect: SqlDialectName = 'sqlite';
  /** Did this store open the database (so that it closes it)? */
  #owned = false;
  /** Prepared SQLite statements by SQL text. */
  readonly #statements = new Map<string, SqliteStatement>();
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
    if (this.#connection !== null)
      throw new SqlStoreSetupError(`SqlJobStore "${alias}" is already started`);
    this.#context = context;
    this.#alias = alias;
    const { db: given, url } = this.#options;
    let db: Kysely<JobsDatabase>;
    let sqlite: SqliteDatabase | null = null;
    let runner: StatementRunner | null = null;
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
      const opened = await openDatabase<JobsDatabase>(target, {
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
      });
      db = opened.db;
      sqlite = opened.sqlite;
      runner = opened.runner;
      this.#owned = true;
    }
    try {
      await migrateJobsTable(db as unknown as Kysely<unknown>, this.#dialect, this.#table);
    } catch (error) {
      if (this.#owned) await db.destroy();
      throw error;
    }
    this.#broken.clear();
    this.#statements.clear();
    this.#connection = {
      db,
      queries: compileQueries(db, this.#table),
      batches: batchStatements(db, this.#table),
      sqlite,
      runner: runner ?? kyselyRunner(db),
    };
  }

  /** Closes the connection (pool) if the store opened it; a `db` given to the store stays open. */
  async shutdown(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    this.#statements.clear();
    if (connection !== null && this.#owned) await connection.db.destroy();
  }

  async lookupJob(id: string): Promise<Job | null> {
    const { queries } = this.#started();
    if (idProblem(id) !== null) return null;
    const { rows } = await this.#run<JobRow>(queries.lookup.bind([id]));
    const row = rows[0];
    return row === undefined ? null : this.#restore(row);
  }

  async getDueJobs(now: Date): Promise<Job[]> {
    const { queries } = this.#started();
    const { rows } = await this.#run<JobRow>(queries.due.bind([epochMs(now, 'now')]));
    return this.#restoreAll(rows);
  }

  async getNextRunTime(): Promise<Date | null> {
    const { db, queries } = this.#started();
    if (this.#broken.size === 0) {
      const { rows } = await this.#run<{ next: unknown }>(queries.nextRunTime.bind([]));
      return toDate(rows[0]?.next ?? null);
    }
    // Read as many (id, time) pairs as there are broken rows, plus one: at
    // least one of them is a job that was not broken when last read.
    const { rows } = await this.#runOnce<{ id: string; next_run_time: unknown }>(
      db
        .selectFrom(this.#table)
        .select(['id', 'next_run_time'])
        .where('next_run_time', 'is not', null)
        .orderBy('next_run_time')
        .orderBy('id')
        .limit(this.#broken.size + 1)
        .compile(),
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
    const { queries } = this.#started();
    const { rows } = await this.#run<JobRow>(queries.all.bind([]));
    return this.#restoreAll(rows);
  }

  /**
   * @throws ConflictingIdError when the id exists.
   * @throws InvalidJobOptionError when the id is too long or contains NUL or an unpaired surrogate.
   * @throws SerializationError when the job cannot be stored (no textual function reference, unserializable arguments).
   */
  async addJob(job: Job): Promise<void> {
    const { queries } = this.#started();
    const row = rowOf(job);
    try {
      await this.#run(queries.insert.bind([row.id, row.next_run_time, row.job_state]));
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
    const connection = this.#started();
    const rows = jobs.map(rowOf);
    const seen = new Set<string>();
    let repeat = rows.findIndex((row) => seen.has(row.id) || !seen.add(row.id));
    if (repeat === -1) repeat = rows.length;
    // The rows before the first repeated id; one of them in the table is an
    // earlier conflict than the repeat.
    const distinct = rows.slice(0, repeat);
    if (connection.sqlite !== null) {
      this.#sqliteTransaction(() => {
        this.#insertSqlite(connection.batches.insert, distinct);
        if (repeat < rows.length) throw new ConflictingIdError(rows[repeat]!.id);
      });
      return;
    }
    if (repeat < rows.length) {
      // Nothing is written: name the first id of the table before the repeat, else the repeat.
      const existing = new Set(await this.#existing(distinct.map((row) => row.id)));
      throw new ConflictingIdError(
        (distinct.find((row) => existing.has(row.id)) ?? rows[repeat]!).id,
      );
    }
    const statements = [...insertBatches(distinct, MAX_INSERT_ROWS[this.#dialect])].map((batch) =>
      rowsStatement(connection.batches.insert, batch),
    );
    try {
      await this.#inTransaction(statements.length, async (run) => {
        for (const statement of statements) await run(statement);
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
    const { queries } = this.#started();
    if (idProblem(job.id) !== null) throw new JobLookupError(job.id);
    const row = rowOf(job);
    const result = await this.#run(queries.update.bind([row.id, row.next_run_time, row.job_state]));
    // A MySQL client without FOUND_ROWS counts only changed rows: 0 may mean "unchanged".
    if (!result.numAffectedRows && !(await this.#exists(this.#run, row.id)))
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
    const { queries, sqlite } = this.#started();
    const missing: string[] = [];
    // The last version of each job wins, as with one updateJob call after another.
    const latest = new Map<string, InsertRow>();
    for (const job of jobs) {
      if (idProblem(job.id) !== null) missing.push(job.id);
      else latest.set(job.id, rowOf(job));
    }
    const rows = [...latest.values()];
    if (rows.length === 0) return missing;
    let found: Set<string>;
    if (sqlite !== null) {
      found = this.#sqliteTransaction(() => {
        const updated = new Set<string>();
        for (const row of rows) {
          const result = this.#runSqlite(
            queries.update.bind([row.id, row.next_run_time, row.job_state]),
          );
          if (result.numAffectedRows) updated.add(row.id);
        }
        return updated;
      });
    } else if (this.#dialect === 'postgres') {
      const batches = [...chunks(rows, UNNEST_ROWS)];
      found = await this.#inTransaction(batches.length, async (run) => {
        const updated = new Set<string>();
        for (const batch of batches) {
          const result = await run<{ id: string }>(queries.updateMany.bind(columnsOf(batch)));
          for (const { id } of result.rows) updated.add(id);
        }
        return updated;
      });
    } else {
      found = await this.#inTransaction(2, (run) => this.#replaceExisting(run, rows));
    }
    for (const row of rows) {
      if (found.has(row.id)) this.#broken.delete(row.id);
    }
    for (const job of jobs) {
      if (latest.has(job.id) && !found.has(job.id)) missing.push(job.id);
    }
    return missing;
  }

  /** @throws JobLookupError when no job has this id. */
  async removeJob(id: string): Promise<void> {
    const { queries } = this.#started();
    if (idProblem(id) !== null) throw new JobLookupError(id);
    const result = await this.#run(queries.remove.bind([id]));
    if (!result.numAffectedRows) throw new JobLookupError(id);
    this.#broken.delete(id);
  }

  /** Removes many jobs in one transaction; ids not in the table are skipped and returned. */
  async removeJobs(ids: readonly string[]): Promise<string[]> {
    const { queries, sqlite } = this.#started();
    const valid = [...new Set(ids.filter((id) => idProblem(id) === null))];
    let removed: Set<string>;
    if (valid.length === 0) {
      removed = new Set();
    } else if (sqlite !== null) {
      removed = this.#sqliteTransaction(() => {
        const gone = new Set<string>();
        for (const id of valid) {
          if (this.#runSqlite(queries.remove.bind([id])).numAffectedRows) gone.add(id);
        }
        return gone;
      });
    } else if (this.#dialect === 'postgres') {
      removed = new Set();
      for (const batch of chunks(valid, UNNEST_ROWS)) {
        const result = await this.#run<{ id: string }>(queries.removeMany.bind([batch]));
        for (const { id } of result.rows) removed.add(id);
      }
    } else {
      removed = await this.#inTransaction(2, async (run) => {
        const gone = new Set<string>();
        for (const chunk of chunks(valid, MAX_PADDED_ROWS)) {
          const locked = [...(await this.#lock(run, chunk))];
          for (const batch of paddedBatches(locked, MAX_PADDED_ROWS))
            await run(this.#started().batches.remove.rows(batch.length).bind(batch));
          for (const id of locked) gone.add(id);
        }
        return gone;
      });
    }
    for (const id of removed) this.#broken.delete(id);
    // Each id that was removed counts once; a repeat of it is missing, as with removeJob.
    const counted = new Set<string>();
    return ids.filter((id) => !removed.has(id) || counted.has(id) || !counted.add(id));
  }

  async removeAllJobs(): Promise<void> {
    const { queries } = this.#started();
    await this.#run(queries.removeAll.bind([]));
    this.#broken.clear();
  }

  #started(): Connection {
    if (this.#connection === null) {
      throw new SqlStoreSetupError(
        'SqlJobStore is not started: add it to a scheduler (or call start()) first',
      );
    }
    return this.#connection;
  }

  /**
   * Runs one of the store's statements: on the store's own SQLite connection
   * through a prepared statement, else through the runner (which may prepare
   * it on the server, so only statements of a fixed shape come here).
   */
  readonly #run: RunStatement = async <R>(query: CompiledQuery) => {
    const connection = this.#started();
    if (connection.sqlite !== null) return this.#runSqlite<R>(query);
    return connection.runner.run<R>(query);
  };

  /** Runs a statement of a shape the store does not use again, through Kysely. */
  async #runOnce<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const connection = this.#started();
    if (connection.sqlite !== null) return this.#runSqlite<R>(query);
    return connection.db.executeQuery<R>(query);
  }

  /** Runs a query synchronously on the store's own SQLite connection, preparing it once. */
  #runSqlite<R>(query: CompiledQuery): QueryResult<R> {
    let statement = this.#statements.get(query.sql);
    if (statement === undefined) {
      statement = this.#started().sqlite!.prepare(query.sql);
      this.#statements.set(query.sql, statement);
    }
    if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
    const { changes } = statement.run(query.parameters);
    return { rows: [], numAffectedRows: BigInt(changes) };
  }

  /**
   * Runs `work` in one write transaction on the store's own SQLite
   * connection. `work` is synchronous, so nothing else runs on the
   * connection meanwhile.
   */
  #sqliteTransaction<T>(work: () => T): T {
    this.#runSqlite(BEGIN_IMMEDIATE);
    let result: T;
    try {
      result = work();
      this.#runSqlite(COMMIT);
    } catch (error) {
      try {
        this.#runSqlite(ROLLBACK);
      } catch {
        // SQLite may have rolled back already (e.g. after SQLITE_FULL).
      }
      throw error;
    }
    return result;
  }

  /**
   * Inserts `rows` in multi-row statements, in order, inside a SQLite
   * transaction. @throws ConflictingIdError for the first row whose id exists
   */
  #insertSqlite(inserts: SizedStatements, rows: readonly InsertRow[]): void {
    for (const batch of insertBatches(rows, MAX_INSERT_ROWS.sqlite)) {
      try {
        this.#runSqlite(rowsStatement(inserts, batch));
      } catch (error) {
        if (!isUniqueViolation('sqlite', error)) throw error;
        // SQLite undid the failed statement alone: insert its rows one by one
        // to name the first that exists (the transaction is rolled back anyway).
        for (const row of batch) {
          try {
            this.#runSqlite(rowsStatement(inserts, [row]));
          } catch (rowError) {
            if (isUniqueViolation('sqlite', rowError)) throw new ConflictingIdError(row.id);
            throw rowError;
          }
        }
        throw error;
      }
    }
  }

  /**
   * Runs `work` with the runner: in one transaction when it runs several
   * statements (`statements` > 1), else as one statement, which is atomic by itself.
   */
  #inTransaction<T>(statements: number, work: (run: RunStatement) => Promise<T>): Promise<T> {
    const { runner } = this.#started();
    if (statements <= 1) return work(runner.run);
    return runner.transaction(work);
  }

  /**
   * MySQL, inside the caller's transaction: replaces the rows of the table
   * that have the id of one of `rows` (distinct ids) and returns those ids.
   * A batch at a time, it locks the rows (`select … for update`, which also
   * tells which exist) and rewrites the locked ones with one upsert, which
   * cannot add a row since every id it writes is locked and present: two
   * statements for up to MAX_PADDED_ROWS jobs instead of one per job.
   */
  async #replaceExisting(run: RunStatement, rows: readonly InsertRow[]): Promise<Set<string>> {
    const { upsert } = this.#started().batches;
    const found = new Set<string>();
    for (const chunk of chunks(rows, MAX_PADDED_ROWS)) {
      const locked = await this.#lock(
        run,
        chunk.map((row) => row.id),
      );
      const present = chunk.filter((row) => locked.has(row.id));
      for (const batch of paddedBatches(present, MAX_PADDED_ROWS))
        await run(rowsStatement(upsert, batch));
      for (const id of locked) found.add(id);
    }
    return found;
  }

  /**
   * MySQL, inside the caller's transaction: locks the rows with these ids
   * until it ends and returns the ids found (as stored: a PAD SPACE collation
   * may find `'a'` for `'a '`, which then does not count as found).
   */
  async #lock(run: RunStatement, ids: readonly string[]): Promise<Set<string>> {
    const { lock } = this.#started().batches;
    const locked = new Set<string>();
    for (const batch of paddedBatches(ids, MAX_PADDED_ROWS)) {
      const { rows } = await run<{ id: string }>(lock.rows(batch.length).bind(batch));
      for (const { id } of rows) locked.add(id);
    }
    return locked;
  }

  async #exists(run: RunStatement, id: string): Promise<boolean> {
    const { rows } = await run(this.#started().queries.exists.bind([id]));
    return rows.length > 0;
  }

  /** The ids among `ids` that are in the table. */
  async #existing(ids: readonly string[]): Promise<string[]> {
    const { db } = this.#started();
    const existing: string[] = [];
    for (let i = 0; i < ids.length; i += LOOKUP_IDS) {
      const { rows } = await this.#runOnce<{ id: string }>(
        db
          .selectFrom(this.#table)
          .select('id')
          .where('id', 'in', ids.slice(i, i + LOOKUP_IDS))
          .compile(),
      );
      for (const row of rows) existing.push(row.id);
    }
    return existing;
  }

  /**
   * The first of `rows` whose id is in the table, after a batch insert hit a
   * duplicate key. Another process may have removed it since; the first id of
   * the batch stands in then.
   */
  async #firstExisting(rows: readonly InsertRow[]): Promise<string> {
    const existing = new Set(await this.#existing(rows.map((row) => row.id)));
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

/** A SQL job store from a configuration entry's options; `key` names the entry in errors. */
export function sqlJobStoreFromConfig(options: Record<string, unknown>, key: string): SqlJobStore {
  return new SqlJobStore(normalizeOptions(options, key));
}

// ------------------------------------------------------------------ rows

/**
 * Why the SQL store cannot hold this id, or null when it can.
 */
function idProblem(id: string): string | null {
  if (typeof id !== 'string') return 'is not a string';
  if (id.includes('\u0000')) return 'contains a NUL character, which PostgreSQL text cannot hold';
  if (!isStorableId(id))
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

/** The row of a job. @throws InvalidJobOptionError, SerializationError */
function rowOf(job: Job): InsertRow {
  const problem = idProblem(job.id);
  if (problem !== null) {
    throw new InvalidJobOptionError('id', `Job id ${describeId(job.id)} ${problem}`);
  }
  // NaN when paused: a Job never holds an invalid Date.
  const time = job.nextRunTimeMs;
  return {
    id: job.id,
    next_run_time: Number.isNaN(time) ? null : time,
    job_state: serializeJob(job),
  };
}

/** Batches of at most `maxRows` items and about BATCH_CHARS characters of job state (or id). */
function* chunks<T extends InsertRow | string>(
  items: readonly T[],
  maxRows: number,
): Generator<T[]> {
  let chunk: T[] = [];
  let chars = 0;
  for (const item of items) {
    const size = typeof item === 'string' ? item.length : item.job_state.length;
    if (chunk.length > 0 && (chunk.length >= maxRows || chars + size > BATCH_CHARS)) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
    chunk.push(item);
    chars += size;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * `rows` in the batches of one multi-row insert each: at most `maxRows` rows
 * and about BATCH_CHARS characters, in the few sizes of {@link insertSizes}.
 */
function* insertBatches(rows: readonly InsertRow[], maxRows: number): Generator<InsertRow[]> {
  for (const chunk of chunks(rows, maxRows)) {
    let at = 0;
    for (const size of insertSizes(chunk.length, maxRows)) {
      yield chunk.slice(at, at + size);
      at += size;
    }
  }
}

/**
 * `items` in batches of the statement sizes of {@link paddedSizes}, each
 * filled up to its size with repeats of one of its items: the row with the
 * shortest job state, so that padding adds at most a quarter to a
 * statement's size, or the last id.
 */
function* paddedBatches<T extends InsertRow | string>(
  items: readonly T[],
  max: number,
): Generator<T[]> {
  let at = 0;
  for (const size of paddedSizes(items.length, max)) {
    const batch = items.slice(at, at + size);
    at += batch.length;
    let filler = batch[batch.length - 1] as T;
    if (batch.length < size && typeof filler !== 'string') {
      for (const item of batch) {
        if ((item as InsertRow).job_state.length < (filler as InsertRow).job_state.length)
          filler = item;
      }
    }
    while (batch.length < size) batch.push(filler);
    yield batch;
  }
}

/** The statement of `statements` for `rows` (an insert or upsert), with their columns as arguments. */
function rowsStatement(statements: SizedStatements, rows: readonly InsertRow[]): CompiledQuery {
  const args = new Array<unknown>(rows.length * 3);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    args[3 * i] = row.id;
    args[3 * i + 1] = row.next_run_time;
    args[3 * i + 2] = row.job_state;
  }
  return statements.rows(rows.length).bind(args);
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
  checkOptionNames(key, options, OPTION_NAMES, 'SQL job store option');
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
  const durability = oneOf<SqlDurability>('durability', ['normal', 'full', 'relaxed'], 'normal');
  if (durability === 'relaxed') checkRelaxable(key, url as string | undefined);
  return {
    url: url as string | undefined,
    db: db as KyselyInstance | undefined,
    tableName,
    durability,
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

/**
 * `durability: 'relaxed'` changes the sessions of a PostgreSQL pool the
 * store opens, and nothing else. @throws ConfigurationError otherwise
 */
function checkRelaxable(key: string, url: string | undefined): void {
  const fail = (reason: string): never => {
    throw new ConfigurationError(`${key}.durability`, reason);
  };
  if (url === undefined)
    fail(
      "'relaxed' applies to the connections the store opens from a url; with your own Kysely instance, set synchronous_commit on its pool",
    );
  const dialect = parseSqlUrl(url as string).dialect;
  if (dialect === 'mysql')
    fail(
      "'relaxed' is for PostgreSQL: MySQL and MariaDB flush commits by a server-wide setting (innodb_flush_log_at_trx_commit), which a job store does not change",
    );
  if (dialect === 'sqlite')
    fail("'relaxed' is for PostgreSQL: SQLite takes 'normal' (the default) or 'full'");
}
