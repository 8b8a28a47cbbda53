/**
 * SqlJobStore on MariaDB / MySQL (MYSQL_URL, default mysql://root@127.0.0.1:3306/test):
 * the store contract, the SQL store suite, and what is particular to MySQL
 * (ids compared without trailing-space padding, clients without FOUND_ROWS).
 */
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
        for (const suffix of ['', '_fires', '_nodes', '_migrations', '_migrations_lock'])
          await db.schema.dropTable(`${tableName}${suffix}`).ifExists().execute();
        await db.destroy();
      }
    });
  });
});
