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
    '0002_cluster_ledger': {
      up: (db: Kysely<unknown>) => createLedgerTables(db, dialect, table),
    },
    // Reading the fires of one state newest first (`getFires({ states: ['failed'] })`) without
    // sorting every fire in that state: 62 ms → 0.3 ms on SQLite with a million fires (bench/history.ts).
    '0003_fire_state_index': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createIndex(names.fireStateIndex)
          .on(names.fires)
          .columns(['state', 'scheduled_time', 'fire_id'])
          .execute();
      },
    },
    '0004_job_changes': {
      up: (db: Kysely<unknown>) => createJobChangesTable(db, dialect, table),
    },
    // The job's `history` option kept with each fire (null: 'all'), so that a purge
    // finds the fires of 'failures' and 'off' jobs by index without reading any job.
    '0005_fire_retention': {
      async up(db: Kysely<unknown>): Promise<void> {
        const type =
          dialect === 'mysql'
            ? sql`varchar(16) character set utf8mb4 collate utf8mb4_bin`
            : sql`varchar(16)`;
        await db.schema.alterTable(names.fires).addColumn('history', type).execute();
        await db.schema
          .createIndex(names.fireHistoryIndex)
          .on(names.fires)
          .columns(['history', 'state'])
          .execute();
      },
    },
    '0006_calendars': {
      up: (db: Kysely<unknown>) => createCalendarsTable(db, dialect, table),
    },
    '0008_store_outages': {
      up: (db: Kysely<unknown>) => createOutagesTable(db, dialect, table),
    },
    // Claims read due jobs `order by next_run_time, id`: with the id in the index the
    // database reads them in order instead of sorting every due row (PostgreSQL, 100,000
    // due jobs: 35 → 23 ms a claim of 100). It serves every query the old index did.
    '0009_claim_order_index': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createIndex(names.dueOrderIndex)
          .on(names.jobs)
          .columns(['next_run_time', 'id'])
          .execute();
        const drop = db.schema.dropIndex(names.nextRunTimeIndex);
        await (dialect === 'mysql' ? drop.on(names.jobs) : drop).execute();
      },
    },
  };
}

/**
 * The cluster ledger (`ledger/sql-ledger.ts`): the job's claim (`lease_owner`,
 * `lease_until`, store-clock epoch ms) and fencing token (`fence`) on the job
 * table, whose existing rows start unclaimed at fence 0; the fires table,
 * one row per (job, scheduled time); and the nodes' check-ins.
 */
async function createLedgerTables(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  table: string,
): Promise<void> {
  const names = tableNames(table);
  const length = sql.raw(String(MAX_ID_LENGTH));
  // Ids and node ids compare as the job ids do (see 0001); other text needs no collation.
  let idType = sql`text`;
  let shortText = (n: number) => sql`varchar(${sql.raw(String(n))})`;
  let longText = sql`text`;
  if (dialect === 'postgres') idType = sql`varchar(${length}) collate "C"`;
  if (dialect === 'mysql') {
    const collation = sql.raw(await mysqlIdCollation(db));
    idType = sql`varchar(${length}) character set utf8mb4 collate ${collation}`;
    shortText = (n) =>
      sql`varchar(${sql.raw(String(n))}) character set utf8mb4 collate utf8mb4_bin`;
    longText = sql`longtext character set utf8mb4 collate utf8mb4_bin`;
  }
  // SQLite adds one column a statement.
  await db.schema.alterTable(names.jobs).addColumn('lease_owner', idType).execute();
  await db.schema.alterTable(names.jobs).addColumn('lease_until', 'bigint').execute();
  await db.schema
    .alterTable(names.jobs)
    .addColumn('fence', 'bigint', (column) => column.notNull().defaultTo(0))
    .execute();
  const mysqlTable = <T extends { modifyEnd(end: ReturnType<typeof sql>): T }>(create: T): T =>
    dialect === 'mysql' ? create.modifyEnd(sql`engine = InnoDB default charset = utf8mb4`) : create;
  await mysqlTable(
    db.schema
      .createTable(names.fires)
      .addColumn('fire_id', shortText(64), (column) => column.primaryKey().notNull())
      .addColumn('job_id', idType, (column) => column.notNull())
      .addColumn('scheduled_time', 'bigint', (column) => column.notNull())
      .addColumn('state', shortText(32), (column) => column.notNull())
      .addColumn('node', idType)
      .addColumn('fence', 'bigint', (column) => column.notNull())
      .addColumn('batch_id', shortText(64))
      .addColumn('lease_until', 'bigint')
      .addColumn('claimed_at', 'bigint')
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      .addColumn('recovering', 'smallint', (column) => column.notNull().defaultTo(0))
      .addColumn('attempt', 'integer', (column) => column.notNull().defaultTo(1))
      .addColumn('error_name', shortText(191))
      .addColumn('error_message', longText)
      .addColumn('detail', longText)
      // The job as claimed, kept for `recover: true` jobs only: a fire the reaper
      // takes over runs again even when its job is gone (a date job removed at its commit).
      .addColumn('job_state', longText),
  ).execute();
  await db.schema
    .createIndex(names.fireSlotIndex)
    .unique()
    .on(names.fires)
    .columns(['job_id', 'scheduled_time'])
    .execute();
  await db.schema
    .createIndex(names.fireNodeIndex)
    .on(names.fires)
    .columns(['node', 'state'])
    .execute();
  await db.schema
    .createIndex(names.fireLeaseIndex)
    .on(names.fires)
    .columns(['state', 'lease_until'])
    .execute();
  await db.schema
    .createIndex(names.fireTimeIndex)
    .on(names.fires)
    .column('scheduled_time')
    .execute();
  await mysqlTable(
    db.schema
      .createTable(names.nodes)
      .addColumn('node_id', idType, (column) => column.primaryKey().notNull())
      .addColumn('hostname', shortText(255), (column) => column.notNull())
      .addColumn('pid', 'bigint', (column) => column.notNull())
      .addColumn('version', shortText(64), (column) => column.notNull())
      .addColumn('started_at', 'bigint', (column) => column.notNull())
      .addColumn('last_seen', 'bigint', (column) => column.notNull())
      .addColumn('clock_skew_ms', 'bigint', (column) => column.notNull()),
  ).execute();
}

