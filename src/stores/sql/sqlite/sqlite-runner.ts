/**
 * Runs the SQL job store's statements on the one SQLite connection the store
 * opened, straight through the driver: each statement is prepared once and
 * kept, and runs synchronously, which costs less than the promise round trips
 * of Kysely's driver on a database that answers in microseconds.
 *
 * One connection runs one transaction at a time: while a transaction is
 * open, statements from outside it wait for its end instead of landing in it.
 * While another connection holds the database's lock, every operation waits
 * for it on timers (`sqlite-lock.ts`), never inside the driver.
 */
import type { CompiledQuery, QueryResult, SqliteDatabase, SqliteStatement } from 'kysely';
import { BEGIN_IMMEDIATE, COMMIT, ROLLBACK } from '../queries.ts';
import type { RunStatement, StatementRunner } from '../statement-runner.ts';
import { whenUnlocked } from './sqlite-lock.ts';

/** Runs a statement synchronously. */
export type RunNow = <R>(query: CompiledQuery) => QueryResult<R>;

/** The two drivers. */
export type SqliteDriver = 'better-sqlite3' | 'node:sqlite';

export class SqliteRunner implements StatementRunner {
  /** The driver under the connection. */
  readonly driver: SqliteDriver;
  readonly #database: SqliteDatabase;
  /** The database file, for messages. */
  readonly #path: string;
  /** How long an operation waits for another connection's lock (ms). */
  readonly #busyTimeout: number;
  /** Prepared statements by SQL text. */
  readonly #statements = new Map<string, SqliteStatement>();
  /** Settles when the open transaction ends; null when none is open. */
  #transaction: Promise<void> | null = null;
  /** Settles when the writes called so far have settled: writes run in the order they were called. */
  #writes: Promise<unknown> = Promise.resolve();

  constructor(
    database: SqliteDatabase,
    driver: SqliteDriver,
    lock: { path: string; busyTimeout: number },
  ) {
    this.#database = database;
    this.driver = driver;
    this.#path = lock.path;
    this.#busyTimeout = lock.busyTimeout;
  }

  /**
   * Runs a statement. Reads run at once (in WAL mode no writer holds them
   * up); writes run in the order they were called, even when one of them
   * has to wait for another connection's lock.
   */
  readonly run: RunStatement = <R>(query: CompiledQuery) => {
    const attempt = () => this.#runNow<R>(query);
    return this.#isReader(query.sql) ? this.whenUnlocked(attempt) : this.#inOrder(attempt);
  };

  /** Does this statement only read? False when it cannot be prepared now (the attempt will tell why). */
  #isReader(sql: string): boolean {
    try {
      return this.#prepared(sql).reader;
    } catch {
      return false;
    }
  }

  /**
   * Runs `attempt` (synchronous work on this connection, or Kysely's) once
   * no transaction of this runner is open; again while another connection's
   * lock turns it away, until the busy timeout.
   *
   * @throws SqliteLockTimeoutError when the database stays locked.
   */
  whenUnlocked<T>(attempt: () => T | Promise<T>): Promise<T> {
    return whenUnlocked(this.#path, this.#busyTimeout, async () => {
      while (this.#transaction !== null) await this.#transaction;
      return attempt();
    });
  }

  /**
   * Runs `work` in a write transaction, begun with BEGIN IMMEDIATE: the write
   * lock is taken at the start, so that a transaction never fails half-way
   * because another connection wrote meanwhile. Statements from outside
   * `work` wait until it ends. Runs `work` again from the start when the
   * database turns the transaction away for another connection's lock.
   */
  transaction<T>(work: (run: RunStatement) => Promise<T>): Promise<T> {
    return this.#inOrder(async () => {
      this.#runNow(BEGIN_IMMEDIATE);
      let end = () => {};
      this.#transaction = new Promise((resolve) => {
        end = resolve;
      });
      try {
        return await this.#commitOrRollBackAsync(() =>
          work(async <R>(query: CompiledQuery) => this.#runNow<R>(query)),
        );
      } finally {
        this.#transaction = null;
        end();
      }
    });
  }

  /**
   * Runs synchronous `work` in a write transaction (see {@link transaction}).
   * Nothing else runs on the connection meanwhile, and the write lock is
   * held for no longer than the statements take: other connections of this
   * process never wait for this one to get its turn on the event loop.
   */
  transactionSync<T>(work: (run: RunNow) => T): Promise<T> {
    return this.#inOrder(() => {
      this.#runNow(BEGIN_IMMEDIATE);
      return this.#commitOrRollBack(() => work((query) => this.#runNow(query)));
    });
  }

  /** {@link whenUnlocked}, after the writes called before. */
  #inOrder<T>(attempt: () => T | Promise<T>): Promise<T> {
    const result = this.#writes.then(() => this.whenUnlocked(attempt));
    this.#writes = result.catch(() => {});
    return result;
  }

  /** Commits after `work`, or rolls back and rethrows when it throws. */
  #commitOrRollBack<T>(work: () => T): T {
    try {
      const result = work();
      this.#runNow(COMMIT);
      return result;
    } catch (error) {
      this.#rollBack();
      throw error;
    }
  }

  /** {@link commitOrRollBack} for asynchronous `work`. */
  async #commitOrRollBackAsync<T>(work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.#runNow(COMMIT);
      return result;
    } catch (error) {
      this.#rollBack();
      throw error;
    }
  }

  #rollBack(): void {
    try {
      this.#runNow(ROLLBACK);
    } catch {
      // SQLite may have rolled back already (e.g. after SQLITE_FULL).
    }
  }

  #prepared(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#database.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs a statement synchronously, preparing it once. */
  #runNow<R>(query: CompiledQuery): QueryResult<R> {
    const statement = this.#prepared(query.sql);
    if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
    const { changes } = statement.run(query.parameters);
    return { rows: [], numAffectedRows: BigInt(changes) };
  }
}
