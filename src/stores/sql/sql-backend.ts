/**
 * What `SqlJobStore` needs of a database, and all it knows of one: the store
 * holds no dialect branch, so a new database (libSQL, PGlite) is a new folder
 * `sql/<dialect>/` with
 *
 * - `<dialect>-connection.ts`: opens the database a URL names (driver, pool,
 *   session settings) and hands back a Kysely instance and a
 *   {@link StatementRunner} on the same connections;
 * - `<dialect>-backend.ts`: a {@link SqlDialect} (`open` from the connection
 *   file, and `backend`, which builds the {@link SqlBackend} below),
 *
 * one line in `dialects.ts`, and a run of the store contract suite.
 *
 * The statements themselves are built with Kysely in `queries.ts`; a backend
 * decides how they run (prepared, in which transaction, in how many rows a
 * statement) and what its driver's errors mean.
 */
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { JobSizeLimit } from '../errors.ts';
import type { OpenOptions, SqlDialectName, SqlTarget } from './dialects.ts';
import type { JobsDatabase, Queries } from './queries.ts';
import type { InsertRow } from './rows.ts';
import type { RunStatement, StatementRunner } from './statement-runner.ts';

/** A database opened for the store, or given to it: its Kysely instance and a runner on the same connections. */
export interface SqlSession {
  db: Kysely<JobsDatabase>;
  runner: StatementRunner;
  /** Did the store open it (so that it closes it)? */
  owned: boolean;
  /**
   * Runs `attempt` (work through `db`, such as the migrations) again while
   * another connection's lock turns it away, for a database whose
   * connections do not wait for locks by themselves (SQLite's, see
   * `sqlite/sqlite-lock.ts`). Default: runs it once.
   */
  retryWhileLocked?<T>(attempt: () => Promise<T>): Promise<T>;
}

/** One kind of database, loaded (with its driver) only when a store of that kind starts. */
export interface SqlDialect {
  /** Opens the database `target` names, loading its driver now. @throws SqlStoreSetupError */
  open(target: SqlTarget, options: OpenOptions): Promise<SqlSession>;
  /** The backend of a started store on `session` (migrated), for the jobs table `table`. */
  backend(session: SqlSession, table: string): Promise<SqlBackend>;
}

/** The store's work on one database, in its dialect. */
export interface SqlBackend {
  readonly dialect: SqlDialectName;
  /** The Kysely instance the store's statements are compiled with (and that runs those of one use). */
  readonly db: Kysely<JobsDatabase>;
  /** The store's statements on its table, compiled once. */
  readonly queries: Queries;
  /**
   * The largest job (id and state, in UTF-8 bytes) the database takes in one
   * statement; the store refuses larger ones before they reach it.
   */
  readonly jobSizeLimit: JobSizeLimit;
  /**
   * Runs one of `queries` (or a statement of a fixed shape) on its own; it
   * commits by itself. Backends that can prepare statements prepare it once
   * per connection.
   */
  run: RunStatement;
  /** Runs a statement of a shape that may not come again, unprepared. */
  runOnce<R>(query: CompiledQuery): Promise<QueryResult<R>>;
  /**
   * Runs `work` in one transaction on one connection: commits when it
   * resolves, rolls back and rethrows when it rejects. `work` must use the
   * `run` it is given, and nothing else of the store. The backend may run
   * `work` more than once when the database turns the transaction away for a
   * passing reason (SQLite: another process holds the write lock), so `work`
   * must not act outside the database before it resolves. Default policy: no
   * retry; each backend states its own.
   */
  transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T>;
  /**
   * Adds `rows` in one transaction, all or none.
   * @throws ConflictingIdError naming the first row (in order) whose id is in
   * the table or repeats the id of an earlier row; nothing is added then.
   */
  insertRows(rows: readonly InsertRow[]): Promise<void>;
  /**
   * Replaces the rows with these ids (distinct) in one transaction, and never
   * adds one. @returns the ids that were in the table.
   */
  updateRows(rows: readonly InsertRow[]): Promise<Set<string>>;
  /** Removes the rows with these ids (distinct). @returns the ids that were in the table. */
  removeRows(ids: readonly string[]): Promise<Set<string>>;
  /** Did this driver error come from a duplicate primary key? */
  isUniqueViolation(error: unknown): boolean;
  /** Closes the database if the store opened it; a Kysely instance given to the store stays open. */
  close(): Promise<void>;
}
