/**
 * MongoJobStore against a real MongoDB at MONGODB_URL: the store contract,
 * plus what only a shared, persistent store promises — one winner when two
 * clients add the same id, unrestorable jobs kept and reported, hostile ids
 * and payloads, and client ownership. Without MONGODB_URL those tests are
 * skipped (and say so); the ones that need no server always run.
 */
import { randomUUID } from 'node:crypto';
import { type Collection, type Document, MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ConflictingIdError,
  DeserializationError,
  JobLookupError,
  MongoJobStore,
  SerializationError,
} from '../../src/index.ts';
import { createJobStore } from '../../src/scheduler/plugins.ts';
import { INDEX_URL, runWithoutPackage } from '../helpers/run-without-package.ts';
import { type RecordingStoreContext, storeTestContext } from '../helpers/store-context.ts';
import { describeLedgerContract } from './ledger-contract.ts';
import { BASE_TIME, CONTRACT_TASK_REF, describeStoreContract, makeJob } from './store-contract.ts';

const MONGODB_URL = process.env.MONGODB_URL;
/** This run's database; afterAll drops it. */
const DATABASE = `horarium_test_${process.pid}_${randomUUID().slice(0, 8)}`;

let collectionCount = 0;
function uniqueCollection(): string {
  collectionCount++;
  return `jobs_${collectionCount}`;
}

describe('MongoJobStore (no server needed)', () => {
  it('fails start() clearly when the server is unreachable, without the password', async () => {
    const store = new MongoJobStore({
      url: 'mongodb://user:secret@127.0.0.1:1/?directConnection=true',
      clientOptions: { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 },
    });
    const error: unknown = await store.start(storeTestContext(), 'default').then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^Cannot connect to MongoDB at mongodb:\/\/user:\*\*\*@127\.0\.0\.1:1\//,
    );
    expect((error as Error).message).not.toContain('secret');
    await expect(store.getAllJobs()).rejects.toThrow(/not started/);
    await store.shutdown();
  });

  it('is created from configuration as type "mongodb", with defaults horarium.jobs', () => {
    const store = createJobStore('default', { type: 'mongodb', url: 'mongodb://127.0.0.1:1' });
    expect(store).toBeInstanceOf(MongoJobStore);
    expect((store as MongoJobStore).namespace).toBe('horarium.jobs');
    expect(store.shared).toBe(true);
    expect(() =>
      createJobStore('default', { type: 'mongodb', url: 'mongodb://127.0.0.1:1', db: 'x' }),
    ).toThrow(
      /^jobstores\.default\.db: unknown mongodb job store option; known: url, client, clientOptions, database, collection$/,
    );
    expect(() => new MongoJobStore({})).toThrow(/exactly one of url .* or client/);
    expect(() => new MongoJobStore({ url: 'mongodb://127.0.0.1:1', collection: '' })).toThrow(
      /collection must be a non-empty string/,
    );
  });
});

