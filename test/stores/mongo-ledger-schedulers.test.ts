/**
 * Two schedulers sharing one MongoDB store (the in-process model of the
 * driver, test/helpers/fake-mongo.ts, as a standalone server and as a replica
 * set): every fire time of an interval job runs once, on one of them, and
 * the ledger holds one fire per slot. Real timers, generous bounds.
 */
import { describe, expect, it } from 'vitest';
import { AsyncScheduler, currentJob, MongoJobStore } from '../../src/index.ts';
import { fakeMongoClient } from '../helpers/fake-mongo.ts';
import { storeTestContext } from '../helpers/store-context.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const replicaSet of [false, true]) {
  describe(`two schedulers on one MongoDB store (model of ${replicaSet ? 'a replica set' : 'a standalone server'})`, () => {
    it('run each fire time of a job once between them', async () => {
      const client = fakeMongoClient({ replicaSet });
      const runs: { time: number; fireId: string; fence: number; node: string }[] = [];
      const schedulers = ['one', 'two'].map((nodeId) => {
        const scheduler = new AsyncScheduler({
          jobstores: { default: new MongoJobStore({ client: client as never }) },
          cluster: { nodeId, wake: 'poll' },
          storePollInterval: 0.05,
        });
        scheduler.registerTask('tick', () => {
          const job = currentJob();
          runs.push({
            time: job?.scheduledRunTime.getTime() ?? Number.NaN,
            fireId: job?.fireId ?? '',
            fence: job?.fencingToken ?? 0,
            node: nodeId,
          });
        });
        return scheduler;
      });
      for (const scheduler of schedulers) await scheduler.start();
      try {
        await schedulers[0]?.addJob('tick', 'interval', { seconds: 0.1, id: 'tick' });
        await sleep(1500);
      } finally {
        for (const scheduler of schedulers) await scheduler.shutdown();
      }
      const times = runs.map((run) => run.time);
      expect(new Set(times).size).toBe(times.length);
      // About 15 slots; a busy machine may run fewer, never the same one twice.
      expect(runs.length).toBeGreaterThanOrEqual(3);
      // Each claim moves the job's fence on: a later slot never runs with an earlier fence.
      const byTime = [...runs].sort((a, b) => a.time - b.time);
      for (let i = 1; i < byTime.length; i++)
        expect(byTime[i]?.fence).toBeGreaterThan(byTime[i - 1]?.fence as number);
      const store = new MongoJobStore({ client: client as never });
      await store.start(storeTestContext(), 'default');
      const fires = await store.ledger.getFires({ jobId: 'tick', limit: 1000 });
      const ran = fires.filter((fire) => fire.state === 'succeeded');
      expect(ran.map((fire) => fire.fireId).sort()).toEqual(runs.map((run) => run.fireId).sort());
      expect(new Set(fires.map((fire) => fire.scheduledTime)).size).toBe(fires.length);
      await store.shutdown();
    }, 30_000);
  });
}
