/**
 * Connection URLs and Kysely dialects for the SQL job store: which database a
 * URL names, how to open it (loading its driver only then, so that importing
 * Horarium never requires pg, mysql2 or better-sqlite3), which dialect an
 * existing Kysely instance speaks, and how each driver reports a duplicate key.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CompiledQuery,
  Kysely,
  MysqlAdapter,
  MysqlDialect,
  type MysqlPool,
  PostgresAdapter,
  PostgresDialect,
  type PostgresPool,
  type QueryExecutor,
  SqliteAdapter,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
} from 'kysely';
import { HorariumError } from '../../errors.ts';
import { isModuleNotFound } from '../common.ts';
import { redactUrl } from '../redact-url.ts';
import { type MysqlCallbackPool, MysqlPoolRunner } from './mysql-runner.ts';
import { type PgPool, PostgresPoolRunner } from './postgres-runner.ts';
import type { StatementRunner } from './statement-runner.ts';

/** The databases the SQL job store supports. */
export type SqlDialectName = 'sqlite' | 'postgres' | 'mysql';

/**
 * Which SQLite driver to use. `'auto'` takes `node:sqlite` on Node 24 and
 * later; on Node 20 and 22 it takes better-sqlite3 when installed, else
 * `node:sqlite` (Node ≥ 22.13).
 */
export type SqliteDriverName = 'auto' | 'better-sqlite3' | 'node:sqlite';

/**
 * SQLite durability (the `synchronous` pragma, always in WAL mode):
 *
 * - `'normal'` (default, `synchronous=NORMAL`): a commit is written to the WAL
 *   file before `addJob` resolves, but not fsync'ed. It survives a crash or
 *   `kill -9` of the process (the data is in the OS page cache), but a power
 *   loss or OS crash may roll back the last transactions (never corrupt the
 *   database). Writes cost no fsync.
 * - `'full'` (`synchronous=FULL`): the WAL is fsync'ed on every commit, so an
 *   acknowledged write also survives a power loss (on disks that honour
 *   flushes), at the price of one fsync per write transaction.
 */
export type SqliteDurability = 'normal' | 'full';

/**
 * The `durability` option of the SQL job store: SQLite's two levels (see
 * {@link SqliteDurability}), and for PostgreSQL an opt-in `'relaxed'`:
 *
 * - PostgreSQL, `'normal'` or `'full'` (the default is `'normal'`): the
 *   server's own settings; with PostgreSQL's default `synchronous_commit = on`
 *   a write resolves only after the server has flushed it to disk, so it
 *   survives a crash of the server or of its machine.
 * - PostgreSQL, `'relaxed'`: the store's own connections run with
 *   `synchronous_commit = off`. A write resolves once the server has it in
 *   memory; the server writes it to disk within about 3 × `wal_writer_delay`
 *   (600 ms by default). Data stays consistent, and nothing is lost when the
 *   application's process dies, but a crash of the server or its machine may
 *   lose the writes of that last fraction of a second. In exchange a single
 *   write costs no disk flush.
 * - MySQL/MariaDB have no per-connection equivalent (their flush setting,
 *   `innodb_flush_log_at_trx_commit`, is server-wide), so `'relaxed'` is
 *   refused there, as on SQLite.
 */
export type SqlDurability = SqliteDurability | 'relaxed';

/** Any `Kysely<DB>` instance, whatever its `DB` type. */
export interface KyselyInstance {
  getExecutor(): QueryExecutor;
  destroy(): Promise<void>;
}

/** A database URL, parsed. */
export type SqlTarget =
  | { dialect: 'sqlite'; path: string }
  | { dialect: 'postgres'; url: string }
  | { dialect: 'mysql'; url: string };

/** The URL forms the store understands, for error messages. */
export const SUPPORTED_URLS =
  "'sqlite:<path>', 'sqlite::memory:', 'postgres://…' (or postgresql://) and 'mysql://…' (or mariadb://)";

/** Thrown when a store cannot open its database: bad URL, missing driver, unsupported Kysely dialect. */
export class SqlStoreSetupError extends HorariumError {
  override name = 'SqlStoreSetupError';
}

