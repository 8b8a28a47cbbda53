/**
 * Store data is untrusted: rows planted by hand in the jobs table (SQLite,
 * PostgreSQL, MariaDB) or the Redis hash, whose function references would run
 * an attacker's code — `node:child_process:execSync` with a shell command, a
 * `data:` module, an absolute path or a `../` escape to a module outside the
 * application, an `https:` URL, a bare `child_process` — are never imported
 * nor run. A scheduler on such a store lists them, keeps them unchanged,
 * reports each once as not restorable naming the rule it breaks, and keeps
 * running the allowed jobs beside them.
 */
import { rmSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  AsyncScheduler,
  EVENT_JOB_RESTORE_FAILED,
  EVENT_JOBSTORE_ERROR,
  JobRestoreFailedEvent,
  JobStoreErrorEvent,
  RedisJobStore,
  SqlJobStore,
  silentLogger,
} from '../../src/index.ts';
import { ReferenceNotAllowedError } from '../../src/jobs/errors.ts';
import { resolveReference } from '../../src/jobs/job-ref.ts';
import * as fixture from '../fixtures/scheduler-api-jobs.ts';
import { type Attack, plantAttack } from '../helpers/attack-references.ts';
import {
  type DurableBackend,
  deleteRedisKeys,
  describeBackend,
  durableBackends,
  openRedis,
  REDIS_URL,
  reachability,
  sleep,
  uniqueRedisPrefix,
  waitFor,
} from '../helpers/durability.ts';
import {
  BETTER_SQLITE3_SAFE,
  mysqlBackend,
  nodeSqliteBackend,
  postgresBackend,
  type SqlBackend,
  sqliteBackend,
} from '../helpers/sql-backends.ts';

const ROOT = process.cwd();
const globals = globalThis as unknown as Record<string, unknown>;

/** Raw access to one store's rows, around the store itself. */
interface Target {
  store: JobStore;
  /** Inserts (or overwrites) a row by hand. */
  writeRaw(id: string, state: string, nextRunTime: number): Promise<void>;
  readRaw(id: string): Promise<{ state: string; nextRunTime: number | null } | null>;
  cleanup(): Promise<void>;
}

function sqlTarget(backend: SqlBackend): () => Promise<Target> {
  return async () => {
    const database = await backend.create();
    const { db, tableName: table } = database;
    return {
      store: new SqlJobStore({
        url: database.url,
        tableName: table,
        ...(backend.sqliteDriver === undefined ? {} : { sqliteDriver: backend.sqliteDriver }),
      }),
      async writeRaw(id, state, nextRunTime) {
        await db
          .insertInto(table)
          .values({ id, job_state: state, next_run_time: nextRunTime })
          .execute();
      },
      async readRaw(id) {
        const row = await db
          .selectFrom(table)
          .select(['job_state', 'next_run_time'])
          .where('id', '=', id)
          .executeTakeFirst();
        if (row === undefined) return null;
        return {
          state: String(row.job_state),
          nextRunTime: row.next_run_time === null ? null : Number(row.next_run_time),
        };
      },
      cleanup: () => database.cleanup(),
    };
  };
}

async function redisTarget(): Promise<Target> {
  const prefix = uniqueRedisPrefix();
  const client: Redis = openRedis(REDIS_URL);
  await client.connect();
  return {
    store: new RedisJobStore({ url: REDIS_URL, keyPrefix: prefix }),
    async writeRaw(id, state, nextRunTime) {
      await client.hset(`${prefix}jobs`, id, state);
      await client.zadd(`${prefix}run_times`, nextRunTime, id);
    },
    async readRaw(id) {
      const state = await client.hget(`${prefix}jobs`, id);
      if (state === null) return null;
      const score = await client.zscore(`${prefix}run_times`, id);
      return { state, nextRunTime: score === null ? null : Number(score) };
    },
    async cleanup() {
      client.disconnect();
      await deleteRedisKeys(prefix);
    },
  };
}

const sqlite = BETTER_SQLITE3_SAFE
  ? { durable: durableBackends.SQLite, sql: sqliteBackend }
  : { durable: durableBackends['SQLite (node:sqlite)'], sql: nodeSqliteBackend };
const backends: [DurableBackend, () => Promise<Target>][] = [
  [sqlite.durable, sqlTarget(sqlite.sql)],
  [durableBackends.PostgreSQL, sqlTarget(postgresBackend)],
  [durableBackends.MariaDB, sqlTarget(mysqlBackend)],
  [durableBackends.Redis, redisTarget],
];
const reasons = await reachability(backends.map(([backend]) => backend));

const attacks: Attack[] = [];
afterAll(() => {
  for (const attack of attacks) {
    rmSync(attack.dir, { recursive: true, force: true });
    delete globals[attack.global];
  }
});

