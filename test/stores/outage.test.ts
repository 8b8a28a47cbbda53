/**
 * A database outage under a running scheduler. A TCP proxy (test/helpers/
 * tcp-proxy.ts) sits between a persistent store (PostgreSQL through
 * SqlJobStore, Redis through RedisJobStore) and its server; the scheduler also
 * has a MemoryJobStore. Each store holds an interval job every second. The
 * proxy is cut for about 4 s right after the scheduler read the persistent
 * store's due jobs (so the write of the next run time fails too), then
 * restored. The memory job must keep its schedule, the scheduler must report
 * EVENT_JOBSTORE_ERROR and live on, and the persistent job must come back with
 * one catch-up run (coalesce), never lost and never run twice. The checks
 * after the run are soft: a failure lists every broken promise at once.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  AsyncScheduler,
  currentJob,
  EVENT_JOB_MISSED,
  EVENT_JOB_SUBMITTED,
  EVENT_JOBSTORE_ERROR,
  type Job,
  JobStoreErrorEvent,
  JobSubmissionEvent,
  type Logger,
  MemoryJobStore,
  RedisJobStore,
  type SchedulerEvent,
  SqlJobStore,
} from '../../src/index.ts';
import type { ClusterLedger } from '../../src/stores/ledger.ts';
import {
  type DurableBackend,
  describeBackend,
  durableBackends,
  reachability,
  sleep,
  waitFor,
} from '../helpers/durability.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

const CUT_MS = 4000;
const AFTER_RESTORE_MS = 4500;

const backends: DurableBackend[] = [durableBackends.PostgreSQL, durableBackends.Redis];
const reasons = await reachability(backends);

interface Run {
  id: string;
  scheduled: number;
  at: number;
}

/** Cuts the proxy right after a read of due jobs that includes `jobId`, once armed. */
interface CutHook {
  armed: boolean;
  readonly jobId: string;
  cut(): void;
}

/** The SQL store has a cluster ledger: a scheduler reads its due jobs by claiming them. */
class CuttingSqlStore extends SqlJobStore {
  hook: CutHook | null = null;
  constructor(options: ConstructorParameters<typeof SqlJobStore>[0]) {
    super(options);
    hookClaims(this);
  }
}

/** The Redis store has a cluster ledger: a scheduler reads its due jobs by claiming them. */
class CuttingRedisStore extends RedisJobStore {
  hook: CutHook | null = null;
  constructor(options: ConstructorParameters<typeof RedisJobStore>[0]) {
    super(options);
    hookClaims(this);
  }
}

/** Hands the jobs of every claim of `store` to its cut hook. */
function hookClaims(store: {
  readonly ledger: ClusterLedger;
  readonly hook: CutHook | null;
}): void {
  const { ledger } = store;
  const claimDueJobs = ledger.claimDueJobs.bind(ledger);
  ledger.claimDueJobs = async (claimOptions) => {
    const claim = await claimDueJobs(claimOptions);
    fireHook(
      store.hook,
      claim.jobs.map((claimed) => claimed.job),
    );
    return claim;
  };
}

function fireHook(hook: CutHook | null, jobs: readonly Job[]): void {
  if (hook === null || !hook.armed || !jobs.some((job) => job.id === hook.jobId)) return;
  hook.armed = false;
  hook.cut();
}

/** Uncaught exceptions in this worker while the tests run (a store must never leak one). */
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

