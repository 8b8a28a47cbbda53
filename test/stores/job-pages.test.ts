/**
 * Jobs a page at a time (`stores/job-pages.ts`): on every SQL database the
 * keyset pages list each job once, in the order of `getAllJobs`; a search
 * matches ids, names and function references, case-insensitively, including
 * text that JSON escapes or that is not ASCII, and never a job that only
 * holds the text in its arguments; the memory store gives the same pages by
 * reading every job.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobStore, SqlJobStore } from '../../src/index.ts';
import {
  countStoreJobs,
  type JobPageQuery,
  type JobPosition,
  positionOf,
  readJobPage,
} from '../../src/stores/job-pages.ts';
import type { JobStore } from '../../src/stores/store.ts';
import {
  describeWhenReachable,
  MYSQL_URL,
  mysqlBackend,
  POSTGRES_URL,
  postgresBackend,
  type SqlBackend,
  sqliteBackend,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

const JOBS = [
  makeJob('a-1', BASE_TIME + 3000),
  makeJob('a-2', BASE_TIME + 1000),
  makeJob('b-1', BASE_TIME + 1000),
  makeJob('b-2', BASE_TIME + 2000, { name: 'Nightly "Report" für Müller' }),
  makeJob('c-1', BASE_TIME + 2000, { args: ['needle-in-args'] }),
  makeJob('c_2', BASE_TIME + 5000, { name: '100% done' }),
  makeJob('p-2', null),
  makeJob('p-1', null, { name: 'Paused NEEDLE' }),
  makeJob('p-3', null),
];

async function allPages(store: JobStore, query: Omit<JobPageQuery, 'after'>): Promise<string[]> {
  const ids: string[] = [];
  let after: JobPosition | undefined;
  for (;;) {
    const page = await readJobPage(store, { ...query, ...(after === undefined ? {} : { after }) });
    ids.push(...page.map((job) => job.id));
    const last = page.at(-1);
    if (last === undefined || page.length < query.limit) return ids;
    after = positionOf(last);
  }
}

function describePages(
  name: string,
  open: () => Promise<{ store: JobStore; close(): Promise<void> }>,
) {
  describe(`pages of jobs: ${name}`, () => {
    it('lists every job once, in the store order, a page at a time, and counts them', async () => {
      const { store, close } = await open();
      try {
        const order = (await store.getAllJobs()).map((job) => job.id);
        expect(order).toEqual(['a-2', 'b-1', 'b-2', 'c-1', 'a-1', 'c_2', 'p-1', 'p-2', 'p-3']);
        for (const limit of [1, 2, 4, 50]) expect(await allPages(store, { limit })).toEqual(order);
        expect(await allPages(store, { limit: 2, status: 'paused' })).toEqual([
          'p-1',
          'p-2',
          'p-3',
        ]);
        expect(await allPages(store, { limit: 4, status: 'scheduled' })).toEqual(order.slice(0, 6));
        expect(await countStoreJobs(store)).toEqual({ scheduled: 6, paused: 3 });
      } finally {
        await close();
      }
    });

    it('searches ids, names and function references, not arguments', async () => {
      const { store, close } = await open();
      try {
        const search = (text: string, limit = 50) => allPages(store, { limit, search: text });
        expect(await search('B-')).toEqual(['b-1', 'b-2']);
        expect(await search('"report"')).toEqual(['b-2']);
        expect(await search('MÜLLER')).toEqual(['b-2']);
        expect(await search('100%')).toEqual(['c_2']);
        expect(await search('c_')).toEqual(['c_2']);
        expect(await search('needle', 1)).toEqual(['p-1']);
        expect(await search('contractTask')).toHaveLength(9);
        expect(await search('nothing like it')).toEqual([]);
      } finally {
        await close();
      }
    });
  });
}

function sqlOpener(backend: SqlBackend) {
  return async () => {
    const database = await backend.create();
    const store = new SqlJobStore({ url: database.url, tableName: database.tableName });
    await store.start(storeTestContext(), 'default');
    for (const job of JOBS) await store.addJob(job);
    return {
      store,
      close: async () => {
        await store.shutdown();
        await database.cleanup();
      },
    };
  };
}

describePages('memory (reads every job)', async () => {
  const store = new MemoryJobStore();
  await store.start(storeTestContext(), 'default');
  for (const job of JOBS) await store.addJob(job);
  return { store, close: () => store.shutdown() };
});
describePages('SQLite', sqlOpener(sqliteBackend));
await describeWhenReachable(postgresBackend, POSTGRES_URL, () => {
  describePages('PostgreSQL', sqlOpener(postgresBackend));
});
await describeWhenReachable(mysqlBackend, MYSQL_URL, () => {
  describePages('MariaDB', sqlOpener(mysqlBackend));
});
