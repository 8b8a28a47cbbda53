/**
 * SqlJobStore on PostgreSQL (POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test):
 * the store contract and the SQL store suite, each test on its own table.
 */
import { describeWhenReachable, POSTGRES_URL, postgresBackend } from '../helpers/sql-backends.ts';
import { describeSqlContract, describeSqlStore } from './sql-store-suite.ts';

await describeWhenReachable(postgresBackend, POSTGRES_URL, () => {
  describeSqlContract(postgresBackend);
  describeSqlStore(postgresBackend);
});
