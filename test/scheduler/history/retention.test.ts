/**
 * The fire history's retention on real schedulers and stores: two schedulers
 * share one store, only the live one with the smallest node id purges, and
 * what is left keeps the newest fires of each job, no ended fire of a job
 * whose history is 'off', and every live one. Cut-offs of zero days stand in
 * for a clock moved on: every fire that has ended is past them.
 */
import { afterEach, expect, it } from 'vitest';
import { AsyncScheduler } from '../../../src/index.ts';
import {
  type DurableBackend,
  describeBackend,
  durableBackends,
  openStore,
  reachability,
  sleep,
} from '../../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../../helpers/sql-backends.ts';

const backends: DurableBackend[] = [
  BETTER_SQLITE3_SAFE ? durableBackends.SQLite : durableBackends['SQLite (node:sqlite)'],
  durableBackends.PostgreSQL,
];
const reasons = await reachability(backends);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

for (const backend of backends) {
  describeBackend(`fire retention on ${backend.name}`, backend, reasons.get(backend.name), () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
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
