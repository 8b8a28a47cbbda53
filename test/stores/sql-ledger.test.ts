/**
 * What the SQL job store's cluster ledger must do beyond the ledger contract,
 * on every database here: claimers on connections of their own never hold
 * one job at once, whatever the interleaving (a fast-check property against
 * a model of the leases); a user's batch write voids a claim in flight; a
 * fire id that repeats fails the commit loudly instead of being taken for a
 * lost slot (MySQL has no `on conflict do nothing`, and INSERT IGNORE would
 * hide it); and the lease worker's connection renews leases, opened directly
 * and from a real worker thread.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlJobStore } from '../../src/index.ts';
import { LeaseWorkerClient } from '../../src/scheduler/cluster/lease-keeper.ts';
import type { ClusterLedger, LeaseConnection } from '../../src/stores/ledger.ts';
import {
  type LeaseRenewerOptions,
  openLeaseRenewer,
} from '../../src/stores/sql/ledger/lease-renewer.ts';
import {
  BETTER_SQLITE3_SAFE,
  describeWhenReachable,
  MYSQL_URL,
  mysqlBackend,
  nodeSqliteBackend,
  POSTGRES_URL,
  postgresBackend,
  type SqlBackend,
  type SqlTestDatabase,
  sqliteBackend,
} from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { runFire } from './ledger-contract.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

const MINUTE = 60_000;

function ledgerOf(store: SqlJobStore): ClusterLedger {
  return store.ledger;
}

function describeLedgerExtras(backend: SqlBackend): void {
  describe(`SqlJobStore (${backend.name}): cluster ledger beyond the contract`, () => {
    let database: SqlTestDatabase;
    const stores: SqlJobStore[] = [];

    async function openStore(): Promise<SqlJobStore> {
      const store = new SqlJobStore({
        url: database.url,
        tableName: database.tableName,
        sqliteDriver: backend.sqliteDriver,
      });
      await store.start(storeTestContext(), 'default');
      stores.push(store);
      return store;
    }

    afterEach(async () => {
      for (const store of stores.splice(0)) await store.shutdown();
      await database?.cleanup();
    });

    it('never lets two claimers hold one job at once, whatever the interleaving of claims, commits, user writes and time', async () => {
      database = await backend.create();
      const claimers = [await openStore(), await openStore(), await openStore()];
      const [first] = claimers as [SqlJobStore];
      const JOBS = 6;
      let run = 0;
      const LEASE = 10_000;
      const step = fc.oneof(
        fc.record({
          kind: fc.constant('claim' as const),
          who: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
          limit: fc.integer({ min: 1, max: 4 }),
        }),
        fc.record({ kind: fc.constant('commit' as const), who: fc.integer({ min: 0, max: 2 }) }),
        fc.record({
          kind: fc.constant('write' as const),
          job: fc.integer({ min: 0, max: JOBS - 1 }),
        }),
        fc.record({
          kind: fc.constant('tick' as const),
          ms: fc.integer({ min: 0, max: 2 * LEASE }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 14 }), async (steps) => {
          // Fresh ids each run: the fires of earlier runs stay in the ledger.
          run += 1;
          const ids = Array.from({ length: JOBS }, (_, j) => `r${run}-j${j}`);
          await first.removeAllJobs();
          for (const id of ids) await first.addJob(makeJob(id, BASE_TIME));
          let now = BASE_TIME;
          /** The model: who holds each job's claim, until when, with which fence. */
          const held = new Map<string, { owner: number; until: number; fence: number }>();
          const fences = new Map<string, number>();
          for (const action of steps) {
            if (action.kind === 'tick') now += action.ms;
            else if (action.kind === 'write') {
              const id = ids[action.job] as string;
              const job = await first.lookupJob(id);
              if (job !== null) {
                await first.updateJobs([job]);
                held.delete(id);
              }
            } else if (action.kind === 'claim') {
              const at = now;
              const claims = await Promise.all(
                action.who.map((who) =>
                  ledgerOf(claimers[who] as SqlJobStore).claimDueJobs({
                    owner: `n${who}`,
                    limit: action.limit,
                    leaseMs: LEASE,
                    now: at,
                  }),
                ),
              );
              const seen = new Set<string>();
              claims.forEach((claim, i) => {
                const who = action.who[i] as number;
                for (const { job, fence } of claim.jobs) {
                  expect(seen.has(job.id), `${job.id} claimed twice at once`).toBe(false);
                  seen.add(job.id);
                  const holder = held.get(job.id);
                  if (holder !== undefined)
                    expect(
                      holder.until,
                      `${job.id} claimed while n${holder.owner} held it`,
                    ).toBeLessThan(at);
                  expect(fence).toBeGreaterThan(fences.get(job.id) ?? 0);
                  fences.set(job.id, fence);
                  held.set(job.id, { owner: who, until: at + LEASE, fence });
                }
              });
            } else {
              const who = action.who;
              const mine = [...held.entries()].filter(([, h]) => h.owner === who);
              if (mine.length === 0) continue;
              const commits = [];
              for (const [id, h] of mine) {
                const job = await first.lookupJob(id);
                if (job === null) continue;
                commits.push({
                  jobId: id,
                  fence: h.fence,
                  job: job.withNextRunTime(new Date(BASE_TIME + (h.fence + 1) * MINUTE)),
                  fires: [runFire(BASE_TIME + h.fence * MINUTE)],
                });
              }
              const result = await ledgerOf(claimers[who] as SqlJobStore).commitClaims(
                `n${who}`,
                commits,
                { runLeaseMs: LEASE, now },
              );
              for (const commit of commits) {
                // Nobody else claimed it since (the model says so): the commit wins, even past its lease.
                expect(result.lost).not.toContain(commit.jobId);
                held.delete(commit.jobId);
              }
              expect(result.won).toHaveLength(commits.length);
            }
          }
          // Every fire is one row per (job, scheduled time); fences never went back.
          const fires = await ledgerOf(first).getFires({ limit: 1000 });
          const slots = fires.map((f) => `${f.jobId}@${f.scheduledTime}`);
          expect(new Set(slots).size).toBe(slots.length);
          await first.removeAllJobs();
        }),
        { numRuns: backend.dialect === 'sqlite' ? 25 : 10 },
      );
    }, 120_000);

    it('a batch write by the user (updateJobs) between a claim and its commit wins', async () => {
      database = await backend.create();
      const store = await openStore();
      const job = makeJob('j', BASE_TIME);
      await store.addJobs([job, makeJob('k', BASE_TIME)]);
      const claim = await store.ledger.claimDueJobs({
        owner: 'a',
        limit: 10,
        leaseMs: MINUTE,
        now: BASE_TIME,
      });
      expect(claim.jobs.map((c) => c.job.id)).toEqual(['j', 'k']);
      expect(await store.updateJobs([job.withNextRunTime(null)])).toEqual([]);
      const result = await store.ledger.commitClaims(
        'a',
        claim.jobs.map((c) => ({
          jobId: c.job.id,
          fence: c.fence,
          job: c.job.withNextRunTime(new Date(BASE_TIME + MINUTE)),
          fires: [runFire(BASE_TIME)],
        })),
        { runLeaseMs: MINUTE, now: BASE_TIME },
      );
      expect(result.lost).toEqual(['j']);
      expect(result.won).toHaveLength(1);
      expect((await store.lookupJob('j'))?.nextRunTime).toBeNull();
      // The user's write released the claim: any node may claim the job as changed at once.
      await store.updateJob(job);
      const again = await store.ledger.claimDueJobs({
        owner: 'b',
        limit: 10,
        leaseMs: MINUTE,
        now: BASE_TIME + 1,
      });
      expect(again.jobs.map((c) => [c.job.id, c.fence])).toEqual([['j', 4]]);
    });

    it('a fire id that repeats fails the commit, which then writes nothing; a taken slot only loses its fire', async () => {
      database = await backend.create();
      const store = await openStore();
      const ledger = store.ledger;
      await store.addJobs([makeJob('a', BASE_TIME), makeJob('b', BASE_TIME)]);
      await ledger.claimDueJobs({ owner: 'n', limit: 10, leaseMs: MINUTE, now: BASE_TIME });
      const fire = runFire(BASE_TIME);
      const advanced = makeJob('a', BASE_TIME + MINUTE);
      expect(
        await ledger.commitClaims(
          'n',
          [{ jobId: 'a', fence: 1, job: makeJob('a', BASE_TIME), fires: [fire] }],
          { runLeaseMs: MINUTE, now: BASE_TIME },
        ),
      ).toEqual({ lost: [], won: [fire.fireId] });
      await ledger.claimDueJobs({ owner: 'n', limit: 10, leaseMs: MINUTE, now: BASE_TIME + 1 });
      // The same fire id for another slot: not a lost slot, an error, and nothing of the commit stays.
      const reused = { ...runFire(BASE_TIME + MINUTE), fireId: fire.fireId };
      await expect(
        ledger.commitClaims(
          'n',
          [
            {
              jobId: 'b',
              fence: 1,
              job: makeJob('b', BASE_TIME + MINUTE),
              fires: [runFire(BASE_TIME)],
            },
            { jobId: 'a', fence: 2, job: advanced, fires: [reused] },
          ],
          { runLeaseMs: MINUTE, now: BASE_TIME + 2 },
        ),
      ).rejects.toThrow();
      expect((await store.lookupJob('b'))?.nextRunTime?.getTime()).toBe(BASE_TIME);
      expect((await ledger.getFires({ jobId: 'b', limit: 10 })).length).toBe(0);
      // The slot a fire already holds: the commit goes through, that fire alone loses.
      const taken = runFire(BASE_TIME);
      const fresh = runFire(BASE_TIME + MINUTE);
      expect(
        await ledger.commitClaims(
          'n',
          [{ jobId: 'a', fence: 2, job: advanced, fires: [taken, fresh] }],
          { runLeaseMs: MINUTE, now: BASE_TIME + 3 },
        ),
      ).toEqual({ lost: [], won: [fresh.fireId] });
    });

    it('renews leases through the lease connection: opened directly, and from a worker thread', async () => {
      database = await backend.create();
      const store = await openStore();
      const ledger = store.ledger;
      await store.addJob(makeJob('j', Date.now() - 1000));
      const [claimed] = (await ledger.claimDueJobs({ owner: 'w', limit: 1, leaseMs: MINUTE })).jobs;
      const fire = runFire(Date.now() - 1000);
      await ledger.commitClaims(
        'w',
        [{ jobId: 'j', fence: claimed?.fence as number, job: null, fires: [fire] }],
        { runLeaseMs: 5000 },
      );
      const connection = ledger.leaseConnection?.() as LeaseConnection;
      expect(connection).toMatchObject({ export: 'openLeaseRenewer' });
      expect(structuredClone(connection)).toEqual(connection);
      const renewer = await openLeaseRenewer(connection.options as LeaseRenewerOptions);
      try {
        expect(await renewer.renewFireLeases('w', MINUTE)).toEqual([fire.fireId]);
        expect(await renewer.renewFireLeases('other', MINUTE)).toEqual([]);
      } finally {
        await renewer.close();
      }
      const [record] = await ledger.getFires({ jobId: 'j', limit: 1 });
      expect(record?.leaseUntil).toBeGreaterThan(Date.now() + MINUTE - 10_000);
      const renewed: string[][] = [];
      const failures: string[] = [];
      const worker = await LeaseWorkerClient.open(connection, 'w', 300, {
        renewed: (_, ids) => renewed.push([...ids]),
        failed: (message) => failures.push(message),
      });
      try {
        worker.beat(true, Date.now() + 10_000);
        const until = Date.now() + 10_000;
        while (renewed.length === 0 && failures.length === 0 && Date.now() < until)
          await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        await worker.close();
      }
      expect(failures).toEqual([]);
      expect(renewed[0]).toEqual([fire.fireId]);
    }, 30_000);

    it('has no lease connection for an in-memory SQLite database or an application Kysely instance', async () => {
      database = await backend.create();
      if (backend.dialect === 'sqlite') {
        const memory = new SqlJobStore({
          url: 'sqlite::memory:',
          sqliteDriver: backend.sqliteDriver,
        });
        await memory.start(storeTestContext(), 'default');
        stores.push(memory);
        expect(memory.ledger.leaseConnection?.()).toBeUndefined();
      }
      const given = new SqlJobStore({ db: database.db, tableName: database.tableName });
      await given.start(storeTestContext(), 'default');
      stores.push(given);
      expect(given.ledger.leaseConnection?.()).toBeUndefined();
      expect((await openStore()).ledger.leaseConnection?.()).toBeDefined();
    });
  });
}

if (BETTER_SQLITE3_SAFE) describeLedgerExtras(sqliteBackend);
else describeLedgerExtras(nodeSqliteBackend);
await describeWhenReachable(postgresBackend, POSTGRES_URL, () =>
  describeLedgerExtras(postgresBackend),
);
await describeWhenReachable(mysqlBackend, MYSQL_URL, () => describeLedgerExtras(mysqlBackend));