/**
 * The job change log (`job-changes-sql.ts`): one row per change of a job,
 * keyed by (job id, version); the trigger as JSON text (null once removed),
 * times in epoch ms by the store's clock.
 */
async function createJobChangesTable(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  table: string,
): Promise<void> {
  const names = tableNames(table);
  const length = sql.raw(String(MAX_ID_LENGTH));
  let idType = sql`text`;
  let kindType = sql`varchar(16)`;
  let longText = sql`text`;
  if (dialect === 'postgres') idType = sql`varchar(${length}) collate "C"`;
  if (dialect === 'mysql') {
    const collation = sql.raw(await mysqlIdCollation(db));
    idType = sql`varchar(${length}) character set utf8mb4 collate ${collation}`;
    kindType = sql`varchar(16) character set utf8mb4 collate utf8mb4_bin`;
    longText = sql`longtext character set utf8mb4 collate utf8mb4_bin`;
  }
  const create = db.schema
    .createTable(names.jobChanges)
    .addColumn('job_id', idType, (column) => column.notNull())
    .addColumn('version', 'bigint', (column) => column.notNull())
    .addColumn('kind', kindType, (column) => column.notNull())
    .addColumn('changed_at', 'bigint', (column) => column.notNull())
    .addColumn('trigger_json', longText)
    .addColumn('misfire_grace_time', sql`double precision`)
    .addColumn('coalesce', 'smallint', (column) => column.notNull())
    .addColumn('max_instances', 'integer', (column) => column.notNull())
    .addColumn('node', idType)
    .addPrimaryKeyConstraint(names.jobChangeKey, ['job_id', 'version']);
  await (dialect === 'mysql'
    ? create.modifyEnd(sql`engine = InnoDB default charset = utf8mb4`)
    : create
  ).execute();
}

/** The named exclusion calendars (`../calendars.ts`): name → the calendar's JSON state. */
async function createCalendarsTable(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  table: string,
): Promise<void> {
  const names = tableNames(table);
  const length = sql.raw(String(MAX_ID_LENGTH));
  let nameType = sql`text`;
  let stateType = sql`text`;
  if (dialect === 'postgres') nameType = sql`varchar(${length}) collate "C"`;
  if (dialect === 'mysql') {
    const collation = sql.raw(await mysqlIdCollation(db));
    nameType = sql`varchar(${length}) character set utf8mb4 collate ${collation}`;
    stateType = sql`longtext character set utf8mb4 collate utf8mb4_bin`;
  }
  const create = db.schema
    .createTable(names.calendars)
    .addColumn('name', nameType, (column) => column.primaryKey().notNull())
    .addColumn('state', stateType, (column) => column.notNull());
  await (dialect === 'mysql'
    ? create.modifyEnd(sql`engine = InnoDB default charset = utf8mb4`)
    : create
  ).execute();
}

/**
 * The store outage log (`outages-sql.ts`): one row per outage a node summarised,
 * keyed by its id (a node extends its last record by writing the same id); the
 * index on `started_at` reads the outages of a span, latest first.
 */
async function createOutagesTable(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  table: string,
): Promise<void> {
  const names = tableNames(table);
  let text = (n: number) => sql`varchar(${sql.raw(String(n))})`;
  let longText = sql`text`;
  if (dialect === 'mysql') {
    text = (n) => sql`varchar(${sql.raw(String(n))}) character set utf8mb4 collate utf8mb4_bin`;
    longText = sql`longtext character set utf8mb4 collate utf8mb4_bin`;
  }
  const create = db.schema
    .createTable(names.outages)
    .addColumn('outage_id', text(64), (column) => column.primaryKey().notNull())
    .addColumn('node', text(191), (column) => column.notNull())
    .addColumn('started_at', 'bigint', (column) => column.notNull())
    .addColumn('ended_at', 'bigint', (column) => column.notNull())
    .addColumn('operation', text(64), (column) => column.notNull())
    .addColumn('failures', 'bigint', (column) => column.notNull())
    .addColumn('message', longText, (column) => column.notNull());
  await (dialect === 'mysql'
    ? create.modifyEnd(sql`engine = InnoDB default charset = utf8mb4`)
    : create
  ).execute();
  await db.schema
    .createIndex(names.outageTimeIndex)
    .on(names.outages)
    .column('started_at')
    .execute();
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
