/**
 * The cluster ledger contract (src/stores/ledger.ts), written once and run
 * against every persistent store with an injected store clock: every call
 * passes `now`, so the answers are exact. `describeLedgerContract('sqlite',
 * makeStore)` in a store's test file is all a store needs.
 *
 * What it pins down: claims are disjoint between owners and held until their
 * lease has passed (still held AT lease_until, free 1 ms later); a commit
 * with a stale fence writes nothing; the unique (job, scheduled time) key lets
 * only the first insert of a fire win; the reaper records a dead node's fire
 * abandoned exactly once, or takes it over for a `recover` job; a batch counts
 * once toward maxInstances; a node changes and renews only its own fires; a
 * change the user makes between a claim and its commit wins over the commit;
 * a `retried` fire waits until its retry time, is then taken by one node as
 * its next attempt (waiting while its job runs maxInstances times), and is
 * cancelled when its job was removed.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import type { Job } from '../../src/index.ts';
import type { ClusterLedger, FireRecord, JobCommit, NewFire } from '../../src/stores/ledger.ts';
import { type RecordingStoreContext, storeTestContext } from '../helpers/store-context.ts';
import { describeRetentionContract } from './ledger-retention-contract.ts';
import { BASE_TIME, makeJob, type StoreUnderTest } from './store-contract.ts';

const A = 'node-a';
const B = 'node-b';
const C = 'node-c';
const CLAIM_LEASE = 30_000;
const RUN_LEASE = 30_000;
const SECOND = 1000;

/** A fresh fire id, as the scheduler makes them. */
export function fireId(): string {
  return randomBytes(16).toString('hex');
}

/** A `claimed` fire of one run, in its own batch. */
export function runFire(scheduledTime: number, batchId: string | null = null): NewFire {
  const id = fireId();
  return { fireId: id, scheduledTime, state: 'claimed', batchId: batchId ?? id };
}

function ledgerOf(store: JobStore): ClusterLedger {
  if (store.ledger === undefined) throw new Error('this store has no cluster ledger');
  return store.ledger;
}

