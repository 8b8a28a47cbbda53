/**
 * The SQL job store's schema, created and upgraded by Kysely's `Migrator` from
 * migrations defined here in code. Each store table has its own migration
 * bookkeeping (`<table>_migrations` and `<table>_migrations_lock`), so that a
 * later Horarium can add columns with a new migration and several tables can
 * live in one database.
 *
 * Rules for new migrations: never edit or rename a released one; name them
 * `NNNN_description` so that they sort in order; keep them runnable on all
 * three dialects (branch on `dialect` where the SQL differs).
 */
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { type SqlDialectName, SqlStoreSetupError } from './dialects.ts';
import { withOwnTablesIntrospection } from './own-tables.ts';
import { MAX_ID_LENGTH, tableNames } from './table-names.ts';

/**
 * A binary, NO PAD collation for ids on MySQL/MariaDB: ids compare by code
 * point, case- and accent-sensitively, and `'a'` differs from `'a '` (the
 * `_bin` collations are PAD SPACE). MariaDB calls it `utf8mb4_nopad_bin`,
 * MySQL 8 `utf8mb4_0900_bin`.
 */
async function mysqlIdCollation(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ name: string }>`
    select collation_name as name from information_schema.collations
    where collation_name in ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')`.execute(db);
  const names = rows.map((row) => row.name);
  if (names.includes('utf8mb4_nopad_bin')) return 'utf8mb4_nopad_bin';
  if (names.includes('utf8mb4_0900_bin')) return 'utf8mb4_0900_bin';
  return 'utf8mb4_bin';
}

function migrations(dialect: SqlDialectName, table: string): Record<string, Migration> {
  const names = tableNames(table);
  return {
    '0001_create_jobs_table': {
      async up(db: Kysely<unknown>): Promise<void> {
        const length = sql.raw(String(MAX_ID_LENGTH));
        // SQLite's BINARY collation and PostgreSQL's "C" compare UTF-8 bytes, i.e. code points.
        let idType = sql`text`;
        let stateType = sql`text`;
        if (dialect === 'postgres') idType = sql`varchar(${length}) collate "C"`;
        if (dialect === 'mysql') {
          const collation = sql.raw(await mysqlIdCollation(db));
          idType = sql`varchar(${length}) character set utf8mb4 collate ${collation}`;
          stateType = sql`longtext character set utf8mb4 collate utf8mb4_bin`;
        }
        const create = db.schema
          .createTable(names.jobs)
          .addColumn('id', idType, (column) => column.primaryKey().notNull())
          .addColumn('next_run_time', 'bigint')
          .addColumn('job_state', stateType, (column) => column.notNull());
        await (dialect === 'mysql'
          ? create.modifyEnd(sql`engine = InnoDB default charset = utf8mb4`)
          : create
        ).execute();
        await db.schema
          .createIndex(names.nextRunTimeIndex)
          .on(names.jobs)
          .column('next_run_time')
          .execute();
      },
    },
  };
}

/**
 * Brings the store's table to the newest schema this Horarium knows. Safe to
 * run from several processes at once (Kysely takes a lock) and on every start.
 *
 * @throws SqlStoreSetupError when a migration fails or the table was migrated by a newer Horarium.
 */
export async function migrateJobsTable(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  table: string,
): Promise<void> {
  const names = tableNames(table);
  const migrator = new Migrator({
    db: withOwnTablesIntrospection(db, dialect, [names.migrations, names.migrationLock]),
    provider: { getMigrations: async () => migrations(dialect, table) },
    migrationTableName: names.migrations,
    migrationLockTableName: names.migrationLock,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  const newer = /missing/i.test(reason)
    ? ' (the table was migrated by a newer Horarium, whose migrations this version does not know)'
    : '';
  throw new SqlStoreSetupError(
    `Cannot migrate job store table "${table}"${failed === undefined ? '' : ` (migration ${failed})`}${newer}: ${reason}`,
    { cause: error },
  );
}
