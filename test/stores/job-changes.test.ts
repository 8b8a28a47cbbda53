/**
 * The job change log contract (job-change-log-contract.ts) against every
 * store: memory; SQLite (better-sqlite3 and node:sqlite), PostgreSQL and
 * MariaDB through their test databases; Redis; MongoDB on the in-process
 * model of its driver, and on a real server when MONGODB_URL is set. Each
 * opens two stores on one database (one table, one key prefix, one
 * collection), so that two writers record at once.
 */
import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import { MemoryJobStore, MongoJobStore, RedisJobStore, SqlJobStore } from '../../src/index.ts';
import {
  deleteRedisKeys,
  REDIS_URL,
  redisUnreachable,
  uniqueRedisPrefix,
} from '../helpers/durability.ts';
import { fakeMongoClient } from '../helpers/fake-mongo.ts';
import {
  BETTER_SQLITE3_SAFE,
  describeWhenReachable,
  HAS_NODE_SQLITE,
  MYSQL_URL,
  mysqlBackend,
  nodeSqliteBackend,
  POSTGRES_URL,
  postgresBackend,
  type SqlBackend,
  sqliteBackend,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { describeJobChangeLogContract } from './job-change-log-contract.ts';

describeJobChangeLogContract('MemoryJobStore', async () => {
  const store = new MemoryJobStore();
  await store.start(storeTestContext(), 'default');
  return { first: store, second: store, cleanup: () => store.shutdown() };
});

function describeSql(backend: SqlBackend): void {
  describeJobChangeLogContract(`SqlJobStore (${backend.name})`, async () => {
    const database = await backend.create();
    const open = async () => {
      const store = new SqlJobStore({
        url: database.url,
        tableName: database.tableName,
        sqliteDriver: backend.sqliteDriver,
      });
      await store.start(storeTestContext(), 'default');
      return store;
    };
    const first = await open();
    const second = await open();
    return {
      first,
      second,
      async cleanup() {
        await first.shutdown();
        await second.shutdown();
        await database.cleanup();
      },
    };
  });
}

if (BETTER_SQLITE3_SAFE) describeSql(sqliteBackend);
if (HAS_NODE_SQLITE) describeSql(nodeSqliteBackend);
await describeWhenReachable(postgresBackend, POSTGRES_URL, () => describeSql(postgresBackend));
await describeWhenReachable(mysqlBackend, MYSQL_URL, () => describeSql(mysqlBackend));

const redisDown = await redisUnreachable();
describe.skipIf(redisDown !== null && process.env.CI !== 'true')(
  `RedisJobStore job change log${redisDown === null ? '' : ` (skipped: no Redis at ${REDIS_URL}: ${redisDown})`}`,
  () => {
    describeJobChangeLogContract('RedisJobStore', async () => {
      const keyPrefix = uniqueRedisPrefix();
      const open = async () => {
        const store = new RedisJobStore({ url: REDIS_URL, keyPrefix });
        await store.start(storeTestContext(), 'default');
        return store;
      };
      const first = await open();
      const second = await open();
      return {
        first,
        second,
        async cleanup() {
          await first.shutdown();
          await second.shutdown();
          await deleteRedisKeys(keyPrefix);
        },
      };
    });
  },
);

describeJobChangeLogContract('MongoJobStore on a model of its driver', async () => {
  const client = fakeMongoClient();
  const open = async () => {
    const store = new MongoJobStore({ client: client as never, collection: 'jobs' });
    await store.start(storeTestContext(), 'default');
    return store;
  };
  const first = await open();
  const second = await open();
  return {
    first,
    second,
    async cleanup() {
      await first.shutdown();
      await second.shutdown();
    },
  };
});

const MONGODB_URL = process.env.MONGODB_URL;
describe.skipIf(MONGODB_URL === undefined)(
  'MongoJobStore job change log against a server (set MONGODB_URL to run)',
  () => {
    describeJobChangeLogContract('MongoJobStore', async () => {
      const collection = `jobs_${randomBytes(5).toString('hex')}`;
      const open = async () => {
        const store = new MongoJobStore({
          url: MONGODB_URL as string,
          database: 'horarium_test',
          collection,
        });
        await store.start(storeTestContext(), 'default');
        return store;
      };
      const first = await open();
      const second = await open();
      return {
        first,
        second,
        async cleanup() {
          await first.shutdown();
          await second.shutdown();
        },
      };
    });
  },
);
