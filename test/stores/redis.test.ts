/**
 * RedisJobStore against a real Redis (REDIS_URL, default redis://127.0.0.1:6379):
 * the store contract, plus what only a shared, persistent store promises —
 * atomic writes across clients, unrestorable jobs kept and reported, hostile
 * ids and payloads, and client ownership. Without a server the suite is
 * skipped, except under CI=true, where a missing Redis fails it.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ConflictingIdError,
  DeserializationError,
  JobLookupError,
  RedisJobStore,
  SerializationError,
} from '../../src/index.ts';
import { createJobStore } from '../../src/scheduler/plugins.ts';
import { redisUnreachable } from '../helpers/durability.ts';
import { INDEX_URL, runWithoutPackage } from '../helpers/run-without-package.ts';
import { type RecordingStoreContext, storeTestContext } from '../helpers/store-context.ts';
import { describeLedgerContract } from './ledger-contract.ts';
import { describeLedgerInterleavings } from './ledger-interleavings.ts';
import {
  BASE_TIME,
  CONTRACT_TASK_REF,
  describeStoreContract,
  expectBatchUpdateNeverRestoresRemovedJobs,
  makeJob,
} from './store-contract.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const IN_CI = process.env.CI === 'true';
/** Every key this run creates starts with it; afterAll deletes them all. */
const RUN_PREFIX = `horarium-test:${process.pid}:${randomUUID()}:`;

const unreachable = await redisUnreachable(REDIS_URL);

let storeCount = 0;
function uniquePrefix(): string {
  storeCount++;
  return `${RUN_PREFIX}${storeCount}:`;
}

if (unreachable !== null && IN_CI) {
  describe('RedisJobStore', () => {
    it(`needs a Redis server at REDIS_URL (${REDIS_URL}) under CI=true`, () => {
      throw new Error(`Redis is not reachable at ${REDIS_URL}: ${unreachable}`);
    });
  });
}

