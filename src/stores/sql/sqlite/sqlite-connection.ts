/**
 * Opens a SQLite file (or `:memory:`) for the SQL job store: picks the driver
 * (better-sqlite3 or `node:sqlite`), and sets WAL mode and the durability
 * level on the connection.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CompiledQuery, Kysely, type SqliteDatabase, SqliteDialect } from 'kysely';
import { isModuleNotFound } from '../../common.ts';
import {
  type OpenOptions,
  type SqliteDriverName,
  SqlStoreSetupError,
  type SqlTarget,
} from '../dialects.ts';
import type { JobsDatabase } from '../queries.ts';
import type { SqlSession } from '../sql-backend.ts';
import { loadNodeSqlite, NodeSqliteDatabase } from './node-sqlite-database.ts';
import { type SqliteDriver, SqliteRunner } from './sqlite-runner.ts';

/**
 * Opens the SQLite database of `target`: one connection, under both a Kysely
 * instance (for migrations) and the store's own {@link SqliteRunner}.
 */
export async function openSqlite(target: SqlTarget, options: OpenOptions): Promise<SqlSession> {
  if (target.dialect !== 'sqlite') throw new TypeError(`not a SQLite target: ${target.dialect}`);
  const { path } = target;
  const { database, driver } = await openSqliteDatabase(path, options);
  const db = new Kysely<JobsDatabase>({ dialect: new SqliteDialect({ database }) });
  const runner = new SqliteRunner(database, driver, { path, busyTimeout: options.busyTimeout });
  try {
    await runner.whenUnlocked(() => configureSqlite(db, path, options));
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    db,
    runner,
    owned: true,
    retryWhileLocked: (attempt) => runner.whenUnlocked(attempt),
  };
}

/**
 * Does `'auto'` try `node:sqlite` before better-sqlite3? From Node 24 on, where
 * `node:sqlite` is stable, and where better-sqlite3 12 (built against Node
 * 24.19 or later) aborts the process when V8 collects one of its statements
 * outside JavaScript (a change to `node::ObjectWrap`, nodejs/node#65446).
 */
const AUTO_PREFERS_NODE_SQLITE = Number(process.versions.node.split('.')[0]) >= 24;

/**
 * Refuses a file whose directory does not exist, which SQLite does not
 * create: better-sqlite3 would throw a TypeError without the path, and
 * `node:sqlite` "unable to open database file".
 *
 * @throws SqlStoreSetupError naming the path and the fix
 */
function checkDirectory(path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  const directory = dirname(resolve(path));
  if (!existsSync(directory)) {
    throw new SqlStoreSetupError(
      `Cannot open SQLite database ${JSON.stringify(path)}: its directory does not exist (${JSON.stringify(directory)}). Create it (mkdir -p ${JSON.stringify(directory)}), or correct the path in the store's url`,
    );
  }
}

/** Opens a SQLite file (or `:memory:`) with better-sqlite3 or `node:sqlite`. */
async function openSqliteDatabase(
  path: string,
  options: OpenOptions,
): Promise<{ database: SqliteDatabase; driver: SqliteDriver }> {
  checkDirectory(path);
  const choice = options.sqliteDriver;
  const drivers: readonly SqliteDriver[] =
    choice !== 'auto'
      ? [choice]
      : AUTO_PREFERS_NODE_SQLITE
        ? ['node:sqlite', 'better-sqlite3']
        : ['better-sqlite3', 'node:sqlite'];
  let betterSqliteFailure: { error: unknown; installed: boolean } | undefined;
  for (const driver of drivers) {
    if (driver === 'node:sqlite') {
      const nodeSqlite = await loadNodeSqlite();
      if (nodeSqlite !== null)
        return { database: new NodeSqliteDatabase(new nodeSqlite.DatabaseSync(path)), driver };
      continue;
    }
    try {
      const { default: Database } = await import('better-sqlite3');
      return { database: new Database(path), driver };
    } catch (error) {
      // Anything else (a file that cannot be opened, say) is the database's error, not the driver's.
      if (isModuleNotFound(error)) betterSqliteFailure = { error, installed: false };
      else if (isAddonLoadFailure(error)) betterSqliteFailure = { error, installed: true };
      else throw error;
    }
  }
  throw new SqlStoreSetupError(noSqliteDriverMessage(choice, betterSqliteFailure), {
    cause: betterSqliteFailure?.error,
  });
}

/**
 * Did better-sqlite3 load without its native module? Its install script
 * builds (or downloads) that module; it is missing when the script did not
 * run (`--ignore-scripts`, an install-script policy, pnpm's default), and it
 * fails to load when it was built for another Node version.
 */
function isAddonLoadFailure(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'ERR_DLOPEN_FAILED' ||
    (typeof message === 'string' && message.startsWith('Could not locate the bindings file'))
  );
}

/** Why no SQLite driver could open the database, and the fix. */
function noSqliteDriverMessage(
  choice: SqliteDriverName,
  betterSqlite: { error: unknown; installed: boolean } | undefined,
): string {
  const node = `this is Node ${process.versions.node}`;
  if (choice === 'node:sqlite') {
    return `node:sqlite is not available in Node ${process.versions.node}: use Node ≥ 22.13, or install better-sqlite3 (npm install better-sqlite3@12) and set sqliteDriver to 'better-sqlite3' or 'auto'`;
  }
  const orNodeSqlite =
    choice === 'auto'
      ? `or run on Node ≥ 22.13, which has node:sqlite built in (${node})`
      : `or set sqliteDriver to 'auto' on Node ≥ 22.13, which has node:sqlite built in (${node})`;
  if (betterSqlite?.installed) {
    const reason = String((betterSqlite.error as { message?: unknown }).message).split('\n')[0];
    return `better-sqlite3 is installed but its native module does not load (${reason}): its install script did not run, or built it for another Node version. Run npm rebuild better-sqlite3 with its install script allowed, ${orNodeSqlite}`;
  }
  return choice === 'auto'
    ? `SQLite needs a driver: install better-sqlite3 (npm install better-sqlite3@12), ${orNodeSqlite}`
    : `sqliteDriver 'better-sqlite3' needs the better-sqlite3 package: npm install better-sqlite3@12, ${orNodeSqlite}`;
}

/**
 * Applies WAL mode and the durability level, and turns SQLite's own waiting
 * for locks off (`sqlite-lock.ts` waits instead); checks that WAL took.
 */
async function configureSqlite(
  db: Kysely<JobsDatabase>,
  path: string,
  options: OpenOptions,
): Promise<void> {
  const run = (pragma: string) =>
    db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(pragma));
  await run('pragma busy_timeout = 0');
  const { rows } = await run('pragma journal_mode = wal');
  const mode = String(Object.values(rows[0] ?? {})[0] ?? '').toLowerCase();
  if (mode !== 'wal' && path !== ':memory:' && path !== '') {
    throw new SqlStoreSetupError(
      `SQLite database ${JSON.stringify(path)} cannot use WAL mode (journal_mode is ${JSON.stringify(mode)}); WAL needs a local file system`,
    );
  }
  await run(`pragma synchronous = ${options.durability === 'full' ? 'full' : 'normal'}`);
}