/**
 * Parses a store URL. SQLite accepts `sqlite:<path>` (relative or absolute),
 * `sqlite::memory:`, and SQLAlchemy's forms `sqlite:///relative.db`,
 * `sqlite:////absolute.db` and `sqlite://` (memory).
 *
 * @throws SqlStoreSetupError naming the URL when it is none of these.
 */
export function parseSqlUrl(url: string): SqlTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite': {
      let path = url.slice('sqlite:'.length);
      if (path.startsWith('//')) {
        const rest = path.slice(2);
        if (rest === '') return { dialect: 'sqlite', path: ':memory:' };
        if (!rest.startsWith('/')) {
          throw new SqlStoreSetupError(
            `Invalid SQLite URL ${JSON.stringify(redactUrl(url))}: a SQLite database has no host; write 'sqlite:<path>' or 'sqlite:///<path>'`,
          );
        }
        path = rest.slice(1);
      }
      if (path === '') {
        throw new SqlStoreSetupError(
          `Invalid SQLite URL ${JSON.stringify(redactUrl(url))}: no file path (use 'sqlite::memory:' for an in-memory database)`,
        );
      }
      return { dialect: 'sqlite', path };
    }
    case 'postgres':
    case 'postgresql':
      return { dialect: 'postgres', url };
    case 'mysql':
    case 'mariadb': {
      const mysqlUrl = `mysql:${url.slice(scheme.length + 1)}`;
      checkMysqlUrl(mysqlUrl, url);
      return { dialect: 'mysql', url: mysqlUrl };
    }
    default:
      throw new SqlStoreSetupError(
        `Unsupported database URL ${JSON.stringify(redactUrl(url))}: use ${SUPPORTED_URLS}`,
      );
  }
}

/**
 * Refuses a URL mysql2 cannot parse (it parses with `new URL`), before it
 * fails with an "Invalid URL" TypeError that carries the whole URL, password
 * included. (pg hides the URL of such an error itself.)
 */
function checkMysqlUrl(mysqlUrl: string, given: string): void {
  if (URL.canParse(mysqlUrl)) return;
  throw new SqlStoreSetupError(
    `Invalid database URL ${JSON.stringify(redactUrl(given))}: percent-encode the special characters of the user name and password ('/' as %2F, '@' as %40, ':' as %3A, '#' as %23, '?' as %3F)`,
  );
}

/** The dialect of an existing Kysely instance, from its adapter. */
export function dialectOf(db: KyselyInstance): SqlDialectName {
  const adapter: unknown = db.getExecutor().adapter;
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof MysqlAdapter) return 'mysql';
  // Another copy of Kysely in node_modules fails instanceof; its class names are the same.
  const name = typeof adapter === 'object' && adapter !== null ? adapter.constructor.name : '';
  if (name === 'SqliteAdapter') return 'sqlite';
  if (name === 'PostgresAdapter') return 'postgres';
  if (name === 'MysqlAdapter') return 'mysql';
  throw new SqlStoreSetupError(
    `The Kysely instance uses an unsupported dialect (${name || 'unknown adapter'}); the SQL job store supports SQLite, PostgreSQL and MySQL/MariaDB`,
  );
}

/** Is `value` a Kysely instance (of this or another copy of the package)? */
export function isKysely(value: unknown): value is KyselyInstance {
  if (value instanceof Kysely) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<KyselyInstance>).getExecutor === 'function' &&
    typeof (value as Partial<KyselyInstance>).destroy === 'function' &&
    typeof (value as { selectFrom?: unknown }).selectFrom === 'function'
  );
}

/** Connection settings that apply when the store opens the database itself. */
export interface OpenOptions {
  /** SQLite's level, or PostgreSQL's `'relaxed'` (any other value leaves the server's settings alone). */
  durability: SqlDurability;
  /** SQLite only: how long a write waits for another process's lock (ms). */
  busyTimeout: number;
  sqliteDriver: SqliteDriverName;
  /** PostgreSQL / MySQL: the most connections the pool opens; undefined = the driver's default (10). */
  poolSize: number | undefined;
  /** PostgreSQL / MySQL: how long to wait for a connection (ms). */
  connectTimeout: number;
  /** Receives errors of idle pooled connections, which would otherwise crash the process. */
  onPoolError: (error: unknown) => void;
  /** Receives the error of a setting (PostgreSQL's relaxed durability) that a new connection could not take. */
  onSessionSetupError: (error: unknown) => void;
}

