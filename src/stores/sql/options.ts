/**
 * The options of the SQL job store, from code or configuration: their types,
 * defaults, and the checks that name the option at fault.
 */
import { coerceNumber } from '../../config/coerce.ts';
import { ConfigurationError } from '../../config/errors.ts';
import { checkOptionNames } from '../../config/suggest.ts';
import {
  isKysely,
  type KyselyInstance,
  parseSqlUrl,
  type SqlDurability,
  type SqliteDriverName,
} from './dialects.ts';
import { checkTableName } from './table-names.ts';

const DEFAULT_TABLE = 'horarium_jobs';

/** Options of {@link SqlJobStore}: a `url` or a `db`, not both. */
export interface SqlJobStoreOptions {
  /**
   * The database: `'sqlite:jobs.db'`, `'sqlite:/var/lib/app/jobs.db'`,
   * `'sqlite::memory:'`, `'postgres://user:pass@host:5432/db'` (or
   * `postgresql://`), `'mysql://user:pass@host:3306/db'` (or `mariadb://`).
   * The store opens the connection (pool) at `start()` and closes it at `shutdown()`.
   */
  url?: string;
  /**
   * An existing Kysely instance (SQLite, PostgreSQL or MySQL dialect) to use
   * instead of `url`. The store never destroys it, and ignores its plugins.
   * Its connection settings (SQLite pragmas, MySQL `sql_mode`) are the
   * application's: the store sets them only on connections it opens.
   */
  db?: KyselyInstance;
  /** The table (default `'horarium_jobs'`); its migration tables are `<tableName>_migrations` and `<tableName>_migrations_lock`. */
  tableName?: string;
  /**
   * SQLite (always in WAL mode): `'normal'` (default): an acknowledged
   * write survives a crash or `kill -9` of the process, but a power loss or OS
   * crash may lose the last writes. `'full'`: an fsync per write, and
   * acknowledged writes also survive a power loss.
   *
   * PostgreSQL: by default the server's settings, fully durable with
   * PostgreSQL's defaults. `'relaxed'` (opt-in, with `url` only) runs the
   * store's connections with `synchronous_commit = off`: writes are several
   * times faster and stay consistent, and survive the application's process
   * dying, but a crash of the database server or its machine may lose the
   * last fraction of a second of them. See {@link SqlDurability}.
   *
   * MySQL/MariaDB: the server's settings (`innodb_flush_log_at_trx_commit` is
   * server-wide); `'relaxed'` is refused.
   */
  durability?: SqlDurability;
  /**
   * SQLite only: seconds an operation waits for another connection's lock
   * (another process writing) before it fails with a `SqliteLockTimeoutError`
   * (default 5). The store waits on timers: the event loop runs meanwhile.
   * With your own Kysely instance (`db`), its connection's `busy_timeout` applies instead.
   */
  busyTimeout?: number;
  /**
   * SQLite only: `'auto'` (default) uses `node:sqlite` on Node ≥ 24; on Node 20
   * and 22, better-sqlite3 when installed, else `node:sqlite` (Node ≥ 22.13).
   */
  sqliteDriver?: SqliteDriverName;
  /** PostgreSQL / MySQL with `url`: the most connections in the pool (default: the driver's, 10). */
  poolSize?: number;
  /** PostgreSQL / MySQL with `url`: seconds to wait for a connection (default 10). */
  connectTimeout?: number;
}

export type NormalizedOptions = Required<Omit<SqlJobStoreOptions, 'url' | 'db' | 'poolSize'>> &
  Pick<SqlJobStoreOptions, 'url' | 'db' | 'poolSize'>;

const OPTION_NAMES = [
  'url',
  'db',
  'tableName',
  'durability',
  'busyTimeout',
  'sqliteDriver',
  'poolSize',
  'connectTimeout',
];

/** Checks the options (from code or configuration). @throws ConfigurationError naming `key.option` */
export function normalizeOptions(options: Record<string, unknown>, key: string): NormalizedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError(key, 'expected an options object with a url or a db');
  }
  checkOptionNames(key, options, OPTION_NAMES, 'SQL job store option');
  const { url, db } = options;
  if ((url === undefined) === (db === undefined)) {
    throw new ConfigurationError(
      key,
      url === undefined
        ? 'the SQL job store needs a url (e.g. "sqlite:jobs.db") or a db (a Kysely instance)'
        : 'give the SQL job store a url or a db, not both',
    );
  }
  if (url !== undefined) {
    if (typeof url !== 'string') throw new ConfigurationError(`${key}.url`, 'expected a string');
    try {
      parseSqlUrl(url);
    } catch (error) {
      throw new ConfigurationError(`${key}.url`, (error as Error).message, { cause: error });
    }
  }
  if (db !== undefined && !isKysely(db)) {
    throw new ConfigurationError(`${key}.db`, 'expected a Kysely instance');
  }
  let tableName: string;
  try {
    tableName = checkTableName(options.tableName ?? DEFAULT_TABLE);
  } catch (error) {
    throw new ConfigurationError(`${key}.tableName`, (error as Error).message, { cause: error });
  }
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = options[name];
    if (value === undefined) return fallback;
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
      return value as T;
    throw new ConfigurationError(
      `${key}.${name}`,
      `expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${JSON.stringify(value) ?? typeof value}`,
    );
  };
  const seconds = (name: string, fallback: number): number =>
    options[name] === undefined
      ? fallback
      : coerceNumber(`${key}.${name}`, options[name], { min: 0, max: 86_400 });
  const durability = oneOf<SqlDurability>('durability', ['normal', 'full', 'relaxed'], 'normal');
  if (durability === 'relaxed') checkRelaxable(key, url as string | undefined);
  return {
    url: url as string | undefined,
    db: db as KyselyInstance | undefined,
    tableName,
    durability,
    busyTimeout: seconds('busyTimeout', 5),
    sqliteDriver: oneOf<SqliteDriverName>(
      'sqliteDriver',
      ['auto', 'better-sqlite3', 'node:sqlite'],
      'auto',
    ),
    poolSize:
      options.poolSize === undefined
        ? undefined
        : coerceNumber(`${key}.poolSize`, options.poolSize, { integer: true, min: 1, max: 1000 }),
    connectTimeout: seconds('connectTimeout', 10),
  };
}

/**
 * `durability: 'relaxed'` changes the sessions of a PostgreSQL pool the
 * store opens, and nothing else. @throws ConfigurationError otherwise
 */
function checkRelaxable(key: string, url: string | undefined): void {
  const fail = (reason: string): never => {
    throw new ConfigurationError(`${key}.durability`, reason);
  };
  if (url === undefined)
    fail(
      "'relaxed' applies to the connections the store opens from a url; with your own Kysely instance, set synchronous_commit on its pool",
    );
  const dialect = parseSqlUrl(url as string).dialect;
  if (dialect === 'mysql')
    fail(
      "'relaxed' is for PostgreSQL: MySQL and MariaDB flush commits by a server-wide setting (innodb_flush_log_at_trx_commit), which a job store does not change",
    );
  if (dialect === 'sqlite')
    fail("'relaxed' is for PostgreSQL: SQLite takes 'normal' (the default) or 'full'");
}
