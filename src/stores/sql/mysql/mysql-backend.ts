/**
 * The SQL job store on MySQL 8 and MariaDB 10.6+: `addJobs` in multi-row
 * inserts of up to 1,000 rows; batch updates and removals lock the rows
 * first (`select … for update`, which also tells which exist), then rewrite
 * or delete the locked ones, in padded statements of a few sizes (MySQL has
 * no `unnest`, and no `update … returning`).
 */
import type { Kysely } from 'kysely';
import { CompiledQuery } from 'kysely';
import type { JobSizeLimit } from '../../errors.ts';
import { chunks, paddedBatchChars, paddedBatches, rowsStatement } from '../batches.ts';
import { insertAllOrNone } from '../insert-all-or-none.ts';
import type { JobsDatabase } from '../queries.ts';
import {
  type BatchStatements,
  batchStatements,
  compileQueries,
  MAX_INSERT_ROWS,
  MAX_PADDED_ROWS,
  type Queries,
} from '../queries.ts';
import type { InsertRow } from '../rows.ts';
import type { SqlBackend, SqlDialect, SqlSession } from '../sql-backend.ts';
import type { RunStatement } from '../statement-runner.ts';
import { openMysql } from './mysql-connection.ts';
import { MysqlPoolRunner } from './mysql-runner.ts';

/** Bytes of a statement's packet besides its rows' values (ids and job states). */
const STATEMENT_BYTES = 64 * 1024;

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The largest job the server takes, from its `max_allowed_packet`: every
 * statement travels in one packet, and one that is larger makes the server
 * drop the connection. The store's own pool sends values as binary
 * parameters; through a Kysely instance of the application's, mysql2 escapes
 * them into the statement text, which may double their size.
 */
async function jobSizeLimitOf(session: SqlSession): Promise<JobSizeLimit> {
  const { rows } = await session.db.executeQuery<{ size: unknown }>(
    CompiledQuery.raw('select @@max_allowed_packet as size'),
  );
  const packet = Number(rows[0]?.size);
  const escaped = !(session.runner instanceof MysqlPoolRunner);
  return {
    bytes: Math.floor((packet - STATEMENT_BYTES) / (escaped ? 2 : 1)),
    name: `the server's max_allowed_packet (${mebibytes(packet)}${escaped ? ', which holds values escaped into the statement text, up to twice their size' : ''})`,
    raise: 'raise max_allowed_packet on the server and start the store again',
  };
}

/** Did this mysql2 error come from a duplicate primary key? */
export function isMysqlUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  return errno === 1062 || code === 'ER_DUP_ENTRY';
}

class MysqlBackend implements SqlBackend {
  readonly dialect = 'mysql';
  readonly queries: Queries;
  readonly jobSizeLimit: JobSizeLimit;
  readonly #session: SqlSession;
  readonly #table: string;
  readonly #batches: BatchStatements;
  /**
   * Characters of job state in one batch statement at most: a character takes
   * up to 3 bytes, and padding adds up to a quarter, within the packet.
   */
  readonly #batchChars: number;

  constructor(session: SqlSession, table: string, jobSizeLimit: JobSizeLimit) {
    this.#session = session;
    this.#table = table;
    this.jobSizeLimit = jobSizeLimit;
    this.#batchChars = paddedBatchChars(jobSizeLimit.bytes);
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
      MAX_INSERT_ROWS.mysql,
      this.#batchChars,
    );
  }

  /**
   * A batch at a time, locks the rows and rewrites the locked ones with one
   * upsert, which cannot add a row since every id it writes is locked and
   * present: two statements for up to MAX_PADDED_ROWS jobs instead of one per job.
   */
  updateRows(rows: readonly InsertRow[]): Promise<Set<string>> {
    const { upsert } = this.#batches;
    return this.transaction(async (run) => {
      const found = new Set<string>();
      for (const chunk of chunks(rows, MAX_PADDED_ROWS, this.#batchChars)) {
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
    });
  }

  removeRows(ids: readonly string[]): Promise<Set<string>> {
    const { remove } = this.#batches;
    return this.transaction(async (run) => {
      const removed = new Set<string>();
      for (const chunk of chunks(ids, MAX_PADDED_ROWS)) {
        const locked = [...(await this.#lock(run, chunk))];
        for (const batch of paddedBatches(locked, MAX_PADDED_ROWS))
          await run(remove.rows(batch.length).bind(batch));
        for (const id of locked) removed.add(id);
      }
      return removed;
    });
  }

  isUniqueViolation(error: unknown): boolean {
    return isMysqlUniqueViolation(error);
  }

  async close(): Promise<void> {
    if (this.#session.owned) await this.#session.db.destroy();
  }

  /**
   * Inside the caller's transaction: locks the rows with these ids until it
   * ends and returns the ids found (as stored: a PAD SPACE collation may find
   * `'a'` for `'a '`, which then does not count as found).
   */
  async #lock(run: RunStatement, ids: readonly string[]): Promise<Set<string>> {
    const { lock } = this.#batches;
    const locked = new Set<string>();
    for (const batch of paddedBatches(ids, MAX_PADDED_ROWS)) {
      const { rows } = await run<{ id: string }>(lock.rows(batch.length).bind(batch));
      for (const { id } of rows) locked.add(id);
    }
    return locked;
  }
}

export const mysqlDialect: SqlDialect = {
  open: openMysql,
  backend: async (session, table) =>
    new MysqlBackend(session, table, await jobSizeLimitOf(session)),
};
