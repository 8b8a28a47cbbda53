/**
 * A persistent store that cannot start when the scheduler does: its server
 * accepts TCP connections and never answers (a hung server, a firewall that
 * drops packets), through a TCP proxy in front of the real PostgreSQL and
 * Redis. `start()` is bounded by `jobstoreStartTimeout`; by default the
 * scheduler runs its other stores, reports the failed one and retries it,
 * and the jobs added for it before `start()` are stored once it is up. With
 * `requireJobstores`, `start()` fails and nothing keeps running.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  EVENT_JOB_EXECUTED,
  EVENT_JOBSTORE_ERROR,
  type JobEvent,
  JobStoreErrorEvent,
  JobStoreStartError,
  JobStoreUnavailableError,
  MemoryJobStore,
  RedisJobStore,
  type SchedulerEvent,
  SqlJobStore,
  StoreStartTimeoutError,
  silentLogger,
} from '../../src/index.ts';
import {
  type DurableBackend,
  type DurableStoreTarget,
  describeBackend,
  durableBackends,
  reachability,
  waitFor,
} from '../helpers/durability.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

const backends: DurableBackend[] = [durableBackends.PostgreSQL, durableBackends.Redis];
const reasons = await reachability(backends);

/** Uncaught exceptions while the tests run: a store that gave up starting must never leak one. */
const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};
beforeAll(() => {
  process.on('uncaughtExceptionMonitor', onUncaught);
});
afterAll(() => {
  process.off('uncaughtExceptionMonitor', onUncaught);
});

function storeBehind(proxy: TcpProxy, target: DurableStoreTarget) {
  const url = proxy.proxiedUrl(target.url);
  return target.url.startsWith('redis')
    ? new RedisJobStore({ url, keyPrefix: target.name })
    : new SqlJobStore({ url, tableName: target.name });
}

describe('a store whose server never answers at start', () => {
  for (const backend of backends) {
    describeBackend(`${backend.name} store`, backend, reasons.get(backend.name), () => {
      let proxy: TcpProxy;
      let target: DurableStoreTarget;
      const schedulers: AsyncScheduler[] = [];
      afterEach(async () => {
        for (const scheduler of schedulers.splice(0))
          if (scheduler.running) await scheduler.shutdown({ wait: false });
        await proxy.close();
        await target.cleanup();
        expect(uncaught).toEqual([]);
      });

      async function setUp(options: { requireJobstores: boolean }) {
        target = await backend.create();
        const [host, port] = [new URL(target.url).hostname, Number(new URL(target.url).port)];
        proxy = await TcpProxy.start(host, port || (backend.name === 'Redis' ? 6379 : 5432));
        proxy.silence();
        const scheduler = new AsyncScheduler({
          logger: silentLogger,
          jobstores: { default: new MemoryJobStore(), db: storeBehind(proxy, target) },
          jobstoreStartTimeout: 1,
          jobstoreRetryInterval: 1,
          requireJobstores: options.requireJobstores,
        });
        schedulers.push(scheduler);
        const events: SchedulerEvent[] = [];
        scheduler.addListener((event) => {
          events.push(event);
        });
        scheduler.registerTask('tick', () => 'tick');
        return { scheduler, events };
      }

      it('start() returns within the bound, the other stores run, the store is retried and takes the jobs added for it once up', async () => {
        const { scheduler, events } = await setUp({ requireJobstores: false });
        await scheduler.addJob('tick', 'interval', { seconds: 1, id: 'memory-tick' });
        await scheduler.addJob('tick', 'interval', { seconds: 1, id: 'db-tick', jobstore: 'db' });
        const startedAt = performance.now();
        await scheduler.start();
        // Generous: the bound is 1 s; a start that waited for the silent server would take minutes.
        expect(performance.now() - startedAt).toBeLessThan(5000);
        const ran = (id: string) =>
          events.filter((e) => e.code === EVENT_JOB_EXECUTED && (e as JobEvent).jobId === id)
            .length;
        await waitFor('two runs of the memory-store job', () => ran('memory-tick') >= 2, 10_000);
        const startErrors = events.filter(
          (e): e is JobStoreErrorEvent =>
            e instanceof JobStoreErrorEvent && e.operation === 'start',
        );
        expect(startErrors.length).toBeGreaterThanOrEqual(1);
        expect(startErrors[0]?.alias).toBe('db');
        expect(startErrors[0]?.exception).toBeInstanceOf(StoreStartTimeoutError);
        expect(
          events.filter((e) => e.code === EVENT_JOBSTORE_ERROR).every((e) => e.alias === 'db'),
        ).toBe(true);

        // While it is down, calls that need it say so instead of answering wrongly.
        await expect(scheduler.getJobs('db')).rejects.toBeInstanceOf(JobStoreUnavailableError);
        await expect(scheduler.getJob('db-tick')).rejects.toBeInstanceOf(JobStoreUnavailableError);
        await expect(
          scheduler.addJob('tick', 'interval', { seconds: 1, id: 'late', jobstore: 'db' }),
        ).rejects.toBeInstanceOf(JobStoreUnavailableError);
        expect((await scheduler.getJob('memory-tick', 'default'))?.id).toBe('memory-tick');
        expect(ran('db-tick')).toBe(0);

        // The server answers again: the store starts at a retry and its job is stored and runs.
        proxy.restore();
        await waitFor('the job of the recovered store to run', () => ran('db-tick') >= 1, 20_000);
        expect((await scheduler.getJobs('db')).map((job) => job.id)).toEqual(['db-tick']);
        await scheduler.shutdown();
      });

      it('with requireJobstores, start() fails within the bound and leaves the scheduler stopped', async () => {
        const { scheduler, events } = await setUp({ requireJobstores: true });
        await scheduler.addJob('tick', 'interval', { seconds: 1, id: 'memory-tick' });
        const startedAt = performance.now();
        const error = await scheduler.start().catch((e: unknown) => e);
        expect(performance.now() - startedAt).toBeLessThan(5000);
        expect(error).toBeInstanceOf(JobStoreStartError);
        expect((error as JobStoreStartError).alias).toBe('db');
        expect((error as Error).cause).toBeInstanceOf(StoreStartTimeoutError);
        expect(scheduler.running).toBe(false);
        expect(events.filter((e) => e.code === EVENT_JOB_EXECUTED)).toEqual([]);
        // Once the server answers, the same scheduler starts.
        proxy.restore();
        await scheduler.start();
        expect((await scheduler.getJobs()).map((job) => job.id)).toEqual(['memory-tick']);
        await scheduler.shutdown();
      });
    });
  }
});
