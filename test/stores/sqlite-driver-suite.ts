/**
 * What the SQLite store must do the same way on each of its two drivers
 * (better-sqlite3 and node:sqlite): keep jobs in the file and close it at
 * shutdown, WAL mode with either durability, in-memory databases, rows edited
 * by hand into run times it cannot read, and a clear error for a missing
 * directory. Each driver's test file calls it inside its own describe.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { expect, it } from 'vitest';
import { SqlJobStore, SqlStoreSetupError } from '../../src/index.ts';
import type { SqliteDriverName } from '../../src/stores/sql/dialects.ts';
import {
  openNodeSqliteKysely,
  openSqliteFile,
  openSqliteKysely,
  type RawDatabase,
  sqliteStoreFixture,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

type SqliteDriver = Exclude<SqliteDriverName, 'auto'>;

/** The test's own connection to a file, through the driver under test. */
async function openByHand(driver: SqliteDriver, path: string): Promise<Kysely<RawDatabase>> {
  return driver === 'node:sqlite' ? openNodeSqliteKysely(path) : openSqliteKysely(path);
}

/** Starts a store on `path` with its own context, to read the failures it reports. */
async function startWithContext(driver: SqliteDriver, path: string) {
  const context = storeTestContext();
  const store = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: driver });
  await store.start(context, 'default');
  return { store, context };
}

/** Runs `edit` on the file through a connection of the test's own. */
async function editByHand(
  driver: SqliteDriver,
  path: string,
  edit: (db: Kysely<RawDatabase>) => Promise<unknown>,
): Promise<void> {
  const db = await openByHand(driver, path);
  try {
    await edit(db);
  } finally {
    await db.destroy();
  }
}

export function describeSqliteDriver(driver: SqliteDriver): void {
  const { newPath, open, track } = sqliteStoreFixture(driver);

  it('keeps its jobs in the file across a shutdown, which closes the file', async () => {
    const path = newPath();
    const first = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: driver });
    await first.start(storeTestContext(), 'default');
    await first.addJobs([makeJob('a', BASE_TIME), makeJob('p', null)]);
    expect(existsSync(`${path}-wal`)).toBe(true);
    await first.shutdown();
    // The last connection to close checkpoints the WAL into the file and deletes it.
    expect(existsSync(`${path}-wal`)).toBe(false);
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
      const file = openSqliteFile(path);
      try {
        expect(file.prepare('pragma journal_mode').all()).toEqual([{ journal_mode: 'wal' }]);
      } finally {
        file.close();
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
    const { store, context } = await startWithContext(driver, path);
    track(store);
    await store.addJobs([makeJob('bad', BASE_TIME), makeJob('good', BASE_TIME)]);
    await editByHand(driver, path, (db) =>
      db
        .updateTable('horarium_jobs')
        .set({ next_run_time: 'soon' })
        .where('id', '=', 'bad')
        .execute(),
    );
    expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['good']);
    expect(context.failures).toHaveLength(1);
    expect(context.failures[0]).toMatchObject({ jobId: 'bad', nextRunTime: null });
    expect(String(context.failures[0]!.error)).toMatch(/next_run_time column holds "soon"/);
    expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME));
  });

  it('reports a row whose next_run_time is an integer beyond 2^53, and reads the others', async () => {
    const path = newPath();
    const { store, context } = await startWithContext(driver, path);
    track(store);
    await store.addJobs([makeJob('far', BASE_TIME), makeJob('good', BASE_TIME + 1000)]);
    await editByHand(driver, path, (db) =>
      sql`update horarium_jobs set next_run_time = 4611686018427387904 where id = 'far'`.execute(
        db,
      ),
    );
    expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['good']);
    expect(context.failures.map((failure) => failure.jobId)).toEqual(['far']);
    expect(String(context.failures[0]!.error)).toContain(
      // 2^62 as the number it reads as: "4611686018427388000".
      `next_run_time column holds "${2 ** 62}"`,
    );
    expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 1000));
    expect((await store.getDueJobs(new Date(BASE_TIME + 1000))).map((job) => job.id)).toEqual([
      'good',
    ]);
    expect(await store.lookupJob('far')).toBeNull();
  });

  it('fails to start with a clear error when the directory does not exist', async () => {
    const store = new SqlJobStore({
      url: 'sqlite:/nonexistent-horarium-dir/jobs.db',
      sqliteDriver: driver,
    });
    await expect(store.start(storeTestContext(), 'default')).rejects.toThrow(
      /directory does not exist/,
    );
  });

  it('fails to start with a SqlStoreSetupError naming the path and the fix when the directory does not exist', async () => {
    const directory = join(tmpdir(), `horarium-missing-${process.pid}-${Date.now()}`, 'nested');
    const path = join(directory, 'jobs.db');
    const store = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: driver });
    const error = await store
      .start(storeTestContext(), 'default')
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SqlStoreSetupError);
    expect((error as Error).message).toContain(JSON.stringify(path));
    expect((error as Error).message).toContain(`mkdir -p ${JSON.stringify(directory)}`);
    expect(existsSync(directory)).toBe(false);
  });
}
