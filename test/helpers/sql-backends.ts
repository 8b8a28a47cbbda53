/**
 * The databases the SQL job store tests run against: SQLite files under
 * os.tmpdir() (through better-sqlite3, and through node:sqlite where Node has
 * it), and the PostgreSQL and MariaDB/MySQL servers named by POSTGRES_URL and
 * MYSQL_URL. Every test gets its own table (or file), so test files can run in
 * parallel, and drops it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { createPool, type PoolOptions } from 'mysql2';
import pg from 'pg';
import { afterEach, describe, it } from 'vitest';
import { redactUrl } from '../../src/config/redact-url.ts';
import { type SqliteDriverName, SqlJobStore } from '../../src/index.ts';
import { openDatabase } from '../../src/stores/sql/dialects.ts';
import { storeTestContext } from './store-context.ts';

export const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** The job table as the tests see it when they edit rows by hand. */
export interface RawJobsTable {
  id: string;
  next_run_time: number | string | null;
  job_state: string;
}
export type RawDatabase = Record<string, RawJobsTable>;

/** One database for one test: the URL the store opens, a Kysely of the test's own on the same database, a fresh table name. */
export interface SqlTestDatabase {
  url: string;
  /** The test's own connection, for editing rows by hand (and for the `db` option). */
  db: Kysely<RawDatabase>;
  tableName: string;
  /** Drops the tables (or deletes the files) and closes `db`. */
  cleanup(): Promise<void>;
}

export interface SqlBackend {
  name: string;
  dialect: 'sqlite' | 'postgres' | 'mysql';
  /** SQLite: the driver every store of the backend opens its file with (default 'auto'). */
  sqliteDriver?: SqliteDriverName;
  create(): Promise<SqlTestDatabase>;
}

export function uniqueTableName(): string {
  return `horarium_jobs_${randomBytes(5).toString('hex')}`;
}

async function dropTables(db: Kysely<RawDatabase>, table: string): Promise<void> {
  for (const name of [
    table,
    `${table}_fires`,
    `${table}_nodes`,
    `${table}_job_changes`,
    `${table}_outages`,
    `${table}_calendars`,
    `${table}_migrations`,
    `${table}_migrations_lock`,
  ]) {
    await db.schema.dropTable(name).ifExists().execute();
  }
}

/**
 * Can better-sqlite3 run in this process? Not on Node 24: better-sqlite3 12
 * built against Node 24.19 or later aborts the process when V8 collects one of
 * its statements outside JavaScript (a change to `node::ObjectWrap`,
 * nodejs/node#65446), at a random moment of a test run. There the tests use
 * node:sqlite instead, and the better-sqlite3 ones are skipped with this reason.
 */
export const BETTER_SQLITE3_SAFE = !process.versions.node.startsWith('24.');
export const BETTER_SQLITE3_UNSAFE_REASON = `better-sqlite3 12 can abort the process on Node ${process.versions.node} (node::ObjectWrap cleanup hooks, nodejs/node#65446)`;

/** Does this Node have node:sqlite (22.13 and later)? */
export const HAS_NODE_SQLITE = process.getBuiltinModule?.('node:sqlite') !== undefined;

/** A SQLite file opened for a few synchronous statements by hand. */
export interface RawSqliteFile {
  prepare(sql: string): {
    run(...parameters: unknown[]): unknown;
    all(...parameters: unknown[]): unknown[];
  };
  close(): void;
}

/** Opens a SQLite file by hand: with better-sqlite3 where it is safe, else with node:sqlite. */
export function openSqliteFile(path: string, options: { readonly?: boolean } = {}): RawSqliteFile {
  const readonly = options.readonly ?? false;
  if (BETTER_SQLITE3_SAFE) return new Database(path, { readonly });
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as {
    DatabaseSync: new (path: string, options: { readOnly: boolean }) => RawSqliteFile;
  };
  return new DatabaseSync(path, { readOnly: readonly });
}

export function tempSqlitePath(): string {
  return join(tmpdir(), `horarium-test-${process.pid}-${randomBytes(6).toString('hex')}.db`);
}

export async function removeSqliteFiles(path: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(path + suffix, { force: true });
}

/** Options of the stores a {@link sqliteStoreFixture} opens. */
export interface SqliteFixtureStoreOptions {
  durability?: 'normal' | 'full';
  busyTimeout?: number;
  sqliteDriver?: SqliteDriverName;
}

/**
 * Temporary SQLite files and started stores on them through `driver`, for the
 * tests of one `describe`: every store is shut down and every file removed
 * after each test.
 */
export function sqliteStoreFixture(driver: SqliteDriverName): {
  newPath(): string;
  open(url: string, options?: SqliteFixtureStoreOptions): Promise<SqlJobStore>;
  /** Shuts a store the test started itself down after the test. */
  track(store: SqlJobStore): void;
} {
  const paths: string[] = [];
  const stores: SqlJobStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.shutdown();
    for (const path of paths.splice(0)) await removeSqliteFiles(path);
  });
  return {
    newPath() {
      const path = tempSqlitePath();
      paths.push(path);
      return path;
    },
    async open(url, options = {}) {
      const store = new SqlJobStore({ url, sqliteDriver: driver, ...options });
      await store.start(storeTestContext(), 'default');
      stores.push(store);
      return store;
    },
    track(store) {
      stores.push(store);
    },
  };
}