/** A database the store opened: its Kysely instance, and what lies under it. */
export interface OpenedDatabase<DB> {
  db: Kysely<DB>;
  /**
   * PostgreSQL and MySQL: runs the store's statements on the same pool as
   * `db`, each prepared once per connection (null for SQLite).
   */
  runner: StatementRunner | null;
  /**
   * SQLite: the one connection under `db`, for statements the store prepares
   * once and reuses. Only for work that runs synchronously from start to end
   * (a statement, or a whole transaction), so that it never interleaves with
   * a query or transaction Kysely has in progress on the same connection.
   */
  sqlite: SqliteDatabase | null;
}

/**
 * Opens the database a URL names, loading its driver now.
 *
 * @returns a Kysely instance the caller owns (and must `destroy()`).
 * @throws SqlStoreSetupError when the driver is not installed.
 */
export async function openDatabase<DB>(
  target: SqlTarget,
  options: OpenOptions,
): Promise<OpenedDatabase<DB>> {
  switch (target.dialect) {
    case 'sqlite': {
      const database = await openSqlite(target.path, options);
      const db = new Kysely<DB>({ dialect: new SqliteDialect({ database }) });
      try {
        await configureSqlite(db, target.path, options);
      } catch (error) {
        await db.destroy();
        throw error;
      }
      return { db, runner: null, sqlite: database };
    }
    case 'postgres': {
      const pg = await loadDriver<typeof import('pg')>('pg', 'pg@8', 'PostgreSQL');
      const pool = new pg.default.Pool({
        connectionString: target.url,
        connectionTimeoutMillis: options.connectTimeout,
        ...(options.poolSize === undefined ? {} : { max: options.poolSize }),
      });
      pool.on('error', options.onPoolError);
      // pg emits 'error' on a client that is checked out (mid-query or mid-transaction)
      // when its connection drops; pg-pool only listens while clients are idle, so
      // without this listener a network outage would be an uncaught exception.
      pool.on('connect', (client) => client.on('error', options.onPoolError));
      if (options.durability === 'relaxed') {
        // pg queues this before any statement on the new connection. Should it fail,
        // the connection stays fully durable, which errs on the safe side.
        pool.on('connect', (client) => {
          client.query('set synchronous_commit = off').catch(options.onSessionSetupError);
        });
      }
      return {
        db: new Kysely<DB>({ dialect: new PostgresDialect({ pool: pool as PostgresPool }) }),
        runner: new PostgresPoolRunner(pool as unknown as PgPool),
        sqlite: null,
      };
    }
    case 'mysql': {
      const mysql = await loadDriver<typeof import('mysql2')>(
        'mysql2',
        'mysql2@3',
        'MySQL/MariaDB',
      );
      const pool = mysql.createPool({
        uri: target.url,
        charset: 'UTF8MB4_GENERAL_CI',
        // UPDATE reports the rows it matched, not only those it changed.
        flags: ['+FOUND_ROWS'],
        supportBigNumbers: true,
        connectTimeout: options.connectTimeout,
        ...(options.poolSize === undefined ? {} : { connectionLimit: options.poolSize }),
      });
      pool.on('connection', (connection) => connection.on('error', options.onPoolError));
      const db = new Kysely<DB>({
        dialect: new MysqlDialect({
          pool: pool as unknown as MysqlPool,
          // mysql2 inlines parameters with backslash escapes; NO_BACKSLASH_ESCAPES would
          // make those escapes literal, so our sessions never run with it.
          onCreateConnection: async (connection) => {
            await connection.executeQuery(
              CompiledQuery.raw(
                "set session sql_mode = replace(@@session.sql_mode, 'NO_BACKSLASH_ESCAPES', '')",
              ),
            );
          },
        }),
      });
      return {
        db,
        runner: new MysqlPoolRunner(pool as unknown as MysqlCallbackPool),
        sqlite: null,
      };
    }
  }
}

