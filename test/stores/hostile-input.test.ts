/**
 * Hostile input through a running scheduler on SQLite and Redis: ids made of
 * quotes, semicolons, SQL and RESP injection attempts, emoji, NUL and lone
 * surrogates; a 5 MB argument; and stored entries edited by hand into
 * something that cannot be restored. Such entries must be skipped, reported
 * once (EVENT_JOB_RESTORE_FAILED), listed by getJobs as broken, left in the
 * store, and must neither stop the other jobs nor make the loop spin.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  AsyncScheduler,
  currentJob,
  EVENT_JOB_RESTORE_FAILED,
  EVENT_JOBSTORE_ERROR,
  type Job,
  JobEvent,
  RedisJobStore,
  type SchedulerEvent,
  SqlJobStore,
  silentLogger,
} from '../../src/index.ts';
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
  nodeSqliteBackend,
  type RawDatabase,
  sqliteBackend,
} from '../helpers/sql-backends.ts';

/** SQLite through better-sqlite3, or through node:sqlite where better-sqlite3 is not safe (Node 24). */
const sqlite = BETTER_SQLITE3_SAFE
  ? { durable: durableBackends.SQLite, sql: sqliteBackend }
  : { durable: durableBackends['SQLite (node:sqlite)'], sql: nodeSqliteBackend };
const backends: DurableBackend[] = [sqlite.durable, durableBackends.Redis];
const reasons = await reachability(backends);

/** Store reads, counted to show that the loop does not spin. */
interface ReadCounter {
  reads: number;
}

class CountingSqlStore extends SqlJobStore implements ReadCounter {
  reads = 0;
  override getDueJobs(now: Date): Promise<Job[]> {
    this.reads += 1;
    return super.getDueJobs(now);
  }
  override getNextRunTime(): Promise<Date | null> {
    this.reads += 1;
    return super.getNextRunTime();
  }
}

class CountingRedisStore extends RedisJobStore implements ReadCounter {
  reads = 0;
  override getDueJobs(now: Date): Promise<Job[]> {
    this.reads += 1;
    return super.getDueJobs(now);
  }
  override getNextRunTime(): Promise<Date | null> {
    this.reads += 1;
    return super.getNextRunTime();
  }
}

/** Counts the main loop's passes. */
class CountingScheduler extends AsyncScheduler {
  passes = 0;
  protected override processJobs(): Promise<number | null> {
    this.passes += 1;
    return super.processJobs();
  }
}

/** One store for one test, and raw access to what it holds. */
interface Fixture {
  store: JobStore & ReadCounter;
  /** The table name or key prefix, for injection attempts that name it. */
  name: string;
  /** The stored job state text of `id`, or null. */
  rawState(id: string): Promise<string | null>;
  /** Overwrites the stored state (and run time, epoch ms) of `id` by hand. */
  writeRaw(id: string, state: string, nextRunTime: number): Promise<void>;
  /** Does the table (hash) still exist with `count` entries? */
  entryCount(): Promise<number>;
  cleanup(): Promise<void>;
}