export function openSqliteKysely(path: string): Kysely<RawDatabase> {
  const database = new Database(path);
  database.pragma('busy_timeout = 5000');
  return new Kysely<RawDatabase>({ dialect: new SqliteDialect({ database }) });
}

/** SQLite through better-sqlite3, for the stores and for the test's own connection. */
export const sqliteBackend: SqlBackend = {
  name: 'SQLite',
  dialect: 'sqlite',
  sqliteDriver: 'better-sqlite3',
  async create() {
    const path = tempSqlitePath();
    const db = openSqliteKysely(path);
    return {
      url: `sqlite:${path}`,
      db,
      tableName: uniqueTableName(),
      async cleanup() {
        await db.destroy();
        await removeSqliteFiles(path);
      },
    };
  },
};

/** A Kysely instance on a SQLite file through node:sqlite (and the store's adapter for it). */
export async function openNodeSqliteKysely(path: string): Promise<Kysely<RawDatabase>> {
  const { db } = await openDatabase<RawDatabase>(
    { dialect: 'sqlite', path },
    {
      durability: 'normal',
      busyTimeout: 5000,
      sqliteDriver: 'node:sqlite',
      poolSize: undefined,
      connectTimeout: 0,
      onPoolError: () => {},
      onSessionSetupError: () => {},
    },
  );
  return db;
}

/** SQLite through node:sqlite, for the stores and for the test's own connection. */
export const nodeSqliteBackend: SqlBackend = {
  name: 'SQLite, node:sqlite',
  dialect: 'sqlite',
  sqliteDriver: 'node:sqlite',
  async create() {
    const path = tempSqlitePath();
    const db = await openNodeSqliteKysely(path);
    return {
      url: `sqlite:${path}`,
      db,
      tableName: uniqueTableName(),
      async cleanup() {
        await db.destroy();
        await removeSqliteFiles(path);
      },
    };
  },
};

export function openPostgresKysely(url = POSTGRES_URL): Kysely<RawDatabase> {
  return new Kysely<RawDatabase>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 4 }) }),
  });
}

export const postgresBackend: SqlBackend = {
  name: 'PostgreSQL',
  dialect: 'postgres',
  async create() {
    const db = openPostgresKysely();
    const tableName = uniqueTableName();
    return {
      url: POSTGRES_URL,
      db,
      tableName,
      async cleanup() {
        await dropTables(db, tableName);
        await db.destroy();
      },
    };
  },
};

export function openMysqlKysely(
  url = MYSQL_URL,
  options: Omit<PoolOptions, 'uri'> = {},
): Kysely<RawDatabase> {
  return new Kysely<RawDatabase>({
    dialect: new MysqlDialect({
      pool: createPool({ uri: url, connectionLimit: 4, charset: 'UTF8MB4_GENERAL_CI', ...options }),
    }),
  });
}

export const mysqlBackend: SqlBackend = {
  name: 'MariaDB',
  dialect: 'mysql',
  async create() {
    const db = openMysqlKysely();
    const tableName = uniqueTableName();
    return {
      url: MYSQL_URL,
      db,
      tableName,
      async cleanup() {
        await dropTables(db, tableName);
        await db.destroy();
      },
    };
  },
};

/**
 * Can the backend's server be reached? Resolves to null when it can, else to
 * the reason.
 */
export async function unreachable(backend: SqlBackend): Promise<string | null> {
  if (backend.dialect === 'sqlite') return null;
  const db = backend.dialect === 'postgres' ? openPostgresKysely() : openMysqlKysely();
  try {
    await Promise.race([
      sql`select 1`.execute(db),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref(),
      ),
    ]);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await db.destroy().catch(() => {});
  }
}

/**
 * Registers the tests of a backend when its server answers. Otherwise, under
 * CI=true, one failing test says which service is missing; elsewhere the tests
 * are skipped with that message.
 */
export async function describeWhenReachable(
  backend: SqlBackend,
  url: string,
  register: () => void,
): Promise<void> {
  const reason = await unreachable(backend);
  if (reason === null) {
    register();
    return;
  }
  const message = `${backend.name} is not reachable at ${redactUrl(url)} (${reason}); start it or set the URL environment variable`;
  if (process.env.CI === 'true') {
    describe(`${backend.name} job store`, () => {
      it('needs its database server', () => {
        throw new Error(message);
      });
    });
  } else {
    console.warn(`Skipping the ${backend.name} job store tests: ${message}`);
    describe.skip(`${backend.name} job store (skipped: ${message})`, () => {
      it('needs its database server', () => {});
    });
  }
}
