/**
 * A stored job whose executor is not configured in this scheduler (renamed or
 * mistyped in the configuration) is kept in its store and reported, never
 * deleted: on a real SQLite file, across two schedulers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_REMOVED,
  EVENT_JOB_RESTORE_FAILED,
  type JobEvent,
  type JobRestoreFailedEvent,
  type SchedulerEvent,
  UnknownAliasError,
} from '../../src/index.ts';
import { type Logger, silentLogger } from '../../src/logging.ts';
import { RecordingLogger } from '../helpers/scheduler-harness.ts';
import { removeSqliteFiles, tempSqlitePath } from '../helpers/sql-backends.ts';

const paths: string[] = [];
afterEach(async () => {
  for (const path of paths.splice(0)) await removeSqliteFiles(path);
});

function schedulerOn(
  path: string,
  executors: Record<string, { type: string }>,
  logger: Logger = silentLogger,
) {
  const scheduler = new AsyncScheduler({
    logger,
    jobstores: { default: { type: 'sql', url: `sqlite:${path}` } },
    executors,
  });
  const events: SchedulerEvent[] = [];
  scheduler.addListener((event) => {
    events.push(event);
  });
  return { scheduler, events };
}

describe('a stored job whose executor is not configured', () => {
  it('is kept in the store, listed as broken and reported once; it runs again once the executor is back', async () => {
    const path = tempSqlitePath();
    paths.push(path);
    const first = schedulerOn(path, { threads: { type: 'async' } });
    await first.scheduler.start({ paused: true });
    const ran = new URL('../fixtures/scheduler-api-jobs.ts', import.meta.url).href;
    await first.scheduler.addJob(`${ran}:reports.daily`, 'interval', {
      seconds: 1,
      id: 'nightly',
      executor: 'threads',
      nextRunTime: new Date(Date.now() - 1000),
    });
    await first.scheduler.shutdown();

    // Configured again with the executor renamed: the job is due, and cannot run.
    const logger = new RecordingLogger();
    const renamed = schedulerOn(path, { pool: { type: 'async' } }, logger);
    await renamed.scheduler.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const listed = await renamed.scheduler.getJobs();
    expect(listed.map((job) => [job.id, job.broken])).toEqual([['nightly', true]]);
    expect(listed[0]?.restoreError).toBeInstanceOf(UnknownAliasError);
    const failures = renamed.events.filter(
      (e): e is JobRestoreFailedEvent => e.code === EVENT_JOB_RESTORE_FAILED,
    );
    expect(failures.map((e) => [e.jobId, String(e.exception)])).toEqual([
      ['nightly', 'UnknownAliasError: No such executor: "threads" (configured: "pool", "default")'],
    ]);
    expect(renamed.events.filter((e) => e.code === EVENT_JOB_REMOVED)).toEqual([]);
    // Logged once, in one line without a stack (the error is on the event, and at debug level).
    expect(logger.at('error')).toEqual([
      {
        level: 'error',
        message:
          'Job "nightly" in job store "default" cannot be restored and is skipped (it stays in the store): No such executor: "threads" (configured: "pool", "default")',
        details: [],
      },
    ]);
    expect(logger.at('debug').map((r) => r.details[0])).toContainEqual(
      expect.any(UnknownAliasError),
    );
    await renamed.scheduler.shutdown();

    // The executor is back: the same row restores and the job runs on its schedule again.
    const fixed = schedulerOn(path, { threads: { type: 'async' } });
    const executed = new Promise<string>((resolve) => {
      fixed.scheduler.addListener(
        (event) => resolve((event as JobEvent).jobId),
        EVENT_JOB_EXECUTED,
      );
    });
    await fixed.scheduler.start();
    const job = await fixed.scheduler.getJob('nightly');
    expect(job?.broken).toBe(false);
    expect(job?.executor).toBe('threads');
    expect(await executed).toBe('nightly');
    await fixed.scheduler.shutdown();
  });
});
