/**
 * The MongoDB store's ledger logic where no server is available: the store
 * and ledger contracts against an in-process model of the driver
 * (test/helpers/fake-mongo.ts), on a standalone server and on a replica set
 * (commits in transactions), and the races only a standalone server has:
 * a job changed between a commit's fence check and its job write, claimed
 * jobs that cannot be used. The same contracts run against a real server in
 * mongodb.test.ts when MONGODB_URL is set.
 */
import { describe, expect, it } from 'vitest';
import { MongoJobStore } from '../../src/index.ts';
import { type FakeMongoClient, fakeMongoClient } from '../helpers/fake-mongo.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { describeLedgerContract } from './ledger-contract.ts';
import { BASE_TIME, describeStoreContract, makeJob } from './store-contract.ts';

const LEASE = 30_000;

function storeOn(client: FakeMongoClient, collection = 'jobs'): MongoJobStore {
  return new MongoJobStore({ client: client as never, collection });
}

for (const replicaSet of [false, true]) {
  const name = `MongoJobStore on a model of ${replicaSet ? 'a replica set' : 'a standalone server'}`;
  const make = async () => ({
    store: storeOn(fakeMongoClient({ replicaSet })),
    cleanup: async () => {},
  });
  describe(name, () => {
    describeStoreContract(name, make);
    describeLedgerContract(name, make);
  });
}

describe('MongoJobStore ledger on a standalone server (model)', () => {
  it('loses a commit whose job changed after its fence check: the fires it inserted lose their lease at once and are reaped', async () => {
    const client = fakeMongoClient();
    const store = storeOn(client);
    await store.start(storeTestContext(), 'default');
    const job = makeJob('j', BASE_TIME);
    await store.addJob(job);
    await store.ledger.claimDueJobs({ owner: 'a', limit: 10, leaseMs: LEASE, now: BASE_TIME });
    // The user pauses the job while the commit inserts its fires.
    const fires = client.db().collection('jobs_fires');
    const insertMany = fires.insertMany.bind(fires);
    fires.insertMany = async (documents, options) => {
      await store.updateJob(job.withNextRunTime(null));
      return insertMany(documents, options);
    };
    const result = await store.ledger.commitClaims(
      'a',
      [
        {
          jobId: 'j',
          fence: 1,
          job: job.withNextRunTime(new Date(BASE_TIME + 300_000)),
          fires: [
            { fireId: 'run', scheduledTime: BASE_TIME, state: 'claimed', batchId: 'run' },
            { fireId: 'late', scheduledTime: BASE_TIME - 1000, state: 'missed', batchId: null },
          ],
        },
      ],
      { runLeaseMs: LEASE, now: BASE_TIME + 5 },
    );
    expect(result).toEqual({ lost: ['j'], won: [] });
    expect((await store.lookupJob('j'))?.nextRunTime).toBeNull();
    const records = await store.ledger.getFires({ jobId: 'j', limit: 10 });
    expect(records.map((fire) => [fire.fireId, fire.state, fire.leaseUntil])).toEqual([
      ['run', 'claimed', BASE_TIME + 4],
      ['late', 'missed', null],
    ]);
    const reaped = await store.ledger.reapExpiredFires('b', {
      limit: 10,
      runLeaseMs: LEASE,
      now: BASE_TIME + 5,
    });
    expect(reaped.abandoned.map((fire) => fire.fireId)).toEqual(['run']);
    await store.shutdown();
  });

  it('gives back the claim of a job it cannot restore, and claims past it afterwards', async () => {
    const client = fakeMongoClient();
    const context = storeTestContext();
    const store = storeOn(client);
    await store.start(context, 'default');
    await store.addJob(makeJob('gone', BASE_TIME, { funcRef: 'file:///no/such/module.js:gone' }));
    await store.addJob(makeJob('half', BASE_TIME));
    await store.addJob(makeJob('ok', BASE_TIME));
    const jobs = client.db().collection('jobs');
    const half = jobs.documents.find((document) => document._id === 'half') as Record<
      string,
      unknown
    >;
    half.fence = 0.5;
    const claim = await store.ledger.claimDueJobs({
      owner: 'a',
      limit: 10,
      leaseMs: LEASE,
      now: BASE_TIME,
    });
    expect(claim.jobs.map((claimed) => claimed.job.id)).toEqual(['ok']);
    expect(context.failures.map((failure) => failure.jobId).sort()).toEqual(['gone', 'half']);
    expect(String(context.failures.find((f) => f.jobId === 'half')?.error)).toMatch(
      /fence is not a whole number \(1\.5\)/,
    );
    for (const id of ['gone', 'half'])
      expect(jobs.documents.find((document) => document._id === id)).toMatchObject({
        lease_owner: null,
        lease_until: null,
      });
    await store.ledger.claimDueJobs({ owner: 'a', limit: 10, leaseMs: LEASE, now: BASE_TIME + 1 });
    expect(context.failures).toHaveLength(2);
    await store.shutdown();
  });

  it('records an unreadable expired fire abandoned without reporting it, and lists around it', async () => {
    const client = fakeMongoClient();
    const store = storeOn(client);
    await store.start(storeTestContext(), 'default');
    const fires = client.db().collection('jobs_fires');
    fires.documents.push({
      _id: 'odd',
      state: 'running',
      lease_until: BASE_TIME - 1,
      scheduled_time: 'soon',
    });
    const reaped = await store.ledger.reapExpiredFires('b', {
      limit: 10,
      runLeaseMs: LEASE,
      now: BASE_TIME,
    });
    expect(reaped).toMatchObject({ abandoned: [], recovered: [] });
    expect(fires.documents[0]?.state).toBe('abandoned');
    expect(await store.ledger.getFires({ limit: 10 })).toEqual([]);
    await store.shutdown();
  });

  it('restarts at 0 a fence written by hand that is not a number, on the next write through the API', async () => {
    const client = fakeMongoClient();
    const store = storeOn(client);
    await store.start(storeTestContext(), 'default');
    const job = makeJob('s', BASE_TIME);
    await store.addJob(job);
    const [document] = client.db().collection('jobs').documents;
    (document as Record<string, unknown>).fence = 'x';
    await store.updateJob(job.withNextRunTime(null));
    expect(document?.fence).toBe(0);
    await store.updateJob(job);
    expect(document?.fence).toBe(1);
    await store.shutdown();
  });

  it('takes the store clock from hello', async () => {
    const store = storeOn(fakeMongoClient({ clock: () => BASE_TIME + 42 }));
    await store.start(storeTestContext(), 'default');
    expect(await store.ledger.now()).toBe(BASE_TIME + 42);
    await store.shutdown();
  });
});