/** The uncaught exceptions raised inside the driver package `driver`. */
function uncaughtFrom(driver: string): string[] {
  return uncaught
    .filter(
      (error) => error instanceof Error && (error.stack ?? '').includes(`node_modules/${driver}/`),
    )
    .map((error) => `${(error as Error).message}\n${(error as Error).stack ?? ''}`);
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

describe.concurrent('store outage behind a TCP proxy', () => {
  for (const backend of backends) {
    describeBackend(`${backend.name} store`, backend, reasons.get(backend.name), () => {
      it('keeps the memory store on schedule, reports the outage, recovers without losing or doubling runs', async ({
        expect,
      }) => {
        const target = await backend.create();
        const server = new URL(target.url);
        const proxy = await TcpProxy.start(
          server.hostname,
          Number(server.port || (backend.name === 'Redis' ? 6379 : 5432)),
        );
        const proxiedUrl = proxy.proxiedUrl(target.url);
        const store =
          backend.name === 'Redis'
            ? new CuttingRedisStore({ url: proxiedUrl, keyPrefix: target.name })
            : new CuttingSqlStore({ url: proxiedUrl, tableName: target.name });
        const warnings: string[] = [];
        const logger: Logger = {
          debug: () => {},
          info: () => {},
          warn: (message) => warnings.push(message),
          error: (message) => warnings.push(message),
        };
        const scheduler = new AsyncScheduler({
          jobstores: { proxied: store, memory: new MemoryJobStore() },
          timezone: 'UTC',
          logger,
          jobstoreRetryInterval: 1,
          storePollInterval: 1,
        });
        const runs: Run[] = [];
        scheduler.registerTask('outage.record', () => {
          const job = currentJob();
          if (job === undefined) throw new Error('not inside a job');
          runs.push({ id: job.id, scheduled: job.scheduledRunTime.getTime(), at: Date.now() });
        });
        const events: { at: number; event: SchedulerEvent }[] = [];
        scheduler.addListener(
          (event) => {
            events.push({ at: Date.now(), event });
          },
          EVENT_JOBSTORE_ERROR | EVENT_JOB_SUBMITTED | EVENT_JOB_MISSED,
        );
        let cutAt = Number.NaN;
        let restoredAt = Number.NaN;
        let restoreTimer: NodeJS.Timeout | undefined;
        const hook: CutHook = {
          armed: false,
          jobId: 'p-tick',
          cut() {
            proxy.cut();
            cutAt = Date.now();
            restoreTimer = setTimeout(() => {
              proxy.restore();
              restoredAt = Date.now();
            }, CUT_MS);
          },
        };
        store.hook = hook;

        let jobsAfter: Job[] = [];
        try {
          await scheduler.start();
          const startDate = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
          for (const [id, jobstore] of [
            ['p-tick', 'proxied'],
            ['m-tick', 'memory'],
          ] as const) {
            await scheduler.addJob('outage.record', 'interval', {
              id,
              jobstore,
              seconds: 1,
              startDate,
              coalesce: true,
              misfireGraceTime: null,
            });
          }
          const count = (id: string): number => runs.filter((r) => r.id === id).length;
          await waitFor('two runs of the proxied job', () => count('p-tick') >= 2, 15_000);
          hook.armed = true;
          await waitFor('the cut', () => !Number.isNaN(cutAt), 10_000);
          await waitFor('the restore', () => !Number.isNaN(restoredAt), CUT_MS + 5000);
          expect(scheduler.running).toBe(true);
          await sleep(AFTER_RESTORE_MS);
          expect(scheduler.running).toBe(true);
          jobsAfter = await scheduler.getJobs();
        } finally {
          clearTimeout(restoreTimer);
          proxy.restore();
          await scheduler.shutdown({ wait: false }).catch(() => {});
          await proxy.close();
          await target.cleanup();
        }

        const describeRuns = (id: string): string =>
          runs
            .filter((r) => r.id === id)
            .map((r) => `${iso(r.scheduled)} +${r.at - r.scheduled}ms`)
            .join(', ');
        const context = `cut ${iso(cutAt)}, restored ${iso(restoredAt)}; p-tick: ${describeRuns('p-tick')}; m-tick: ${describeRuns('m-tick')}; store errors: ${events
          .filter((e) => e.event instanceof JobStoreErrorEvent)
          .map((e) => `${iso(e.at)} ${(e.event as JobStoreErrorEvent).operation}`)
          .join(', ')}`;

        // No error escaped the store: in an application it would have killed the process.
        const driver = backend.name === 'Redis' ? 'ioredis' : 'pg';
        expect
          .soft(uncaughtFrom(driver), 'uncaught exceptions from the database driver')
          .toEqual([]);

        // The scheduler noticed the outage and said so.
        const storeErrors = events.filter(
          (e): e is { at: number; event: JobStoreErrorEvent } =>
            e.event instanceof JobStoreErrorEvent,
        );
        expect.soft(storeErrors.length, context).toBeGreaterThanOrEqual(1);
        expect.soft(storeErrors.filter((e) => e.event.alias !== 'proxied')).toEqual([]);
        // The write of the next run time of the run read just before the cut failed, and was
        // retried (a store with a cluster ledger writes it in the commit of its claim).
        const writeOperation =
          (store as JobStore).ledger === undefined ? 'updateJob' : 'commitClaims';
        expect
          .soft(
            storeErrors.some((e) => e.event.operation === writeOperation),
            context,
          )
          .toBe(true);

        // The memory store's job kept its schedule during the outage.
        const memoryDuringCut = runs.filter(
          (r) => r.id === 'm-tick' && r.scheduled > cutAt && r.scheduled < restoredAt,
        );
        expect.soft(memoryDuringCut.length, context).toBeGreaterThanOrEqual(CUT_MS / 1000 - 1);
        const late = memoryDuringCut.filter((r) => r.at - r.scheduled > 1500);
        expect
          .soft(
            late.map((r) => iso(r.scheduled)),
            `memory job late: ${context}`,
          )
          .toEqual([]);
        const memoryTimes = runs.filter((r) => r.id === 'm-tick').map((r) => r.scheduled);
        const gaps = memoryTimes.filter(
          (t, i) => i > 0 && t - (memoryTimes[i - 1] as number) !== 1000,
        );
        expect.soft(gaps.map(iso), `memory job skipped runs: ${context}`).toEqual([]);

        // The proxied job: nothing ran twice, nothing ran while cut, one catch-up run after.
        const proxied = runs.filter((r) => r.id === 'p-tick');
        const times = proxied.map((r) => r.scheduled);
        expect.soft(new Set(times).size, `a run was doubled: ${context}`).toBe(times.length);
        // Runs read before the cut may still start (their next run time is persisted later);
        // nothing read after it runs before the restore.
        const readBeforeCut = proxied.filter((r) => r.scheduled <= cutAt);
        const resumed = proxied.filter((r) => r.scheduled > cutAt);
        expect
          .soft(
            resumed.filter((r) => r.at < restoredAt).map((r) => iso(r.scheduled)),
            `ran while the store was cut off: ${context}`,
          )
          .toEqual([]);
        expect
          .soft(resumed.length, `the proxied job did not recover: ${context}`)
          .toBeGreaterThanOrEqual(2);
        const lastBefore = Math.max(...readBeforeCut.map((r) => r.scheduled));
        const catchUp = (resumed[0] as Run).scheduled;
        // Several grid points were missed; coalescing turns them into the latest one.
        expect.soft(catchUp - lastBefore, context).toBeGreaterThanOrEqual(CUT_MS - 1000);
        expect
          .soft(
            resumed.filter((r) => r.scheduled < restoredAt).length,
            `more than one catch-up run: ${context}`,
          )
          .toBeLessThanOrEqual(1);
        const submitted = events
          .map((e) => e.event)
          .filter(
            (e): e is JobSubmissionEvent =>
              e instanceof JobSubmissionEvent && e.code === EVENT_JOB_SUBMITTED,
          );
        expect
          .soft(
            submitted.filter((e) => e.scheduledRunTimes.length !== 1).map((e) => e.jobId),
            'coalesce: one run time per submission',
          )
          .toEqual([]);
        expect.soft(events.filter((e) => e.event.code === EVENT_JOB_MISSED)).toEqual([]);

        // Both jobs are still there, scheduled in the future.
        const byId = new Map(jobsAfter.map((job) => [job.id, job]));
        for (const id of ['p-tick', 'm-tick']) {
          const job = byId.get(id);
          expect.soft(job, `${id} lost: ${context}`).toBeDefined();
          expect.soft(job?.broken).toBe(false);
          expect.soft(job?.nextRunTime?.getTime() ?? 0).toBeGreaterThan(restoredAt);
        }
      }, 45_000);
    });
  }
});