describe.skipIf(MONGODB_URL === undefined)(
  MONGODB_URL === undefined
    ? 'MongoJobStore against a server (skipped: set MONGODB_URL, e.g. mongodb://127.0.0.1:27017, to run these tests)'
    : `MongoJobStore against ${MONGODB_URL}`,
  () => {
    const url = MONGODB_URL as string;
    let admin: MongoClient;

    beforeAll(async () => {
      admin = new MongoClient(url);
      await admin.connect();
    });

    afterAll(async () => {
      await admin.db(DATABASE).dropDatabase();
      await admin.close();
    });

    function rawCollection(store: MongoJobStore): Collection<Document> {
      const name = store.namespace.slice(DATABASE.length + 1);
      return admin.db(DATABASE).collection(name);
    }

    /** Drops the store's jobs collection and its ledger's fires and nodes collections. */
    async function dropCollection(store: MongoJobStore): Promise<void> {
      const name = store.namespace.slice(DATABASE.length + 1);
      for (const collection of [name, `${name}_fires`, `${name}_nodes`, `${name}_job_changes`])
        await admin
          .db(DATABASE)
          .collection(collection)
          .drop()
          .catch(() => {});
    }

    function newStore(collection = uniqueCollection()): MongoJobStore {
      return new MongoJobStore({ url, database: DATABASE, collection });
    }

    describeStoreContract('MongoJobStore', async () => {
      const store = newStore();
      return { store, cleanup: () => dropCollection(store) };
    });

    describeLedgerContract('MongoJobStore', async () => {
      const store = newStore();
      return { store, cleanup: () => dropCollection(store) };
    });

    const stores: MongoJobStore[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) {
        await store.shutdown();
        await dropCollection(store);
      }
    });

    async function startedStore(
      options: { collection?: string; context?: RecordingStoreContext } = {},
    ): Promise<MongoJobStore> {
      const store = newStore(options.collection);
      await store.start(options.context ?? storeTestContext(), 'default');
      stores.push(store);
      return store;
    }

    describe('layout', () => {
      it('stores { _id, next_run_time (epoch ms or null), job_state (JSON) } with a run time index', async () => {
        const store = await startedStore();
        await store.addJob(makeJob('a', BASE_TIME + 123));
        await store.addJob(makeJob('p', null));
        const raw = rawCollection(store);
        const a = await raw.findOne({ _id: 'a' as never });
        expect(a?.next_run_time).toBe(BASE_TIME + 123);
        expect(JSON.parse(a?.job_state as string)).toMatchObject({
          version: 1,
          id: 'a',
          funcRef: CONTRACT_TASK_REF,
        });
        expect((await raw.findOne({ _id: 'p' as never }))?.next_run_time).toBeNull();
        const indexes = await raw.indexes();
        expect(indexes.find((index) => index.name === 'horarium_next_run_time')?.key).toEqual({
          next_run_time: 1,
        });
      });

      it('keeps jobs across a restart of the store', async () => {
        const collection = uniqueCollection();
        const first = await startedStore({ collection });
        await first.addJob(makeJob('a', BASE_TIME));
        await first.shutdown();
        const second = await startedStore({ collection });
        expect((await second.getAllJobs()).map((job) => job.id)).toEqual(['a']);
      });
    });

    describe('atomicity across clients', () => {
      it('lets exactly one of two schedulers add the same id, and keeps the winner’s state', async () => {
        const collection = uniqueCollection();
        const one = await startedStore({ collection });
        const two = await startedStore({ collection });
        for (let round = 0; round < 30; round++) {
          const id = `race${round}`;
          const results = await Promise.allSettled([
            one.addJob(makeJob(id, BASE_TIME, { name: 'one' })),
            two.addJob(makeJob(id, BASE_TIME, { name: 'two' })),
          ]);
          const lost = results.filter((result) => result.status === 'rejected');
          expect(lost).toHaveLength(1);
          expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictingIdError);
          const winner = results[0]?.status === 'fulfilled' ? 'one' : 'two';
          expect((await one.lookupJob(id))?.name).toBe(winner);
        }
      });

      it('applies one of two overlapping batches whole and the other not at all', async () => {
        const collection = uniqueCollection();
        const one = await startedStore({ collection });
        const two = await startedStore({ collection });
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
        expect(await rawCollection(store).countDocuments()).toBe(0);
      });
    });

    describe('jobs that cannot be restored', () => {
      async function storeWithBrokenJobs(): Promise<{
        store: MongoJobStore;
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
        const raw = rawCollection(store);
        await raw.updateOne({ _id: 'corrupt' as never }, { $set: { job_state: '{"id": trunc' } });
        await raw.updateOne({ _id: 'paused-corrupt' as never }, { $set: { job_state: 42 } });
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
          ['renamed', BASE_TIME - 1000],
        ]);
        const corrupt = context.failures.find((failure) => failure.jobId === 'corrupt');
        expect(String(corrupt?.error)).toMatch(/not valid JSON/);
        expect(await rawCollection(store).countDocuments()).toBe(5);
      });

      it('lists the healthy jobs in getAllJobs and reports the others, paused ones included', async () => {
        const { store, context } = await storeWithBrokenJobs();
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['good']);
        expect(context.failures.map((failure) => failure.jobId).sort()).toEqual([
          'corrupt',
          'gone',
          'paused-corrupt',
          'renamed',
        ]);
        const paused = context.failures.find((failure) => failure.jobId === 'paused-corrupt');
        expect(paused?.nextRunTime).toBeNull();
        expect(paused?.error).toBeInstanceOf(DeserializationError);
      });

      it('returns null from lookupJob for them after reporting, and still removes them on request', async () => {
        const { store, context } = await storeWithBrokenJobs();
        expect(await store.lookupJob('gone')).toBeNull();
        expect(context.failures.map((failure) => failure.jobId)).toEqual(['gone']);
        await store.removeJob('gone');
        await expect(store.removeJob('gone')).rejects.toThrow(JobLookupError);
        expect(await rawCollection(store).countDocuments({ _id: 'gone' as never })).toBe(0);
      });

      it('gives the next run time of a healthy job once the broken ones are known, so a scheduler never spins on them', async () => {
        const { store } = await storeWithBrokenJobs();
        await store.getDueJobs(new Date(BASE_TIME + 1000));
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 1000));
        await store.removeJob('good');
        expect(await store.getNextRunTime()).toBeNull();
      });

      it('reports a document whose _id is not a string', async () => {
        const context = storeTestContext();
        const store = await startedStore({ context });
        await store.addJob(makeJob('a', BASE_TIME));
        await rawCollection(store).insertOne({
          _id: 7 as never,
          next_run_time: BASE_TIME,
          job_state: '{}',
        });
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['a']);
        expect(context.failures.map((failure) => failure.jobId)).toEqual(['7']);
      });
    });

    describe('hostile input', () => {
      const hostileIds = [
        `quote's "double" \`back\``,
        'nul\u0000inside\u0000',
        'emoji 😀🎉 and ⏰',
        'x'.repeat(191),
        `long-${'é'.repeat(400)}`,
        '$where: 1 } { "$gt": ""',
        'dotted.path.id',
        '',
      ];

      it('stores, finds, orders, updates and removes jobs with hostile ids', async () => {
        const store = await startedStore();
        for (const [i, id] of hostileIds.entries()) await store.addJob(makeJob(id, BASE_TIME + i));
        expect((await store.getAllJobs()).map((job) => job.id)).toEqual(hostileIds);
        for (const id of hostileIds) {
          expect((await store.lookupJob(id))?.id).toBe(id);
          await expect(store.addJob(makeJob(id, null))).rejects.toThrow(ConflictingIdError);
          await store.updateJob(makeJob(id, null));
        }
        expect(await store.getNextRunTime()).toBeNull();
        for (const id of hostileIds) await store.removeJob(id);
        expect(await rawCollection(store).countDocuments()).toBe(0);
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

      it('adds 5,000 jobs in one batch, refuses a conflicting batch whole, and finds the due ones', async () => {
        const store = await startedStore();
        const jobs = Array.from({ length: 5000 }, (_, i) =>
          makeJob(`job${i}`, BASE_TIME + 1000 + i),
        );
        await store.addJobs(jobs);
        await expect(
          store.addJobs([makeJob('new', null), makeJob('job4999', null)]),
        ).rejects.toThrow(ConflictingIdError);
        expect(await store.lookupJob('new')).toBeNull();
        expect((await store.getDueJobs(new Date(BASE_TIME + 1002))).map((job) => job.id)).toEqual([
          'job0',
          'job1',
          'job2',
        ]);
      });
    });

    describe('cluster ledger layout', () => {
      it('keeps fires in <collection>_fires with a unique slot index, and check-ins in <collection>_nodes', async () => {
        const store = await startedStore();
        const name = store.namespace.slice(DATABASE.length + 1);
        const job = makeJob('j', BASE_TIME);
        await store.addJob(job);
        const [claimed] = (
          await store.ledger.claimDueJobs({ owner: 'a', limit: 1, leaseMs: 1000, now: BASE_TIME })
        ).jobs;
        expect(claimed?.fence).toBe(1);
        await store.ledger.commitClaims(
          'a',
          [
            {
              jobId: 'j',
              fence: 1,
              job: job.withNextRunTime(new Date(BASE_TIME + 1000)),
              fires: [{ fireId: 'f1', scheduledTime: BASE_TIME, state: 'claimed', batchId: 'f1' }],
            },
          ],
          { runLeaseMs: 2000, now: BASE_TIME + 1 },
        );
        const fires = admin.db(DATABASE).collection(`${name}_fires`);
        expect(await fires.findOne({ _id: 'f1' as never })).toMatchObject({
          job_id: 'j',
          scheduled_time: BASE_TIME,
          state: 'claimed',
          node: 'a',
          fence: 1,
          lease_until: BASE_TIME + 2001,
        });
        const slot = (await fires.indexes()).find((index) => index.name === 'horarium_fire_slot');
        expect(slot).toMatchObject({ key: { job_id: 1, scheduled_time: 1 }, unique: true });
        expect(await rawCollection(store).findOne({ _id: 'j' as never })).toMatchObject({
          next_run_time: BASE_TIME + 1000,
          fence: 1,
          lease_owner: null,
          lease_until: null,
        });
        await store.ledger.checkIn(
          { nodeId: 'a', hostname: 'h', pid: 1, version: '0', startedAt: 1, clockSkewMs: 0 },
          BASE_TIME,
        );
        const nodes = admin.db(DATABASE).collection(`${name}_nodes`);
        expect(await nodes.findOne({ _id: 'a' as never })).toMatchObject({ last_seen: BASE_TIME });
      });

      it('moves the fence on every write through the store API and drops the claim', async () => {
        const store = await startedStore();
        const job = makeJob('j', BASE_TIME);
        await store.addJob(job);
        await store.ledger.claimDueJobs({ owner: 'a', limit: 1, leaseMs: 1000, now: BASE_TIME });
        await store.updateJob(job.withNextRunTime(null));
        await store.updateJob(job);
        expect(await rawCollection(store).findOne({ _id: 'j' as never })).toMatchObject({
          fence: 3,
          lease_owner: null,
          lease_until: null,
        });
      });
    });

    describe('clients', () => {
      it('never closes a client it was given', async () => {
        const client = new MongoClient(url);
        await client.connect();
        const close = vi.spyOn(client, 'close');
        const store = new MongoJobStore({
          client,
          database: DATABASE,
          collection: uniqueCollection(),
        });
        await store.start(storeTestContext(), 'default');
        await store.addJob(makeJob('a', BASE_TIME));
        await store.shutdown();
        expect(close).not.toHaveBeenCalled();
        expect(await client.db(DATABASE).command({ ping: 1 })).toMatchObject({ ok: 1 });
        close.mockRestore();
        await dropCollection(store);
        await client.close();
      });

      it('closes the client it opened from its url at shutdown', async () => {
        const close = vi.spyOn(MongoClient.prototype, 'close');
        try {
          const store = newStore();
          await store.start(storeTestContext(), 'default');
          expect(close).not.toHaveBeenCalled();
          await store.shutdown();
          expect(close).toHaveBeenCalledTimes(1);
          await expect(store.getAllJobs()).rejects.toThrow(/not started/);
          await dropCollection(store);
        } finally {
          close.mockRestore();
        }
      });
    });
  },
);

describe('MongoJobStore without the mongodb package', () => {
  it('imports Horarium fine and fails start() with "install mongodb"', () => {
    const output = runWithoutPackage(
      'mongodb',
      `import { MongoJobStore, AsyncScheduler } from ${JSON.stringify(INDEX_URL)};
const context = { logger: console, restoreJob: async () => null, restoreFailed() {} };
console.log(typeof AsyncScheduler);
try {
  await new MongoJobStore({ url: 'mongodb://127.0.0.1:1' }).start(context, 'default');
  console.log('started');
} catch (error) {
  console.log(error.message);
}`,
    );
    expect(output).toBe(
      'function\ninstall mongodb to use the mongodb job store (npm install mongodb)\n',
    );
  });
});
