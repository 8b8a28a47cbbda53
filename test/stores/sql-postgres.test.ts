/**
 * SqlJobStore on PostgreSQL (POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test):
 * the store contract and the SQL store suite, each test on its own table, and the opt-in
 * relaxed durability (`synchronous_commit = off` on the store's own connections).
 */
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SqlJobStore } from '../../src/index.ts';
import { openDatabase, parseSqlUrl, type SqlDurability } from '../../src/stores/sql/dialects.ts';
import { describeWhenReachable, POSTGRES_URL, postgresBackend } from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { describeSqlContract, describeSqlLedger, describeSqlStore } from './sql-store-suite.ts';
import { BASE_TIME, describeStoreContract, makeJob } from './store-contract.ts';

/** The synchronous_commit of `connections` connections of the pool under `db`, held at once. */
async function sessionSettings(db: Kysely<unknown>, connections: number): Promise<string[]> {
  const settings: string[] = [];
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const readers = Array.from({ length: connections }, () =>
    db.connection().execute(async (connection) => {
      const { rows } = await sql<{ setting: string }>`
        select current_setting('synchronous_commit') as setting`.execute(connection);
      settings.push(rows[0]!.setting);
      if (settings.length === connections) release();
      await held;
    }),
  );
  await Promise.all(readers);
  return settings;
}

async function openWith(durability: SqlDurability): Promise<Kysely<unknown>> {
  const { db } = await openDatabase<unknown>(parseSqlUrl(POSTGRES_URL), {
    durability,
    busyTimeout: 5000,
    sqliteDriver: 'auto',
    poolSize: 3,
    connectTimeout: 10_000,
    onPoolError: () => {},
    onSessionSetupError: (error) => {
      throw error;
    },
  });
  return db;
}

await describeWhenReachable(postgresBackend, POSTGRES_URL, () => {
  describeSqlContract(postgresBackend);
  describeSqlLedger(postgresBackend);
  describeSqlStore(postgresBackend);

  describeStoreContract("SqlJobStore (PostgreSQL, durability 'relaxed')", async () => {
    const database = await postgresBackend.create();
    return {
      store: new SqlJobStore({
        url: database.url,
        tableName: database.tableName,
        durability: 'relaxed',
      }),
      cleanup: () => database.cleanup(),
    };
  });

  describe('SqlJobStore (PostgreSQL) durability', () => {
    it("leaves every connection fully durable by default, and relaxes every one with 'relaxed'", async () => {
      const durable = await openWith('normal');
      const relaxed = await openWith('relaxed');
      try {
        expect(await sessionSettings(durable, 3)).toEqual(['on', 'on', 'on']);
        expect(await sessionSettings(relaxed, 3)).toEqual(['off', 'off', 'off']);
      } finally {
        await durable.destroy();
        await relaxed.destroy();
      }
    });

    it("keeps a relaxed store's jobs across a restart of the store", async () => {
      const database = await postgresBackend.create();
      const options = {
        url: database.url,
        tableName: database.tableName,
        durability: 'relaxed',
      } as const;
      try {
        const first = new SqlJobStore(options);
        await first.start(storeTestContext(), 'default');
        await first.addJobs([makeJob('a', BASE_TIME), makeJob('b', null)]);
        await first.addJob(makeJob('c', BASE_TIME + 1));
        await first.shutdown();
        const second = new SqlJobStore(options);
        await second.start(storeTestContext(), 'default');
        expect((await second.getAllJobs()).map((job) => job.id)).toEqual(['a', 'c', 'b']);
        await second.shutdown();
      } finally {
        await database.cleanup();
      }
    });
  });

  describe('SqlJobStore (PostgreSQL) schemas', () => {
    it('creates and migrates its tables in the current schema even when another schema has tables of the same names', async () => {
      const database = await postgresBackend.create();
      const table = database.tableName;
      const other = `other_${table}`;
      const { db } = database;
      try {
        await sql`create schema ${sql.id(other)}`.execute(db);
        // Another application's copy of the same tables, in a schema the store does not use.
        for (const name of [table, `${table}_migrations`, `${table}_migrations_lock`]) {
          await sql`create table ${sql.id(other, name)} (id varchar(255) primary key)`.execute(db);
        }
        const store = new SqlJobStore({ url: database.url, tableName: table });
        await store.start(storeTestContext(), 'default');
        await store.addJob(makeJob('mine', BASE_TIME));
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['mine']);
        await store.shutdown();
        const { rows } = await sql<{ name: string }>`
          select name from ${sql.table(`${table}_migrations`)}`.execute(db);
        expect(rows.map((row) => row.name).sort()).toEqual([
          '0001_create_jobs_table',
          '0002_cluster_ledger',
          '0003_fire_state_index',
          '0004_job_changes',
          '0005_fire_retention',
          '0006_calendars',
          '0008_store_outages',
          '0009_claim_order_index',
        ]);
        const { rows: others } = await sql<{ count: string }>`
          select count(*) as count from ${sql.id(other, `${table}_migrations_lock`)}`.execute(db);
        expect(Number(others[0]!.count)).toBe(0);
      } finally {
        await sql`drop schema if exists ${sql.id(other)} cascade`.execute(db);
        await database.cleanup();
      }
    });
  });
});
