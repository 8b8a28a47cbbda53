/**
 * The retention purge of the cluster ledger (`purgeFires`, `PurgeOptions` in
 * src/stores/ledger.ts), run against every persistent store with an injected
 * clock: the cut-offs are given, so the answers are exact. What it pins down:
 * the newest `keepPerJob` fires of each job stay whatever their age; older
 * succeeded and other final fires go by their own cut-off; live fires never
 * go; a job's `history` kept with its fires ('failures', 'off') removes them
 * at the next purge; each call looks at a bounded number of fires and a pass
 * of several calls drains; reads and paging agree with what is left.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import type { FireHistory } from '../../src/index.ts';
import {
  type ClusterLedger,
  type FireOutcome,
  type FirePosition,
  type FireRecord,
  PURGE_START,
  type PurgeOptions,
} from '../../src/stores/ledger.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { runFire } from './ledger-contract.ts';
import { BASE_TIME, makeJob, type StoreUnderTest } from './store-contract.ts';

const NODE = 'node-a';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Cut-offs after every fire of a test: age alone lets any final fire go. */
const LATE = BASE_TIME + 1000 * DAY;

/** One fire of a seeded job: its scheduled time and how it ended (or that it is still live). */
interface SeedFire {
  readonly at: number;
  readonly state: FireOutcome | 'claimed';
  /** When it ended (default: a second after its scheduled time). */
  readonly endedAt?: number;
}

