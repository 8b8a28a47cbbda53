/**
 * The changes a real AsyncScheduler records in its store's job change log
 * (src/stores/job-changes.ts): one after each write of the job API, and the
 * main loop's removal of a job whose trigger has ended; on the memory store
 * and on SQLite. A record that fails never fails the operation: it is
 * reported as a store error event and logged once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  AsyncScheduler,
  EVENT_JOB_REMOVED,
  EVENT_JOBSTORE_ERROR,
  type JobStoreErrorEvent,
  MemoryJobStore,
  SqlJobStore,
} from '../../src/index.ts';
import type { JobChange, JobChangeLog } from '../../src/stores/job-changes.ts';
import { RecordingLogger } from '../helpers/scheduler-harness.ts';
import { removeSqliteFiles, tempSqlitePath } from '../helpers/sql-backends.ts';

function tick(): void {}

const schedulers: AsyncScheduler[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.shutdown({ wait: false });
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface StoreCase {
  name: string;
  /** The store and the node id the scheduler records with (undefined: the generated one). */
  make(): { store: JobStore; nodeId?: string };
}

const CASES: StoreCase[] = [
  { name: 'the memory store', make: () => ({ store: new MemoryJobStore() }) },
  {
    name: 'SQLite',
    make() {
      const path = tempSqlitePath();
      cleanups.push(() => removeSqliteFiles(path));
      return { store: new SqlJobStore({ url: `sqlite:${path}` }), nodeId: 'node-x' };
    },
  },
];

async function started(
  store: JobStore,
  nodeId?: string,
  logger?: RecordingLogger,
): Promise<AsyncScheduler> {
  const scheduler = new AsyncScheduler({
    jobstores: { default: store },
    timezone: 'UTC',
    ...(nodeId === undefined ? {} : { cluster: { nodeId } }),
    ...(logger === undefined ? {} : { logger }),
  });
  scheduler.registerTask('tick', tick);
  schedulers.push(scheduler);
  await scheduler.start();
  return scheduler;
}

function logOf(store: JobStore): JobChangeLog {
  if (store.jobChanges === undefined) throw new Error('no job change log');
  return store.jobChanges;
}

function kinds(changes: readonly JobChange[]): [number, string][] {
  return changes.map((change) => [change.version, change.kind]);
}