async function loadDriver<T>(name: string, install: string, database: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new SqlStoreSetupError(
        `The SQL job store needs the "${name}" package for ${database}: npm install ${install}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Does `'auto'` try `node:sqlite` before better-sqlite3? From Node 24 on, where
 * `node:sqlite` is stable, and where better-sqlite3 12 (built against Node
 * 24.19 or later) aborts the process when V8 collects one of its statements
 * outside JavaScript (a change to `node::ObjectWrap`, nodejs/node#65446).
 */
const AUTO_PREFERS_NODE_SQLITE = Number(process.versions.node.split('.')[0]) >= 24;

/** Opens a SQLite file (or `:memory:`) with better-sqlite3 or `node:sqlite`. */
async function openSqlite(path: string, options: OpenOptions): Promise<SqliteDatabase> {
  const choice = options.sqliteDriver;
  const drivers: readonly Exclude<SqliteDriverName, 'auto'>[] =
    choice !== 'auto'
      ? [choice]
      : AUTO_PREFERS_NODE_SQLITE
        ? ['node:sqlite', 'better-sqlite3']
        : ['better-sqlite3', 'node:sqlite'];
  const failures: unknown[] = [];
  for (const driver of drivers) {
    if (driver === 'node:sqlite') {
      const nodeSqlite = await loadNodeSqlite();
      if (nodeSqlite !== null) return new NodeSqliteDatabase(openNodeSqlite(nodeSqlite, path));
      continue;
    }
    try {
      const { default: Database } = await import('better-sqlite3');
      return new Database(path);
    } catch (error) {
      if (choice === 'better-sqlite3' || !isModuleNotFound(error)) throw error;
      failures.push(error);
    }
  }
  throw new SqlStoreSetupError(
    choice === 'node:sqlite'
      ? `node:sqlite is not available in Node ${process.versions.node}: use Node ≥ 22.13, or install better-sqlite3 (npm install better-sqlite3@12) and set sqliteDriver to 'better-sqlite3' or 'auto'`
      : `SQLite needs a driver: install better-sqlite3 (npm install better-sqlite3@12), or run on Node ≥ 22.13, which has node:sqlite built in (this is Node ${process.versions.node})`,
    { cause: failures[0] },
  );
}

/** Applies WAL mode, the durability level and the busy timeout; checks that WAL took. */
async function configureSqlite<DB>(
  db: Kysely<DB>,
  path: string,
  options: OpenOptions,
): Promise<void> {
  const run = (pragma: string) =>
    db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(pragma));
  await run(`pragma busy_timeout = ${Math.round(options.busyTimeout)}`);
  const { rows } = await run('pragma journal_mode = wal');
  const mode = String(Object.values(rows[0] ?? {})[0] ?? '').toLowerCase();
  if (mode !== 'wal' && path !== ':memory:' && path !== '') {
    throw new SqlStoreSetupError(
      `SQLite database ${JSON.stringify(path)} cannot use WAL mode (journal_mode is ${JSON.stringify(mode)}); WAL needs a local file system`,
    );
  }
  await run(`pragma synchronous = ${options.durability === 'full' ? 'full' : 'normal'}`);
}

// ----------------------------------------------------------------- node:sqlite

interface NodeSqliteStatement {
  all(...parameters: unknown[]): unknown[];
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate?(...parameters: unknown[]): IterableIterator<unknown>;
  columns?(): unknown[];
  setReadBigInts(enabled: boolean): void;
}

interface NodeSqliteConnection {
  prepare(sql: string): NodeSqliteStatement;
  close(): void;
}

interface NodeSqliteModule {
  DatabaseSync: new (path: string) => NodeSqliteConnection;
}

async function loadNodeSqlite(): Promise<NodeSqliteModule | null> {
  // A variable specifier keeps TypeScript (whose Node 20 types lack node:sqlite) out of it.
  const specifier = 'node:sqlite';
  try {
    const module: unknown = await import(specifier);
    const DatabaseSync = (module as Partial<NodeSqliteModule>).DatabaseSync;
    return typeof DatabaseSync === 'function' ? { DatabaseSync } : null;
  } catch {
    return null;
  }
}

/** Opens `path` with `node:sqlite`, naming a missing directory as better-sqlite3 does. */
function openNodeSqlite(nodeSqlite: NodeSqliteModule, path: string): NodeSqliteConnection {
  try {
    return new nodeSqlite.DatabaseSync(path);
  } catch (error) {
    // SQLITE_CANTOPEN (14) only says "unable to open database file".
    const errcode = (error as { errcode?: unknown } | null)?.errcode;
    if (errcode === 14 && path !== ':memory:' && !existsSync(dirname(path))) {
      throw new SqlStoreSetupError(
        `Cannot open SQLite database ${JSON.stringify(path)}: the directory does not exist`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Statements that return rows, for `node:sqlite` versions without `columns()` (before 22.16). */
const READER = /^\s*(?:select|with|pragma|values|explain)\b|\breturning\b/i;
/** Statements that write and return rows: running one again to read its rows would write twice. */
const RETURNING = /\breturning\b/i;

/** Did `node:sqlite` refuse to read an INTEGER that does not fit a number? */
function isOutOfRange(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_OUT_OF_RANGE';
}

/** Turns the BigInts of a row read with `setReadBigInts(true)` into numbers, in place. */
function bigIntsToNumbers(row: unknown): unknown {
  const record = row as Record<string, unknown>;
  for (const key in record) {
    const value = record[key];
    if (typeof value === 'bigint') record[key] = Number(value);
  }
  return row;
}

/**
 * All rows of a statement, with every INTEGER as a number. `node:sqlite`
 * throws ERR_OUT_OF_RANGE for an INTEGER beyond `Number.MAX_SAFE_INTEGER`
 * where better-sqlite3 returns the nearest number, so that one hand-edited row (a `next_run_time`
 * of 2^62, say) would fail every read of the table instead of being reported
 * as a row that cannot be restored. Such a read runs again with BigInts,
 * turned into numbers; a statement that writes reads BigInts from the start.
 */
function readAll(
  statement: NodeSqliteStatement,
  writes: boolean,
  parameters: readonly unknown[],
): unknown[] {
  if (!writes) {
    try {
      return statement.all(...parameters);
    } catch (error) {
      if (!isOutOfRange(error)) throw error;
    }
  }
  statement.setReadBigInts(true);
  try {
    return statement.all(...parameters).map(bigIntsToNumbers);
  } finally {
    statement.setReadBigInts(false);
  }
}

/** The rows of a statement one by one, with every INTEGER as a number (see {@link readAll}). */
function* readEach(
  statement: NodeSqliteStatement,
  parameters: readonly unknown[],
): IterableIterator<unknown> {
  statement.setReadBigInts(true);
  try {
    const rows =
      typeof statement.iterate === 'function'
        ? statement.iterate(...parameters)
        : statement.all(...parameters);
    for (const row of rows) yield bigIntsToNumbers(row);
  } finally {
    statement.setReadBigInts(false);
  }
}

/**
 * Kysely's `SqliteDatabase` over `node:sqlite`'s `DatabaseSync`, reading what
 * better-sqlite3 reads: numbers for INTEGERs, even unsafe ones.
 */
class NodeSqliteDatabase implements SqliteDatabase {
  readonly #db: NodeSqliteConnection;

  constructor(db: NodeSqliteConnection) {
    this.#db = db;
  }

  close(): void {
    this.#db.close();
  }

  prepare(sql: string): SqliteStatement {
    const statement = this.#db.prepare(sql);
    const reader =
      typeof statement.columns === 'function' ? statement.columns().length > 0 : READER.test(sql);
    const writes = RETURNING.test(sql);
    return {
      reader,
      all: (parameters) => readAll(statement, writes, parameters),
      run: (parameters) => statement.run(...parameters),
      iterate: (parameters) => readEach(statement, parameters),
    };
  }
}

// ------------------------------------------------------------------- errors

/** Did this driver error come from a duplicate primary key? */
export function isUniqueViolation(dialect: SqlDialectName, error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno, errcode } = error as { code?: unknown; errno?: unknown; errcode?: unknown };
  switch (dialect) {
    case 'postgres':
      return code === '23505';
    case 'mysql':
      return errno === 1062 || code === 'ER_DUP_ENTRY';
    case 'sqlite':
      // better-sqlite3 names the extended code; node:sqlite gives its number
      // (SQLITE_CONSTRAINT_PRIMARYKEY 1555, SQLITE_CONSTRAINT_UNIQUE 2067).
      return (
        code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
        code === 'SQLITE_CONSTRAINT_UNIQUE' ||
        errcode === 1555 ||
        errcode === 2067
      );
  }
}
