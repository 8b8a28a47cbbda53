/**
 * A SQLite file locked by another process: the store's operations wait for
 * the lock without blocking the event loop, succeed once it is released, and
 * fail with SqliteLockTimeoutError when it outlasts busyTimeout. The other
 * process is real: a child that holds BEGIN IMMEDIATE on the same file.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteLockTimeoutError, SqlJobStore } from '../../src/index.ts';
import {
  BETTER_SQLITE3_SAFE,
  HAS_NODE_SQLITE,
  removeSqliteFiles,
  tempSqlitePath,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

const HOLDER = new URL('../fixtures/sqlite-lock-holder.ts', import.meta.url).pathname;

/** How long the event loop may stand still at most while the store waits (SQLite's own wait stalled it 5 s). */
const MAX_STALL_MS = 1000;

type Driver = 'better-sqlite3' | 'node:sqlite';

/** A child process holding the write lock of `path` for `holdMs`, from when `locked` resolves. */
function holdWriteLock(path: string, driver: Driver, holdMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, path, driver, String(holdMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`lock holder exited with ${code}: ${stderr}`)),
    );
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('locked\n')) resolve();
    });
    exited.then(() => reject(new Error('lock holder exited before locking')), reject);
  });
  return { locked, exited };
}

/** Measures the longest gap between the ticks of a 10 ms interval: how long the event loop stood still. */
function stallMeter(): { stop(): number } {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
}

const drivers: { driver: Driver; available: boolean }[] = [
  { driver: 'better-sqlite3', available: BETTER_SQLITE3_SAFE },
  { driver: 'node:sqlite', available: HAS_NODE_SQLITE },
];

for (const { driver, available } of drivers) {
  describe.skipIf(!available)(
    `SqlJobStore (SQLite through ${driver}) and another process's lock`,
    () => {
      const paths: string[] = [];
      const stores: SqlJobStore[] = [];
      afterEach(async () => {
        for (const store of stores.splice(0)) await store.shutdown();
        for (const path of paths.splice(0)) await removeSqliteFiles(path);
      });

      async function startStore(
        busyTimeout: number,
      ): Promise<{ store: SqlJobStore; path: string }> {
        const path = tempSqlitePath();
        paths.push(path);
        const store = new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: driver, busyTimeout });
        await store.start(storeTestContext(), 'default');
        stores.push(store);
        return { store, path };
      }

      it('starts several stores on one new file at once: each migrates or finds it migrated, none fails', async () => {
        for (let round = 0; round < 5; round++) {
          const path = tempSqlitePath();
          paths.push(path);
          const many = Array.from(
            { length: 4 },
            () => new SqlJobStore({ url: `sqlite:${path}`, sqliteDriver: driver }),
          );
          const started = await Promise.allSettled(
            many.map((store) => store.start(storeTestContext(), 'default')),
          );
          for (const [i, result] of started.entries())
            if (result.status === 'fulfilled') stores.push(many[i] as SqlJobStore);
          expect(
            started.flatMap((result) =>
              result.status === 'rejected' ? [String(result.reason)] : [],
            ),
          ).toEqual([]);
          await many[0]?.addJob(makeJob(`round-${round}`, BASE_TIME));
          expect((await many[3]?.getAllJobs())?.map((job) => job.id)).toEqual([`round-${round}`]);
        }
      });

      it('waits for the lock without blocking the event loop, and writes once it is released', async () => {
        const { store, path } = await startStore(30);
        await store.addJob(makeJob('before', BASE_TIME));
        const holder = holdWriteLock(path, driver, 3000);
        await holder.locked;
        const meter = stallMeter();
        let settled = false;
        const writes = Promise.all([
          store.addJob(makeJob('single', BASE_TIME)),
          store.addJobs([makeJob('batch-1', BASE_TIME), makeJob('batch-2', BASE_TIME)]),
          store.updateJob(makeJob('before', BASE_TIME + 60_000)),
          store.updateJobs([makeJob('before', BASE_TIME + 120_000)]),
        ]).finally(() => {
          settled = true;
        });
        // Readers do not wait for a writer in WAL mode.
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['before']);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(settled).toBe(false);
        await writes;
        await holder.exited;
        expect(meter.stop()).toBeLessThan(MAX_STALL_MS);
        expect((await store.getAllJobs()).map((job) => job.id).sort()).toEqual([
          'batch-1',
          'batch-2',
          'before',
          'single',
        ]);
        expect((await store.lookupJob('before'))?.nextRunTime).toEqual(
          new Date(BASE_TIME + 120_000),
        );
      });

      it('fails with SqliteLockTimeoutError naming the file when the lock outlasts busyTimeout, then works again', async () => {
        const { store, path } = await startStore(0.3);
        const holder = holdWriteLock(path, driver, 3000);
        await holder.locked;
        const meter = stallMeter();
        const failure = await store
          .addJob(makeJob('late', BASE_TIME))
          .catch((error: unknown) => error);
        expect(meter.stop()).toBeLessThan(MAX_STALL_MS);
        expect(failure).toBeInstanceOf(SqliteLockTimeoutError);
        expect((failure as SqliteLockTimeoutError).path).toBe(path);
        expect((failure as Error).message).toContain(JSON.stringify(path));
        expect((failure as Error).message).toMatch(/another process .*write lock/);
        await expect(store.removeJobs(['late'])).rejects.toThrow(SqliteLockTimeoutError);
        await holder.exited;
        await store.addJob(makeJob('late', BASE_TIME));
        expect((await store.lookupJob('late'))?.id).toBe('late');
      });
    },
  );
}
