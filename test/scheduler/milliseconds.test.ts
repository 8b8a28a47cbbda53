/**
 * The scheduler at millisecond resolution (SPEC §2 "Precision": date and
 * interval triggers keep milliseconds, as Node users expect from `setTimeout`;
 * "Main loop semantics": it never runs a job before its time). Driven with
 * vitest fake timers from 2024-01-01T00:00:00.400Z, so that "the next whole
 * second" (T0 + 600 ms) differs from every time a test expects.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type BaseScheduler,
  currentJob,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_MISSED,
  EVENT_JOB_SUBMITTED,
  type SchedulerConfig,
  silentLogger,
} from '../../src/index.ts';
import { EventRecorder, ProbedScheduler, sleep } from '../helpers/scheduler-harness.ts';

const T0 = Date.parse('2024-01-01T00:00:00.400Z');

/** The instant T0 + ms. */
const t = (ms: number): Date => new Date(T0 + ms);
const isoAt = (ms: number): string => t(ms).toISOString();

let live: BaseScheduler[] = [];

function makeScheduler(config: SchedulerConfig = {}): ProbedScheduler {
  const scheduler = new ProbedScheduler({ logger: silentLogger, timezone: 'UTC', ...config });
  live.push(scheduler);
  return scheduler;
}

/** Advances fake time until T0 + ms. */
async function advanceTo(ms: number): Promise<void> {
  const delta = T0 + ms - Date.now();
  if (delta < 0) throw new Error(`advanceTo(${ms}) is in the past`);
  await vi.advanceTimersByTimeAsync(delta);
}

/**
 * A job function that takes `ms` of (fake) time, recording the scheduled run
 * time of each run and the wall clock (ms since T0) when it started.
 */
function timedJob(ms = 0): {
  scheduled: string[];
  startedAt: number[];
  fn: () => Promise<string>;
} {
  const scheduled: string[] = [];
  const startedAt: number[] = [];
  return {
    scheduled,
    startedAt,
    fn: async () => {
      scheduled.push(currentJob()?.scheduledRunTime.toISOString() ?? 'outside a job');
      startedAt.push(Date.now() - T0);
      if (ms > 0) await sleep(ms);
      return 'done';
    },
  };
}

const runTimesOf = (events: readonly { scheduledRunTimes: readonly Date[] }[]): string[] =>
  events.flatMap((e) => e.scheduledRunTimes.map((d) => d.toISOString()));

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  for (const scheduler of live) {
    if (scheduler.running) await scheduler.shutdown({ wait: false });
  }
  live = [];
  vi.useRealTimers();
});

describe('date jobs keep their millisecond', () => {
  it('a date job 100 ms ahead runs at +100 ms, not at the next whole second', async () => {
    const scheduler = makeScheduler();
    const job = timedJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, 'date', { runDate: new Date(Date.now() + 100), id: 'soon' });
    await advanceTo(99);
    expect(job.startedAt).toEqual([]);
    await advanceTo(100);
    expect(job.scheduled).toEqual([isoAt(100)]);
    expect(job.startedAt).toEqual([100]);
  });

  it('shutdown({ wait: true }) 300 ms after adding a date job 100 ms ahead finds it run', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = timedJob(50);
    await scheduler.start();
    await scheduler.addJob(job.fn, 'date', { runDate: new Date(Date.now() + 100), id: 'soon' });
    await advanceTo(300);
    const stopped = scheduler.shutdown({ wait: true });
    await vi.advanceTimersByTimeAsync(0);
    await stopped;
    expect(job.scheduled).toEqual([isoAt(100)]);
    expect(recorder.executions(EVENT_JOB_EXECUTED).map((e) => e.scheduledRunTime)).toEqual([
      t(100),
    ]);
  });

  it('a job without a trigger ("run once, now") runs at once, at the millisecond it was added', async () => {
    const scheduler = makeScheduler();
    const job = timedJob();
    await scheduler.start();
    await advanceTo(37);
    const added = await scheduler.addJob(job.fn, undefined, { id: 'now' });
    expect(added.nextRunTime).toEqual(t(37));
    await vi.advanceTimersByTimeAsync(0);
    expect(job.scheduled).toEqual([isoAt(37)]);
    expect(job.startedAt).toEqual([37]);
  });
});

describe('sub-second intervals', () => {
  it.each([
    ['{ seconds: 0.5 }', { seconds: 0.5 }],
    ['{ milliseconds: 500 }', { milliseconds: 500 }],
  ])('an interval job of %s runs at +500, +1000 and +1500 ms', async (_label, every) => {
    const scheduler = makeScheduler();
    const job = timedJob();
    await scheduler.start();
    const added = await scheduler.addJob(job.fn, 'interval', { ...every, id: 'half' });
    expect(added.nextRunTime).toEqual(t(500));
    await advanceTo(499);
    expect(job.startedAt).toEqual([]);
    await advanceTo(1600);
    expect(job.scheduled).toEqual([isoAt(500), isoAt(1000), isoAt(1500)]);
    expect(job.startedAt).toEqual([500, 1000, 1500]);
    expect((await scheduler.getJob('half'))?.nextRunTime).toEqual(t(2000));
  });
});

