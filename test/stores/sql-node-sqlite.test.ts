/**
 * SqlJobStore on SQLite through node:sqlite (`sqliteDriver: 'node:sqlite'`,
 * Node ≥ 22.13): the store contract and the SQL store suite, unchanged, and
 * what the node:sqlite adapter must do as the store does on better-sqlite3 —
 * WAL mode, the busy timeout, INTEGERs beyond 2^53, closing the file, a clear
 * error for a missing directory, files that either driver opens. Where Node
 * has no node:sqlite (Node 20), these tests are skipped and say so.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { SqlJobStore } from '../../src/index.ts';
import {
  BETTER_SQLITE3_SAFE,
  BETTER_SQLITE3_UNSAFE_REASON,
  HAS_NODE_SQLITE,
  nodeSqliteBackend,
  openNodeSqliteKysely,
  openSqliteFile,
  sqliteStoreFixture,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { describeSqlContract, describeSqlStore } from './sql-store-suite.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

/**
 * Holds a write lock on the SQLite file at `path` from another process for
 * `holdMs`; resolves once the lock is taken, with the process's exit code.
 */
async function lockFromAnotherProcess(
  path: string,
  holdMs: number,
): Promise<{ exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [
      '--no-warnings',
      '-e',
      `const { DatabaseSync } = require('node:sqlite');
       const db = new DatabaseSync(${JSON.stringify(path)});
       db.exec('begin immediate');
       console.log('LOCKED');
       setTimeout(() => { db.exec('commit'); db.close(); }, ${holdMs});`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('LOCKED')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the locking process exited with ${code}`)));
  });
  return { exited };
}

describe.skipIf(!HAS_NODE_SQLITE)(
  HAS_NODE_SQLITE
    ? 'SQLite through node:sqlite'
    : `node:sqlite absent in Node ${process.versions.node}: contract suite for the node:sqlite driver skipped`,
  () => {
    describeSqlContract(nodeSqliteBackend);
    describeSqlStore(nodeSqliteBackend);

    describe('SqlJobStore (SQLite, node:sqlite) specifics', () => {
      const { newPath, open, track } = sqliteStoreFixture('node:sqlite');

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

      it('closes the file at shutdown', async () => {
        const path = newPath();
        const store = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: 'node:sqlite' });
        await store.start(storeTestContext(), 'default');
        await store.addJobs([makeJob('a', BASE_TIME), makeJob('p', null)]);
        expect(existsSync(`${path}-wal`)).toBe(true);
        await store.shutdown();
        // The last connection to close checkpoints the WAL into the file and deletes it.
        expect(existsSync(`${path}-wal`)).toBe(false);
        const again = await open(`sqlite:${path}`);
        expect((await again.getAllJobs()).map((job) => job.id)).toEqual(['a', 'p']);
      });

      it.skipIf(!BETTER_SQLITE3_SAFE)(
        BETTER_SQLITE3_SAFE
          ? 'opens a file better-sqlite3 wrote, and better-sqlite3 opens what it wrote'
          : `${BETTER_SQLITE3_UNSAFE_REASON}: sharing a file with better-sqlite3 skipped`,
        async () => {
          const url = `sqlite:${newPath()}`;
          const first = await open(url);
          await first.addJobs([makeJob('a', BASE_TIME), makeJob('p', null)]);
          await first.shutdown();
          const second = await open(url, { sqliteDriver: 'better-sqlite3' });
          expect((await second.getAllJobs()).map((job) => job.id)).toEqual(['a', 'p']);
          await second.addJob(makeJob('b', BASE_TIME + 1000));
          await second.shutdown();
          const third = await open(url);
          expect(
            (await third.getAllJobs()).map((job) => [job.id, job.nextRunTime?.getTime() ?? null]),
          ).toEqual([
            ['a', BASE_TIME],
            ['b', BASE_TIME + 1000],
            ['p', null],
          ]);
        },
      );

      it('reports a row whose next_run_time holds text, with an unknown run time', async () => {
        const path = newPath();
        const context = storeTestContext();
        const store = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: 'node:sqlite' });
        await store.start(context, 'default');
        track(store);
        await store.addJobs([makeJob('bad', BASE_TIME), makeJob('good', BASE_TIME)]);
        const db = await openNodeSqliteKysely(path);
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
      });

      it('reports a row whose next_run_time is an integer beyond 2^53, and reads the others', async () => {
        const path = newPath();
        const context = storeTestContext();
        const store = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: 'node:sqlite' });
        await store.start(context, 'default');
        track(store);
        await store.addJobs([makeJob('far', BASE_TIME), makeJob('good', BASE_TIME + 1000)]);
        const db = await openNodeSqliteKysely(path);
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
        expect((await store.getDueJobs(new Date(BASE_TIME + 1000))).map((job) => job.id)).toEqual([
          'good',
        ]);
        expect(await store.lookupJob('far')).toBeNull();
      });

      it('waits up to busyTimeout for a write lock another process holds', async () => {
        const path = newPath();
        const hurried = await open(`sqlite:${path}`, { busyTimeout: 0.2 });
        const patient = await open(`sqlite:${path}`, { busyTimeout: 20 });
        const holdMs = 2000;
        const lock = await lockFromAnotherProcess(path, holdMs);
        const locked = performance.now();

        const error: unknown = await hurried
          .addJob(makeJob('hurried', BASE_TIME))
          .catch((e: unknown) => e);
        const waited = performance.now() - locked;
        expect(String(error)).toMatch(/database is locked/);
        expect(waited).toBeGreaterThanOrEqual(150);
        expect(waited).toBeLessThan(holdMs - 500);

        await patient.addJob(makeJob('patient', BASE_TIME));
        expect(performance.now() - locked).toBeGreaterThanOrEqual(holdMs - 200);
        expect(await lock.exited).toBe(0);
        expect((await hurried.getAllJobs()).map((job) => job.id)).toEqual(['patient']);
      });

      it('fails to start with a clear error when the directory does not exist', async () => {
        const store = new SqlJobStore({
          url: 'sqlite:/nonexistent-horarium-dir/jobs.db',
          sqliteDriver: 'node:sqlite',
        });
        await expect(store.start(storeTestContext(), 'default')).rejects.toThrow(
          /directory does not exist/,
        );
      });
    });
  },
);