describe.skipIf(unreachable !== null && !IN_CI)(
  `RedisJobStore (${unreachable === null ? REDIS_URL : `skipped: no Redis at REDIS_URL=${REDIS_URL}: ${unreachable}`})`,
  () => {
    const admin = new Redis(REDIS_URL, { lazyConnect: true });
    /** Clients a test opened itself, quit in afterAll. */
    const extraClients: Redis[] = [admin];

    afterAll(async () => {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${RUN_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
      for (const client of extraClients) await client.quit().catch(() => {});
    });

    /** Deletes every key of the store's prefix (its jobs and its ledger). */
    async function deleteKeys(store: RedisJobStore): Promise<void> {
      const prefix = store.keys.jobs.slice(0, -'jobs'.length);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
    }

    describeStoreContract('RedisJobStore', async () => {
      const store = new RedisJobStore({ url: REDIS_URL, keyPrefix: uniquePrefix() });
      return { store, cleanup: () => deleteKeys(store) };
    });

    describeLedgerContract('RedisJobStore', async () => {
      const store = new RedisJobStore({ url: REDIS_URL, keyPrefix: uniquePrefix() });
      return { store, cleanup: () => deleteKeys(store) };
    });

    describeLedgerInterleavings('RedisJobStore', async () => {
      const store = new RedisJobStore({ url: REDIS_URL, keyPrefix: uniquePrefix() });
      return { store, cleanup: () => deleteKeys(store) };
    });

    const stores: RedisJobStore[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) {
        await store.shutdown();
        await deleteKeys(store);
      }
    });

    async function startedStore(
      options: { keyPrefix?: string; context?: RecordingStoreContext } = {},
    ): Promise<RedisJobStore> {
      const store = new RedisJobStore({
        url: REDIS_URL,
        keyPrefix: options.keyPrefix ?? uniquePrefix(),
      });
      await store.start(options.context ?? storeTestContext(), 'default');
      stores.push(store);
      return store;
    }

    describe('layout', () => {
      it('keeps job states in a hash and run times (epoch ms) in a sorted set, paused jobs absent', async () => {
        const store = await startedStore();
        await store.addJob(makeJob('a', BASE_TIME + 123));
        await store.addJob(makeJob('p', null));
        const state = JSON.parse((await admin.hget(store.keys.jobs, 'a')) as string) as Record<
          string,
          unknown
        >;
        expect(state).toMatchObject({ version: 1, id: 'a', funcRef: CONTRACT_TASK_REF });
        expect(await admin.hlen(store.keys.jobs)).toBe(2);
        expect(await admin.zrange(store.keys.runTimes, '0', '-1', 'WITHSCORES')).toEqual([
          'a',
          String(BASE_TIME + 123),
        ]);
      });

      it("uses the 'horarium.' key prefix by default", () => {
        expect(new RedisJobStore({ url: REDIS_URL }).keys).toEqual({
          jobs: 'horarium.jobs',
          runTimes: 'horarium.run_times',
        });
      });

      it('keeps jobs across a restart of the store, and removeAllJobs touches only its own keys', async () => {
        const prefix = uniquePrefix();
        const first = await startedStore({ keyPrefix: prefix });
        const other = await startedStore();
        await first.addJob(makeJob('a', BASE_TIME));
        await other.addJob(makeJob('b', BASE_TIME));
        await first.shutdown();
        const second = await startedStore({ keyPrefix: prefix });
        expect((await second.getAllJobs()).map((job) => job.id)).toEqual(['a']);
        await second.removeAllJobs();
        expect(await second.getAllJobs()).toEqual([]);
        expect((await other.getAllJobs()).map((job) => job.id)).toEqual(['b']);
      });

      it('is a shared store', () => {
        expect(new RedisJobStore({ url: REDIS_URL }).shared).toBe(true);
      });
    });

    describe('atomicity across clients', () => {
      it('lets exactly one of two schedulers add the same id, and keeps the winner’s state', async () => {
        const prefix = uniquePrefix();
        const one = await startedStore({ keyPrefix: prefix });
        const two = await startedStore({ keyPrefix: prefix });
        for (let round = 0; round < 50; round++) {
          const id = `race${round}`;
          const results = await Promise.allSettled([
            one.addJob(makeJob(id, BASE_TIME, { name: 'one' })),
            two.addJob(makeJob(id, BASE_TIME, { name: 'two' })),
          ]);
          const won = results.filter((result) => result.status === 'fulfilled');
          const lost = results.filter((result) => result.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictingIdError);
          const winner = results[0]?.status === 'fulfilled' ? 'one' : 'two';
          expect((await one.lookupJob(id))?.name).toBe(winner);
        }
        expect(await admin.hlen(one.keys.jobs)).toBe(50);
        expect(await admin.zcard(one.keys.runTimes)).toBe(50);
      });

      it('applies one of two overlapping batches whole and the other not at all', async () => {
        const prefix = uniquePrefix();
        const one = await startedStore({ keyPrefix: prefix });
        const two = await startedStore({ keyPrefix: prefix });
        const batchOne = ['a', 'b', 'c', 'shared'].map((id) => makeJob(id, BASE_TIME));
        const batchTwo = ['shared', 'x', 'y', 'z'].map((id) => makeJob(id, BASE_TIME));
        const results = await Promise.allSettled([one.addJobs(batchOne), two.addJobs(batchTwo)]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const winner = results[0]?.status === 'fulfilled' ? batchOne : batchTwo;
        expect((await one.getAllJobs()).map((job) => job.id)).toEqual(
          winner.map((job) => job.id).sort(),
        );
      });

      it('refuses a batch with a job it cannot serialize before writing anything', async () => {
        const store = await startedStore();
        await expect(
          store.addJobs([
            makeJob('fine', BASE_TIME),
            makeJob('closure', BASE_TIME, { func: () => 1, funcRef: null }),
          ]),
        ).rejects.toThrow(SerializationError);
        expect(await admin.exists(store.keys.jobs, store.keys.runTimes)).toBe(0);
      });
    });

    describe('batch updates and removals', () => {
      it('updateJobs returns the skipped ids in the order given and leaves no key behind for them', async () => {
        const store = await startedStore();
        await store.addJobs([makeJob('kept', BASE_TIME), makeJob('paused', BASE_TIME)]);
        const missing = await store.updateJobs([
          makeJob('gone', BASE_TIME),
          makeJob('paused', null),
          makeJob('lone\uD800', BASE_TIME),
          makeJob('kept', BASE_TIME + 7),
          makeJob('gone', null),
        ]);
        expect(missing).toEqual(['gone', 'lone\uD800', 'gone']);
        expect(await admin.hexists(store.keys.jobs, 'gone')).toBe(0);
        expect(await admin.zscore(store.keys.runTimes, 'gone')).toBeNull();
        expect(await admin.zrange(store.keys.runTimes, '0', '-1')).toEqual(['kept']);
      });

      it('updateJobs and removeJobs of no jobs send nothing and return no ids', async () => {
        const store = await startedStore();
        expect(await store.updateJobs([])).toEqual([]);
        expect(await store.removeJobs([])).toEqual([]);
        expect(await admin.exists(store.keys.jobs, store.keys.runTimes)).toBe(0);
      });

      it('updateJobs refuses a batch with a job it cannot serialize before writing anything', async () => {
        const store = await startedStore();
        await store.addJob(makeJob('fine', BASE_TIME));
        await expect(
          store.updateJobs([
            makeJob('fine', BASE_TIME + 1000),
            makeJob('closure', BASE_TIME, { func: () => 1, funcRef: null }),
          ]),
        ).rejects.toThrow(SerializationError);
        expect((await store.lookupJob('fine'))?.nextRunTime).toEqual(new Date(BASE_TIME));
      });

      it('updateJobs and removeJobs handle 2,500 jobs in one call (past the script’s write chunks)', async () => {
        const store = await startedStore();
        const jobs = Array.from({ length: 2500 }, (_, i) => makeJob(`job${i}`, BASE_TIME));
        await store.addJobs(jobs);
        const moved = jobs.map((job, i) =>
          job.withNextRunTime(i % 2 === 0 ? new Date(BASE_TIME + 60_000 + i) : null),
        );
        expect(await store.updateJobs(moved)).toEqual([]);
        expect(await admin.zcard(store.keys.runTimes)).toBe(1250);
        expect(await store.getDueJobs(new Date(BASE_TIME + 59_999))).toEqual([]);
        expect((await store.getDueJobs(new Date(BASE_TIME + 60_002))).map((job) => job.id)).toEqual(
          ['job0', 'job2'],
        );
        const ids = jobs.map((job) => job.id);
        expect(await store.removeJobs([...ids.slice(0, 1200), 'x', ...ids.slice(1200)])).toEqual([
          'x',
        ]);
        expect(await admin.exists(store.keys.jobs, store.keys.runTimes)).toBe(0);
      });

      it('removeJobs removes the ids it finds, once each, and returns the others, dropping an orphan run time too', async () => {
        const store = await startedStore();
        await store.addJobs([makeJob('a', BASE_TIME), makeJob('b', null), makeJob('c', BASE_TIME)]);
        await admin.zadd(store.keys.runTimes, BASE_TIME, 'orphan');
        expect(await store.removeJobs(['a', 'x', 'b', 'a', 'orphan', 'lone\uDC00'])).toEqual([
          'x',
          'a',
          'orphan',
          'lone\uDC00',
        ]);
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['c']);
        expect(await admin.zrange(store.keys.runTimes, '0', '-1')).toEqual(['c']);
      });

      it('updateJobs and removeJobs find hostile ids exactly, never one that merely looks alike', async () => {
        const store = await startedStore();
        const ids = [
          `quote's "double" \`back\``,
          'nul\u0000inside\u0000',
          'emoji 😀🎉 and ⏰',
          'lua ]] %s \\ \n\t end',
          '{horarium}.jobs',
          'a',
          '',
        ];
        await store.addJobs(ids.map((id) => makeJob(id, BASE_TIME)));
        const lookalikes = ['a ', 'A', 'nul', 'emoji 😀🎉 and'];
        expect(
          await store.updateJobs([...ids, ...lookalikes].map((id) => makeJob(id, BASE_TIME + 5))),
        ).toEqual(lookalikes);
        expect(await store.getDueJobs(new Date(BASE_TIME))).toEqual([]);
        expect(await store.removeJobs([...lookalikes, ...ids])).toEqual(lookalikes);
        expect(await admin.exists(store.keys.jobs, store.keys.runTimes)).toBe(0);
      });

      it('updateJobs repairs an entry that could not be restored, which is then due again', async () => {
        const context = storeTestContext();
        const store = await startedStore({ context });
        await store.addJobs([makeJob('corrupt', BASE_TIME), makeJob('good', BASE_TIME + 1000)]);
        await admin.hset(store.keys.jobs, 'corrupt', '{"version": 1, trunc');
        await store.getDueJobs(new Date(BASE_TIME));
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 1000));
        expect(await store.updateJobs([makeJob('corrupt', BASE_TIME)])).toEqual([]);
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME));
        expect((await store.getDueJobs(new Date(BASE_TIME))).map((job) => job.id)).toEqual([
          'corrupt',
        ]);
      });

      it('updateJobs never brings back a job that another client removes meanwhile', async () => {
        const prefix = uniquePrefix();
        const one = await startedStore({ keyPrefix: prefix });
        const two = await startedStore({ keyPrefix: prefix });
        await expectBatchUpdateNeverRestoresRemovedJobs(one, two, async (left) => {
          expect(await admin.zcard(one.keys.runTimes)).toBe(left.length);
        });
      });
    });

    describe('jobs that cannot be restored', () => {
      async function storeWithBrokenJobs(): Promise<{
        store: RedisJobStore;
        context: RecordingStoreContext;
      }> {
        const context = storeTestContext();
        const store = await startedStore({ context });
        await store.addJobs([
          makeJob('good', BASE_TIME + 1000),
          makeJob('gone', BASE_TIME - 2000, {
            funcRef: 'file:///nonexistent/horarium/moved-away.js:task',
          }),
          makeJob('renamed', BASE_TIME - 1000, {
            funcRef: CONTRACT_TASK_REF.replace(/:contractTask$/, ':renamedTask'),
          }),
          makeJob('corrupt', BASE_TIME),
          makeJob('paused-corrupt', null),
        ]);
        await admin.hset(store.keys.jobs, 'corrupt', '{"version": 1, "id": "corrupt", trunc');
        await admin.hset(store.keys.jobs, 'paused-corrupt', '[]');
        await admin.zadd(store.keys.runTimes, BASE_TIME - 500, 'orphan');
        return { store, context };
      }

      it('skips them in getDueJobs, reports each with its id and run time, and keeps them stored', async () => {
        const { store, context } = await storeWithBrokenJobs();
        const due = await store.getDueJobs(new Date(BASE_TIME + 1000));
        expect(due.map((job) => job.id)).toEqual(['good']);
        const failures = context.failures.map((failure) => [
          failure.jobId,
          failure.nextRunTime?.getTime() ?? null,
        ]);
        expect(failures.sort()).toEqual([
          ['corrupt', BASE_TIME],
          ['gone', BASE_TIME - 2000],
          ['orphan', BASE_TIME - 500],
          ['renamed', BASE_TIME - 1000],
        ]);
        for (const failure of context.failures) expect(failure.error).toBeInstanceOf(Error);
        const corrupt = context.failures.find((failure) => failure.jobId === 'corrupt');
        expect(String(corrupt?.error)).toMatch(/not valid JSON/);
        expect(await admin.hlen(store.keys.jobs)).toBe(5);
        expect(await admin.zcard(store.keys.runTimes)).toBe(5);
      });

      it('lists the healthy jobs in getAllJobs and reports the others, paused ones included', async () => {
        const { store, context } = await storeWithBrokenJobs();
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['good']);
        expect(context.failures.map((failure) => failure.jobId).sort()).toEqual(
          ['corrupt', 'gone', 'orphan', 'paused-corrupt', 'renamed'].sort(),
        );
        const paused = context.failures.find((failure) => failure.jobId === 'paused-corrupt');
        expect(paused?.nextRunTime).toBeNull();
        expect(paused?.error).toBeInstanceOf(DeserializationError);
      });

      it('returns null from lookupJob for them after reporting, and still removes them on request', async () => {
        const { store, context } = await storeWithBrokenJobs();
        expect(await store.lookupJob('gone')).toBeNull();
        expect(context.failures.map((failure) => failure.jobId)).toEqual(['gone']);
        await store.removeJob('gone');
        await store.removeJob('corrupt');
        await expect(store.removeJob('gone')).rejects.toThrow(JobLookupError);
        expect(await admin.hexists(store.keys.jobs, 'gone')).toBe(0);
      });

      it('gives the next run time of a healthy job once the broken ones are known, so a scheduler never spins on them', async () => {
        const { store } = await storeWithBrokenJobs();
        await store.getDueJobs(new Date(BASE_TIME + 1000));
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 1000));
        await store.removeJob('good');
        expect(await store.getNextRunTime()).toBeNull();
      });

      it('restores a job again once its entry is fixed', async () => {
        const { store, context } = await storeWithBrokenJobs();
        await store.getDueJobs(new Date(BASE_TIME));
        await store.updateJob(makeJob('corrupt', BASE_TIME));
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME));
        const before = context.failures.length;
        const due = await store.getDueJobs(new Date(BASE_TIME));
        expect(due.map((job) => job.id)).toEqual(['corrupt']);
        expect(
          context.failures
            .slice(before)
            .map((failure) => failure.jobId)
            .sort(),
        ).toEqual(['gone', 'orphan', 'renamed']);
      });

      it('reports a state stored under another job’s id', async () => {
        const context = storeTestContext();
        const store = await startedStore({ context });
        await store.addJob(makeJob('a', BASE_TIME));
        await store.addJob(makeJob('b', BASE_TIME));
        await admin.hset(store.keys.jobs, 'b', (await admin.hget(store.keys.jobs, 'a')) as string);
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['a']);
        expect(context.failures.map((failure) => failure.jobId)).toEqual(['b']);
      });
    });

    describe('hostile input', () => {
      const hostileIds = [
        `quote's "double" \`back\``,
        'nul\u0000inside\u0000',
        'emoji 😀🎉 and ⏰',
        'x'.repeat(191),
        `long-${'é'.repeat(400)}`,
        'lua ]] %s \\ \n\t end',
        '{horarium}.jobs',
        '',
      ];

      it('stores, finds, orders, updates and removes jobs with hostile ids', async () => {
        const store = await startedStore();
        for (const [i, id] of hostileIds.entries()) await store.addJob(makeJob(id, BASE_TIME + i));
        const all = await store.getAllJobs();
        expect(all.map((job) => job.id)).toEqual(hostileIds);
        for (const id of hostileIds) {
          expect((await store.lookupJob(id))?.id).toBe(id);
          await expect(store.addJob(makeJob(id, null))).rejects.toThrow(ConflictingIdError);
          await store.updateJob(makeJob(id, null));
        }
        expect(await store.getNextRunTime()).toBeNull();
        for (const id of hostileIds) await store.removeJob(id);
        expect(await admin.exists(store.keys.jobs)).toBe(0);
      });

      it('orders ids by UTF-16 code units where UTF-8 byte order differs (emoji after U+FFFD)', async () => {
        const store = await startedStore();
        await store.addJobs([makeJob('😀', BASE_TIME), makeJob('\uFFFD', BASE_TIME)]);
        const expected = ['😀', '\uFFFD'].sort();
        expect((await store.getDueJobs(new Date(BASE_TIME))).map((job) => job.id)).toEqual(
          expected,
        );
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(expected);
      });

      it('never finds or removes the job whose id a lone surrogate would turn into (U+FFFD)', async () => {
        const store = await startedStore();
        await store.addJob(makeJob('x\uFFFD', BASE_TIME));
        expect(await store.lookupJob('x\uD800')).toBeNull();
        await expect(store.removeJob('x\uD800')).rejects.toThrow(JobLookupError);
        expect((await store.lookupJob('x\uFFFD'))?.id).toBe('x\uFFFD');
      });

      it('refuses an id with a lone surrogate, which UTF-8 cannot carry, and stores nothing', async () => {
        const store = await startedStore();
        await expect(store.addJob(makeJob('bad\uD800', BASE_TIME))).rejects.toThrow(
          SerializationError,
        );
        expect(await store.getAllJobs()).toEqual([]);
      });

      it('round-trips a 5 MB argument', async () => {
        const store = await startedStore();
        const big = `${'a'.repeat(5 * 1024 * 1024 - 2)}😀`;
        await store.addJob(makeJob('big', BASE_TIME, { args: [big, { nested: [big.length] }] }));
        const [due] = await store.getDueJobs(new Date(BASE_TIME));
        expect(due?.args[0]).toBe(big);
        expect(due?.args[1]).toEqual({ nested: [big.length] });
      });

      it('adds 20,000 jobs in one batch and finds the due ones among them', async () => {
        const store = await startedStore();
        const jobs = Array.from({ length: 20_000 }, (_, i) =>
          makeJob(`job${i}`, BASE_TIME + 1000 + i),
        );
        await store.addJobs(jobs);
        await expect(
          store.addJobs([makeJob('new', null), makeJob('job19999', null)]),
        ).rejects.toThrow(ConflictingIdError);
        expect(await store.lookupJob('new')).toBeNull();
        expect((await store.getDueJobs(new Date(BASE_TIME + 1002))).map((job) => job.id)).toEqual([
          'job0',
          'job1',
          'job2',
        ]);
      });
    });

    describe('clients', () => {
      it('never closes a client it was given', async () => {
        const client = new Redis(REDIS_URL);
        extraClients.push(client);
        const store = new RedisJobStore({ client, keyPrefix: uniquePrefix() });
        await store.start(storeTestContext(), 'default');
        await store.addJob(makeJob('a', BASE_TIME));
        await store.shutdown();
        expect(client.status).toBe('ready');
        expect(await client.ping()).toBe('PONG');
        await deleteKeys(store);
      });

      it('closes the client it opened from its url at shutdown', async () => {
        const connectionName = `horarium-test-${randomUUID()}`;
        const store = new RedisJobStore({
          url: REDIS_URL,
          keyPrefix: uniquePrefix(),
          clientOptions: { connectionName },
        });
        const connections = async (): Promise<number> =>
          ((await admin.client('LIST')) as string)
            .split('\n')
            .filter((line) => line.includes(`name=${connectionName} `)).length;
        await store.start(storeTestContext(), 'default');
        expect(await connections()).toBe(1);
        await store.shutdown();
        await expect.poll(connections).toBe(0);
        await expect(store.getAllJobs()).rejects.toThrow(/not started/);
      });

      it('fails start() clearly when the server is unreachable, without leaving a client running', async () => {
        const store = new RedisJobStore({
          url: 'redis://:secret@127.0.0.1:1/0',
          clientOptions: { connectTimeout: 1000 },
        });
        const error: unknown = await store.start(storeTestContext(), 'default').then(
          () => null,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(
          /^Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0: /,
        );
        expect((error as Error).message).not.toContain('secret');
        await store.shutdown();
      });

      it('is created from configuration as type "redis"', async () => {
        const store = createJobStore('default', {
          type: 'redis',
          url: REDIS_URL,
          keyPrefix: uniquePrefix(),
        });
        expect(store).toBeInstanceOf(RedisJobStore);
        expect(() => createJobStore('default', { type: 'redis', url: REDIS_URL, db: 2 })).toThrow(
          /^jobstores\.default\.db: unknown redis job store option; known: url, client, clientOptions, keyPrefix$/,
        );
        expect(() => new RedisJobStore({})).toThrow(/exactly one of url .* or client/);
      });
    });
  },
);

describe('RedisJobStore without the ioredis package', () => {
  it('imports Horarium fine and fails start() with "install ioredis"', () => {
    const output = runWithoutPackage(
      'ioredis',
      `import { RedisJobStore, AsyncScheduler } from ${JSON.stringify(INDEX_URL)};
const context = { logger: console, restoreJob: async () => null, restoreFailed() {} };
console.log(typeof AsyncScheduler);
try {
  await new RedisJobStore({ url: 'redis://127.0.0.1:6379' }).start(context, 'default');
  console.log('started');
} catch (error) {
  console.log(error.message);
}`,
    );
    expect(output).toBe(
      'function\ninstall ioredis to use the redis job store (npm install ioredis)\n',
    );
  });
});
