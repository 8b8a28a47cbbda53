/**
 * Runs the SQL job store's statements on a mysql2 pool the store opened, as
 * server-side prepared statements (`execute`): the server parses each one
 * once per connection, and job states travel as binary parameters instead of
 * being escaped into the SQL text, which costs more than the insert itself
 * for JSON full of quotes.
 *
 * Only the store's own statements, a small fixed set, come here: mysql2
 * keeps every statement it prepares until the connection closes, and the
 * server limits prepared statements across all its clients
 * (`max_prepared_stmt_count`).
 */
import type { CompiledQuery, QueryResult } from 'kysely';
import type { RunStatement, StatementRunner } from '../statement-runner.ts';

/** A result of mysql2: rows for a query that returns rows, else an OK packet. */
type MysqlResult = unknown[] | { affectedRows?: number | null };

type Callback = (error: Error | null, result?: MysqlResult) => void;

/** What the runner needs of a mysql2 (callback API) `PoolConnection`. */
export interface MysqlConnection {
  execute(sql: string, values: unknown[], callback: Callback): unknown;
  query(sql: string, callback: Callback): unknown;
  release(): void;
  destroy(): void;
}

/** What the runner needs of a mysql2 (callback API) `Pool`. */
export interface MysqlCallbackPool {
  getConnection(callback: (error: Error | null, connection: MysqlConnection) => void): void;
}

function toQueryResult<R>(result: MysqlResult | undefined): QueryResult<R> {
  if (Array.isArray(result)) return { rows: result as R[] };
  const affected = result?.affectedRows;
  return {
    rows: [],
    numAffectedRows: affected === undefined || affected === null ? undefined : BigInt(affected),
  };
}

function promised(call: (callback: Callback) => unknown): Promise<MysqlResult | undefined> {
  return new Promise((resolve, reject) => {
    call((error, result) => (error ? reject(error) : resolve(result)));
  });
}

export class MysqlPoolRunner implements StatementRunner {
  readonly #pool: MysqlCallbackPool;

  constructor(pool: MysqlCallbackPool) {
    this.#pool = pool;
  }

  readonly run: RunStatement = async <R>(query: CompiledQuery) => {
    const connection = await this.#connection();
    try {
      return await execute<R>(connection, query);
    } finally {
      connection.release();
    }
  };

  async transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T> {
    const connection = await this.#connection();
    // A connection whose rollback failed is in an unknown state: it is closed, not reused.
    let unusable = false;
    try {
      await promised((callback) => connection.query('begin', callback));
      let result: T;
      try {
        result = await work(<R>(query: CompiledQuery) => execute<R>(connection, query));
      } catch (error) {
        await promised((callback) => connection.query('rollback', callback)).catch(() => {
          unusable = true;
        });
        throw error;
      }
      await promised((callback) => connection.query('commit', callback));
      return result;
    } finally {
      if (unusable) connection.destroy();
      else connection.release();
    }
  }

  #connection(): Promise<MysqlConnection> {
    return new Promise((resolve, reject) => {
      this.#pool.getConnection((error, connection) =>
        error ? reject(error) : resolve(connection),
      );
    });
  }
}

async function execute<R>(
  connection: MysqlConnection,
  query: CompiledQuery,
): Promise<QueryResult<R>> {
  const result = await promised((callback) =>
    connection.execute(query.sql, query.parameters as unknown[], callback),
  );
  return toQueryResult<R>(result);
}