async function sqliteFixture(): Promise<Fixture> {
  const database = await sqlite.sql.create();
  const db: Kysely<RawDatabase> = database.db;
  const table = database.tableName;
  return {
    store: new CountingSqlStore({
      url: database.url,
      tableName: table,
      sqliteDriver: sqlite.sql.sqliteDriver,
    }),
    name: table,
    async rawState(id) {
      const row = await db
        .selectFrom(table)
        .select('job_state')
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? null : String(row.job_state);
    },
    async writeRaw(id, state, nextRunTime) {
      await db
        .updateTable(table)
        .set({ job_state: state, next_run_time: nextRunTime })
        .where('id', '=', id)
        .execute();
    },
    async entryCount() {
      const tables = await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'table' and name = ${table}`.execute(db);
      if (tables.rows.length === 0) return -1;
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    cleanup: () => database.cleanup(),
  };
}

async function redisFixture(): Promise<Fixture> {
  const prefix = uniqueRedisPrefix();
  const client: Redis = openRedis(REDIS_URL);
  await client.connect();
  const jobsKey = `${prefix}jobs`;
  const runTimesKey = `${prefix}run_times`;
  return {
    store: new CountingRedisStore({ url: REDIS_URL, keyPrefix: prefix }),
    name: prefix,
    rawState: (id) => client.hget(jobsKey, id),
    async writeRaw(id, state, nextRunTime) {
      await client.hset(jobsKey, id, state);
      await client.zadd(runTimesKey, nextRunTime, id);
    },
    entryCount: () => client.hlen(jobsKey),
    async cleanup() {
      client.disconnect();
      await deleteRedisKeys(prefix);
    },
  };
}

function createFixture(backend: DurableBackend): Promise<Fixture> {
  return backend.name === 'Redis' ? redisFixture() : sqliteFixture();
}

interface Harness {
  scheduler: CountingScheduler;
  events: SchedulerEvent[];
  /** Ids of the runs of the task 'hostile.record', in order. */
  ran: string[];
  /** What 'hostile.size' received. */
  sizes: { id: string; length: number; sha256: string; tail: unknown }[];
}

async function startScheduler(fixture: Fixture): Promise<Harness> {
  const scheduler = new CountingScheduler({
    jobstores: { default: fixture.store },
    timezone: 'UTC',
    logger: silentLogger,
    jobstoreRetryInterval: 1,
  });
  const ran: string[] = [];
  const sizes: Harness['sizes'] = [];
  scheduler.registerTask('hostile.record', () => {
    const job = currentJob();
    if (job === undefined) throw new Error('not inside a job');
    ran.push(job.id);
  });
  scheduler.registerTask('hostile.size', (big: unknown, tail: unknown) => {
    const job = currentJob();
    if (job === undefined || typeof big !== 'string') throw new Error('unexpected call');
    sizes.push({ id: job.id, length: big.length, sha256: sha256(big), tail });
  });
  const events: SchedulerEvent[] = [];
  scheduler.addListener((event) => {
    events.push(event);
  }, EVENT_JOB_RESTORE_FAILED | EVENT_JOBSTORE_ERROR);
  await scheduler.start();
  return { scheduler, events, ran, sizes };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hostileIds(name: string): string[] {
  return [
    "it's",
    'say "hi"',
    'a;b;c;',
    `x'; DROP TABLE ${name}; --`,
    `"); DELETE FROM ${name}; --`,
    "' OR '1'='1",
    'back\\slash\\',
    '%_*?[]{}^$',
    'multi\nline\r\n*3\r\n$8\r\nFLUSHALL\r\n',
    '  spaces and\ttab  ',
    '🎉 emoji 👨‍👩‍👧‍👦 ünïcödé 漢字',
    '{"id":"json-looking"}',
  ];
}

describe.concurrent('hostile input through a scheduler', () => {
  for (const backend of backends) {
    describeBackend(`${backend.name} store`, backend, reasons.get(backend.name), () => {
      it('stores, finds, modifies, runs and removes jobs with hostile ids', async () => {
        const fixture = await createFixture(backend);
        const { scheduler, ran, events } = await startScheduler(fixture);
        try {
          const ids = hostileIds(fixture.name);
          // Paused: look them up, modify them, remove them.
          for (const id of ids) {
            const job = await scheduler.addJob('hostile.record', 'interval', {
              id,
              seconds: 1,
              nextRunTime: null,
            });
            expect(job.id).toBe(id);
          }
          const listed = (await scheduler.getJobs()).map((job) => job.id);
          expect([...listed].sort()).toEqual([...ids].sort());
          for (const id of ids) {
            expect((await scheduler.getJob(id))?.id, JSON.stringify(id)).toBe(id);
            const modified = await scheduler.modifyJob(id, { name: `name of ${id}` });
            expect(modified.name).toBe(`name of ${id}`);
            expect((await scheduler.getJob(id))?.name).toBe(`name of ${id}`);
          }
          for (const id of ids) await scheduler.removeJob(id);
          expect(await scheduler.getJobs()).toEqual([]);
          expect(await fixture.entryCount(), 'the table / hash survived').toBe(0);

          // Scheduled: each runs once under its own id, then (date trigger) is removed.
          const runDate = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
          for (const id of ids) await scheduler.addJob('hostile.record', 'date', { id, runDate });
          await waitFor(
            'every hostile job to run',
            () => ran.length >= ids.length,
            15_000,
            () => JSON.stringify(ran),
          );
          await sleep(300);
          expect([...ran].sort()).toEqual([...ids].sort());
          expect(await scheduler.getJobs()).toEqual([]);
          expect(await fixture.entryCount()).toBe(0);
          expect(events).toEqual([]);
        } finally {
          await scheduler.shutdown();
          await fixture.cleanup();
        }
      });

      it('refuses ids it cannot store with a clear error, or keeps them exactly', async () => {
        const fixture = await createFixture(backend);
        const { scheduler, events } = await startScheduler(fixture);
        try {
          const cases = [
            { id: 'nul\u0000byte', problem: /NUL|null (byte|character)|\\u0000/i },
            { id: 'lone \uD800 surrogate', problem: /surrogate|UTF-16|unicode/i },
          ];
          for (const { id, problem } of cases) {
            let outcome: 'stored' | Error;
            try {
              await scheduler.addJob('hostile.record', 'interval', {
                id,
                seconds: 1,
                nextRunTime: null,
              });
              outcome = 'stored';
            } catch (error) {
              outcome = error instanceof Error ? error : new Error(String(error));
            }
            if (backend !== durableBackends.Redis) {
              // The SQL store holds no NUL (PostgreSQL cannot) and no lone surrogate, on every database.
              expect(outcome, JSON.stringify(id)).toBeInstanceOf(Error);
            }
            if (outcome === 'stored') {
              expect((await scheduler.getJob(id))?.id, JSON.stringify(id)).toBe(id);
              expect((await scheduler.getJobs()).map((job) => job.id)).toContain(id);
              await scheduler.removeJob(id);
            } else {
              expect(outcome.message, JSON.stringify(id)).toMatch(problem);
              expect(await scheduler.getJob(id)).toBeNull();
            }
          }
          expect(scheduler.running).toBe(true);
          expect(await fixture.entryCount()).toBe(0);
          expect(events).toEqual([]);
        } finally {
          await scheduler.shutdown();
          await fixture.cleanup();
        }
      });

      it('stores and passes on a 5 MB argument unchanged', async () => {
        const fixture = await createFixture(backend);
        const { scheduler, sizes, events } = await startScheduler(fixture);
        try {
          const pattern = 'ab€😀\u0000"\';\\';
          const big = pattern.repeat(Math.ceil((5 * 1024 * 1024) / pattern.length));
          expect(big.length).toBeGreaterThanOrEqual(5 * 1024 * 1024);
          const tail = { when: new Date('2030-01-01T00:00:00Z'), list: [1, 'two', null] };
          await scheduler.addJob('hostile.size', 'date', {
            id: 'huge',
            runDate: new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000),
            args: [big, tail],
          });
          const stored = await scheduler.getJob('huge');
          expect(stored?.args[0] === big, 'the stored argument equals the original').toBe(true);
          await waitFor('the huge job to run', () => sizes.length > 0, 15_000);
          expect(sizes).toEqual([{ id: 'huge', length: big.length, sha256: sha256(big), tail }]);
          expect(events).toEqual([]);
        } finally {
          await scheduler.shutdown();
          await fixture.cleanup();
        }
      });

      it('skips, reports once and lists hand-corrupted entries without deleting them or spinning', async () => {
        const fixture = await createFixture(backend);
        const { scheduler, ran, events } = await startScheduler(fixture);
        try {
          const startDate = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
          for (const id of ['good', 'bad-json', 'bad-ref']) {
            await scheduler.addJob('hostile.record', 'interval', { id, seconds: 1, startDate });
          }
          // Invalid JSON, and valid JSON whose function lives in a module that does not exist.
          const badJson = '{"version": 1, "id": "bad-json", "funcRef": ';
          const refState = JSON.parse((await fixture.rawState('bad-ref')) as string) as Record<
            string,
            unknown
          >;
          refState.funcRef = './no/such/module/anywhere.js:gone';
          const badRef = JSON.stringify(refState);
          const due = Date.now() - 5000;
          await fixture.writeRaw('bad-json', badJson, due);
          await fixture.writeRaw('bad-ref', badRef, due);
          scheduler.wakeup();

          await waitFor('the good job to run', () => ran.includes('good'), 10_000);
          const passesBefore = scheduler.passes;
          const readsBefore = fixture.store.reads;
          const goodBefore = ran.filter((id) => id === 'good').length;
          await sleep(3000);
          const passes = scheduler.passes - passesBefore;
          const reads = fixture.store.reads - readsBefore;
          const goodRuns = ran.filter((id) => id === 'good').length - goodBefore;

          const jobs = await scheduler.getJobs();
          const byId = new Map(jobs.map((job) => [job.id, job]));
          const failed = events
            .filter(
              (e): e is JobEvent => e instanceof JobEvent && e.code === EVENT_JOB_RESTORE_FAILED,
            )
            .map((e) => e.jobId)
            .sort();
          const context = `passes ${passes}, store reads ${reads}, good runs ${goodRuns}, restore-failed events ${JSON.stringify(failed)}`;

          expect(failed, `one EVENT_JOB_RESTORE_FAILED per broken entry: ${context}`).toEqual([
            'bad-json',
            'bad-ref',
          ]);
          expect(
            ran.filter((id) => id !== 'good'),
            'broken jobs never run',
          ).toEqual([]);
          expect(goodRuns, context).toBeGreaterThanOrEqual(2);
          expect(byId.get('good')?.broken).toBe(false);
          for (const id of ['bad-json', 'bad-ref']) {
            expect(byId.get(id), `${id} listed by getJobs`).toBeDefined();
            expect(byId.get(id)?.broken, `${id}.broken`).toBe(true);
          }
          expect(await fixture.rawState('bad-json'), 'the broken entry is not deleted').toBe(
            badJson,
          );
          expect(await fixture.rawState('bad-ref'), 'the broken entry is not deleted').toBe(badRef);
          expect(await fixture.entryCount()).toBe(3);
          // About one pass per second (the good job); a spinning loop makes thousands.
          expect(passes, `the loop spins: ${context}`).toBeLessThanOrEqual(15);
          expect(reads, `the loop spins: ${context}`).toBeLessThanOrEqual(40);
          expect(events.filter((e) => e.code === EVENT_JOBSTORE_ERROR)).toEqual([]);
        } finally {
          await scheduler.shutdown();
          await fixture.cleanup();
        }
      });
    });
  }
});
