/**
 * getFires and explain on real schedulers and real stores: fires a scheduler
 * ran are read back page by page, never twice, and explained from the ledger;
 * bad arguments are typed errors naming the argument. Retention: two
 * schedulers share one store, only the live one with the smallest node id
 * purges, and what is left keeps the newest fires of each job, no ended fire
 * of a job whose history is 'off', and every live one; cut-offs of zero days
 * stand in for a clock moved on.
 */
import { afterEach, expect, it } from 'vitest';
import {
  AsyncScheduler,
  type FireRecord,
  HistoryQueryError,
  MemoryJobStore,
  NoFireHistoryError,
  SchedulerNotRunningError,
} from '../../../src/index.ts';
import {
  type DurableBackend,
  describeBackend,
  durableBackends,
  openStore,
  reachability,
  until,
} from '../../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../../helpers/sql-backends.ts';

const backends: DurableBackend[] = [
  BETTER_SQLITE3_SAFE ? durableBackends.SQLite : durableBackends['SQLite (node:sqlite)'],
  durableBackends.PostgreSQL,
  durableBackends.Redis,
];
const reasons = await reachability(backends);

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

for (const backend of backends) {
  describeBackend(`fire history on ${backend.name}`, backend, reasons.get(backend.name), () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function started(): Promise<AsyncScheduler> {
      const target = await backend.create();
      cleanups.push(() => target.cleanup());
      const scheduler = new AsyncScheduler({
        jobstores: { default: openStore(target) },
        logger: quiet,
        timezone: 'UTC',
      });
      await scheduler.start();
      cleanups.push(() => scheduler.shutdown({ wait: false }));
      return scheduler;
    }

    it('pages through the fires it ran, newest first, never returning one twice, and explains them', async () => {
      const scheduler = await started();
      const startDate = new Date(Math.ceil((Date.now() + 300) / 1000) * 1000);
      scheduler.registerTask('history.tick', () => {});
      scheduler.registerTask('history.broken', () => {
        throw new TypeError('bad input');
      });
      await scheduler.addJob('history.tick', 'interval', { id: 'tick', seconds: 0.1, startDate });
      await scheduler.addJob('history.broken', 'interval', {
        id: 'broken',
        seconds: 0.25,
        startDate,
      });
      // Generous: enough fires to span several pages, however loaded the machine.
      await until(
        'twelve runs of tick',
        async () =>
          (await scheduler.getFires({ jobId: 'tick', states: ['succeeded'], limit: 12 })).fires
            .length >= 12,
        20_000,
      );
      await until(
        'two failed runs of broken',
        async () =>
          (await scheduler.getFires({ jobId: 'broken', states: ['failed'] })).fires.length >= 2,
        20_000,
      );
      await scheduler.pauseJob('tick');
      await scheduler.pauseJob('broken');

      const all = (await scheduler.getFires({ limit: 1000 })).fires;
      const paged: FireRecord[] = [];
      let cursor: string | null = null;
      do {
        const page = await scheduler.getFires({ limit: 5, cursor });
        expect(page.fires.length).toBeLessThanOrEqual(5);
        paged.push(...page.fires);
        cursor = page.cursor;
      } while (cursor !== null);
      expect(paged.map((f) => f.fireId)).toEqual(all.map((f) => f.fireId));
      expect(new Set(paged.map((f) => f.fireId)).size).toBe(paged.length);
      for (let i = 1; i < all.length; i++)
        expect((all[i - 1] as FireRecord).scheduledTime).toBeGreaterThanOrEqual(
          (all[i] as FireRecord).scheduledTime,
        );

      const ran = (await scheduler.getFires({ jobId: 'tick', states: ['succeeded'], limit: 1 }))
        .fires[0] as FireRecord;
      const ranAnswer = await scheduler.explain('tick', new Date(ran.scheduledTime));
      expect(ranAnswer.verdict).toBe('ran');
      expect(ranAnswer.fire?.fireId).toBe(ran.fireId);
      expect(ranAnswer.evidence.join(' ')).toContain(`fencing token ${ran.fence}`);

      const failed = (await scheduler.getFires({ jobId: 'broken', states: ['failed'], limit: 1 }))
        .fires[0] as FireRecord;
      const failedAnswer = await scheduler.explain('broken', failed.scheduledTime);
      expect(failedAnswer.verdict).toBe('failed');
      expect(failedAnswer.evidence.join(' ')).toContain('TypeError: bad input');

      const between = await scheduler.explain('broken', failed.scheduledTime + 100);
      expect(between.verdict).toBe('not_a_slot');
      expect(between.slot).toEqual(new Date(failed.scheduledTime));

      // A minute before it was added: the change log says when it was.
      const before = await scheduler.explain('tick', startDate.getTime() - 60_000);
      expect(before.verdict).toBe('before_added');
      expect(before.slot).toEqual(startDate);

      // Paused since: a fire time after the pause was not run because of it.
      const paused = await scheduler.explain('tick', ran.scheduledTime + 60_000);
      expect(paused.verdict).toBe('paused');
      expect(paused.evidence.join(' ')).toContain('is still paused');

      const ghost = await scheduler.explain('ghost', new Date());
      expect(ghost.verdict).toBe('unknown');
    });

    it('names the argument it cannot use', async () => {
      const scheduler = await started();
      await expect(scheduler.getFires({ limit: 0 })).rejects.toThrow(HistoryQueryError);
      await expect(scheduler.getFires({ limit: 5000 })).rejects.toThrow(
        /limit: 5000 is not a whole number from 1 to 1,000/,
      );
      await expect(scheduler.getFires({ cursor: 'not-a-cursor' })).rejects.toThrow(
        /cursor: .* is not a cursor getFires returned/,
      );
      await expect(scheduler.getFires({ states: ['done' as 'failed'] })).rejects.toThrow(
        /states: "done" is not a fire state/,
      );
      await expect(scheduler.getFires({ from: 'yesterday' })).rejects.toThrow(/from: /);
      await expect(scheduler.explain('', new Date())).rejects.toThrow(HistoryQueryError);
      await expect(scheduler.getFires({ jobstore: 'other' })).rejects.toThrow(
        /No such job store: "other"/,
      );
    });

    it('is purged by one of two schedulers, which keeps the newest fires of each job and drops the ended fires of a job without history', async () => {
      const target = await backend.create();
      cleanups.push(() => target.cleanup());
      const schedulers = ['node-b', 'node-a'].map(
        (nodeId) =>
          new AsyncScheduler({
            jobstores: { default: openStore(target) },
            logger: quiet,
            timezone: 'UTC',
            cluster: { nodeId },
            history: { succeededDays: 0, otherDays: 0, keepPerJob: 3 },
          }),
      );
      for (const scheduler of schedulers) {
        scheduler.registerTask('retention.tick', () => {});
        await scheduler.start();
        cleanups.push(() => scheduler.shutdown({ wait: false }));
      }
      const [b, a] = schedulers as [AsyncScheduler, AsyncScheduler];
      const startDate = new Date(Math.ceil((Date.now() + 300) / 1000) * 1000);
      await a.addJob('retention.tick', 'interval', { id: 'kept', seconds: 0.1, startDate });
      await a.addJob('retention.tick', 'interval', {
        id: 'quiet',
        seconds: 0.1,
        startDate,
        history: 'off',
      });
      const ended = async (jobId: string) =>
        (await a.getFires({ jobId, states: ['succeeded'], limit: 1000 })).fires.length;
      await until(
        'eight runs of each job',
        async () => (await ended('kept')) >= 8 && (await ended('quiet')) >= 8,
        20_000,
      );
      await a.pauseJob('kept');
      await a.pauseJob('quiet');
      await until(
        'every run to end',
        async () =>
          (await a.getFires({ states: ['claimed', 'running'], limit: 10 })).fires.length === 0,
        10_000,
      );

      // node-a is the live node with the smallest id: it purges, node-b leaves it be.
      expect(await b.purgeHistory()).toBeNull();
      const removed = await a.purgeHistory();
      expect(removed).toBeGreaterThanOrEqual(8 + 5);
      const kept = (await b.getFires({ jobId: 'kept', limit: 1000 })).fires;
      expect(kept).toHaveLength(3);
      expect((await b.getFires({ jobId: 'quiet', limit: 1000 })).fires).toEqual([]);
      // What is left pages as before, and a second pass finds nothing more.
      const page = await b.getFires({ limit: 2 });
      expect(page.cursor).not.toBeNull();
      expect(await a.purgeHistory()).toBe(0);
      // A purged fire time: explain says its record may have been purged, naming the retention.
      const oldest = kept.at(-1)?.scheduledTime as number;
      const answer = await a.explain('kept', new Date(oldest - 100));
      expect(answer.evidence.join(' ')).toContain(
        'the newest 3 of each job always): the record of this one may have been purged',
      );
    });

    it('purges from the next node once the smallest one has left', async () => {
      const target = await backend.create();
      cleanups.push(() => target.cleanup());
      const make = (nodeId: string) =>
        new AsyncScheduler({
          jobstores: { default: openStore(target) },
          logger: quiet,
          // A short run lease: a node that left counts as alive for one lease after its last check-in.
          cluster: { nodeId, runLease: 1 },
        });
      const first = make('node-1');
      const second = make('node-2');
      await first.start();
      await second.start();
      cleanups.push(() => second.shutdown({ wait: false }));
      expect(await second.purgeHistory()).toBeNull();
      await first.shutdown();
      await until(
        'node-2 to take over',
        async () => (await second.purgeHistory()) !== null,
        60_000,
      );
    }, 90_000);
  });
}

it('reads history only while started, and not from a memory store told to keep none', async () => {
  const scheduler = new AsyncScheduler({
    logger: quiet,
    jobstores: { default: new MemoryJobStore({ fireHistory: 0 }) },
  });
  await expect(scheduler.getFires()).rejects.toThrow(SchedulerNotRunningError);
  await scheduler.start();
  try {
    await expect(scheduler.getFires()).rejects.toThrow(NoFireHistoryError);
    await expect(scheduler.explain('x', new Date())).rejects.toThrow(/keeps no fire history/);
  } finally {
    await scheduler.shutdown();
  }
});
