/**
 * The databases of the SQL job store: which one a URL names, which one an
 * existing Kysely instance speaks, and the folder that serves each, loaded
 * with its driver only when a store of that kind starts (so that importing
 * Horarium never requires pg, mysql2 or better-sqlite3).
 */
import type { Kysely, QueryExecutor } from 'kysely';
import { redactUrl } from '../../config/redact-url.ts';
import { isModuleNotFound } from '../common.ts';
import type { JobsDatabase } from './queries.ts';
import type { SqlBackend, SqlDialect, SqlSession } from './sql-backend.ts';
import { SqlStoreSetupError } from './sql-errors.ts';
import { kyselyRunner } from './statement-runner.ts';

/** The databases the SQL job store supports. */
export type SqlDialectName = 'sqlite' | 'postgres' | 'mysql';

/** Each dialect's name in messages. */
export const DIALECT_NAMES: Readonly<Record<SqlDialectName, string>> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  mysql: 'MySQL/MariaDB',
};

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

export { SqlStoreSetupError } from './sql-errors.ts';

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
export async function dialectOf(db: KyselyInstance): Promise<SqlDialectName> {
  const adapter: unknown = db.getExecutor().adapter;
  const { MysqlAdapter, PostgresAdapter, SqliteAdapter } = await import('kysely');
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
  /** SQLite only: how long an operation waits for another connection's lock (ms). */
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

/** The folder that serves each dialect, loaded on first use. */
export function loadDialect(name: SqlDialectName): Promise<SqlDialect> {
  switch (name) {
    case 'sqlite':
      return import('./sqlite/sqlite-backend.ts').then((module) => module.sqliteDialect);
    case 'postgres':
      return import('./postgres/postgres-backend.ts').then((module) => module.postgresDialect);
    case 'mysql':
      return import('./mysql/mysql-backend.ts').then((module) => module.mysqlDialect);
  }
}

/**
 * Opens the database a URL names, loading its driver now.
 *
 * @returns a Kysely instance the caller owns (and must `destroy()`), and a
 * runner of statements on the same connections.
 * @throws SqlStoreSetupError when the driver is not installed.
 */
export async function openDatabase<DB>(
  target: SqlTarget,
  options: OpenOptions,
): Promise<{ db: Kysely<DB>; runner: SqlSession['runner'] }> {
  const session = await (await loadDialect(target.dialect)).open(target, options);
  return { db: session.db as unknown as Kysely<DB>, runner: session.runner };
}

/** Where a store's database comes from: a URL it opens, or a Kysely instance of the application's. */
export type SqlSource = { url: string } | { db: KyselyInstance };

/**
 * Opens (or takes) the database, creates or upgrades the table `table`, and
 * returns the store's backend on it. A database the store opened is closed
 * again when this fails.
 *
 * @throws SqlStoreSetupError when the URL, driver, dialect or schema is unusable.
 */
export async function startBackend(
  source: SqlSource,
  options: OpenOptions,
  table: string,
): Promise<SqlBackend> {
  let name: SqlDialectName;
  let session: SqlSession;
  let dialect: SqlDialect;
  if ('db' in source) {
    const db = source.db as unknown as Kysely<JobsDatabase>;
    if (db.isTransaction) {
      throw new SqlStoreSetupError(
        'SqlJobStore needs a Kysely instance, not a transaction: it runs its own transactions',
      );
    }
    name = await dialectOf(source.db);
    dialect = await loadDialect(name);
    const own = db.withoutPlugins();
    session = { db: own, runner: kyselyRunner(own), owned: false };
  } else {
    const target = parseSqlUrl(source.url);
    name = target.dialect;
    dialect = await loadDialect(name);
    session = await dialect.open(target, options);
  }
  try {
    if (name === 'mysql') {
      // Before any table is made: a server that cannot share the store is refused.
      const { checkMysqlServer } = await import('./mysql/server-requirements.ts');
      await checkMysqlServer(session.db, 'The SQL job store cannot use this MySQL/MariaDB server');
    }
    const { migrateJobsTable } = await import('./migrations.ts');
    const migrateOnce = () =>
      migrateJobsTable(session.db as unknown as Kysely<unknown>, name, table);
    // SQLite takes no migration lock: two processes starting on one new file may both
    // read "not migrated" and one then finds the table the other made. Migrating again
    // finds the other's record and has nothing left to do.
    const migrate =
      name === 'sqlite'
        ? async () => {
            for (let attempt = 1; ; attempt++) {
              try {
                return await migrateOnce();
              } catch (error) {
                if (attempt >= MIGRATION_ATTEMPTS || !madeMeanwhile(error)) throw error;
                // Let the other migrator commit before reading its record.
                await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
              }
            }
          }
        : migrateOnce;
    await (session.retryWhileLocked?.(migrate) ?? migrate());
    return await dialect.backend(session, table);
  } catch (error) {
    if (session.owned) await session.db.destroy();
    throw error;
  }
}

/** Times a SQLite migration is tried when another process migrated the same file meanwhile. */
const MIGRATION_ATTEMPTS = 10;

/** A migration failed on a table or index that another process created meanwhile. */
function madeMeanwhile(error: unknown): boolean {
  for (let at = error, depth = 0; at instanceof Error && depth < 5; depth++) {
    if (/\balready exists\b|\bduplicate column name\b/.test(at.message)) return true;
    at = (at as { cause?: unknown }).cause;
  }
  return false;
}

/** Loads an optional driver package. @throws SqlStoreSetupError naming the package to install */
export async function loadDriver<T>(
  load: () => Promise<T>,
  name: string,
  install: string,
  database: string,
): Promise<T> {
  try {
    return await load();
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