describe('misfireGraceTime at millisecond resolution (0.2 s)', () => {
  /** A date job due at +1250 ms, started when the paused scheduler resumes `lateness` ms after it. */
  async function lateBy(lateness: number) {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = timedJob();
    await scheduler.start({ paused: true });
    await scheduler.addJob(job.fn, 'date', { runDate: t(1250), id: 'late', misfireGraceTime: 0.2 });
    vi.setSystemTime(t(1250 + lateness));
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(0);
    return { recorder, job };
  }

  it('a run 150 ms late runs', async () => {
    const { recorder, job } = await lateBy(150);
    expect(job.scheduled).toEqual([isoAt(1250)]);
    expect(recorder.executions(EVENT_JOB_MISSED)).toHaveLength(0);
  });

  it('a run exactly 200 ms late runs (only strictly greater misses)', async () => {
    const { recorder, job } = await lateBy(200);
    expect(job.scheduled).toEqual([isoAt(1250)]);
    expect(recorder.executions(EVENT_JOB_MISSED)).toHaveLength(0);
  });

  it('a run 201 ms late is missed', async () => {
    const { recorder, job } = await lateBy(201);
    expect(job.scheduled).toEqual([]);
    expect(recorder.executions(EVENT_JOB_MISSED).map((e) => e.scheduledRunTime)).toEqual([t(1250)]);
  });

  it('a run 250 ms late is missed', async () => {
    const { recorder, job } = await lateBy(250);
    expect(job.scheduled).toEqual([]);
    expect(recorder.executions(EVENT_JOB_MISSED).map((e) => e.scheduledRunTime)).toEqual([t(1250)]);
  });
});

describe('maxInstances with a 100 ms interval and a 350 ms job', () => {
  async function overlap(maxInstances: number) {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = timedJob(350);
    await scheduler.start();
    await scheduler.addJob(job.fn, 'interval', {
      milliseconds: 100,
      startDate: t(100),
      id: 'busy',
      maxInstances,
    });
    await advanceTo(1000);
    return { recorder, job };
  }

  it('maxInstances 1: 100 runs until 450, so 200–400 are refused; 500 runs until 850 (600–800 refused); 900 runs (1000 refused)', async () => {
    const { recorder, job } = await overlap(1);
    expect(job.scheduled).toEqual([isoAt(100), isoAt(500), isoAt(900)]);
    expect(job.startedAt).toEqual([100, 500, 900]);
    expect(runTimesOf(recorder.submissions(EVENT_JOB_MAX_INSTANCES))).toEqual([
      isoAt(200),
      isoAt(300),
      isoAt(400),
      isoAt(600),
      isoAt(700),
      isoAt(800),
      isoAt(1000),
    ]);
    expect(runTimesOf(recorder.submissions(EVENT_JOB_SUBMITTED))).toEqual([
      isoAt(100),
      isoAt(500),
      isoAt(900),
    ]);
  });

  it('maxInstances 2: 100 (→ 450) and 200 (→ 550) overlap; 300 and 400 are refused; 500 and 600 run; 700 and 800 are refused', async () => {
    const { recorder, job } = await overlap(2);
    expect(job.startedAt).toEqual([100, 200, 500, 600, 900, 1000]);
    expect(runTimesOf(recorder.submissions(EVENT_JOB_MAX_INSTANCES))).toEqual([
      isoAt(300),
      isoAt(400),
      isoAt(700),
      isoAt(800),
    ]);
  });
});

describe('the loop wakes at the millisecond and never early', () => {
  it('a timer that fires 1 ms early by the wall clock finds nothing due and sleeps again', async () => {
    const scheduler = makeScheduler();
    const job = timedJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, 'date', { runDate: t(250), id: 'exact' });
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.passes.at(-1)).toEqual({ at: T0, wait: 250 });
    // The loop sleeps 250 ms; the wall clock falls 1 ms behind the timers, as Node's timers can.
    vi.setSystemTime(new Date(Date.now() - 1));
    await vi.advanceTimersByTimeAsync(250);
    expect(Date.now()).toBe(T0 + 249);
    expect(scheduler.passes.some((p) => p.at === T0 + 249)).toBe(true);
    expect(job.startedAt).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(job.scheduled).toEqual([isoAt(250)]);
    expect(job.startedAt).toEqual([250]);
  });

  it('the pass that finds a sub-second job not yet due sleeps exactly until it', async () => {
    const scheduler = makeScheduler();
    await scheduler.start();
    await scheduler.addJob(() => 'ok', 'date', { runDate: t(730), id: 'later' });
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.passes.at(-1)).toEqual({ at: T0, wait: 730 });
  });
});

describe('printJobs and job.toString() show milliseconds only when there are any', () => {
  it('a next run time with milliseconds prints them; a whole second prints none', async () => {
    const scheduler = makeScheduler();
    await scheduler.start({ paused: true });
    const ms = await scheduler.addJob(() => 'ok', 'date', {
      runDate: '2024-01-01T00:00:05.250Z',
      id: 'ms',
      name: 'ms',
    });
    const whole = await scheduler.addJob(() => 'ok', 'interval', {
      seconds: 0.5,
      startDate: '2024-01-01T00:00:06Z',
      id: 'whole',
      name: 'whole',
    });
    expect(String(ms)).toBe(
      'ms (trigger: date[2024-01-01 00:00:05.250+00:00], next run at: 2024-01-01 00:00:05.250+00:00)',
    );
    expect(String(whole)).toBe(
      'whole (trigger: interval[0:00:00.500], next run at: 2024-01-01 00:00:06+00:00)',
    );
    let printed = '';
    await scheduler.printJobs(undefined, { write: (text: string) => (printed += text) });
    expect(printed).toBe(
      [
        'Jobstore default:',
        '    ms (trigger: date[2024-01-01 00:00:05.250+00:00], next run at: 2024-01-01 00:00:05.250+00:00)',
        '    whole (trigger: interval[0:00:00.500], next run at: 2024-01-01 00:00:06+00:00)',
        '',
      ].join('\n'),
    );
  });
});