export function describeLedgerContract(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
): void {
  describe(`${name}: cluster ledger contract`, () => {
    let store: JobStore;
    let ledger: ClusterLedger;
    let context: RecordingStoreContext;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      cleanup = made.cleanup;
      context = storeTestContext();
      await store.start(context, 'default');
      ledger = ledgerOf(store);
    });

    afterEach(async () => {
      await store.shutdown();
      await cleanup();
    });

    const claim = (owner: string, now: number, limit = 100) =>
      ledger.claimDueJobs({ owner, limit, leaseMs: CLAIM_LEASE, now });
    const commit = (owner: string, commits: JobCommit[], now: number) =>
      ledger.commitClaims(owner, commits, { runLeaseMs: RUN_LEASE, now });
    const firesOf = async (jobId: string): Promise<FireRecord[]> =>
      ledger.getFires({ jobId, limit: 1000 });
    /** The job advanced by one 5-minute step, as a pass would write it. */
    const advanced = (job: Job): Job =>
      job.withNextRunTime(new Date((job.nextRunTimeMs as number) + 5 * 60 * SECOND));

    it('claims due jobs only (not paused, not future), by run time then id, at most limit, with the store now it used', async () => {
      await store.addJob(makeJob('c', BASE_TIME));
      await store.addJob(makeJob('a', BASE_TIME));
      await store.addJob(makeJob('b', BASE_TIME - SECOND));
      await store.addJob(makeJob('later', BASE_TIME + SECOND));
      await store.addJob(makeJob('paused', null));
      const first = await claim(A, BASE_TIME, 2);
      expect(first.now).toBe(BASE_TIME);
      expect(first.jobs.map((c) => c.job.id)).toEqual(['b', 'a']);
      expect(first.jobs.map((c) => c.fence)).toEqual([1, 1]);
      expect(first.jobs.map((c) => c.liveBatches)).toEqual([0, 0]);
      const rest = await claim(A, BASE_TIME, 10);
      expect(rest.jobs.map((c) => c.job.id)).toEqual(['c']);
    });

    it('gives two owners disjoint claims', async () => {
      for (const id of ['j1', 'j2', 'j3', 'j4']) await store.addJob(makeJob(id, BASE_TIME));
      const [one, two] = await Promise.all([claim(A, BASE_TIME, 3), claim(B, BASE_TIME, 3)]);
      const claimed = [...one.jobs, ...two.jobs].map((c) => c.job.id).sort();
      expect(claimed).toEqual(['j1', 'j2', 'j3', 'j4']);
    });

    it('holds a claim until its lease has passed: not re-claimable at lease_until, re-claimable 1 ms later with the next fence', async () => {
      await store.addJob(makeJob('j', BASE_TIME));
      expect((await claim(A, BASE_TIME)).jobs.map((c) => c.fence)).toEqual([1]);
      expect((await claim(B, BASE_TIME + CLAIM_LEASE)).jobs).toEqual([]);
      const taken = await claim(B, BASE_TIME + CLAIM_LEASE + 1);
      expect(taken.jobs.map((c) => [c.job.id, c.fence])).toEqual([['j', 2]]);
    });

    it('commits with the claimed fence: the job advances, its claim is released, its fires are inserted as claimed by the committer', async () => {
      const job = makeJob('j', BASE_TIME);
      await store.addJob(job);
      const [claimed] = (await claim(A, BASE_TIME)).jobs;
      const fire = runFire(BASE_TIME);
      const result = await commit(
        A,
        [{ jobId: 'j', fence: claimed?.fence as number, job: advanced(job), fires: [fire] }],
        BASE_TIME + 5,
      );
      expect(result).toEqual({ lost: [], won: [fire.fireId] });
      expect((await store.lookupJob('j'))?.nextRunTime?.getTime()).toBe(BASE_TIME + 300_000);
      const [record] = await firesOf('j');
      expect(record).toMatchObject({
        fireId: fire.fireId,
        jobId: 'j',
        scheduledTime: BASE_TIME,
        state: 'claimed',
        node: A,
        fence: 1,
        batchId: fire.batchId,
        claimedAt: BASE_TIME + 5,
        leaseUntil: BASE_TIME + 5 + RUN_LEASE,
        startedAt: null,
        finishedAt: null,
        recovering: false,
        attempt: 1,
      });
      // The claim is released: due again at its new time, any owner claims it then.
      expect((await claim(B, BASE_TIME + 300_000)).jobs.map((c) => [c.job.id, c.fence])).toEqual([
        ['j', 2],
      ]);
    });

    it('a commit with a stale fence writes nothing: no job write, no fires', async () => {
      const job = makeJob('j', BASE_TIME);
      await store.addJob(job);
      const [old] = (await claim(A, BASE_TIME)).jobs;
      // A stalls past its claim lease; B takes the job over and commits.
      const [fresh] = (await claim(B, BASE_TIME + CLAIM_LEASE + 1)).jobs;
      expect(fresh?.fence).toBe(2);
      const stale = await commit(
        A,
        [
          {
            jobId: 'j',
            fence: old?.fence as number,
            job: advanced(job),
            fires: [runFire(BASE_TIME)],
          },
        ],
        BASE_TIME + CLAIM_LEASE + 2,
      );
      expect(stale).toEqual({ lost: ['j'], won: [] });
      expect((await store.lookupJob('j'))?.nextRunTime?.getTime()).toBe(BASE_TIME);
      expect(await firesOf('j')).toEqual([]);
      const fire = runFire(BASE_TIME);
      const current = await commit(
        B,
        [{ jobId: 'j', fence: 2, job: advanced(job), fires: [fire] }],
        BASE_TIME + CLAIM_LEASE + 3,
      );
      expect(current).toEqual({ lost: [], won: [fire.fireId] });
    });

    it('lets only the first insert of a fire win (unique job id and scheduled time)', async () => {
      const job = makeJob('j', BASE_TIME);
      await store.addJob(job);
      await claim(A, BASE_TIME);
      const first = runFire(BASE_TIME);
      await commit(A, [{ jobId: 'j', fence: 1, job, fires: [first] }], BASE_TIME);
      // The job still holds the same run time (the commit kept it): a later claim plans the same fire.
      const [again] = (await claim(B, BASE_TIME + 1)).jobs;
      const second = runFire(BASE_TIME);
      const other = runFire(BASE_TIME + 300_000);
      const result = await commit(
        B,
        [{ jobId: 'j', fence: again?.fence as number, job: advanced(job), fires: [second, other] }],
        BASE_TIME + 2,
      );
      expect(result.lost).toEqual([]);
      expect(result.won).toEqual([other.fireId]);
      const byTime = (await firesOf('j')).map((f) => [f.scheduledTime, f.fireId, f.node]);
      expect(byTime).toEqual([
        [BASE_TIME + 300_000, other.fireId, B],
        [BASE_TIME, first.fireId, A],
      ]);
    });

    it('records fires decided when planned as final, without a lease', async () => {
      const job = makeJob('j', BASE_TIME);
      await store.addJob(job);
      await claim(A, BASE_TIME);
      const missed: NewFire = {
        fireId: fireId(),
        scheduledTime: BASE_TIME - 60 * SECOND,
        state: 'missed',
        batchId: null,
        detail: '{"graceMs":1000}',
      };
      await commit(A, [{ jobId: 'j', fence: 1, job: advanced(job), fires: [missed] }], BASE_TIME);
      const [record] = await firesOf('j');
      expect(record).toMatchObject({
        state: 'missed',
        leaseUntil: null,
        finishedAt: BASE_TIME,
        detail: '{"graceMs":1000}',
      });
    });

    it('a commit whose job is null removes the job', async () => {
      const job = makeJob('once', BASE_TIME);
      await store.addJob(job);
      await claim(A, BASE_TIME);
      const fire = runFire(BASE_TIME);
      const result = await commit(
        A,
        [{ jobId: 'once', fence: 1, job: null, fires: [fire] }],
        BASE_TIME,
      );
      expect(result.won).toEqual([fire.fireId]);
      expect(await store.lookupJob('once')).toBeNull();
      expect((await firesOf('once')).map((f) => f.state)).toEqual(['claimed']);
    });

    it('a change the user makes between a claim and its commit wins: the commit is lost', async () => {
      const job = makeJob('j', BASE_TIME);
      await store.addJob(job);
      await claim(A, BASE_TIME);
      await store.updateJob(job.withNextRunTime(null)); // paused meanwhile
      const result = await commit(
        A,
        [{ jobId: 'j', fence: 1, job: advanced(job), fires: [runFire(BASE_TIME)] }],
        BASE_TIME,
      );
      expect(result.lost).toEqual(['j']);
      expect((await store.lookupJob('j'))?.nextRunTime).toBeNull();
      await store.addJob(makeJob('gone', BASE_TIME));
      await claim(A, BASE_TIME);
      await store.removeJob('gone');
      const removed = await commit(
        A,
        [
          {
            jobId: 'gone',
            fence: 1,
            job: makeJob('gone', BASE_TIME + 1),
            fires: [runFire(BASE_TIME)],
          },
        ],
        BASE_TIME,
      );
      expect(removed.lost).toEqual(['gone']);
      expect(await store.lookupJob('gone')).toBeNull();
    });

    describe('fires a node holds', () => {
      async function committedFire(owner: string, jobId = 'j', time = BASE_TIME): Promise<string> {
        await store.addJob(makeJob(jobId, time));
        return committedFireOf(owner, jobId, time);
      }

      /** Claims the job `jobId` (due at `time`) and commits one run fire of it. */
      async function committedFireOf(
        owner: string,
        jobId: string,
        time = BASE_TIME,
      ): Promise<string> {
        const job = (await store.lookupJob(jobId)) as Job;
        const [claimed] = (await claim(owner, time)).jobs;
        const fire = runFire(time);
        await commit(
          owner,
          [{ jobId, fence: claimed?.fence as number, job: advanced(job), fires: [fire] }],
          time,
        );
        return fire.fireId;
      }

      it('are started and finished by their node only', async () => {
        const id = await committedFire(A);
        expect(
          await ledger.updateFires(B, [{ fireId: id, state: 'running', at: BASE_TIME + 1 }]),
        ).toEqual([id]);
        expect(
          await ledger.updateFires(A, [{ fireId: id, state: 'running', at: BASE_TIME + 2 }]),
        ).toEqual([]);
        expect(
          await ledger.updateFires(A, [
            {
              fireId: id,
              state: 'failed',
              at: BASE_TIME + 9,
              error: { name: 'TypeError', message: 'boom' },
            },
          ]),
        ).toEqual([]);
        const [record] = await firesOf('j');
        expect(record).toMatchObject({
          state: 'failed',
          startedAt: BASE_TIME + 2,
          finishedAt: BASE_TIME + 9,
          errorName: 'TypeError',
          errorMessage: 'boom',
        });
        // Finished: no further change, by anyone.
        expect(
          await ledger.updateFires(A, [{ fireId: id, state: 'succeeded', at: BASE_TIME + 10 }]),
        ).toEqual([id]);
        expect((await firesOf('j'))[0]?.state).toBe('failed');
      });

      it('ends a fire that never started: missed when its turn came too late', async () => {
        const id = await committedFire(A);
        expect(
          await ledger.updateFires(A, [{ fireId: id, state: 'missed', at: BASE_TIME + 5 }]),
        ).toEqual([]);
        const [record] = await firesOf('j');
        expect(record).toMatchObject({
          state: 'missed',
          startedAt: null,
          finishedAt: BASE_TIME + 5,
        });
        expect(await ledger.renewFireLeases(A, RUN_LEASE, BASE_TIME + 6)).toEqual([]);
      });

      it('renews only its own live fires, and not one whose lease has expired', async () => {
        const mine = await committedFire(A, 'mine');
        const theirs = await committedFire(B, 'theirs');
        expect(await ledger.renewFireLeases(A, RUN_LEASE, BASE_TIME + 10 * SECOND)).toEqual([mine]);
        expect((await firesOf('mine'))[0]?.leaseUntil).toBe(BASE_TIME + 40 * SECOND);
        expect((await firesOf('theirs'))[0]?.leaseUntil).toBe(BASE_TIME + RUN_LEASE);
        // B stalled past its lease: its renewal comes too late and renews nothing.
        expect(await ledger.renewFireLeases(B, RUN_LEASE, BASE_TIME + RUN_LEASE + 1)).toEqual([]);
        expect(theirs).toBeTypeOf('string');
      });

      it("the reaper records a dead node's fire abandoned exactly once; a live lease is left alone", async () => {
        const dead = await committedFire(A, 'dead');
        await committedFire(B, 'alive', BASE_TIME + 20 * SECOND);
        // At lease_until the lease still holds.
        const early = await ledger.reapExpiredFires(C, {
          limit: 10,
          runLeaseMs: RUN_LEASE,
          now: BASE_TIME + RUN_LEASE,
        });
        expect(early).toMatchObject({ abandoned: [], recovered: [] });
        const reaped = await ledger.reapExpiredFires(C, {
          limit: 10,
          runLeaseMs: RUN_LEASE,
          now: BASE_TIME + RUN_LEASE + 1,
        });
        expect(reaped.abandoned.map((f) => [f.fireId, f.state, f.finishedAt])).toEqual([
          [dead, 'abandoned', BASE_TIME + RUN_LEASE + 1],
        ]);
        expect(reaped.recovered).toEqual([]);
        const [{ abandoned: twice }, { abandoned: otherReaper }] = [
          await ledger.reapExpiredFires(C, {
            limit: 10,
            runLeaseMs: RUN_LEASE,
            now: BASE_TIME + RUN_LEASE + 2,
          }),
          await ledger.reapExpiredFires(B, {
            limit: 10,
            runLeaseMs: RUN_LEASE,
            now: BASE_TIME + RUN_LEASE + 3,
          }),
        ];
        expect([...twice, ...otherReaper]).toEqual([]);
        expect((await firesOf('alive'))[0]?.state).toBe('claimed');
        // The dead node, back, can neither renew nor finish its fire.
        expect(
          await ledger.updateFires(A, [
            { fireId: dead, state: 'succeeded', at: BASE_TIME + RUN_LEASE + 4 },
          ]),
        ).toEqual([dead]);
      });

      it("the reaper takes over the fire of a recover job, with the job's next fence, and runs it again", async () => {
        const job = makeJob('r', BASE_TIME, { recover: true });
        await store.addJob(job);
        await claim(A, BASE_TIME);
        const fire = runFire(BASE_TIME);
        await commit(A, [{ jobId: 'r', fence: 1, job: advanced(job), fires: [fire] }], BASE_TIME);
        const now = BASE_TIME + RUN_LEASE + 1;
        const { abandoned, recovered } = await ledger.reapExpiredFires(C, {
          limit: 10,
          runLeaseMs: RUN_LEASE,
          now,
        });
        expect(abandoned).toEqual([]);
        expect(recovered.map((r) => [r.job.id, r.fire.fireId])).toEqual([['r', fire.fireId]]);
        expect(recovered[0]?.fire).toMatchObject({
          state: 'claimed',
          node: C,
          fence: 2,
          recovering: true,
          leaseUntil: now + RUN_LEASE,
        });
        // The job's fence moved on too: the next claim gets 3, and A's stale writes do nothing.
        expect(
          await ledger.updateFires(A, [{ fireId: fire.fireId, state: 'succeeded', at: now }]),
        ).toEqual([fire.fireId]);
        expect(
          await ledger.updateFires(C, [{ fireId: fire.fireId, state: 'succeeded', at: now + 1 }]),
        ).toEqual([]);
        const [next] = (await claim(B, BASE_TIME + 300_000)).jobs;
        expect(next?.fence).toBe(3);
      });

      const RETRY = { attempts: 2, delay: 1, factor: 2, maxDelay: 300, jitter: false };
      const retried = (id: string, at: number, retryAt: number) =>
        ledger.updateFires(A, [
          { fireId: id, state: 'running', at: at - 1 },
          {
            fireId: id,
            state: 'retried',
            at,
            retryAt,
            error: { name: 'Error', message: 'flaky' },
          },
        ]);
      const reap = (owner: string, now: number) =>
        ledger.reapExpiredFires(owner, { limit: 10, runLeaseMs: RUN_LEASE, now });

      it('a retried fire waits until its retry time, then any node takes it as its next attempt, with a newer fence', async () => {
        await store.addJob(makeJob('j', BASE_TIME, { retry: RETRY }));
        const id = await committedFireOf(A, 'j');
        const { fence } = (await firesOf('j'))[0] as FireRecord;
        expect(await retried(id, BASE_TIME + 2, BASE_TIME + 10 * SECOND)).toEqual([]);
        expect((await firesOf('j'))[0]).toMatchObject({
          state: 'retried',
          attempt: 1,
          leaseUntil: BASE_TIME + 10 * SECOND,
          finishedAt: BASE_TIME + 2,
          errorMessage: 'flaky',
        });
        // Not a live fire: its node renews and finishes it no more.
        expect(await ledger.renewFireLeases(A, RUN_LEASE, BASE_TIME + 3)).toEqual([]);
        const early = await reap(B, BASE_TIME + 10 * SECOND);
        expect(early).toMatchObject({ abandoned: [], recovered: [], retries: [] });
        expect(early.nextRetryAt).toBeTypeOf('number');
        expect(early.nextRetryAt).toBeLessThanOrEqual(BASE_TIME + 10 * SECOND);
        const due = await reap(B, BASE_TIME + 10 * SECOND + 1);
        expect(due.abandoned).toEqual([]);
        expect(due.retries?.map((r) => [r.job.id, r.fire.fireId, r.fire.attempt])).toEqual([
          ['j', id, 2],
        ]);
        expect(due.nextRetryAt ?? null).toBeNull();
        const [record] = await firesOf('j');
        expect(record).toMatchObject({
          state: 'claimed',
          node: B,
          attempt: 2,
          recovering: false,
          leaseUntil: BASE_TIME + 10 * SECOND + 1 + RUN_LEASE,
        });
        expect(record?.fence).toBeGreaterThan(fence);
        expect(due.retries?.[0]?.fire.fence).toBe(record?.fence);
        // Taken once: another reaper finds nothing.
        expect((await reap(C, BASE_TIME + 10 * SECOND + 2)).retries ?? []).toEqual([]);
        expect(
          await ledger.updateFires(B, [
            { fireId: id, state: 'running', at: BASE_TIME + 11 * SECOND },
            { fireId: id, state: 'succeeded', at: BASE_TIME + 12 * SECOND },
          ]),
        ).toEqual([]);
        expect((await firesOf('j'))[0]).toMatchObject({ state: 'succeeded', attempt: 2 });
      });

      it('a due retry waits while its job runs maxInstances times; one whose job is gone is cancelled', async () => {
        const job = makeJob('j', BASE_TIME, { retry: RETRY });
        await store.addJob(job);
        const first = await committedFireOf(A, 'j');
        await retried(first, BASE_TIME + 2, BASE_TIME + SECOND);
        // The next fire of the job runs (its lease is live) when the retry falls due.
        const later = BASE_TIME + 5 * 60 * SECOND;
        const second = await committedFireOf(B, 'j', later);
        const busy = await reap(C, later + 1);
        expect(busy.retries ?? []).toEqual([]);
        expect((busy.nextRetryAt ?? 0) > later).toBe(true);
        expect(
          await ledger.updateFires(B, [{ fireId: second, state: 'succeeded', at: later + 2 }]),
        ).toEqual([]);
        const free = await reap(C, (busy.nextRetryAt as number) + 1);
        expect(free.retries?.map((r) => r.fire.fireId)).toEqual([first]);
        // A retry whose job was removed by its user does not run.
        await store.addJob(makeJob('gone', BASE_TIME, { retry: RETRY }));
        const orphan = await committedFireOf(A, 'gone');
        await retried(orphan, BASE_TIME + 2, BASE_TIME + SECOND);
        await store.removeJob('gone');
        expect((await reap(C, later + 10 * SECOND)).retries ?? []).toEqual([]);
        expect((await firesOf('gone'))[0]).toMatchObject({ state: 'cancelled' });
      });
    });

    it('counts a batch once toward maxInstances, and only live batches', async () => {
      const job = makeJob('j', BASE_TIME, { coalesce: false, maxInstances: 3 });
      await store.addJob(job);
      await claim(A, BASE_TIME);
      const batch = fireId();
      const fires = [
        runFire(BASE_TIME, batch),
        runFire(BASE_TIME + 1, batch),
        runFire(BASE_TIME + 2),
      ];
      await commit(
        A,
        [{ jobId: 'j', fence: 1, job: job.withNextRunTime(new Date(BASE_TIME + 3)), fires }],
        BASE_TIME,
      );
      const [counted] = (await claim(B, BASE_TIME + 3)).jobs;
      expect(counted?.liveBatches).toBe(2);
      // One batch finishes, the other's lease expires: neither counts any more.
      await ledger.updateFires(A, [
        { fireId: fires[2]?.fireId as string, state: 'succeeded', at: BASE_TIME + 4 },
      ]);
      const [later] = (await claim(C, BASE_TIME + RUN_LEASE + CLAIM_LEASE + 10)).jobs;
      expect(later?.liveBatches).toBe(0);
    });

    it("releases a node's claims so that peers claim those jobs at once", async () => {
      await store.addJob(makeJob('j', BASE_TIME));
      await claim(A, BASE_TIME);
      await ledger.releaseClaims(A);
      expect((await claim(B, BASE_TIME + 1)).jobs.map((c) => [c.job.id, c.fence])).toEqual([
        ['j', 2],
      ]);
    });

    it('records node check-ins with the store clock and lists them, most recent first', async () => {
      const node = {
        hostname: 'h1',
        pid: 11,
        version: '0.1.0',
        startedAt: BASE_TIME - 5000,
        clockSkewMs: 12,
      };
      await ledger.checkIn({ nodeId: A, ...node }, BASE_TIME);
      await ledger.checkIn({ nodeId: B, ...node, pid: 22 }, BASE_TIME + 1000);
      await ledger.checkIn({ nodeId: A, ...node, clockSkewMs: -3 }, BASE_TIME + 2000);
      expect(await ledger.getNodes()).toEqual([
        { nodeId: A, ...node, clockSkewMs: -3, lastSeen: BASE_TIME + 2000 },
        { nodeId: B, ...node, pid: 22, lastSeen: BASE_TIME + 1000 },
      ]);
    });

    it('reports a claimed row it cannot restore and does not return it', async () => {
      await store.addJob(makeJob('ok', BASE_TIME));
      await store.addJob(
        makeJob('broken', BASE_TIME, { funcRef: 'file:///no/such/module.js:gone' }),
      );
      const claimed = await claim(A, BASE_TIME);
      expect(claimed.jobs.map((c) => c.job.id)).toEqual(['ok']);
      expect(context.failures.map((f) => f.jobId)).toEqual(['broken']);
    });

    it('reads fires newest first in pages that never return a fire twice or skip one, within a time range and by state', async () => {
      // Three jobs; fires share scheduled times across jobs, so that ties are broken by fire id.
      const jobs = ['p1', 'p2', 'p3'];
      for (const id of jobs) await store.addJob(makeJob(id, BASE_TIME));
      const claimed = await claim(A, BASE_TIME);
      const commits: JobCommit[] = claimed.jobs.map((c) => ({
        jobId: c.job.id,
        fence: c.fence,
        job: null,
        fires: Array.from({ length: 7 }, (_, i) => ({
          ...runFire(BASE_TIME - i * SECOND),
          state: i % 3 === 0 ? ('missed' as const) : ('claimed' as const),
        })),
      }));
      const { won } = await commit(A, commits, BASE_TIME);
      expect(won).toHaveLength(21);
      const all = await ledger.getFires({ limit: 1000 });
      const order = (a: FireRecord, b: FireRecord) =>
        b.scheduledTime - a.scheduledTime ||
        (a.fireId < b.fireId ? 1 : a.fireId > b.fireId ? -1 : 0);
      expect(all.map((f) => f.fireId)).toEqual([...all].sort(order).map((f) => f.fireId));

      const paged: FireRecord[] = [];
      let after: { scheduledTime: number; fireId: string } | undefined;
      for (let page = 0; page < 20; page++) {
        const fires = await ledger.getFires({
          limit: 4,
          ...(after === undefined ? {} : { after }),
        });
        paged.push(...fires);
        const last = fires.at(-1);
        if (fires.length < 4 || last === undefined) break;
        after = { scheduledTime: last.scheduledTime, fireId: last.fireId };
      }
      expect(paged.map((f) => f.fireId)).toEqual(all.map((f) => f.fireId));

      const ranged = await ledger.getFires({
        jobId: 'p2',
        from: BASE_TIME - 4 * SECOND,
        to: BASE_TIME - SECOND,
        limit: 1000,
      });
      expect(ranged.map((f) => f.scheduledTime)).toEqual(
        [1, 2, 3, 4].map((i) => BASE_TIME - i * SECOND),
      );
      const missed = await ledger.getFires({
        states: ['missed'],
        to: BASE_TIME - SECOND,
        limit: 1000,
      });
      expect(missed.map((f) => f.scheduledTime)).toEqual(
        [3, 3, 3, 6, 6, 6].map((i) => BASE_TIME - i * SECOND),
      );
      const tail = all[10] as FireRecord;
      const rest = await ledger.getFires({
        after: { scheduledTime: tail.scheduledTime, fireId: tail.fireId },
        limit: 1000,
      });
      expect(rest.map((f) => f.fireId)).toEqual(all.slice(11).map((f) => f.fireId));
    });

    it('tells its own clock', async () => {
      const before = Date.now();
      const now = await ledger.now();
      // The store's clock, not the test's: generous, it only has to be a sane epoch.
      expect(Math.abs(now - before)).toBeLessThan(60_000);
    });
  });
  describeRetentionContract(name, makeStore);
}
