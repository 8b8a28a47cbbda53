/**
 * How the SQL job store runs its compiled statements: through Kysely on a
 * Kysely instance the application gives it, or straight through the driver
 * on connections the store opened itself, so that every statement is
 * prepared once per connection (`sqlite/sqlite-runner.ts`,
 * `postgres/postgres-runner.ts`, `mysql/mysql-runner.ts`).
 */
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';

/** Runs one compiled statement. */
export type RunStatement = <R>(query: CompiledQuery) => Promise<QueryResult<R>>;

export interface StatementRunner {
  /** Runs one statement on any connection (it commits by itself). */
  run: RunStatement;
  /**
   * Runs `work` in one transaction on one connection: commits when `work`
   * resolves, rolls back and rethrows when it rejects.
   */
  transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T>;
}

/** Runs statements through Kysely (any dialect, any connection setup). */
export function kyselyRunner<DB>(db: Kysely<DB>): StatementRunner {
  return {
    run: <R>(query: CompiledQuery) => db.executeQuery<R>(query),
    transaction: (work) =>
      db
        .transaction()
        .execute((trx) => work(<R>(query: CompiledQuery) => trx.executeQuery<R>(query))),
  };
}
