/**
 * Retries on shared stores: the pending retry is a `retried` row of the
 * ledger, so a scheduler stopped after the failure and another started on the
 * same store runs it, and with two nodes the one that stays runs the retry of
 * the one that stopped. One ledger row per fire throughout, its attempt
 * counting the runs, the fencing token going up.
 */
import { afterEach, expect, it } from 'vitest';
import {
  AsyncScheduler,
  EVENT_JOB_RETRY,
  type JobRetryEvent,
  silentLogger,
} from '../../src/index.ts';
import type { FireRecord } from '../../src/stores/ledger.ts';
import { RETRY_JOBS_MODULE, readRetryRunLog } from '../fixtures/retry-jobs.ts';
import {
  type DurableBackend,
  type DurableStoreTarget,
  describeBackend,
  durableBackends,
  openStore,
  reachability,
  removeFile,
  tempRunLog,
  waitFor,
} from '../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../helpers/sql-backends.ts';

const FLAKY = `${RETRY_JOBS_MODULE}:flaky`;
const backends: DurableBackend[] = [
  ...(BETTER_SQLITE3_SAFE ? [durableBackends.SQLite] : [durableBackends['SQLite (node:sqlite)']]),
  durableBackends.PostgreSQL,
  durableBackends.MariaDB,
  durableBackends.Redis,
];
const reasons = await reachability(backends);

for (const backend of backends) {
  describeBackend(`retries on ${backend.name}`, backend, reasons.get(backend.name), () => {
    let target: DurableStoreTarget | undefined;
    let runLog = '';
    const schedulers: AsyncScheduler[] = [];

    function node(nodeId: string): AsyncScheduler {
      const scheduler = new AsyncScheduler({
        jobstores: { default: openStore(target as DurableStoreTarget) },
        timezone: 'UTC',
        logger: silentLogger,
        storePollInterval: 0.2,
        cluster: { nodeId, runLease: 2, claimLease: 2 },
      });
      schedulers.push(scheduler);
      return scheduler;
    }

    async function fires(scheduler: AsyncScheduler, jobId: string): Promise<readonly FireRecord[]> {
      return (await scheduler.getFires({ jobId })).fires;
    }

    afterEach(async () => {
      for (const scheduler of schedulers.splice(0))
        if (scheduler.running) await scheduler.shutdown({ wait: false });
      await target?.cleanup();
      removeFile(runLog);
    });

    async function setUp(label: string): Promise<void> {
      target = await backend.create();
      runLog = tempRunLog(`retries-${label}-${backend.name}`);
    }

    it('a retry waits in the ledger across a restart, and the new scheduler runs it', async () => {
      await setUp('restart');
      const first = node('first');
      const retries: JobRetryEvent[] = [];
      first.addListener((event) => {
        retries.push(event);
      }, EVENT_JOB_RETRY);
      await first.start();
      await first.addJob(FLAKY, 'date', {
        id: 'flaky',
        runDate: new Date(Date.now() + 300),
        args: [runLog, 'first', 2],
        retry: { attempts: 3, delay: 3 },
      });
      await waitFor('the first attempt', () => readRetryRunLog(runLog).length >= 1, 20_000);
      await waitFor('the retry event', () => retries.length >= 1, 5000);
      expect(retries[0]).toMatchObject({ jobId: 'flaky', attempt: 2 });
      await first.shutdown();
      // Stopped before the retry was due: it waits in the ledger.
      const second = node('second');
      await second.start();
      const waiting = await fires(second, 'flaky');
      expect(waiting).toHaveLength(1);
      expect(waiting[0]).toMatchObject({
        state: 'retried',
        attempt: 1,
        errorMessage: 'attempt 1 fails',
      });
      // The job function logs the node its args name: the args are the first node's; the fence tells them apart.
      await waitFor('the second attempt', () => readRetryRunLog(runLog).length >= 2, 20_000);
      const runs = readRetryRunLog(runLog);
      expect(runs.map((run) => run.attempt)).toEqual([1, 2]);
      expect(runs[1]?.fireId).toBe(runs[0]?.fireId);
      expect(runs[1]?.fence).toBeGreaterThan(runs[0]?.fence ?? 0);
      expect((runs[1]?.at ?? 0) - (runs[0]?.at ?? 0)).toBeGreaterThanOrEqual(2900);
      let done: readonly FireRecord[] = [];
      for (let i = 0; i < 50; i++) {
        done = await fires(second, 'flaky');
        if (done[0]?.state === 'succeeded') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({ state: 'succeeded', attempt: 2, node: 'second' });
    }, 60_000);

    it('with two nodes, the node that stays runs the retry of the node that stopped', async () => {
      await setUp('two-nodes');
      const a = node('node-a');
      const b = node('node-b');
      await a.start();
      await b.start();
      await a.addJob(FLAKY, 'interval', {
        id: 'twice',
        seconds: 3600,
        startDate: new Date(Date.now() + 500),
        args: [runLog, 'any', 3],
        retry: { attempts: 2, delay: 2, factor: 1 },
      });
      await waitFor('the first attempt', () => readRetryRunLog(runLog).length >= 1, 20_000);
      const ledgerA = await fires(a, 'twice');
      const ranOn = ledgerA[0]?.node;
      expect(ranOn === 'node-a' || ranOn === 'node-b').toBe(true);
      const [leaving, staying] = ranOn === 'node-a' ? [a, b] : [b, a];
      await leaving.shutdown();
      await waitFor('the third attempt', () => readRetryRunLog(runLog).length >= 3, 30_000);
      let done: readonly FireRecord[] = [];
      for (let i = 0; i < 50; i++) {
        done = await fires(staying, 'twice');
        if (done[0]?.state === 'succeeded') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const stayingId = ranOn === 'node-a' ? 'node-b' : 'node-a';
      expect(done).toHaveLength(1);
      expect(done[0]).toMatchObject({ state: 'succeeded', attempt: 3, node: stayingId });
      const runs = readRetryRunLog(runLog);
      expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
      expect(new Set(runs.map((run) => run.fireId)).size).toBe(1);
    }, 60_000);
  });
}
