/**
 * SqlJobStore on SQLite through better-sqlite3 (files under os.tmpdir()): the
 * store contract, the SQL store suite, and what is particular to the embedded
 * database — WAL mode, reopening a file, URLs, drivers and configuration.
 * Skipped on Node 24, where better-sqlite3 12 can abort the process
 * (sql-node-sqlite.test.ts runs the same suites on node:sqlite).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  parseSqlUrl,
  SqlJobStore,
  SqlStoreSetupError,
} from '../../src/index.ts';
import { createJobStore } from '../../src/scheduler/plugins.ts';
import {
  BETTER_SQLITE3_SAFE,
  BETTER_SQLITE3_UNSAFE_REASON,
  openSqliteKysely,
  sqliteBackend,
  sqliteStoreFixture,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { describeSqlContract, describeSqlStore } from './sql-store-suite.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

describe.skipIf(!BETTER_SQLITE3_SAFE)(
  BETTER_SQLITE3_SAFE
    ? 'SQLite through better-sqlite3'
    : `${BETTER_SQLITE3_UNSAFE_REASON}: SQLite tests on the better-sqlite3 driver skipped`,
  () => {
    describeSqlContract(sqliteBackend);
    describeSqlStore(sqliteBackend);

    describe('SqlJobStore (SQLite) specifics', () => {
      const { newPath, open, track } = sqliteStoreFixture('better-sqlite3');

      it('keeps its jobs in the file across a shutdown and a new store on the same file', async () => {
        const path = newPath();
        const first = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: 'better-sqlite3' });
        await first.start(storeTestContext(), 'default');
        await first.addJobs([makeJob('a', BASE_TIME), makeJob('p', null)]);
        await first.shutdown();
        const second = await open(`sqlite:${path}`);
        const jobs = await second.getAllJobs();
        expect(jobs.map((job) => [job.id, job.nextRunTime?.getTime() ?? null])).toEqual([
          ['a', BASE_TIME],
          ['p', null],
        ]);
      });

      it('puts the database file in WAL mode, with either durability', async () => {
        for (const durability of ['normal', 'full'] as const) {
          const path = newPath();
          const store = await open(`sqlite:${path}`, { durability });
          await store.addJob(makeJob('a', BASE_TIME));
          const db = openSqliteKysely(path);
          try {
            const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
            expect(rows[0]?.journal_mode).toBe('wal');
          } finally {
            await db.destroy();
          }
        }
      });

      it('works in memory (sqlite::memory: and sqlite://)', async () => {
        for (const url of ['sqlite::memory:', 'sqlite://']) {
          const store = await open(url);
          await store.addJob(makeJob('m', BASE_TIME));
          expect((await store.lookupJob('m'))?.id).toBe('m');
        }
      });

      it('reports a row whose next_run_time holds text, with an unknown run time', async () => {
        const path = newPath();
        const context = storeTestContext();
        const store = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: 'better-sqlite3' });
        await store.start(context, 'default');
        track(store);
        await store.addJobs([makeJob('bad', BASE_TIME), makeJob('good', BASE_TIME)]);
        const db = openSqliteKysely(path);
        try {
          await db
            .updateTable('horarium_jobs')
            .set({ next_run_time: 'soon' })
            .where('id', '=', 'bad')
            .execute();
        } finally {
          await db.destroy();
        }
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['good']);
        expect(context.failures).toHaveLength(1);
        expect(context.failures[0]).toMatchObject({ jobId: 'bad', nextRunTime: null });
        expect(String(context.failures[0]!.error)).toMatch(/next_run_time column holds "soon"/);
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME));
      });

      it('reports a row whose next_run_time is an integer beyond 2^53, and reads the others', async () => {
        const path = newPath();
        const context = storeTestContext();
        const store = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: 'better-sqlite3' });
        await store.start(context, 'default');
        track(store);
        await store.addJobs([makeJob('far', BASE_TIME), makeJob('good', BASE_TIME + 1000)]);
        const db = openSqliteKysely(path);
        try {
          await sql`update horarium_jobs set next_run_time = 4611686018427387904 where id = 'far'`.execute(
            db,
          );
        } finally {
          await db.destroy();
        }
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['good']);
        expect(context.failures.map((failure) => failure.jobId)).toEqual(['far']);
        expect(String(context.failures[0]!.error)).toContain(
          // 2^62 as the number it reads as: "4611686018427388000".
          `next_run_time column holds "${2 ** 62}"`,
        );
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 1000));
      });

      it('parses SQLite URLs in its own and in SQLAlchemy form, and refuses others clearly', () => {
        expect(parseSqlUrl('sqlite:jobs.db')).toEqual({ dialect: 'sqlite', path: 'jobs.db' });
        expect(parseSqlUrl('sqlite:/var/lib/jobs.db')).toEqual({
          dialect: 'sqlite',
          path: '/var/lib/jobs.db',
        });
        expect(parseSqlUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
        expect(parseSqlUrl('sqlite://')).toEqual({ dialect: 'sqlite', path: ':memory:' });
        expect(parseSqlUrl('sqlite:///rel.db')).toEqual({ dialect: 'sqlite', path: 'rel.db' });
        expect(parseSqlUrl('sqlite:////abs/x.db')).toEqual({
          dialect: 'sqlite',
          path: '/abs/x.db',
        });
        expect(parseSqlUrl('postgresql://u@h/db').dialect).toBe('postgres');
        expect(parseSqlUrl('mariadb://u@h/db')).toEqual({
          dialect: 'mysql',
          url: 'mysql://u@h/db',
        });
        expect(() => parseSqlUrl('sqlite:')).toThrow(/no file path/);
        expect(() => parseSqlUrl('sqlite://host/x.db')).toThrow(/no host/);
        expect(() => parseSqlUrl('oracle://scott:tiger@h/db')).toThrow(
          /Unsupported database URL "oracle:\/\/scott:\*\*\*@h\/db"/,
        );
      });

      it('is created from configuration as type "sql", and names the option at fault', () => {
        const store = createJobStore('main', {
          type: 'sql',
          url: 'sqlite::memory:',
          busyTimeout: '2',
        });
        expect(store).toBeInstanceOf(SqlJobStore);
        expect(store.shared).toBe(true);
        const fails = (entry: Record<string, unknown>, message: RegExp) => {
          const error: unknown = (() => {
            try {
              createJobStore('main', { type: 'sql', ...entry });
            } catch (e) {
              return e;
            }
          })();
          expect(error).toBeInstanceOf(ConfigurationError);
          expect(String(error)).toMatch(message);
        };
        fails({}, /needs a url/);
        fails(
          { url: 'sqlite::memory:', tabelName: 'x' },
          /jobstores\.main\.tabelName: unknown SQL job store option/,
        );
        fails({ url: 'sqlite::memory:', busyTimeout: 'soon' }, /jobstores\.main\.busyTimeout/);
        fails(
          { url: 'sqlite::memory:', durability: 'extra' },
          /durability: expected "normal" or "full"/,
        );
        fails({ url: 'sqlite::memory:', tableName: 'jobs; drop' }, /Invalid job store table name/);
        fails({ url: 'ftp://x' }, /jobstores\.main\.url: Unsupported database URL/);
      });

      it("accepts durability 'relaxed' for a PostgreSQL URL only, and says why elsewhere", async () => {
        const fails = (options: Record<string, unknown>, message: RegExp) => {
          expect(() => createJobStore('main', { type: 'sql', ...options })).toThrow(
            expect.objectContaining({
              name: 'ConfigurationError',
              message: expect.stringMatching(message),
            }),
          );
        };
        expect(
          createJobStore('main', { type: 'sql', url: 'postgres://h/db', durability: 'relaxed' }),
        ).toBeInstanceOf(SqlJobStore);
        fails(
          { url: 'mysql://h/db', durability: 'relaxed' },
          /jobstores\.main\.durability: .*server-wide setting \(innodb_flush_log_at_trx_commit\)/,
        );
        fails(
          { url: 'sqlite::memory:', durability: 'relaxed' },
          /jobstores\.main\.durability: .*SQLite takes 'normal' \(the default\) or 'full'/,
        );
        const db = openSqliteKysely(':memory:');
        try {
          fails({ db, durability: 'relaxed' }, /connections the store opens from a url/);
        } finally {
          await db.destroy();
        }
      });

      it('fails to start with a clear error when the directory does not exist', async () => {
        const store = new SqlJobStore({
          url: 'sqlite:/nonexistent-horarium-dir/jobs.db',
          sqliteDriver: 'better-sqlite3',
        });
        await expect(store.start(storeTestContext(), 'default')).rejects.toThrow(
          /directory does not exist/,
        );
      });

      it.runIf(!process.getBuiltinModule?.('node:sqlite'))(
        'explains how to get SQLite when node:sqlite is asked for but absent',
        async () => {
          const store = new SqlJobStore({ url: 'sqlite::memory:', sqliteDriver: 'node:sqlite' });
          const error: unknown = await store
            .start(storeTestContext(), 'default')
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(SqlStoreSetupError);
          expect(String(error)).toMatch(/Node ≥ 22\.13.*better-sqlite3/);
        },
      );
    });
  },
);
