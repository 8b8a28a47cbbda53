/**
 * The SQL ledger writes a commit's jobs and fires, and a batch of fire
 * updates, in a few statements per batch (src/stores/sql/ledger/*-writes.ts).
 * What it must give is what the same writes made one at a time would: a
 * fast-check property compares a batch of fire updates with the same updates
 * one call each; a job committed twice in one call is committed twice in
 * order; a removed job that asks for recovery keeps its state with its run;
 * and a batch larger than one statement holds is written whole.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DateTrigger, SqlJobStore } from '../../src/index.ts';
import type { ClusterLedger, FireOutcome, FireRecord, NewFire } from '../../src/stores/ledger.ts';
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
const OUTCOMES: readonly FireOutcome[] = ['running', 'succeeded', 'failed', 'missed', 'cancelled'];

/** What an update may change of a fire. */
function written(fire: FireRecord | undefined) {
  if (fire === undefined) return undefined;
  const { state, startedAt, finishedAt, errorName, errorMessage } = fire;
  return { state, startedAt, finishedAt, errorName, errorMessage };
}

function describeBatchWrites(backend: SqlBackend): void {
  describe(`SqlJobStore (${backend.name}): ledger batch writes`, () => {
    let database: SqlTestDatabase;
    let store: SqlJobStore;
    let ledger: ClusterLedger;

    async function open(): Promise<void> {
      database = await backend.create();
      store = new SqlJobStore({
        url: database.url,
        tableName: database.tableName,
        sqliteDriver: backend.sqliteDriver,
      });
      await store.start(storeTestContext(), 'default');
      ledger = store.ledger;
    }

    afterEach(async () => {
      await store?.shutdown();
      await database?.cleanup();
    });

    /** Jobs `ids` claimed by `owner` and committed with one run fire each; returns the fire ids. */
    async function runningFires(owner: string, ids: readonly string[]): Promise<string[]> {
      await store.addJobs(ids.map((id) => makeJob(id, BASE_TIME)));
      const claim = await ledger.claimDueJobs({
        owner,
        limit: ids.length,
        leaseMs: MINUTE,
        now: BASE_TIME,
      });
      const commits = claim.jobs.map(({ job, fence }) => ({
        jobId: job.id,
        fence,
        job: null,
        fires: [runFire(BASE_TIME)],
      }));
      const result = await ledger.commitClaims(owner, commits, {
        runLeaseMs: MINUTE,
        now: BASE_TIME,
      });
      expect(result.lost).toEqual([]);
      const byId = new Map(
        commits.map((commit) => [commit.jobId, commit.fires[0]?.fireId as string]),
      );
      return ids.map((id) => byId.get(id) as string);
    }

    it('applies a batch of fire updates as the same updates one call each would', async () => {
      await open();
      const FIRES = 4;
      let run = 0;
      const update = fc.record({
        // FIRES: a fire id no fire has; the last real fire is another owner's.
        fire: fc.integer({ min: 0, max: FIRES }),
        state: fc.constantFrom(...OUTCOMES),
        error: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(update, { minLength: 1, maxLength: 10 }), async (steps) => {
          run += 1;
          const fireIds = async (group: string) => {
            const ids = Array.from({ length: FIRES }, (_, i) => `r${run}-${group}${i}`);
            const mine = await runningFires('a', ids.slice(0, -1));
            const theirs = await runningFires('b', ids.slice(-1));
            return [...mine, ...theirs, `r${run}-${group}-none`];
          };
          const batched = await fireIds('x');
          const single = await fireIds('y');
          const updates = (ids: readonly string[]) =>
            steps.map((step, i) => ({
              fireId: ids[step.fire] as string,
              state: step.state,
              at: BASE_TIME + 1 + i,
              ...(step.error ? { error: { name: 'Error', message: `boom ${i}` } } : {}),
            }));
          const refusedInBatch = await ledger.updateFires('a', updates(batched));
          const refusedOneByOne: string[] = [];
          for (const one of updates(single))
            refusedOneByOne.push(...(await ledger.updateFires('a', [one])));
          const position = (ids: readonly string[]) => (id: string) => ids.indexOf(id);
          expect(refusedInBatch.map(position(batched))).toEqual(
            refusedOneByOne.map(position(single)),
          );
          for (let i = 0; i < FIRES; i++) {
            const [x] = await ledger.getFires({ jobId: `r${run}-x${i}`, limit: 1 });
            const [y] = await ledger.getFires({ jobId: `r${run}-y${i}`, limit: 1 });
            expect(written(x)).toEqual(written(y));
          }
        }),
        { numRuns: backend.dialect === 'sqlite' ? 40 : 15 },
      );
    }, 120_000);

    it('commits a job given twice in one call as two commits one after the other: the second finds its claim released', async () => {
      await open();
      await store.addJobs([makeJob('j', BASE_TIME), makeJob('k', BASE_TIME)]);
      await ledger.claimDueJobs({ owner: 'a', limit: 10, leaseMs: MINUTE, now: BASE_TIME });
      const next = (id: string, minutes: number) => makeJob(id, BASE_TIME + minutes * MINUTE);
      const [first, second, stale, current] = [1, 2, 3, 4].map((i) => runFire(BASE_TIME + i)) as [
        NewFire,
        NewFire,
        NewFire,
        NewFire,
      ];
      const result = await ledger.commitClaims(
        'a',
        [
          { jobId: 'j', fence: 1, job: next('j', 1), fires: [first] },
          { jobId: 'k', fence: 0, job: next('k', 1), fires: [stale] },
          { jobId: 'j', fence: 1, job: next('j', 2), fires: [second] },
          { jobId: 'k', fence: 1, job: next('k', 2), fires: [current] },
        ],
        { runLeaseMs: MINUTE, now: BASE_TIME },
      );
      expect(result).toEqual({ lost: ['k', 'j'], won: [first.fireId, current.fireId] });
      expect((await store.lookupJob('j'))?.nextRunTime?.getTime()).toBe(BASE_TIME + MINUTE);
      expect((await store.lookupJob('k'))?.nextRunTime?.getTime()).toBe(BASE_TIME + 2 * MINUTE);
    });

    it('keeps the claimed state of a removed job that asks for recovery with its run, so that the reaper runs it again', async () => {
      await open();
      const once = (id: string, recover: boolean) =>
        makeJob(id, BASE_TIME, {
          recover,
          trigger: new DateTrigger({ runDate: new Date(BASE_TIME), timezone: 'UTC' }),
        });
      await store.addJobs([once('kept', true), once('dropped', false)]);
      const claim = await ledger.claimDueJobs({
        owner: 'a',
        limit: 10,
        leaseMs: MINUTE,
        now: BASE_TIME,
      });
      const result = await ledger.commitClaims(
        'a',
        claim.jobs.map(({ job, fence }) => ({
          jobId: job.id,
          fence,
          job: null,
          fires: [runFire(BASE_TIME)],
        })),
        { runLeaseMs: MINUTE, now: BASE_TIME },
      );
      expect(result.won).toHaveLength(2);
      expect(await store.getAllJobs()).toEqual([]);
      const reaped = await ledger.reapExpiredFires('c', {
        limit: 10,
        runLeaseMs: MINUTE,
        now: BASE_TIME + MINUTE + 1,
      });
      expect(reaped.recovered.map((r) => [r.job.id, r.job.recover])).toEqual([['kept', true]]);
      expect(reaped.abandoned.map((fire) => fire.jobId)).toEqual(['dropped']);
    });

    it('commits 1,100 jobs, half of them removed, and updates their 1,100 fires twice, in one call each', async () => {
      await open();
      const ids = Array.from({ length: 1100 }, (_, i) => `job-${String(i).padStart(4, '0')}`);
      await store.addJobs(ids.map((id) => makeJob(id, BASE_TIME)));
      const claim = await ledger.claimDueJobs({
        owner: 'a',
        limit: 2000,
        leaseMs: MINUTE,
        now: BASE_TIME,
      });
      expect(claim.jobs).toHaveLength(1100);
      const commits = claim.jobs.map(({ job, fence }, i) => ({
        jobId: job.id,
        fence,
        job: i % 2 === 0 ? null : job.withNextRunTime(new Date(BASE_TIME + MINUTE)),
        fires: [runFire(BASE_TIME)],
      }));
      const result = await ledger.commitClaims('a', commits, {
        runLeaseMs: MINUTE,
        now: BASE_TIME,
      });
      expect(result.lost).toEqual([]);
      expect(result.won).toEqual(commits.map((commit) => commit.fires[0]?.fireId));
      expect(await store.getAllJobs()).toHaveLength(550);
      const updates = result.won.flatMap((fireId, i) => [
        { fireId, state: 'running' as const, at: BASE_TIME + i },
        { fireId, state: 'succeeded' as const, at: BASE_TIME + 5000 + i },
      ]);
      expect(await ledger.updateFires('a', updates)).toEqual([]);
      const fires = await ledger.getFires({ states: ['succeeded'], limit: 2000 });
      expect(fires).toHaveLength(1100);
      const last = fires.find((fire) => fire.fireId === result.won[1099]);
      expect(last).toMatchObject({ startedAt: BASE_TIME + 1099, finishedAt: BASE_TIME + 6099 });
    }, 60_000);
  });
}

if (BETTER_SQLITE3_SAFE) describeBatchWrites(sqliteBackend);
else describeBatchWrites(nodeSqliteBackend);
await describeWhenReachable(postgresBackend, POSTGRES_URL, () =>
  describeBatchWrites(postgresBackend),
);
await describeWhenReachable(mysqlBackend, MYSQL_URL, () => describeBatchWrites(mysqlBackend));
