/**
 * What a service learns when it starts again: for each job whose fire times
 * fell due while the scheduler was not running, one EVENT_JOB_CATCH_UP and one
 * log line — how many were missed, since when, and how the scheduler catches
 * up (one coalesced run, or each run) — and the bound on a catch-up without
 * coalescing: at most 10,000 missed run times are replayed, the rest skipped.
 * The fake clock gives exact times.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncScheduler,
  EVENT_JOB_CATCH_UP,
  EVENT_JOB_EXECUTED,
  IntervalTrigger,
  type JobCatchUpEvent,
  type JobExecutionEvent,
} from '../../src/index.ts';
import { RecordingLogger } from '../helpers/scheduler-harness.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const SECOND = 1000;
const t = (ms: number): Date => new Date(T0 + ms);
const iso = (ms: number): string => t(ms).toISOString();

let schedulers: AsyncScheduler[] = [];
beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(async () => {
  for (const s of schedulers) if (s.running) await s.shutdown({ wait: false });
  schedulers = [];
  vi.useRealTimers();
});

function setUp() {
  const logger = new RecordingLogger();
  const scheduler = new AsyncScheduler({ logger, timezone: 'UTC' });
  schedulers.push(scheduler);
  const catchUps: JobCatchUpEvent[] = [];
  const runs: string[] = [];
  scheduler.addListener((event) => {
    catchUps.push(event);
  }, EVENT_JOB_CATCH_UP);
  scheduler.addListener((event: JobExecutionEvent) => {
    runs.push(event.scheduledRunTime.toISOString());
  }, EVENT_JOB_EXECUTED);
  const warnings = () => logger.at('warn').map((r) => r.message);
  return { scheduler, catchUps, runs, warnings };
}

/** A 1-second interval job whose stored next run time lies `behindMs` before start. */
async function behind(
  scheduler: AsyncScheduler,
  id: string,
  behindMs: number,
  coalesce: boolean,
): Promise<void> {
  await scheduler.addJob(
    () => 'ran',
    new IntervalTrigger({ seconds: 1, startDate: t(-behindMs), timezone: 'UTC' }),
    { id, name: id, coalesce, nextRunTime: t(-behindMs) },
  );
}

describe('the catch-up summary', () => {
  it('coalescing: 601 missed run times over 10 minutes, one run of the latest', async () => {
    const { scheduler, catchUps, runs, warnings } = setUp();
    await behind(scheduler, 'tick', 600 * SECOND, true);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(catchUps.map((e) => ({ ...e }))).toEqual([
      expect.objectContaining({
        jobId: 'tick',
        jobstore: 'default',
        missedRunTimes: 601,
        countComplete: true,
        since: t(-600 * SECOND),
        latest: t(0),
        runs: 1,
      }),
    ]);
    expect(runs).toEqual([iso(0)]);
    expect(warnings()).toEqual([
      `Job "tick" (tick) missed 601 run times while the scheduler was not running, from ${iso(-600 * SECOND)} to ${iso(0)}; coalesced into one run now`,
    ]);
  });

  it('without coalescing: each of the 101 missed run times runs', async () => {
    const { scheduler, catchUps, runs, warnings } = setUp();
    await behind(scheduler, 'each', 100 * SECOND, false);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(catchUps).toHaveLength(1);
    expect(catchUps[0]).toMatchObject({ missedRunTimes: 101, countComplete: true, runs: 101 });
    expect(runs).toHaveLength(101);
    expect(warnings()).toEqual([
      `Job "each" (each) missed 101 run times while the scheduler was not running, from ${iso(-100 * SECOND)} to ${iso(0)}; running each now`,
    ]);
  });

  it('says nothing about a job due within a second of the start, nor about a job due later', async () => {
    const { scheduler, catchUps, warnings } = setUp();
    await behind(scheduler, 'just-now', 999, true);
    await scheduler.addJob(() => 'later', 'interval', { seconds: 5, id: 'later' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(10 * SECOND);
    expect(catchUps).toEqual([]);
    expect(warnings()).toEqual([]);
  });

  it('counts the time a scheduler started paused as time not running', async () => {
    const { scheduler, catchUps } = setUp();
    await scheduler.addJob(() => 'ran', 'interval', { seconds: 10, id: 'paused-through' });
    await scheduler.start({ paused: true });
    await vi.advanceTimersByTimeAsync(60 * SECOND);
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(catchUps).toHaveLength(1);
    expect(catchUps[0]).toMatchObject({ since: t(10 * SECOND), missedRunTimes: 6, runs: 1 });
  });

  it('logs ten jobs one by one and the others in one line; every job still gets its event', async () => {
    const { scheduler, catchUps, warnings } = setUp();
    for (let i = 0; i < 15; i++)
      await behind(scheduler, `job-${String(i).padStart(2, '0')}`, 60 * SECOND, true);
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(catchUps).toHaveLength(15);
    const lines = warnings();
    expect(lines).toHaveLength(11);
    expect(lines.slice(0, 10).every((line) => line.includes('missed 61 run times'))).toBe(true);
    expect(lines[10]).toBe(
      '…and 5 more jobs missed run times while the scheduler was not running (each is reported as EVENT_JOB_CATCH_UP)',
    );
  });
});

describe('the catch-up bound without coalescing', () => {
  it('a 1-second job 30 days behind replays 10,000 run times, skips the rest and goes on after now', async () => {
    const { scheduler, catchUps, runs, warnings } = setUp();
    const thirtyDays = 30 * 86_400 * SECOND;
    await behind(scheduler, 'runaway', thirtyDays, false);
    await scheduler.start();
    // Ten batches of 1,000, one per pass.
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toHaveLength(10_000);
    expect(runs[0]).toBe(iso(-thirtyDays));
    expect(runs.at(-1)).toBe(iso(-thirtyDays + 9_999 * SECOND));
    expect(catchUps).toHaveLength(1);
    expect(catchUps[0]).toMatchObject({
      missedRunTimes: 10_001,
      countComplete: false,
      runs: 10_000,
    });
    expect((await scheduler.getJob('runaway'))?.nextRunTime).toEqual(t(SECOND));
    expect(warnings()).toEqual([
      `Job "runaway" (runaway) missed at least 10,001 run times while the scheduler was not running, from ${iso(-thirtyDays)} to ${iso(0)}; running the first 10,000 and skipping the rest (at most 10,000 are replayed)`,
      `Job "runaway" (runaway) replayed 10,000 missed run times; the rest, from ${iso(-thirtyDays + 10_000 * SECOND)} to ${iso(0)}, are skipped`,
    ]);
    // Then it runs on schedule.
    await vi.advanceTimersByTimeAsync(2 * SECOND);
    expect(runs.slice(10_000)).toEqual([iso(SECOND), iso(2 * SECOND)]);
  });
});
