/**
 * The SQL job store on PostgreSQL: `addJobs` in multi-row inserts of up to
 * 1,000 rows, and batch updates and removals as one statement per 5,000 ids
 * that passes each column as an array (`unnest`), whatever the row count, so
 * that one prepared statement serves every batch.
 */
import type { CompiledQuery, Kysely } from 'kysely';
import type { JobSizeLimit } from '../../errors.ts';
import { chunks, columnsOf } from '../batches.ts';
import { inOneTransaction, insertAllOrNone } from '../insert-all-or-none.ts';
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
import { openPostgres } from './postgres-connection.ts';

/** PostgreSQL batch statements pass three arrays, whatever the number of rows: this many rows at most. */
const UNNEST_ROWS = 5_000;

/** Did this pg error come from a duplicate primary key? */
export function isPostgresUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

class PostgresBackend implements SqlBackend {
  readonly dialect = 'postgres';
  readonly queries: Queries;
  readonly jobSizeLimit: JobSizeLimit = {
    // Less a little for the rest of the statement's message.
    bytes: 2 ** 30 - 1024 * 1024,
    name: "PostgreSQL's largest text value (1 GB)",
  };
  readonly #session: SqlSession;
  readonly #table: string;
  readonly #batches: BatchStatements;

  constructor(session: SqlSession, table: string) {
    this.#session = session;
    this.#table = table;
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
    return this.#session.db.executeQuery<R>(query);
  }

  /** One transaction, no retry. */
  transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T> {
    return this.#session.runner.transaction(work);
  }

  insertRows(rows: readonly InsertRow[]): Promise<void> {
    const { db } = this.#session;
    return insertAllOrNone(
      this,
      db,
      this.#table,
      this.#batches.insert,
      rows,
      MAX_INSERT_ROWS.postgres,
    );
  }

  updateRows(rows: readonly InsertRow[]): Promise<Set<string>> {
    const { updateMany } = this.queries;
    const batches = [...chunks(rows, UNNEST_ROWS)];
    return inOneTransaction(this, batches.length, async (run) => {
      const updated = new Set<string>();
      for (const batch of batches) {
        const result = await run<{ id: string }>(updateMany.bind(columnsOf(batch)));
        for (const { id } of result.rows) updated.add(id);
      }
      return updated;
    });
  }

  async removeRows(ids: readonly string[]): Promise<Set<string>> {
    const { removeMany } = this.queries;
    const removed = new Set<string>();
    for (const batch of chunks(ids, UNNEST_ROWS)) {
      const result = await this.run<{ id: string }>(removeMany.bind([batch]));
      for (const { id } of result.rows) removed.add(id);
    }
    return removed;
  }

  isUniqueViolation(error: unknown): boolean {
    return isPostgresUniqueViolation(error);
  }

  async close(): Promise<void> {
    if (this.#session.owned) await this.#session.db.destroy();
  }
}

export const postgresDialect: SqlDialect = {
  open: openPostgres,
  backend: async (session, table) => new PostgresBackend(session, table),
};
