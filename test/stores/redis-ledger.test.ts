/**
 * The Redis store's cluster ledger beyond the ledger contract: claims racing
 * on separate connections, user writes voiding claims, fire records another
 * program corrupted, the live indexes emptied as fires end, a `recover` date
 * job run again after its own commit removed it, and the lease connection
 * renewing leases from a real worker thread. Needs a Redis server
 * (REDIS_URL, default redis://127.0.0.1:6379), as redis.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/index.ts';
import { RedisJobStore } from '../../src/index.ts';
import { LeaseWorkerClient } from '../../src/scheduler/cluster/lease-keeper.ts';
import type { ClusterLedger, JobCommit } from '../../src/stores/ledger.ts';
import { KEY_NAMES } from '../../src/stores/redis/redis-keys.ts';
import { openLeaseRenewer } from '../../src/stores/redis/redis-lease.ts';
import {
  describeBackend,
  REDIS_URL,
  redisBackend,
  redisUnreachable,
} from '../helpers/durability.ts';
import { type RecordingStoreContext, storeTestContext } from '../helpers/store-context.ts';
import { runFire } from './ledger-contract.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

const RUN_PREFIX = `horarium-test:${process.pid}:${randomUUID()}:`;
const LEASE = 30_000;
const unreachable = await redisUnreachable(REDIS_URL);

describeBackend('RedisJobStore cluster ledger', redisBackend, unreachable, () => {
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  const stores: RedisJobStore[] = [];
  let count = 0;

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.shutdown();
  });

  afterAll(async () => {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${RUN_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== '0');
    await admin.quit();
  });

  interface Started {
    store: RedisJobStore;
    ledger: ClusterLedger;
    context: RecordingStoreContext;
    warnings: string[];
    prefix: string;
  }

  /** A started store on `prefix` (a new one by default), with its own connection. */
  async function started(prefix = `${RUN_PREFIX}${++count}:`): Promise<Started> {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (message) => warnings.push(message),
      error: (message) => warnings.push(message),
    };
    const context = { ...storeTestContext(), logger };
    const store = new RedisJobStore({ url: REDIS_URL, keyPrefix: prefix });
    await store.start(context, 'default');
    stores.push(store);
    return { store, ledger: store.ledger, context, warnings, prefix };
  }

  /** Claims `jobId` for `owner` at BASE_TIME and commits one run fire; returns the fire id. */
  async function runningFire(
    { store, ledger }: Started,
    owner: string,
    jobId: string,
    options: { recover?: boolean; once?: boolean; runLeaseMs?: number; now?: number } = {},
  ): Promise<string> {
    const now = options.now ?? BASE_TIME;
    const job = makeJob(jobId, now, { recover: options.recover ?? false });
    await store.addJob(job);
    const [claimed] = (await ledger.claimDueJobs({ owner, limit: 1, leaseMs: LEASE, now })).jobs;
    const fire = runFire(now);
    const commit: JobCommit = {
      jobId,
      fence: claimed?.fence as number,
      job: options.once === true ? null : job.withNextRunTime(new Date(now + 300_000)),
      fires: [fire],
    };
    const result = await ledger.commitClaims(owner, [commit], {
      runLeaseMs: options.runLeaseMs ?? LEASE,
      now,
    });
    expect(result.won).toEqual([fire.fireId]);
    return fire.fireId;
  }

  it('never gives one job to two claimers racing on separate connections', async () => {
    const one = await started();
    const two = await started(one.prefix);
    const ids = Array.from({ length: 200 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    await one.store.addJobs(ids.map((id) => makeJob(id, BASE_TIME)));
    const seen = new Map<string, number[]>();
    for (let round = 0; round < 5; round++) {
      const now = BASE_TIME + round * (LEASE + 1);
      const claims = await Promise.all(
        [one, two, one, two].map(({ ledger }, k) =>
          ledger.claimDueJobs({ owner: `node-${k}`, limit: 30, leaseMs: LEASE, now }),
        ),
      );
      const claimed = claims.flatMap((claim) => claim.jobs.map((c) => c.job.id));
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed).toHaveLength(120);
      for (const claim of claims)
        for (const { job, fence } of claim.jobs)
          seen.set(job.id, [...(seen.get(job.id) ?? []), fence]);
    }
    // A job claimed again (after its lease) always gets a newer fence.
    for (const fences of seen.values())
      expect(fences).toEqual(
        [...fences].sort((a, b) => a - b).filter((f, i, a) => a.indexOf(f) === i),
      );
  });

  it("a user's change frees the job's claim at once and raises its fence, which outlives a removal", async () => {
    const { store, ledger } = await started();
    const job = makeJob('j', BASE_TIME);
    await store.addJob(job);
    const claim = (owner: string) =>
      ledger.claimDueJobs({ owner, limit: 10, leaseMs: LEASE, now: BASE_TIME });
    expect((await claim('a')).jobs.map((c) => c.fence)).toEqual([1]);
    expect((await claim('b')).jobs).toEqual([]);
    await store.updateJob(job.withNextRunTime(new Date(BASE_TIME - 1)));
    // Claimable by anyone at once, with a fence past the user's write.
    expect((await claim('b')).jobs.map((c) => c.fence)).toEqual([3]);
    await store.removeJob('j');
    await store.addJob(job);
    expect((await claim('c')).jobs.map((c) => c.fence)).toEqual([5]);
    await store.removeAllJobs();
    await store.addJob(job);
    expect((await claim('d')).jobs.map((c) => c.fence)).toEqual([7]);
  });

  it('skips and reports fire records another program corrupted, in every operation', async () => {
    const started_ = await started();
    const { ledger, warnings, prefix } = started_;
    const good = await runningFire(started_, 'a', 'good');
    const bad = await runningFire(started_, 'a', 'bad');
    await admin.hset(`${prefix}fires`, bad, '{not json');
    const fires = await ledger.getFires({ limit: 10 });
    expect(fires.map((f) => f.fireId)).toEqual([good]);
    expect(await ledger.getFires({ jobId: 'bad', limit: 10 })).toEqual([]);
    expect(warnings.join('\n')).toContain(JSON.stringify(bad));
    expect(await ledger.renewFireLeases('a', LEASE, BASE_TIME + 1)).toEqual([good]);
    expect(
      await ledger.updateFires('a', [{ fireId: bad, state: 'succeeded', at: BASE_TIME + 2 }]),
    ).toEqual([bad]);
    // A record that parses but is not a fire record: read past too.
    await admin.hset(`${prefix}fires`, good, JSON.stringify({ fireId: good, state: 'nope' }));
    expect(await ledger.getFires({ limit: 10 })).toEqual([]);
    warnings.length = 0;
    const reaped = await ledger.reapExpiredFires('c', {
      limit: 10,
      runLeaseMs: LEASE,
      now: BASE_TIME + 10 * LEASE,
    });
    expect(reaped).toMatchObject({ abandoned: [], recovered: [] });
    expect(warnings).toHaveLength(2);
    expect(await admin.zcard(`${prefix}live_fires`)).toBe(0);
    // Claims still work around them.
    expect(
      (
        await ledger.claimDueJobs({
          owner: 'b',
          limit: 10,
          leaseMs: LEASE,
          now: BASE_TIME + 300_000,
        })
      ).jobs.map((c) => [c.job.id, c.liveBatches]),
    ).toEqual([
      ['bad', 0],
      ['good', 0],
    ]);
  });

  it('empties the live indexes as fires end, and keeps every key under the prefix', async () => {
    const started_ = await started();
    const { ledger, prefix } = started_;
    const ended = await runningFire(started_, 'a', 'ended', { recover: true });
    const reaped = await runningFire(started_, 'a', 'reaped');
    expect(await admin.hlen(`${prefix}fire_jobs`)).toBe(1);
    await ledger.updateFires('a', [{ fireId: ended, state: 'succeeded', at: BASE_TIME + 1 }]);
    const { abandoned } = await ledger.reapExpiredFires('b', {
      limit: 10,
      runLeaseMs: LEASE,
      now: BASE_TIME + LEASE + 1,
    });
    expect(abandoned.map((f) => f.fireId)).toEqual([reaped]);
    for (const live of ['live_fires', 'node_fires', 'job_live_fires'])
      expect(await admin.zcard(`${prefix}${live}`), live).toBe(0);
    expect(await admin.hlen(`${prefix}fire_jobs`)).toBe(0);
    const keys = await admin.keys(`${prefix}*`);
    expect(keys.every((key) => KEY_NAMES.includes(key.slice(prefix.length)))).toBe(true);
  });

  it("runs a recover date job's fire again after its own commit removed the job, but not after the user removed it", async () => {
    const started_ = await started();
    const { store, ledger } = started_;
    const gone = await runningFire(started_, 'dead', 'once', { recover: true, once: true });
    expect(await store.lookupJob('once')).toBeNull();
    const removed = await runningFire(started_, 'dead', 'kept', { recover: true });
    await store.removeJob('kept');
    const { abandoned, recovered } = await ledger.reapExpiredFires('reaper', {
      limit: 10,
      runLeaseMs: LEASE,
      now: BASE_TIME + LEASE + 1,
    });
    expect(recovered.map((r) => [r.fire.fireId, r.job.id, r.fire.node, r.previousNode])).toEqual([
      [gone, 'once', 'reaper', 'dead'],
    ]);
    expect(recovered[0]?.fire).toMatchObject({ fence: 2, recovering: true, attempt: 2 });
    expect(abandoned.map((f) => [f.fireId, f.node])).toEqual([[removed, 'dead']]);
    // Dies again: taken over again, still with its job.
    const again = await ledger.reapExpiredFires('other', {
      limit: 10,
      runLeaseMs: LEASE,
      now: BASE_TIME + 3 * LEASE,
    });
    expect(again.recovered.map((r) => [r.job.id, r.previousNode, r.fire.fence])).toEqual([
      ['once', 'reaper', 3],
    ]);
  });

  it('a retention purge leaves no index naming a fire it removed, and keeps the history of a fire that survives an update', async () => {
    const started_ = await started();
    const { store, ledger, prefix } = started_;
    const commitFires = async (jobId: string, history: 'all' | 'off', count: number) => {
      await store.addJob(makeJob(jobId, BASE_TIME));
      const [claimed] = (
        await ledger.claimDueJobs({ owner: 'a', limit: 1, leaseMs: LEASE, now: BASE_TIME })
      ).jobs;
      const fires = Array.from({ length: count }, (_, i) => runFire(BASE_TIME - (i + 1) * 60_000));
      await ledger.commitClaims(
        'a',
        [{ jobId, fence: claimed?.fence as number, job: null, fires, history }],
        { runLeaseMs: LEASE, now: BASE_TIME },
      );
      await ledger.updateFires(
        'a',
        fires.map((fire) => ({ fireId: fire.fireId, state: 'succeeded', at: BASE_TIME + 1 })),
      );
      return fires.map((fire) => fire.fireId);
    };
    const quiet = await commitFires('quiet', 'off', 3);
    const loud = await commitFires('loud', 'all', 6);
    expect(await admin.zrange(`${prefix}history_fires`, '0', '-1')).toEqual(
      expect.arrayContaining(quiet),
    );
    // The history survives the update that ended the fire.
    expect(await admin.hget(`${prefix}fires`, String(quiet[0]))).toContain('"history":"off"');
    let after: { scheduledTime: number; fireId: string } | undefined;
    for (let calls = 0; calls < 20; calls++) {
      const result = await ledger.purgeFires({
        succeededBefore: BASE_TIME + 10,
        otherBefore: BASE_TIME + 10,
        keepPerJob: 2,
        limit: 2,
        ...(after === undefined ? {} : { after }),
      });
      if (result.next === null) break;
      after = result.next;
    }
    const left = (await ledger.getFires({ limit: 100 })).map((fire) => fire.fireId).sort();
    expect(left).toEqual(loud.slice(0, 2).sort());
    expect((await admin.hkeys(`${prefix}fires`)).sort()).toEqual(left);
    expect((await admin.hvals(`${prefix}fire_slots`)).sort()).toEqual(left);
    expect((await admin.zrange(`${prefix}fire_times`, '0', '-1')).sort()).toEqual(left);
    const members = await admin.zrange(`${prefix}job_fires`, '0', '-1');
    expect(members.map((member) => member.slice(-32)).sort()).toEqual(left);
    expect(await admin.zcard(`${prefix}history_fires`)).toBe(0);
  });

  it('lists fires newest first, by state, across jobs', async () => {
    const started_ = await started();
    const { ledger } = started_;
    const first = await runningFire(started_, 'a', 'x', { now: BASE_TIME });
    const second = await runningFire(started_, 'a', 'y', { now: BASE_TIME + 5 });
    await ledger.updateFires('a', [{ fireId: first, state: 'succeeded', at: BASE_TIME + 9 }]);
    expect((await ledger.getFires({ limit: 10 })).map((f) => f.fireId)).toEqual([second, first]);
    expect((await ledger.getFires({ limit: 1 })).map((f) => f.fireId)).toEqual([second]);
    expect(
      (await ledger.getFires({ states: ['succeeded'], limit: 10 })).map((f) => f.fireId),
    ).toEqual([first]);
    expect(await ledger.getFires({ states: [], limit: 10 })).toEqual([]);
    expect(await ledger.getFires({ jobId: 'none', limit: 10 })).toEqual([]);
  });

  it('refuses malformed input before Redis is touched', async () => {
    const { ledger } = await started();
    await expect(
      ledger.claimDueJobs({ owner: 'a', limit: 0, leaseMs: LEASE }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(
      ledger.claimDueJobs({ owner: 'a\uD800', limit: 1, leaseMs: LEASE }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(
      ledger.getFires({ states: ['bogus' as 'running'], limit: 1 }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(
      ledger.updateFires('a', [{ fireId: 'f', state: 'abandoned' as 'running', at: 1 }]),
    ).rejects.toBeInstanceOf(TypeError);
  });

  describe('lease connection', () => {
    it('is offered only for a store opened from a URL, with options a worker can receive', () => {
      expect(
        new RedisJobStore({ client: admin, keyPrefix: 'p.' }).ledger.leaseConnection?.(),
      ).toBeUndefined();
      expect(
        new RedisJobStore({
          url: REDIS_URL,
          clientOptions: { retryStrategy: () => 10 },
        }).ledger.leaseConnection?.(),
      ).toBeUndefined();
      const connection = new RedisJobStore({
        url: REDIS_URL,
        keyPrefix: 'p.',
        clientOptions: { connectTimeout: 5000 },
      }).ledger.leaseConnection?.();
      expect(connection).toMatchObject({
        export: 'openLeaseRenewer',
        options: { url: REDIS_URL, keyPrefix: 'p.', clientOptions: { connectTimeout: 5000 } },
      });
      expect(connection?.module).toMatch(/redis-lease\.(ts|js)$/);
    });

    it('renews through a connection of its own in this thread', async () => {
      const started_ = await started();
      const id = await runningFire(started_, 'a', 'j', { now: Date.now() });
      const renewer = await openLeaseRenewer(started_.store.ledger.leaseConnection?.()?.options);
      try {
        expect(await renewer.renewFireLeases('a', LEASE)).toEqual([id]);
        expect(await renewer.renewFireLeases('b', LEASE)).toEqual([]);
      } finally {
        await renewer.close();
      }
      await expect(openLeaseRenewer({ url: 1 })).rejects.toBeInstanceOf(TypeError);
    });

    it('renews from a real worker thread, as the scheduler runs it', async () => {
      const started_ = await started();
      const { ledger } = started_;
      const leaseMs = 900;
      const connection = ledger.leaseConnection?.();
      if (connection === undefined) throw new Error('no lease connection');
      const renewed: string[][] = [];
      const failures: string[] = [];
      // Started first: loading the worker may take longer than the lease.
      const worker = await LeaseWorkerClient.open(connection, 'a', leaseMs, {
        renewed: (_, ids) => renewed.push([...ids]),
        failed: (message) => failures.push(message),
      });
      const id = await runningFire(started_, 'a', 'j', {
        now: await ledger.now(),
        runLeaseMs: leaseMs,
      });
      try {
        worker.beat(true, Date.now() + 10_000);
        const deadline = Date.now() + 5000;
        while (renewed.length < 3 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        await worker.close();
      }
      expect(failures).toEqual([]);
      expect(renewed.slice(0, 3)).toEqual([[id], [id], [id]]);
      // Renewed past the lease the commit gave it.
      const [record] = await ledger.getFires({ jobId: 'j', limit: 1 });
      expect(record?.state).toBe('claimed');
      expect(record?.leaseUntil).toBeGreaterThan((record?.claimedAt ?? 0) + leaseMs);
    }, 20_000);
  });
});
