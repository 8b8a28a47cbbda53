/**
 * `horarium` and `horarium/extend` are enough to write a job store, an
 * executor and a trigger type: the ones in ./plugins.ts, which import nothing
 * else, pass the store and executor contract suites and run together in a
 * scheduler that builds them from its configuration.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  ConfigurationError,
  currentJob,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_RESTORE_FAILED,
  type JobRestoreFailedEvent,
  type SchedulerEvent,
  silentLogger,
} from '../../src/index.ts';
import {
  contractJobsFromModule,
  describeExecutorContract,
} from '../executors/executor-contract.ts';
import * as executorJobs from '../fixtures/executor-jobs.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { BASE_TIME, describeStoreContract, makeJob } from '../stores/store-contract.ts';
import { slowRuns, TextJobStore, TimesTrigger, TimingExecutor } from './plugins.ts';

describeStoreContract('TextJobStore (a third-party store)', async () => ({
  store: new TextJobStore(randomUUID()),
  cleanup: async () => {},
}));

describeExecutorContract(
  'TimingExecutor (a third-party executor)',
  () => new TimingExecutor(60),
  contractJobsFromModule(executorJobs, executorJobs.EXECUTOR_JOBS_MODULE),
);

describe('extensions written against horarium and horarium/extend', () => {
  const schedulers: AsyncScheduler[] = [];
  afterEach(async () => {
    for (const scheduler of schedulers.splice(0)) {
      if (scheduler.running) await scheduler.shutdown();
    }
  });

  /** A scheduler on text store `database` and the timing executor, built by type from its configuration. */
  function schedulerOn(database: string): AsyncScheduler {
    const scheduler = new AsyncScheduler({
      timezone: 'UTC',
      logger: silentLogger,
      jobstores: { default: { type: 'text', database } },
      executors: { default: { type: 'timing', slowAfter: 0 } },
    });
    schedulers.push(scheduler);
    return scheduler;
  }

  it('the plugins import only the two entry points', () => {
    const source = readFileSync(new URL('./plugins.ts', import.meta.url), 'utf8');
    const specifiers = [...source.matchAll(/from '([^']+)'/g)].map(([, specifier]) => specifier);
    expect(new Set(specifiers)).toEqual(new Set(['../../src/index.ts', '../../src/extend.ts']));
  });

  it('runs a job with the third-party trigger, store and executor, and restores it after a restart', async () => {
    const database = randomUUID();
    const ran: (string | undefined)[] = [];
    const record = async (): Promise<void> => {
      await nextTurn();
      ran.push(currentJob()?.id);
    };
    const soon = new Date(Date.now() + 100);
    const later = new Date(Date.now() + 86_400_000);

    const first = schedulerOn(database);
    first.registerTask('record', record);
    const executed = new Promise<SchedulerEvent>((resolve) =>
      first.addListener(resolve, EVENT_JOB_EXECUTED),
    );
    await first.start();
    await first.addJob('record', new TimesTrigger([later, soon]), { id: 'report' });
    await executed;
    await first.shutdown();
    expect(ran).toEqual(['report']);
    expect(slowRuns.map((run) => run.jobId)).toContain('report');

    const second = schedulerOn(database);
    second.registerTask('record', record);
    await second.start({ paused: true });
    const [job, ...others] = await second.getJobs();
    expect(others).toEqual([]);
    expect(job?.trigger).toBeInstanceOf(TimesTrigger);
    expect(String(job?.trigger)).toBe(`times[${soon.toISOString()}, ${later.toISOString()}]`);
    expect(job?.nextRunTime).toEqual(later);
  });

  it('the store reports a stored job it cannot restore, skips it, and keeps it', async () => {
    const database = randomUUID();
    const store = new TextJobStore(database);
    const context = storeTestContext();
    await store.start(context);
    await store.addJob(makeJob('good', BASE_TIME + 1000));
    TextJobStore.corrupt(database, 'bad', '{ not json', BASE_TIME);

    expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['good']);
    expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 1000));
    expect(context.failures.map((failure) => failure.jobId)).toEqual(['bad']);
    expect(String(context.failures[0]?.error)).toMatch(/job 'bad' cannot be restored/);

    const scheduler = schedulerOn(database);
    const reported = new Promise<SchedulerEvent>((resolve) =>
      scheduler.addListener(resolve, EVENT_JOB_RESTORE_FAILED),
    );
    await scheduler.start({ paused: true });
    await scheduler.getJobs();
    expect(((await reported) as JobRestoreFailedEvent).jobId).toBe('bad');
    expect(await store.lookupJob('bad')).toBeNull();
  });

  it('the factories report bad options under their configuration key', () => {
    expect(
      () => new AsyncScheduler({ jobstores: { main: { type: 'text', databse: 'x' } } }),
    ).toThrow(ConfigurationError);
    expect(
      () => new AsyncScheduler({ jobstores: { main: { type: 'text', databse: 'x' } } }),
    ).toThrow(
      /jobstores\.main\.databse: unknown text job store option \(did you mean "database"\?\)/,
    );
    expect(
      () => new AsyncScheduler({ executors: { fast: { type: 'timing', slowAfter: 'soon' } } }),
    ).toThrow(/executors\.fast\.slowAfter: .*"soon"/);
  });

  it('a trigger with an invalid argument is refused at construction', () => {
    expect(() => new TimesTrigger(['2025-01-01T00:00:00Z', 'someday'])).toThrow(
      /times\[1\] is not a date: someday/,
    );
  });
});