export function describeRetentionContract(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
): void {
  describe(`${name}: fire retention`, () => {
    let store: JobStore;
    let ledger: ClusterLedger;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      cleanup = made.cleanup;
      await store.start(storeTestContext(), 'default');
      if (store.ledger === undefined) throw new Error('this store has no cluster ledger');
      ledger = store.ledger;
    });

    afterEach(async () => {
      await store.shutdown();
      await cleanup();
    });

    const purge = (options: Omit<PurgeOptions, 'after'>, after?: FirePosition) =>
      ledger.purgeFires({ ...options, ...(after === undefined ? {} : { after }) });

    /** A whole pass: calls until `next` is null; the removed count and the number of calls. */
    const pass = async (options: Omit<PurgeOptions, 'after'>) => {
      let removed = 0;
      let calls = 0;
      let after: FirePosition | undefined;
      for (;;) {
        calls++;
        const result = await purge(options, after);
        removed += result.removed;
        if (result.next === null) return { removed, calls };
        after = result.next;
        if (calls > 10_000) throw new Error('the purge pass never ends');
      }
    };

    /** Adds job `jobId` and commits `fires` for it (with the job's `history`), then ends each as given. */
    async function seed(
      jobId: string,
      fires: readonly SeedFire[],
      history?: FireHistory,
    ): Promise<string[]> {
      await store.addJob(makeJob(jobId, BASE_TIME));
      const claim = await ledger.claimDueJobs({
        owner: NODE,
        limit: 1,
        leaseMs: 30_000,
        now: BASE_TIME,
      });
      const [claimed] = claim.jobs;
      if (claimed === undefined) throw new Error(`job ${jobId} was not claimed`);
      const planned = fires.map((fire) => runFire(fire.at));
      const result = await ledger.commitClaims(
        NODE,
        [
          {
            jobId,
            fence: claimed.fence,
            job: null,
            fires: planned,
            ...(history === undefined ? {} : { history }),
          },
        ],
        { runLeaseMs: 30_000, now: BASE_TIME },
      );
      expect(result.won).toHaveLength(fires.length);
      const updates = fires.flatMap((fire, i) =>
        fire.state === 'claimed'
          ? []
          : [
              {
                fireId: planned[i]?.fireId as string,
                state: fire.state,
                at: fire.endedAt ?? fire.at + 1000,
                ...(fire.state === 'failed' ? { error: { name: 'Error', message: 'no' } } : {}),
              },
            ],
      );
      if (updates.length > 0) expect(await ledger.updateFires(NODE, updates)).toEqual([]);
      return planned.map((fire) => fire.fireId);
    }

    const timesOf = async (jobId: string): Promise<number[]> =>
      (await ledger.getFires({ jobId, limit: 10_000 })).map((fire) => fire.scheduledTime);
    const hours = (...offsets: number[]) => offsets.map((h) => BASE_TIME - h * HOUR);
    const hoursAgo = (...fires: [number, SeedFire['state']][]): SeedFire[] =>
      fires.map(([h, state]) => ({ at: BASE_TIME - h * HOUR, state }));

    it('keeps the newest keepPerJob fires of each job whatever their age, and never a live fire', async () => {
      // Oldest first: 30 succeeded fires, the newest an hour ago.
      const thirty = Array.from({ length: 30 }, (_, i) => 30 - i);
      await seed(
        'many',
        thirty.map((h) => ({ at: BASE_TIME - h * HOUR, state: 'succeeded' as const })),
      );
      await seed('few', [
        { at: BASE_TIME - 50 * DAY, state: 'failed' },
        { at: BASE_TIME - 40 * DAY, state: 'succeeded' },
      ]);
      // A fire still running, far older than any cut-off, behind newer finished ones.
      await seed('live', [
        { at: BASE_TIME - 90 * DAY, state: 'claimed' },
        { at: BASE_TIME - 2 * HOUR, state: 'missed' },
        { at: BASE_TIME - HOUR, state: 'succeeded' },
      ]);
      const result = await pass({
        succeededBefore: LATE,
        otherBefore: LATE,
        keepPerJob: 5,
        limit: 1000,
      });
      expect(result.removed).toBe(25);
      expect(await timesOf('many')).toEqual(hours(1, 2, 3, 4, 5));
      // The oldest fire kept is what explain tells a purged record by.
      expect((await ledger.oldestFire?.('many'))?.scheduledTime).toBe(BASE_TIME - 5 * HOUR);
      expect(await ledger.oldestFire?.('none')).toBeUndefined();
      expect(await timesOf('few')).toEqual([BASE_TIME - 40 * DAY, BASE_TIME - 50 * DAY]);
      expect(await timesOf('live')).toEqual([
        BASE_TIME - HOUR,
        BASE_TIME - 2 * HOUR,
        BASE_TIME - 90 * DAY,
      ]);
      // keepPerJob 0: rank keeps nothing, a live fire still stays.
      await pass({ succeededBefore: LATE, otherBefore: LATE, keepPerJob: 0, limit: 1000 });
      expect(await timesOf('many')).toEqual([]);
      expect(await timesOf('live')).toEqual([BASE_TIME - 90 * DAY]);
    });

    it('removes succeeded fires past succeededBefore and other final fires past otherBefore, by when they ended', async () => {
      await seed('j', [
        { at: BASE_TIME - 40 * DAY, state: 'failed' },
        { at: BASE_TIME - 20 * DAY, state: 'failed' },
        { at: BASE_TIME - 10 * DAY, state: 'succeeded' },
        // Scheduled long ago, ended just now (a long run): its end counts.
        { at: BASE_TIME - 9 * DAY, state: 'succeeded', endedAt: BASE_TIME - HOUR },
        { at: BASE_TIME - 8 * DAY, state: 'timed_out' },
        { at: BASE_TIME - 3 * DAY, state: 'succeeded' },
        { at: BASE_TIME - 2 * DAY, state: 'cancelled' },
      ]);
      const result = await pass({
        succeededBefore: BASE_TIME - 7 * DAY,
        otherBefore: BASE_TIME - 30 * DAY,
        keepPerJob: 0,
        limit: 1000,
      });
      expect(result.removed).toBe(2);
      expect(await timesOf('j')).toEqual([2, 3, 8, 9, 20].map((days) => BASE_TIME - days * DAY));
    });

    it("honours each job's history: 'failures' loses its succeeded fires and 'off' every finished one at the next purge", async () => {
      await seed(
        'failures',
        hoursAgo([3, 'failed'], [2, 'succeeded'], [1, 'succeeded']),
        'failures',
      );
      await seed('off', hoursAgo([3, 'missed'], [2, 'succeeded'], [1, 'claimed']), 'off');
      await seed('all', hoursAgo([2, 'failed'], [1, 'succeeded']), 'all');
      // Cut-offs before every fire, the default rank: only the jobs' own history removes.
      const result = await pass({
        succeededBefore: BASE_TIME - 100 * DAY,
        otherBefore: BASE_TIME - 100 * DAY,
        keepPerJob: 20,
        limit: 1000,
      });
      expect(result.removed).toBe(4);
      expect(await timesOf('failures')).toEqual(hours(3));
      expect(await timesOf('off')).toEqual(hours(1));
      expect(await timesOf('all')).toEqual(hours(1, 2));
    });

    it('works in bounded batches: each call looks at `limit` fires at most, and a pass of several calls drains', async () => {
      await seed(
        'old',
        Array.from({ length: 25 }, (_, i) => ({
          at: BASE_TIME - (40 - i) * DAY,
          state: 'succeeded' as const,
        })),
      );
      await seed(
        'off',
        Array.from({ length: 12 }, (_, i) => ({
          at: BASE_TIME - (i + 1) * HOUR,
          state: 'failed' as const,
        })),
        'off',
      );
      const options = {
        succeededBefore: BASE_TIME - DAY,
        otherBefore: BASE_TIME - DAY,
        keepPerJob: 2,
        limit: 10,
      };
      // The first call: the 'off' job's fires first, 10 of 12, and the pass goes on.
      const first = await purge(options);
      expect(first.removed).toBe(10);
      expect(first.next).not.toBeNull();
      expect(await ledger.getFires({ limit: 10_000 })).toHaveLength(37 - 10);
      let removed = first.removed;
      let calls = 1;
      let after = first.next ?? PURGE_START;
      for (;;) {
        const result = await purge(options, after);
        calls++;
        expect(result.removed).toBeLessThanOrEqual(10);
        removed += result.removed;
        if (result.next === null) break;
        after = result.next;
      }
      expect(removed).toBe(12 + 23);
      expect(calls).toBeGreaterThanOrEqual(4);
      expect(await timesOf('old')).toEqual([BASE_TIME - 16 * DAY, BASE_TIME - 17 * DAY]);
      expect(await timesOf('off')).toEqual([]);
      // Nothing left to remove: a new pass removes nothing.
      expect((await pass(options)).removed).toBe(0);
    });

    it('leaves reads and paging consistent: every page agrees with the fires left, by job, by state and by time', async () => {
      for (const job of ['p1', 'p2', 'p3']) {
        await seed(
          job,
          Array.from({ length: 8 }, (_, i) => ({
            at: BASE_TIME - (8 - i) * HOUR,
            state: i % 2 === 0 ? ('failed' as const) : ('succeeded' as const),
          })),
          job === 'p3' ? 'failures' : undefined,
        );
      }
      await pass({
        succeededBefore: BASE_TIME - 5 * HOUR,
        otherBefore: BASE_TIME - 7 * HOUR,
        keepPerJob: 3,
        limit: 4,
      });
      const all = await ledger.getFires({ limit: 10_000 });
      const paged: FireRecord[] = [];
      let after: FirePosition | undefined;
      for (let page = 0; page < 50; page++) {
        const fires = await ledger.getFires({
          limit: 3,
          ...(after === undefined ? {} : { after }),
        });
        paged.push(...fires);
        const last = fires.at(-1);
        if (fires.length < 3 || last === undefined) break;
        after = { scheduledTime: last.scheduledTime, fireId: last.fireId };
      }
      expect(paged.map((fire) => fire.fireId)).toEqual(all.map((fire) => fire.fireId));
      // Failed at hours 8, 6, 4, 2; succeeded at 7, 5, 3, 1. p1 and p2 keep their newest 3
      // (hours 1–3) and what is not past its cut-off (4, 5, 6): hour 7 (succeeded, ended before
      // succeededBefore) and hour 8 (failed, ended before otherBefore) are gone.
      const expected = hours(1, 2, 3, 4, 5, 6);
      expect(await timesOf('p1')).toEqual(expected);
      expect(await timesOf('p2')).toEqual(expected);
      // p3 keeps failures only: its newest 3 are then hours 2, 4, 6; hour 8 is past otherBefore.
      expect(await timesOf('p3')).toEqual(hours(2, 4, 6));
      const failed = await ledger.getFires({ states: ['failed'], limit: 10_000 });
      expect(failed.map((fire) => fire.fireId)).toEqual(
        all.filter((fire) => fire.state === 'failed').map((fire) => fire.fireId),
      );
      const ranged = await ledger.getFires({
        from: BASE_TIME - 4 * HOUR,
        to: BASE_TIME - 2 * HOUR,
        limit: 10_000,
      });
      expect(ranged.map((fire) => fire.fireId)).toEqual(
        all
          .filter(
            (f) =>
              f.scheduledTime >= BASE_TIME - 4 * HOUR && f.scheduledTime <= BASE_TIME - 2 * HOUR,
          )
          .map((fire) => fire.fireId),
      );
    });
  });
}