function planted(): Attack {
  const attack = plantAttack(ROOT);
  attacks.push(attack);
  return attack;
}

describe('the planted rows are live attacks', () => {
  it('each one runs its code when its reference is imported and called without the rules', async () => {
    const attack = planted();
    for (const row of attack.rows) {
      if (row.funcRef.startsWith('https:')) continue; // Node refuses remote modules without a flag
      const func = await resolveReference(row.funcRef);
      func(...row.args);
    }
    expect(attack.traces()).toHaveLength(4);
    expect(globals[attack.global]).toBeDefined();
  });
});

describe.concurrent('rows with hostile function references, on a real store', () => {
  for (const [backend, createTarget] of backends) {
    describeBackend(`${backend.name} store`, backend, reasons.get(backend.name), () => {
      it('never imports nor runs them, keeps them unchanged, reports each once with its rule, and runs the allowed jobs', async () => {
        const attack = planted();
        const target = await createTarget();
        const scheduler = new AsyncScheduler({
          jobstores: { default: target.store },
          timezone: 'UTC',
          logger: silentLogger,
          jobstoreRetryInterval: 1,
          storePollInterval: 1,
        });
        const failures: JobRestoreFailedEvent[] = [];
        const storeErrors: JobStoreErrorEvent[] = [];
        scheduler.addListener((event) => {
          if (event instanceof JobRestoreFailedEvent) failures.push(event);
          if (event instanceof JobStoreErrorEvent) storeErrors.push(event);
        }, EVENT_JOB_RESTORE_FAILED | EVENT_JOBSTORE_ERROR);
        let taskRuns = 0;
        scheduler.registerTask('attack.allowed', () => {
          taskRuns += 1;
        });
        const label = `allowed-${backend.name}-${attack.global}`;
        const moduleRuns = (): number =>
          fixture.calls.filter((call) => call[0] === 'send' && call[1] === label).length;
        await scheduler.start();
        try {
          await scheduler.addJob('attack.allowed', 'interval', { id: 'allowed-task', seconds: 1 });
          await scheduler.addJob('./test/fixtures/scheduler-api-jobs.ts:send', 'interval', {
            id: 'allowed-module',
            seconds: 1,
            args: [label],
          });
          const template = JSON.parse(
            (await target.readRaw('allowed-module'))?.state as string,
          ) as Record<string, unknown>;
          const due = Date.now() - 1000;
          const written = new Map<string, string>();
          for (const row of attack.rows) {
            const state = JSON.stringify({
              ...template,
              id: row.id,
              name: row.id,
              funcRef: row.funcRef,
              args: row.args,
            });
            written.set(row.id, state);
            await target.writeRaw(row.id, state, due);
          }
          scheduler.wakeup();

          const listed = await scheduler.getJobs();
          const broken = listed.filter((job) => job.broken).map((job) => job.id);
          expect(broken.sort()).toEqual(attack.rows.map((row) => row.id).sort());
          for (const job of listed.filter((j) => j.broken))
            expect(job.restoreError, job.id).toBeInstanceOf(ReferenceNotAllowedError);
          const printed: string[] = [];
          await scheduler.printJobs(undefined, { write: (text: string) => printed.push(text) });

          // Past their due time: the allowed jobs run on, the planted rows never do.
          const runsBefore = taskRuns;
          const moduleRunsBefore = moduleRuns();
          await waitFor(
            'the allowed jobs to run twice after the rows were planted',
            () => taskRuns >= runsBefore + 2 && moduleRuns() >= moduleRunsBefore + 2,
            20_000,
          );
          await sleep(500);
          await scheduler.getJobs();

          expect(attack.traces(), 'marker files written by the planted code').toEqual([]);
          expect(globals[attack.global], 'global set by a planted module').toBeUndefined();
          for (const row of attack.rows) {
            expect(await target.readRaw(row.id), `${row.id} is kept unchanged`).toEqual({
              state: written.get(row.id),
              nextRunTime: due,
            });
          }
          const reported = failures.map((event) => event.jobId).sort();
          expect(reported, 'one EVENT_JOB_RESTORE_FAILED per planted row').toEqual(
            attack.rows.map((row) => row.id).sort(),
          );
          for (const row of attack.rows) {
            const event = failures.find((e) => e.jobId === row.id);
            const error = event?.exception as ReferenceNotAllowedError;
            expect(error, row.id).toBeInstanceOf(ReferenceNotAllowedError);
            expect(error.rule, row.id).toBe(row.rule);
            expect(error.message, row.id).toContain(`rule "${row.rule}"`);
          }
          expect(printed.join('')).toContain('Jobstore default:');
          expect(storeErrors).toEqual([]);
        } finally {
          await scheduler.shutdown({ wait: false });
          await target.cleanup();
        }
      });
    });
  }
});