describe.each(CASES)('the job changes an AsyncScheduler records, on $name', ({ make }) => {
  it('records add, replace, modify, reschedule, pause, resume and remove, each with the trigger and options after it', async () => {
    const { store, nodeId } = make();
    const scheduler = await started(store, nodeId);
    const log = logOf(store);
    const before = Date.now();
    await scheduler.addJob('tick', 'interval', { id: 'j', minutes: 5 });
    await scheduler.addJob('tick', 'interval', { id: 'j', minutes: 10, replaceExisting: true });
    await scheduler.modifyJob('j', { maxInstances: 3, coalesce: false, misfireGraceTime: 90 });
    await scheduler.rescheduleJob('j', 'cron', { hour: 3, minute: 30 });
    await scheduler.pauseJob('j');
    await scheduler.resumeJob('j');
    await scheduler.removeJob('j');
    const changes = await log.getJobChanges('j');
    expect(kinds(changes)).toEqual([
      [1, 'added'],
      [2, 'modified'],
      [3, 'modified'],
      [4, 'modified'],
      [5, 'paused'],
      [6, 'resumed'],
      [7, 'removed'],
    ]);
    expect(changes[0]?.trigger).toMatchObject({ type: 'interval', minutes: 5 });
    expect(changes[1]?.trigger).toMatchObject({ type: 'interval', minutes: 10 });
    expect(changes[2]).toMatchObject({ maxInstances: 3, coalesce: false, misfireGraceTime: 90 });
    expect(changes[3]?.trigger).toMatchObject({ type: 'cron', timezone: 'UTC' });
    expect(changes[4]?.trigger).toEqual(changes[3]?.trigger);
    expect(changes[6]?.trigger).toBeNull();
    const node = changes[0]?.node;
    if (nodeId !== undefined) expect(node).toBe(nodeId);
    expect(typeof node).toBe('string');
    for (const change of changes) {
      expect(change.node).toBe(node);
      expect(change.at).toBeGreaterThanOrEqual(before - 1000);
    }
  });

  it('records a modification that also pauses or resumes the job as both, in that order', async () => {
    const { store, nodeId } = make();
    const scheduler = await started(store, nodeId);
    await scheduler.addJob('tick', 'interval', { id: 'm', minutes: 5 });
    await scheduler.modifyJob('m', { maxInstances: 2, nextRunTime: null });
    await scheduler.modifyJob('m', { maxInstances: 4, nextRunTime: new Date(Date.now() + 60_000) });
    await scheduler.modifyJob('m', { nextRunTime: new Date(Date.now() + 120_000) });
    const changes = await logOf(store).getJobChanges('m');
    expect(changes.map((c) => [c.version, c.kind, c.maxInstances])).toEqual([
      [1, 'added', 1],
      [2, 'modified', 2],
      [3, 'paused', 2],
      [4, 'modified', 4],
      [5, 'resumed', 4],
      [6, 'modified', 4],
    ]);
  });

  it('records a removal for each job removeAllJobs removed', async () => {
    const { store, nodeId } = make();
    const scheduler = await started(store, nodeId);
    await scheduler.addJob('tick', 'interval', { id: 'a', minutes: 5 });
    await scheduler.addJob('tick', 'interval', { id: 'b', minutes: 5 });
    await scheduler.pauseJob('b');
    await scheduler.removeAllJobs();
    const log = logOf(store);
    expect(kinds(await log.getJobChanges('a'))).toEqual([
      [1, 'added'],
      [2, 'removed'],
    ]);
    expect(kinds(await log.getJobChanges('b'))).toEqual([
      [1, 'added'],
      [2, 'paused'],
      [3, 'removed'],
    ]);
  });

  it('records the removal of a job whose trigger ended, made by the main loop after its run', async () => {
    const { store, nodeId } = make();
    const scheduler = await started(store, nodeId);
    const removed = new Promise<void>((resolve) =>
      scheduler.addListener(() => resolve(), EVENT_JOB_REMOVED),
    );
    await scheduler.addJob('tick', 'date', { id: 'once', runDate: new Date(Date.now() + 50) });
    await removed;
    const log = logOf(store);
    // The loop records after the removal it announced; wait for the record to land.
    let changes: JobChange[] = [];
    for (let i = 0; i < 100 && changes.length < 2; i++) {
      changes = await log.getJobChanges('once');
      if (changes.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(kinds(changes)).toEqual([
      [1, 'added'],
      [2, 'removed'],
    ]);
  });
});

describe('a job change that cannot be recorded', () => {
  it('never fails the operation: each failure is a store error event, logged once until a record succeeds', async () => {
    const store = new MemoryJobStore();
    let failing = true;
    const real = store.jobChanges;
    const log: JobChangeLog = {
      recordJobChanges: async (changes) => {
        if (failing) throw new Error('log is down');
        return real.recordJobChanges(changes);
      },
      getJobChanges: (jobId, query) => real.getJobChanges(jobId, query),
    };
    Object.defineProperty(store, 'jobChanges', { value: log });
    const logger = new RecordingLogger();
    const scheduler = await started(store, undefined, logger);
    const errors: JobStoreErrorEvent[] = [];
    scheduler.addListener((event) => {
      errors.push(event);
    }, EVENT_JOBSTORE_ERROR);
    const job = await scheduler.addJob('tick', 'interval', { id: 'k', minutes: 5 });
    expect(job.id).toBe('k');
    await scheduler.pauseJob('k');
    expect(errors.map((event) => [event.operation, event.jobId, event.alias])).toEqual([
      ['recordJobChanges', 'k', 'default'],
      ['recordJobChanges', 'k', 'default'],
    ]);
    const lines = logger.at('warn').filter((record) => record.message.includes('job change log'));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.message).toContain('Job store "default"');
    failing = false;
    await scheduler.resumeJob('k');
    expect(kinds(await log.getJobChanges('k'))).toEqual([[1, 'resumed']]);
    expect((await scheduler.getJob('k'))?.nextRunTime).not.toBeNull();
  });
});
