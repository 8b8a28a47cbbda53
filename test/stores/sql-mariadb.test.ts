/**
 * SqlJobStore on MariaDB / MySQL (MYSQL_URL, default mysql://root@127.0.0.1:3306/test):
 * the store contract, the SQL store suite, and what is particular to MySQL
 * (ids compared without trailing-space padding, clients without FOUND_ROWS).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { JobLookupError, SqlJobStore } from '../../src/index.ts';
import {
  describeWhenReachable,
  MYSQL_URL,
  mysqlBackend,
  openMysqlKysely,
  uniqueTableName,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { describeSqlContract, describeSqlLedger, describeSqlStore } from './sql-store-suite.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

await describeWhenReachable(mysqlBackend, MYSQL_URL, () => {
  describeSqlContract(mysqlBackend);
  describeSqlLedger(mysqlBackend);
  describeSqlStore(mysqlBackend);

  describe('SqlJobStore (MariaDB) specifics', () => {
    it('keeps the job change log in an InnoDB table of utf8mb4, keyed by (job_id, version), as the fires table', async () => {
      const database = await mysqlBackend.create();
      const store = new SqlJobStore({ url: database.url, tableName: database.tableName });
      try {
        await store.start(storeTestContext(), 'default');
        const { rows } = await sql<{ name: string; engine: string; collation: string }>`
          select table_name as name, engine, table_collation as collation
          from information_schema.tables
          where table_schema = database() and table_name in (${database.tableName + '_fires'}, ${database.tableName + '_job_changes'})
          order by table_name`.execute(database.db);
        expect(rows.map((row) => [row.engine, row.collation.startsWith('utf8mb4')])).toEqual([
          ['InnoDB', true],
          ['InnoDB', true],
        ]);
        const key = await sql<{ column_name: string }>`
          select column_name from information_schema.key_column_usage
          where table_schema = database() and table_name = ${database.tableName + '_job_changes'}
            and constraint_name = 'PRIMARY'
          order by ordinal_position`.execute(database.db);
        expect(key.rows.map((row) => row.column_name)).toEqual(['job_id', 'version']);
      } finally {
        await store.shutdown();
        await database.cleanup();
      }
    });

    it('tells an unchanged update from a missing id on a client without FOUND_ROWS', async () => {
      const db = openMysqlKysely(MYSQL_URL, { flags: ['-FOUND_ROWS'] });
      const tableName = uniqueTableName();
      const store = new SqlJobStore({ db, tableName });
      try {
        await store.start(storeTestContext(), 'default');
        const job = makeJob('same', BASE_TIME);
        await store.addJob(job);
        await store.updateJob(job);
        await expect(store.updateJob(makeJob('missing', BASE_TIME))).rejects.toBeInstanceOf(
          JobLookupError,
        );
      } finally {
        await store.shutdown();
        for (const suffix of [
          '',
          '_fires',
          '_nodes',
          '_job_changes',
          '_migrations',
          '_migrations_lock',
        ])
          await db.schema.dropTable(`${tableName}${suffix}`).ifExists().execute();
        await db.destroy();
      }
    });
  });
});
