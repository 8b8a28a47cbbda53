/**
 * The SQL job store on SQLite: batches run one statement a row (SQLite gains
 * nothing from larger ones but the multi-row inserts of `addJobs`) inside one
 * write transaction; the store's own connection runs them synchronously
 * through `SqliteRunner`, a Kysely instance of the application's through
 * Kysely.
 */
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import { ConflictingIdError, type JobSizeLimit } from '../../errors.ts';
import { firstRepeat, insertBatches, rowsStatement } from '../batches.ts';
import type { JobsDatabase } from '../queries.ts';
import {
  type BatchStatements,
  batchStatements,
  compileQueries,
  MAX_INSERT_ROWS,
  type Queries,
} from '../queries.ts';
import type { InsertRow } from '../rows.ts';
import type { SqlBackend, SqlDialect, SqlSession } from '../sql-backend.ts';
import type { RunStatement } from '../statement-runner.ts';
import { openSqlite } from './sqlite-connection.ts';
import { type RunNow, SqliteRunner } from './sqlite-runner.ts';

/** Did this SQLite error come from a duplicate primary key? */
export function isSqliteUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  // better-sqlite3 names the extended code; node:sqlite gives its number
  // (SQLITE_CONSTRAINT_PRIMARYKEY 1555, SQLITE_CONSTRAINT_UNIQUE 2067).
  return (
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    errcode === 1555 ||
    errcode === 2067
  );
}

/** The most bytes of a string, as both drivers build SQLite (its default). */
const SQLITE_MAX_LENGTH = 1_000_000_000;

class SqliteBackend implements SqlBackend {
  readonly dialect = 'sqlite';
  readonly queries: Queries;
  readonly jobSizeLimit: JobSizeLimit = {
    bytes: SQLITE_MAX_LENGTH,
    name: "SQLite's largest string (SQLITE_MAX_LENGTH)",
  };
  readonly #session: SqlSession;
  readonly #batches: BatchStatements;

  constructor(session: SqlSession, table: string) {
    this.#session = session;
    this.queries = compileQueries(session.db, table);
    this.#batches = batchStatements(session.db, table);
  }

  get db(): Kysely<JobsDatabase> {
    return this.#session.db;
  }

  get run(): RunStatement {
    return this.#session.runner.run;
  }

  runOnce<R>(query: CompiledQuery) {
    return this.#session.runner.run<R>(query);
  }

  /** One transaction, no retry. */
  transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T> {
    return this.#session.runner.transaction(work);
  }

  insertRows(rows: readonly InsertRow[]): Promise<void> {
    const repeat = firstRepeat(rows);
    const { insert } = this.#batches;
    return this.#inTransaction(function* () {
      for (const batch of insertBatches(rows.slice(0, repeat), MAX_INSERT_ROWS.sqlite)) {
        try {
          yield rowsStatement(insert, batch);
        } catch (error) {
          if (!isSqliteUniqueViolation(error)) throw error;
          // SQLite undid the failed statement alone: insert its rows one by one
          // to name the first that exists (the transaction is rolled back anyway).
          for (const row of batch) {
            try {
              yield rowsStatement(insert, [row]);
            } catch (rowError) {
              if (isSqliteUniqueViolation(rowError)) throw new ConflictingIdError(row.id);
              throw rowError;
            }
          }
          throw error;
        }
      }
      if (repeat < rows.length) throw new ConflictingIdError(rows[repeat]!.id);
    });
  }

  updateRows(rows: readonly InsertRow[]): Promise<Set<string>> {
    const { update } = this.queries;
    return this.#inTransaction(function* () {
      const updated = new Set<string>();
      for (const row of rows) {
        const result = yield update.bind([row.id, row.next_run_time, row.job_state]);
        if (result.numAffectedRows) updated.add(row.id);
      }
      return updated;
    });
  }

  removeRows(ids: readonly string[]): Promise<Set<string>> {
    const { remove } = this.queries;
    return this.#inTransaction(function* () {
      const removed = new Set<string>();
      for (const id of ids) {
        if ((yield remove.bind([id])).numAffectedRows) removed.add(id);
      }
      return removed;
    });
  }

  isUniqueViolation(error: unknown): boolean {
    return isSqliteUniqueViolation(error);
  }

  async close(): Promise<void> {
    if (this.#session.owned) await this.#session.db.destroy();
  }

  /**
   * Runs the statements of `work` in one write transaction: on the store's
   * own connection synchronously, from BEGIN to COMMIT (see
   * `SqliteRunner.transactionSync`), else through Kysely.
   */
  #inTransaction<T>(work: () => Work<T>): Promise<T> {
    const { runner } = this.#session;
    if (runner instanceof SqliteRunner)
      return runner.transactionSync((run) => runWorkNow(work(), run));
    return runner.transaction((run) => runWork(work(), run));
  }
}

/**
 * Batch work as the statements it runs: each `yield` hands over a statement
 * and receives its result, or has the statement's error thrown in.
 */
type Work<T> = Generator<CompiledQuery, T, QueryResult<unknown>>;

function runWorkNow<T>(work: Work<T>, run: RunNow): T {
  let step = work.next();
  while (!step.done) {
    let result: QueryResult<unknown>;
    try {
      result = run(step.value);
    } catch (error) {
      step = work.throw(error);
      continue;
    }
    step = work.next(result);
  }
  return step.value;
}

async function runWork<T>(work: Work<T>, run: RunStatement): Promise<T> {
  let step = work.next();
  while (!step.done) {
    let result: QueryResult<unknown>;
    try {
      result = await run(step.value);
    } catch (error) {
      step = work.throw(error);
      continue;
    }
    step = work.next(result);
  }
  return step.value;
}

export const sqliteDialect: SqlDialect = {
  open: openSqlite,
  backend: async (session, table) => new SqliteBackend(session, table),
};
