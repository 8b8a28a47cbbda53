/**
 * SqlJobStore on SQLite through node:sqlite (`sqliteDriver: 'node:sqlite'`,
 * Node ≥ 22.13): the store contract and the SQL store suite, unchanged, what
 * either SQLite driver must do (sqlite-driver-suite.ts), and what the
 * node:sqlite adapter must do besides: the busy timeout, files that either
 * driver opens. Where Node has no node:sqlite (Node 20), these tests are
 * skipped and say so.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  BETTER_SQLITE3_SAFE,
  BETTER_SQLITE3_UNSAFE_REASON,
  HAS_NODE_SQLITE,
  nodeSqliteBackend,
  sqliteStoreFixture,
} from '../helpers/sql-backends.ts';
import { describeSqlContract, describeSqlLedger, describeSqlStore } from './sql-store-suite.ts';
import { describeSqliteDriver } from './sqlite-driver-suite.ts';
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
    describeSqlLedger(nodeSqliteBackend);
    describeSqlStore(nodeSqliteBackend);

    describe('SqlJobStore (SQLite) on node:sqlite, as on either driver', () => {
      describeSqliteDriver('node:sqlite');
    });

    describe('SqlJobStore (SQLite, node:sqlite) specifics', () => {
      const { newPath, open } = sqliteStoreFixture('node:sqlite');

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
    });
  },
);
