/**
 * The main loop, rule by rule (SPEC "Main loop semantics", "Events",
 * "Executors"; reference §1.4–1.8, §3.1), driven deterministically with vitest
 * fake timers from 2024-01-01T00:00:00Z. Fake time does not move while a pass
 * runs, so "the pass at t" reads exactly t.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncExecutor,
  type BaseScheduler,
  ConflictingIdError,
  type CurrentJob,
  currentJob,
  DailyCalendar,
  DateTrigger,
  EVENT_ALL,
  EVENT_ALL_JOBS_REMOVED,
  EVENT_EXECUTOR_ADDED,
  EVENT_EXECUTOR_REMOVED,
  EVENT_JOB_ADDED,
  EVENT_JOB_CATCH_UP,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXCLUDED,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_MISSED,
  EVENT_JOB_MODIFIED,
  EVENT_JOB_REMOVED,
  EVENT_JOB_SUBMITTED,
  EVENT_JOBSTORE_ADDED,
  EVENT_JOBSTORE_ERROR,
  EVENT_JOBSTORE_REMOVED,
  EVENT_SCHEDULER_PAUSED,
  EVENT_SCHEDULER_RESUMED,
  EVENT_SCHEDULER_SHUTDOWN,
  EVENT_SCHEDULER_STARTED,
  IntervalTrigger,
  JobCancelledError,
  JobStoreErrorEvent,
  MemoryJobStore,
  type SchedulerConfig,
  type SchedulerEvent,
  SerializationError,
  silentLogger,
} from '../../src/index.ts';
import { MAX_SLEEP_MS } from '../../src/scheduler/loop/wake-timer.ts';
import {
  at,
  BrokenTriggerError,
  CountingTrigger,
  EventRecorder,
  FlakyStore,
  ProbedScheduler,
  RecordingLogger,
  StoreUnavailableError,
  sleep,
} from '../helpers/scheduler-harness.ts';

const T0 = at('2024-01-01T00:00:00Z').getTime();
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The instant T0 + ms. */
const t = (ms: number): Date => new Date(T0 + ms);
const isoAt = (ms: number): string => t(ms).toISOString();
/** Milliseconds since T0 on the wall clock. */
const elapsed = (): number => Date.now() - T0;

/** Captured before fake timers are installed: a real macrotask boundary. */
const realSetImmediate = globalThis.setImmediate;
const realTurn = (): Promise<void> => new Promise((resolve) => realSetImmediate(resolve));

let live: BaseScheduler[] = [];

function makeScheduler(config: SchedulerConfig = {}): ProbedScheduler {
  const scheduler = new ProbedScheduler({ logger: silentLogger, ...config });
  live.push(scheduler);
  return scheduler;
}

/** Advances fake time until T0 + ms. */
async function advanceTo(ms: number): Promise<void> {
  const delta = T0 + ms - Date.now();
  if (delta < 0) throw new Error(`advanceTo(${ms}) is in the past`);
  await vi.advanceTimersByTimeAsync(delta);
}

/** Sets the wall clock of a paused scheduler to T0 + ms and lets exactly one pass happen there. */
async function resumeAt(scheduler: ProbedScheduler, ms: number): Promise<void> {
  vi.setSystemTime(t(ms));
  scheduler.resume();
  await vi.advanceTimersByTimeAsync(0);
}

/** A job function recording the scheduled run times it ran for (via currentJob()). */
function recordingJob(): { runs: string[]; fn: () => string } {
  const runs: string[] = [];
  return {
    runs,
    fn: () => {
      runs.push(currentJob()?.scheduledRunTime.toISOString() ?? 'outside a job');
      return 'ok';
    },
  };
}

/** A job function that takes `ms` of (fake) time and tracks concurrency. */
function slowJob(ms: number): {
  started: string[];
  finished: string[];
  peak: () => number;
  fn: () => Promise<string>;
} {
  const started: string[] = [];
  const finished: string[] = [];
  let running = 0;
  let peak = 0;
  return {
    started,
    finished,
    peak: () => peak,
    fn: async () => {
      const scheduled = currentJob()?.scheduledRunTime.toISOString() ?? '?';
      started.push(scheduled);
      running++;
      peak = Math.max(peak, running);
      try {
        await sleep(ms);
      } finally {
        running--;
      }
      finished.push(scheduled);
      return 'slow done';
    },
  };
}

const runTimesOf = (events: readonly { scheduledRunTime: Date }[]): string[] =>
  events.map((e) => e.scheduledRunTime.toISOString());

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2024-01-01T00:00:00Z') });
});

afterEach(async () => {
  for (const scheduler of live) {
    if (scheduler.running) await scheduler.shutdown({ wait: false });
  }
  live = [];
  vi.useRealTimers();
});

// ---------------------------------------------------------------------------

describe('coalescing after downtime', () => {
  async function downtimeScenario(coalesce: boolean) {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, 'interval', {
      id: 'minutely',
      seconds: 60,
      startDate: t(MINUTE),
      coalesce,
    });
    await advanceTo(30 * SECOND);
    scheduler.pause();
    await advanceTo(10 * MINUTE + 30 * SECOND);
    expect(job.runs).toEqual([]);
    scheduler.resume();
    await vi.advanceTimersByTimeAsync(0);
    return { scheduler, recorder, job };
  }

  it('coalesce on: the missed runs collapse into one run of the latest missed time', async () => {
    const { scheduler, recorder, job } = await downtimeScenario(true);
    expect(job.runs).toEqual([isoAt(10 * MINUTE)]);
    expect(recorder.lines('minutely').filter((l) => /SUBMITTED|EXECUTED|MISSED/.test(l))).toEqual([
      `JOB_EXECUTED ${isoAt(10 * MINUTE)}`,
      `JOB_SUBMITTED [${isoAt(10 * MINUTE)}]`,
    ]);
    expect((await scheduler.getJob('minutely'))?.nextRunTime).toEqual(t(11 * MINUTE));
  });

  it('coalesce off: every missed time runs, in order, as one batch', async () => {
    const { scheduler, recorder, job } = await downtimeScenario(false);
    const missed = Array.from({ length: 10 }, (_, i) => isoAt((i + 1) * MINUTE));
    expect(job.runs).toEqual(missed);
    const submissions = recorder.submissions(EVENT_JOB_SUBMITTED);
    expect(submissions).toHaveLength(1);
    expect(submissions[0]?.scheduledRunTimes.map((d) => d.toISOString())).toEqual(missed);
    expect((await scheduler.getJob('minutely'))?.nextRunTime).toEqual(t(11 * MINUTE));
  });
});

describe('misfire grace time (checked when the executor starts each run; strictly greater misses)', () => {
  async function lateBy(lateness: number, misfireGraceTime: number | null) {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = recordingJob();
    await scheduler.start({ paused: true });
    await scheduler.addJob(job.fn, new DateTrigger({ runDate: t(SECOND) }), {
      id: 'late',
      misfireGraceTime,
    });
    await resumeAt(scheduler, SECOND + lateness);
    return { recorder, job };
  }

  it('lateness above the grace time: EVENT_JOB_MISSED, the function does not run', async () => {
    const { recorder, job } = await lateBy(1001, 1);
    expect(job.runs).toEqual([]);
    expect(recorder.lines('late').filter((l) => l !== 'JOB_ADDED')).toEqual([
      `JOB_MISSED ${isoAt(SECOND)}`,
      'JOB_REMOVED',
      // Due 1.001 s before the scheduler started: missed while it was not running.
      `JOB_CATCH_UP 1 missed ${isoAt(SECOND)}…${isoAt(SECOND)}, 1 run`,
      `JOB_SUBMITTED [${isoAt(SECOND)}]`,
    ]);
  });

  it('lateness below the grace time: the run executes', async () => {
    const { recorder, job } = await lateBy(999, 1);
    expect(job.runs).toEqual([isoAt(SECOND)]);
    expect(recorder.executions(EVENT_JOB_EXECUTED)).toHaveLength(1);
    expect(recorder.executions(EVENT_JOB_MISSED)).toHaveLength(0);
  });

  it('lateness exactly equal to the grace time: the run executes (only strictly greater misses)', async () => {
    const { recorder, job } = await lateBy(1000, 1);
    expect(job.runs).toEqual([isoAt(SECOND)]);
    expect(recorder.executions(EVENT_JOB_MISSED)).toHaveLength(0);
  });

  it('grace time null: a run a year late still executes', async () => {
    const { recorder, job } = await lateBy(365 * DAY, null);
    expect(job.runs).toEqual([isoAt(SECOND)]);
    expect(recorder.executions(EVENT_JOB_MISSED)).toHaveLength(0);
  });

  it('the default grace time is null (no limit)', async () => {
    const scheduler = makeScheduler();
    const job = recordingJob();
    await scheduler.start({ paused: true });
    const added = await scheduler.addJob(job.fn, new DateTrigger({ runDate: t(SECOND) }));
    expect(added.misfireGraceTime).toBeNull();
    await resumeAt(scheduler, 30 * DAY);
    expect(job.runs).toEqual([isoAt(SECOND)]);
  });

  it('lateness is measured when each run of a batch starts, not at submission', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = slowJob(5 * SECOND);
    await scheduler.start({ paused: true });
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'batch',
      coalesce: false,
      misfireGraceTime: 4,
      nextRunTime: t(SECOND),
    });
    await resumeAt(scheduler, 3 * SECOND);
    // Batch [1 s, 2 s, 3 s]: 1 s starts at once (2 s late); 2 s and 3 s would start at 8 s (6 s and 5 s late).
    expect(recorder.submissions(EVENT_JOB_SUBMITTED)[0]?.scheduledRunTimes).toEqual([
      t(SECOND),
      t(2 * SECOND),
      t(3 * SECOND),
    ]);
    await advanceTo(8 * SECOND);
    expect(job.finished).toEqual([isoAt(SECOND)]);
    expect(runTimesOf(recorder.executions(EVENT_JOB_MISSED))).toEqual([
      isoAt(2 * SECOND),
      isoAt(3 * SECOND),
    ]);
    expect(job.started).not.toContain(isoAt(2 * SECOND));
    expect(job.started).not.toContain(isoAt(3 * SECOND));
  });
});

describe('maxInstances', () => {
  async function overlapScenario(maxInstances: number) {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = slowJob(2500);
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'slow',
      maxInstances,
    });
    return { scheduler, recorder, job };
  }

  it('maxInstances 1: a run due while the previous one still runs is refused (EVENT_JOB_MAX_INSTANCES), lost not postponed, and the next run time still advances', async () => {
    const { scheduler, recorder, job } = await overlapScenario(1);
    await advanceTo(SECOND);
    expect(job.started).toEqual([isoAt(SECOND)]);
    await advanceTo(2 * SECOND);
    expect(recorder.lines('slow').filter((l) => l.startsWith('JOB_MAX'))).toEqual([
      `JOB_MAX_INSTANCES [${isoAt(2 * SECOND)}]`,
    ]);
    expect((await scheduler.getJob('slow'))?.nextRunTime).toEqual(t(3 * SECOND));
    await advanceTo(4 * SECOND);
    // 1 s runs until 3.5 s; 2 s and 3 s are refused; 4 s runs.
    expect(job.started).toEqual([isoAt(SECOND), isoAt(4 * SECOND)]);
    expect(recorder.lines('slow').filter((l) => l !== 'JOB_ADDED')).toEqual([
      `JOB_SUBMITTED [${isoAt(SECOND)}]`,
      `JOB_MAX_INSTANCES [${isoAt(2 * SECOND)}]`,
      `JOB_MAX_INSTANCES [${isoAt(3 * SECOND)}]`,
      `JOB_EXECUTED ${isoAt(SECOND)}`,
      `JOB_SUBMITTED [${isoAt(4 * SECOND)}]`,
    ]);
    // The refused run times never run later.
    await advanceTo(20 * SECOND);
    const ran = [...job.started];
    expect(ran).not.toContain(isoAt(2 * SECOND));
    expect(ran).not.toContain(isoAt(3 * SECOND));
    expect(job.peak()).toBe(1);
  });

  it('maxInstances 2: two runs may overlap, a third is refused', async () => {
    const { recorder, job } = await overlapScenario(2);
    await advanceTo(6 * SECOND);
    // 1 s → 3.5 s, 2 s → 4.5 s, 3 s refused, 4 s → 6.5 s, 5 s → 7.5 s, 6 s refused.
    expect(job.started).toEqual([
      isoAt(SECOND),
      isoAt(2 * SECOND),
      isoAt(4 * SECOND),
      isoAt(5 * SECOND),
    ]);
    expect(
      recorder
        .submissions(EVENT_JOB_MAX_INSTANCES)
        .map((e) => e.scheduledRunTimes[0]?.toISOString()),
    ).toEqual([isoAt(3 * SECOND), isoAt(6 * SECOND)]);
    expect(job.peak()).toBe(2);
  });

  it('a batch of several run times counts as one instance', async () => {
    const executor = new AsyncExecutor();
    const scheduler = makeScheduler({ executors: { default: executor } });
    const recorder = new EventRecorder(scheduler);
    const job = slowJob(1500);
    await scheduler.start({ paused: true });
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'batch',
      coalesce: false,
      maxInstances: 1,
      nextRunTime: t(SECOND),
    });
    await resumeAt(scheduler, 3 * SECOND);
    expect(recorder.submissions(EVENT_JOB_SUBMITTED)[0]?.scheduledRunTimes).toHaveLength(3);
    expect(recorder.submissions(EVENT_JOB_MAX_INSTANCES)).toHaveLength(0);
    expect(executor.runningInstances('batch')).toBe(1);
    // The batch (3 s → 7.5 s) still runs at 4 s: the run due then is refused.
    await advanceTo(4 * SECOND);
    expect(recorder.submissions(EVENT_JOB_MAX_INSTANCES).map((e) => e.scheduledRunTimes)).toEqual([
      [t(4 * SECOND)],
    ]);
    await advanceTo(7500);
    expect(job.finished).toEqual([isoAt(SECOND), isoAt(2 * SECOND), isoAt(3 * SECOND)]);
    expect(job.peak()).toBe(1);
    expect(executor.runningInstances('batch')).toBe(0);
  });
});

describe('paused jobs (nextRunTime null) are never due', () => {
  it('a job added with nextRunTime null never runs', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = recordingJob();
    await scheduler.start();
    const added = await scheduler.addJob(job.fn, 'interval', {
      seconds: 1,
      id: 'p',
      nextRunTime: null,
    });
    expect(added.nextRunTime).toBeNull();
    await advanceTo(HOUR);
    expect(job.runs).toEqual([]);
    expect(recorder.submissions()).toEqual([]);
    expect((await scheduler.getJob('p'))?.nextRunTime).toBeNull();
  });

  it('pauseJob stops a running schedule', async () => {
    const scheduler = makeScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'p',
    });
    await advanceTo(2500);
    await scheduler.pauseJob('p');
    await advanceTo(10 * MINUTE);
    expect(job.runs).toEqual([isoAt(SECOND), isoAt(2 * SECOND)]);
  });

  it('resumeJob skips the runs missed while paused and continues from now', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 60, startDate: t(MINUTE) }), {
      id: 'p',
      coalesce: false,
    });
    await advanceTo(30 * SECOND);
    await scheduler.pauseJob('p');
    await advanceTo(5 * MINUTE + 10 * SECOND);
    const resumed = await scheduler.resumeJob('p');
    expect(resumed?.nextRunTime).toEqual(t(6 * MINUTE));
    await advanceTo(6 * MINUTE - 1);
    expect(job.runs).toEqual([]);
    await advanceTo(6 * MINUTE);
    expect(job.runs).toEqual([isoAt(6 * MINUTE)]);
    expect(recorder.submissions(EVENT_JOB_SUBMITTED).map((e) => e.scheduledRunTimes)).toEqual([
      [t(6 * MINUTE)],
    ]);
  });
});

describe('job API calls wake the sleeping loop', () => {
  async function sleepingLoop() {
    const scheduler = makeScheduler();
    const job = recordingJob();
    await scheduler.start();
    // Due in an hour: the loop sleeps until its next 10 s re-check.
    await scheduler.addJob(job.fn, new IntervalTrigger({ hours: 1, startDate: t(HOUR) }), {
      id: 'w',
    });
    await advanceTo(2 * SECOND);
    const lastPass = scheduler.passes.at(-1);
    expect(lastPass?.at).toBe(T0);
    expect(lastPass?.wait).toBe(HOUR);
    return { scheduler, job };
  }

  it('modifyJob: a job moved to run in 1 s runs after 1 s, not at the next scheduled wakeup', async () => {
    const { scheduler, job } = await sleepingLoop();
    await scheduler.modifyJob('w', { nextRunTime: t(3 * SECOND) });
    await advanceTo(3 * SECOND - 1);
    expect(job.runs).toEqual([]);
    await advanceTo(3 * SECOND);
    expect(job.runs).toEqual([isoAt(3 * SECOND)]);
  });

  it('rescheduleJob: a job rescheduled to every second runs after 1 s', async () => {
    const { scheduler, job } = await sleepingLoop();
    const rescheduled = await scheduler.rescheduleJob('w', 'interval', { seconds: 1 });
    expect(rescheduled.nextRunTime).toEqual(t(3 * SECOND));
    await advanceTo(3 * SECOND - 1);
    expect(job.runs).toEqual([]);
    await advanceTo(3 * SECOND);
    expect(job.runs).toEqual([isoAt(3 * SECOND)]);
  });

  it('resumeJob: a resumed job runs at its next fire time even though the idle loop slept for 10 s', async () => {
    const scheduler = makeScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 4, startDate: t(4 * SECOND) }), {
      id: 'w',
    });
    await advanceTo(SECOND);
    await scheduler.pauseJob('w');
    await advanceTo(2 * SECOND);
    // No scheduled job left: the loop's last pass waits until woken (it re-checks after MAX_SLEEP_MS).
    expect(scheduler.passes.at(-1)).toEqual({ at: T0 + SECOND, wait: null });
    await scheduler.resumeJob('w');
    await advanceTo(4 * SECOND);
    expect(job.runs).toEqual([isoAt(4 * SECOND)]);
  });

  it.each([
    ['pauseJob', (s: ProbedScheduler) => s.pauseJob('w')],
    ['resumeJob', (s: ProbedScheduler) => s.resumeJob('w')],
    ['modifyJob', (s: ProbedScheduler) => s.modifyJob('w', { name: 'renamed' })],
    ['rescheduleJob', (s: ProbedScheduler) => s.rescheduleJob('w', 'interval', { minutes: 5 })],
  ] as const)('%s starts a pass at once', async (_name, call) => {
    const { scheduler } = await sleepingLoop();
    const passes = scheduler.passes.length;
    await call(scheduler);
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.passes.length).toBeGreaterThan(passes);
    expect(scheduler.passes.at(-1)?.at).toBe(T0 + 2 * SECOND);
  });
});

describe('a date trigger in the past', () => {
  it('runs once at start (misfireGraceTime null) and is then removed', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = recordingJob();
    await scheduler.addJob(job.fn, 'date', { runDate: t(-DAY), id: 'past' });
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(job.runs).toEqual([isoAt(-DAY)]);
    // (The order of EXECUTED and JOB_REMOVED is covered in worked-examples.test.ts.)
    expect(recorder.lines('past').sort()).toEqual(
      [
        'JOB_ADDED',
        `JOB_CATCH_UP 1 missed ${isoAt(-DAY)}…${isoAt(-DAY)}, 1 run`,
        `JOB_EXECUTED ${isoAt(-DAY)}`,
        'JOB_REMOVED',
        `JOB_SUBMITTED [${isoAt(-DAY)}]`,
      ].sort(),
    );
    expect(recorder.lines('past').at(-1)).toBe(`JOB_SUBMITTED [${isoAt(-DAY)}]`);
    expect(await scheduler.getJob('past')).toBeNull();
    await advanceTo(MINUTE);
    expect(job.runs).toHaveLength(1);
  });
});

describe('a job removed while its run is in progress', () => {
  it('finishes, reports EVENT_JOB_EXECUTED and is not run again', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = slowJob(3 * SECOND);
    await scheduler.start();
    await scheduler.addJob(
      job.fn,
      new IntervalTrigger({ seconds: 10, startDate: t(10 * SECOND) }),
      {
        id: 'r',
      },
    );
    await advanceTo(11 * SECOND);
    expect(job.started).toEqual([isoAt(10 * SECOND)]);
    await scheduler.removeJob('r');
    expect(await scheduler.getJob('r')).toBeNull();
    await advanceTo(13 * SECOND);
    const executed = recorder.executions(EVENT_JOB_EXECUTED);
    expect(runTimesOf(executed)).toEqual([isoAt(10 * SECOND)]);
    expect(executed[0]?.retval).toBe('slow done');
    await advanceTo(MINUTE);
    expect(job.started).toEqual([isoAt(10 * SECOND)]);
    expect(recorder.lines('r')).toEqual([
      'JOB_ADDED',
      `JOB_SUBMITTED [${isoAt(10 * SECOND)}]`,
      'JOB_REMOVED',
      `JOB_EXECUTED ${isoAt(10 * SECOND)}`,
    ]);
  });
});

describe('executor lookup failure', () => {
  it('a due job whose executor was removed is paused (EVENT_JOB_MODIFIED), kept, not run, and the loop goes on', async () => {
    const logger = new RecordingLogger();
    const scheduler = makeScheduler({ logger });
    const recorder = new EventRecorder(scheduler);
    const orphan = recordingJob();
    const healthy = recordingJob();
    await scheduler.start();
    await scheduler.addExecutor(new AsyncExecutor(), 'spare');
    await scheduler.addJob(orphan.fn, 'interval', {
      seconds: 5,
      startDate: t(5 * SECOND),
      executor: 'spare',
      id: 'orphan',
    });
    await scheduler.addJob(healthy.fn, 'interval', {
      seconds: 5,
      startDate: t(5 * SECOND),
      id: 'healthy',
    });
    await scheduler.removeExecutor('spare');
    expect(recorder.select(undefined, EVENT_EXECUTOR_REMOVED).map((e) => e.alias)).toEqual([
      'spare',
    ]);
    await advanceTo(5 * SECOND);
    expect(orphan.runs).toEqual([]);
    expect(recorder.lines('orphan')).toEqual(['JOB_ADDED', 'JOB_MODIFIED']);
    const kept = await scheduler.getJob('orphan');
    expect(kept?.nextRunTime).toBeNull();
    expect(logger.at('error').map((r) => r.message)).toContain(
      'Job "fn" (orphan) is paused: its executor "spare" is not configured; add the executor and resume the job',
    );
    await advanceTo(10 * SECOND);
    expect(healthy.runs).toEqual([isoAt(5 * SECOND), isoAt(10 * SECOND)]);
    // Once the executor is back, resuming the job runs it on its schedule again.
    await scheduler.addExecutor(new AsyncExecutor(), 'spare');
    await advanceTo(12 * SECOND);
    await scheduler.resumeJob('orphan');
    await advanceTo(15 * SECOND);
    expect(orphan.runs).toEqual([isoAt(15 * SECOND)]);
  });
});

describe('a job function that throws', () => {
  it('reports EVENT_JOB_ERROR with the exception and its stack as traceback, and the loop goes on', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const failure = new Error('boom');
    let calls = 0;
    await scheduler.start();
    await scheduler.addJob(
      () => {
        calls++;
        if (calls === 1) throw failure;
        return calls;
      },
      new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }),
      { id: 'thrower' },
    );
    await advanceTo(3 * SECOND);
    expect(recorder.lines('thrower').filter((l) => /EXECUTED|ERROR/.test(l))).toEqual([
      `JOB_ERROR ${isoAt(SECOND)}`,
      `JOB_EXECUTED ${isoAt(2 * SECOND)}`,
      `JOB_EXECUTED ${isoAt(3 * SECOND)}`,
    ]);
    const [error] = recorder.executions(EVENT_JOB_ERROR);
    expect(error?.exception).toBe(failure);
    expect(error?.traceback).toContain('Error: boom');
    expect(error?.traceback).toMatch(/\n\s+at /);
    expect(error?.retval).toBeUndefined();
  });

  it('a rejected promise is an EVENT_JOB_ERROR too', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const failure = new TypeError('async boom');
    await scheduler.start();
    await scheduler.addJob(
      async () => {
        await sleep(10);
        throw failure;
      },
      'date',
      { runDate: t(SECOND), id: 'rejecter' },
    );
    await advanceTo(2 * SECOND);
    const errors = recorder.executions(EVENT_JOB_ERROR);
    expect(errors.map((e) => e.exception)).toEqual([failure]);
    expect(errors[0]?.traceback).toContain('TypeError: async boom');
  });
});

describe('job store failures are evented and retried after jobstoreRetryInterval', () => {
  function flakyScheduler() {
    const store = new FlakyStore();
    const scheduler = makeScheduler({ jobstores: { default: store }, jobstoreRetryInterval: 5 });
    const recorder = new EventRecorder(scheduler);
    return { store, scheduler, recorder };
  }

  it('getDueJobs failing: EVENT_JOBSTORE_ERROR, retried every 5 s, the due run happens once when the store is back', async () => {
    const { store, scheduler, recorder } = flakyScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 60, startDate: t(SECOND) }), {
      id: 'j',
      coalesce: false,
    });
    await vi.advanceTimersByTimeAsync(0);
    store.fail('getDueJobs');
    await advanceTo(SECOND);
    const errors = recorder.select(undefined, EVENT_JOBSTORE_ERROR);
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(error).toBeInstanceOf(JobStoreErrorEvent);
    if (error instanceof JobStoreErrorEvent) {
      expect(error.alias).toBe('default');
      expect(error.operation).toBe('getDueJobs');
      expect(error.exception).toBeInstanceOf(StoreUnavailableError);
    }
    // Retried after the retry interval, not before.
    await advanceTo(6 * SECOND - 1);
    expect(store.failureCount('getDueJobs')).toBe(1);
    await advanceTo(6 * SECOND);
    expect(store.failureCount('getDueJobs')).toBe(2);
    expect(recorder.select(undefined, EVENT_JOBSTORE_ERROR)).toHaveLength(2);
    await advanceTo(8 * SECOND);
    store.heal();
    await advanceTo(11 * SECOND);
    expect(job.runs).toEqual([isoAt(SECOND)]);
    await advanceTo(130 * SECOND);
    expect(job.runs).toEqual([isoAt(SECOND), isoAt(61 * SECOND), isoAt(121 * SECOND)]);
  });

  it('getDueJobs failing for 12 s under a 1-second job (coalesce off): every run time runs exactly once after recovery', async () => {
    const { store, scheduler } = flakyScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'j',
      coalesce: false,
    });
    await advanceTo(2 * SECOND);
    store.fail('getDueJobs');
    await advanceTo(14 * SECOND);
    expect(job.runs).toEqual([isoAt(SECOND), isoAt(2 * SECOND)]);
    store.heal();
    await advanceTo(30 * SECOND);
    expect(job.runs).toEqual(Array.from({ length: 30 }, (_, i) => isoAt((i + 1) * SECOND)));
  });

  it('one failing store does not hold up the jobs of another store', async () => {
    const flaky = new FlakyStore();
    const scheduler = makeScheduler({
      jobstores: { default: new MemoryJobStore(), flaky },
      jobstoreRetryInterval: 5,
    });
    const recorder = new EventRecorder(scheduler);
    const healthy = recordingJob();
    const stuck = recordingJob();
    await scheduler.start();
    await scheduler.addJob(healthy.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'h',
    });
    await scheduler.addJob(stuck.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 's',
      jobstore: 'flaky',
    });
    flaky.fail('getDueJobs');
    await advanceTo(4 * SECOND);
    expect(healthy.runs).toEqual([
      isoAt(SECOND),
      isoAt(2 * SECOND),
      isoAt(3 * SECOND),
      isoAt(4 * SECOND),
    ]);
    expect(stuck.runs).toEqual([]);
    const errors = recorder.select(undefined, EVENT_JOBSTORE_ERROR);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.alias === 'flaky')).toBe(true);
  });

  it('a failed store is tried again after jobstoreRetryInterval, not whenever another store wakes the loop', async () => {
    const flaky = new FlakyStore();
    const scheduler = makeScheduler({
      jobstores: { default: new MemoryJobStore(), flaky },
      jobstoreRetryInterval: 10,
    });
    const busy = recordingJob();
    await scheduler.start();
    // A job every second in the healthy store wakes the loop every second.
    await scheduler.addJob(busy.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'busy',
    });
    await vi.advanceTimersByTimeAsync(0);
    flaky.fail('getDueJobs');
    await advanceTo(SECOND);
    expect(flaky.failureCount('getDueJobs')).toBe(1);
    await advanceTo(11 * SECOND - 1);
    expect(busy.runs).toHaveLength(10);
    expect(flaky.failureCount('getDueJobs')).toBe(1);
    await advanceTo(11 * SECOND);
    expect(flaky.failureCount('getDueJobs')).toBe(2);
    await advanceTo(31 * SECOND);
    expect(flaky.failureCount('getDueJobs')).toBe(4);
  });

  it('updateJob failing after a submission: evented, retried, no run lost and none doubled', async () => {
    const { store, scheduler, recorder } = flakyScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'j',
      coalesce: false,
    });
    await vi.advanceTimersByTimeAsync(0);
    store.fail('updateJob');
    await advanceTo(SECOND);
    expect(job.runs).toEqual([isoAt(SECOND)]);
    const errors = recorder.select(undefined, EVENT_JOBSTORE_ERROR);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    const [first] = errors;
    if (first instanceof JobStoreErrorEvent) {
      expect(first.operation).toBe('updateJob');
      expect(first.jobId).toBe('j');
    } else {
      expect.unreachable('expected a JobStoreErrorEvent');
    }
    await advanceTo(7500);
    // Not a hot loop: a handful of retries in 6.5 s.
    expect(store.failureCount('updateJob')).toBeLessThanOrEqual(4);
    // The run already submitted is not run again while its next run time is not persisted.
    expect(job.runs).toEqual([isoAt(SECOND)]);
    store.heal();
    await advanceTo(20 * SECOND);
    const expected = Array.from({ length: 20 }, (_, i) => isoAt((i + 1) * SECOND));
    expect([...job.runs].sort()).toEqual(expected);
    expect(job.runs).toHaveLength(20);
    const submitted = recorder.submissions(EVENT_JOB_SUBMITTED).flatMap((e) => e.scheduledRunTimes);
    expect(submitted.map((d) => d.toISOString())).toEqual(expected);
  });

  it('removeJob failing for a finished trigger: evented, retried, the job runs once and is removed once', async () => {
    const { store, scheduler, recorder } = flakyScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, 'date', { runDate: t(SECOND), id: 'once' });
    await vi.advanceTimersByTimeAsync(0);
    store.fail('removeJob');
    await advanceTo(SECOND);
    expect(job.runs).toEqual([isoAt(SECOND)]);
    const [error] = recorder.select(undefined, EVENT_JOBSTORE_ERROR);
    if (error instanceof JobStoreErrorEvent) {
      expect(error.operation).toBe('removeJob');
      expect(error.jobId).toBe('once');
    } else {
      expect.unreachable('expected a JobStoreErrorEvent');
    }
    expect(recorder.select('once', EVENT_JOB_REMOVED)).toHaveLength(0);
    const passesBefore = scheduler.passes.length;
    await advanceTo(12 * SECOND);
    expect(scheduler.passes.length - passesBefore).toBeLessThanOrEqual(5);
    expect(job.runs).toEqual([isoAt(SECOND)]);
    store.heal();
    await advanceTo(30 * SECOND);
    expect(job.runs).toEqual([isoAt(SECOND)]);
    expect(recorder.select('once', EVENT_JOB_REMOVED)).toHaveLength(1);
    expect(await store.inner.lookupJob('once')).toBeNull();
  });

  it('getNextRunTime failing: evented and retried, the loop keeps running jobs', async () => {
    const { store, scheduler, recorder } = flakyScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 5, startDate: t(5 * SECOND) }), {
      id: 'j',
    });
    await vi.advanceTimersByTimeAsync(0);
    store.failNext('getNextRunTime', 1);
    await advanceTo(5 * SECOND);
    const errors = recorder.select(undefined, EVENT_JOBSTORE_ERROR);
    expect(errors.map((e) => (e instanceof JobStoreErrorEvent ? e.operation : '?'))).toEqual([
      'getNextRunTime',
    ]);
    await advanceTo(20 * SECOND);
    expect(job.runs).toEqual([
      isoAt(5 * SECOND),
      isoAt(10 * SECOND),
      isoAt(15 * SECOND),
      isoAt(20 * SECOND),
    ]);
  });
});

describe('a trigger whose getNextFireTime throws', () => {
  it('pauses the job (nextRunTime null, EVENT_JOB_MODIFIED), does not delete it, and the loop stays alive', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const broken = recordingJob();
    const healthy = recordingJob();
    const trigger = new CountingTrigger(new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }));
    trigger.breakWhen = (previous) => previous !== null;
    await scheduler.start();
    await scheduler.addJob(broken.fn, trigger, { id: 'broken' });
    await scheduler.addJob(healthy.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
      id: 'healthy',
    });
    await advanceTo(3 * SECOND);
    const job = await scheduler.getJob('broken');
    expect(job).not.toBeNull();
    expect(job?.nextRunTime).toBeNull();
    expect(recorder.select('broken', EVENT_JOB_MODIFIED)).toHaveLength(1);
    expect(recorder.select('broken', EVENT_JOB_REMOVED)).toHaveLength(0);
    expect(healthy.runs).toEqual([isoAt(SECOND), isoAt(2 * SECOND), isoAt(3 * SECOND)]);
    expect(scheduler.running).toBe(true);
  });

  it('the error is logged', async () => {
    const logger = new RecordingLogger();
    const scheduler = makeScheduler({ logger });
    const trigger = new CountingTrigger(new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }));
    trigger.breakWhen = (previous) => previous !== null;
    await scheduler.start();
    await scheduler.addJob(() => {}, trigger, { id: 'broken' });
    await advanceTo(SECOND);
    expect(
      logger.at('error').some((r) => r.details.some((d) => d instanceof BrokenTriggerError)),
    ).toBe(true);
  });
});

describe('bounded catch-up', () => {
  it('coalesce on: a 1-second job a year behind is caught up in one pass with one run and few trigger calls', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = recordingJob();
    const yearAgo = -365 * DAY;
    const trigger = new CountingTrigger(new IntervalTrigger({ seconds: 1, startDate: t(yearAgo) }));
    await scheduler.addJob(job.fn, trigger, {
      id: 'catchup',
      coalesce: true,
      nextRunTime: t(yearAgo),
    });
    trigger.calls = 0;
    await scheduler.start();
    await vi.advanceTimersByTimeAsync(0);
    // Fewer than 200 calls to plan the run, and 1,000 to count what was missed (then "at least 1,000").
    expect(trigger.calls).toBeLessThan(1200);
    expect(job.runs).toEqual([isoAt(0)]);
    expect(recorder.lines('catchup').filter((l) => !l.startsWith('JOB_ADDED'))).toEqual([
      `JOB_EXECUTED ${isoAt(0)}`,
      `JOB_CATCH_UP 1000+ missed ${isoAt(yearAgo)}…${isoAt(0)}, 1 run`,
      `JOB_SUBMITTED [${isoAt(0)}]`,
    ]);
    expect((await scheduler.getJob('catchup'))?.nextRunTime).toEqual(t(SECOND));
  });

  it('coalesce off: batches are capped at 1000 run times per pass and every run time is eventually processed or missed', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = recordingJob();
    const behind = -2500 * SECOND;
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(behind) }), {
      id: 'catchup',
      coalesce: false,
      misfireGraceTime: 1800,
      nextRunTime: t(behind),
    });
    await scheduler.start();
    // The remainder is processed by the next passes (a 0 ms timer set during a fake tick fires 1 ms later).
    await vi.advanceTimersByTimeAsync(10);
    const batches = recorder.submissions(EVENT_JOB_SUBMITTED);
    expect(batches.map((b) => b.scheduledRunTimes.length)).toEqual([1000, 1000, 501]);
    expect(recorder.submissions(EVENT_JOB_MAX_INSTANCES)).toHaveLength(0);
    const all = Array.from({ length: 2501 }, (_, i) => isoAt(behind + i * SECOND));
    expect(batches.flatMap((b) => b.scheduledRunTimes.map((d) => d.toISOString()))).toEqual(all);
    const missed = runTimesOf(recorder.executions(EVENT_JOB_MISSED));
    const executed = runTimesOf(recorder.executions(EVENT_JOB_EXECUTED));
    expect(missed).toEqual(all.slice(0, 700));
    expect(executed).toEqual(all.slice(700));
    expect(job.runs).toEqual(all.slice(700));
    expect((await scheduler.getJob('catchup'))?.nextRunTime).toEqual(t(SECOND));
  });

  it('coalesce off with an async job: the run times beyond the cap are not refused by maxInstances while the first batch runs', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    const job = slowJob(1);
    const behind = -1200 * SECOND;
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(behind) }), {
      id: 'catchup',
      coalesce: false,
      nextRunTime: t(behind),
    });
    await scheduler.start();
    await advanceTo(5 * SECOND);
    // Every run time that was due when the scheduler started (T0 − 1200 s … T0) runs exactly once.
    const dueAtStart = Array.from({ length: 1201 }, (_, i) => isoAt(behind + i * SECOND));
    const refused = recorder
      .submissions(EVENT_JOB_MAX_INSTANCES)
      .flatMap((e) => e.scheduledRunTimes)
      .filter((d) => d.getTime() <= T0);
    expect({ refused: refused.length, firstRefused: refused[0]?.toISOString() }).toEqual({
      refused: 0,
      firstRefused: undefined,
    });
    expect(job.started.filter((iso) => iso <= isoAt(0))).toEqual(dueAtStart);
  });
});

describe('never early', () => {
  async function dueAtFive() {
    const scheduler = makeScheduler();
    const startedAt: number[] = [];
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(
      () => {
        startedAt.push(Date.now());
        return job.fn();
      },
      'date',
      { runDate: t(5 * SECOND), id: 'five' },
    );
    return { scheduler, job, startedAt };
  }

  it('a job due at T does not start at T − 1 ms, and starts at T', async () => {
    const { job, startedAt } = await dueAtFive();
    await advanceTo(5 * SECOND - 1);
    expect(job.runs).toEqual([]);
    await advanceTo(5 * SECOND);
    expect(job.runs).toEqual([isoAt(5 * SECOND)]);
    expect(startedAt).toEqual([T0 + 5 * SECOND]);
  });

  it('a pass forced at T − 1 ms (wakeup) does not start it', async () => {
    const { scheduler, job } = await dueAtFive();
    await advanceTo(5 * SECOND - 1);
    scheduler.wakeup();
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.passes.at(-1)?.at).toBe(T0 + 5 * SECOND - 1);
    expect(job.runs).toEqual([]);
    await advanceTo(5 * SECOND);
    expect(job.runs).toEqual([isoAt(5 * SECOND)]);
  });

  it('a timer that fires early by the wall clock (clock stepped back 500 ms) does not start it', async () => {
    const { scheduler, job, startedAt } = await dueAtFive();
    await advanceTo(2 * SECOND);
    vi.setSystemTime(t(1500));
    // The loop's timer was due at wall time 5 s; it now fires at wall time 4.5 s.
    await vi.advanceTimersByTimeAsync(3000);
    expect(elapsed()).toBe(4500);
    expect(scheduler.passes.some((p) => p.at === T0 + 4500)).toBe(true);
    expect(job.runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(499);
    expect(job.runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(job.runs).toEqual([isoAt(5 * SECOND)]);
    expect(startedAt.every((ms) => ms >= T0 + 5 * SECOND)).toBe(true);
  });
});

describe('wall-clock jump forward while the loop sleeps', () => {
  async function jumpScenario(
    options: { coalesce: boolean; misfireGraceTime: number | null },
    jump: number,
  ) {
    const logger = new RecordingLogger();
    const scheduler = makeScheduler({ logger });
    const recorder = new EventRecorder(scheduler);
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ hours: 1, startDate: t(HOUR) }), {
      id: 'hourly',
      ...options,
    });
    await advanceTo(5 * SECOND);
    vi.setSystemTime(t(5 * SECOND + jump));
    const jumpedAt = Date.now();
    await vi.advanceTimersByTimeAsync(MAX_SLEEP_MS);
    return { scheduler, recorder, job, jumpedAt, logger };
  }

  it('is noticed within MAX_SLEEP_MS and the missed run is caught up (coalesce, no grace limit)', async () => {
    const { scheduler, recorder, job, jumpedAt, logger } = await jumpScenario(
      { coalesce: true, misfireGraceTime: null },
      HOUR,
    );
    expect(job.runs).toEqual([isoAt(HOUR)]);
    const submitted = recorder.submissions(EVENT_JOB_SUBMITTED);
    expect(submitted).toHaveLength(1);
    const pass = scheduler.passes.find((p) => p.at >= jumpedAt);
    expect(pass).toBeDefined();
    expect((pass?.at ?? Infinity) - jumpedAt).toBeLessThanOrEqual(MAX_SLEEP_MS);
    expect((await scheduler.getJob('hourly'))?.nextRunTime).toEqual(t(2 * HOUR));
    expect(logger.records.some((r) => /jump/i.test(r.message))).toBe(true);
  });

  it('a 3-hour jump with coalescing runs once, for the latest missed time', async () => {
    const { job } = await jumpScenario({ coalesce: true, misfireGraceTime: null }, 3 * HOUR);
    expect(job.runs).toEqual([isoAt(3 * HOUR)]);
  });

  it('a 3-hour jump without coalescing runs every missed time', async () => {
    const { job } = await jumpScenario({ coalesce: false, misfireGraceTime: null }, 3 * HOUR);
    expect(job.runs).toEqual([isoAt(HOUR), isoAt(2 * HOUR), isoAt(3 * HOUR)]);
  });

  it('with a 1 s grace time the run missed during the jump is reported as EVENT_JOB_MISSED', async () => {
    const { recorder, job } = await jumpScenario({ coalesce: true, misfireGraceTime: 1 }, HOUR);
    expect(job.runs).toEqual([]);
    expect(runTimesOf(recorder.executions(EVENT_JOB_MISSED))).toEqual([isoAt(HOUR)]);
  });
});

describe('timers never overflow', () => {
  it('a job 100 days ahead creates no timer longer than MAX_SLEEP_MS (< 2^31 − 1 ms) and still runs on time', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const scheduler = makeScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, 'date', { runDate: t(100 * DAY), id: 'far' });
    await advanceTo(MINUTE);
    const delays = spy.mock.calls
      .map((call) => call[1])
      .filter((d): d is number => typeof d === 'number');
    expect(delays.length).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_SLEEP_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(job.runs).toEqual([]);
    // Jump near the due time (timers keep their remaining delays), then let the loop get there.
    vi.setSystemTime(t(100 * DAY - 5 * SECOND));
    await vi.advanceTimersByTimeAsync(5 * SECOND - 1);
    expect(job.runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(MAX_SLEEP_MS);
    expect(job.runs).toEqual([isoAt(100 * DAY)]);
    const allDelays = spy.mock.calls
      .map((call) => call[1])
      .filter((d): d is number => typeof d === 'number');
    expect(Math.max(...allDelays)).toBeLessThanOrEqual(MAX_SLEEP_MS);
    spy.mockRestore();
  });
});

describe('listener failures are isolated', () => {
  it('the loop survives a listener that throws and an async listener that rejects; no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const logger = new RecordingLogger();
      const scheduler = makeScheduler({ logger });
      const job = recordingJob();
      let syncCalls = 0;
      let asyncCalls = 0;
      const syncError = new Error('listener throws');
      const asyncError = new Error('listener rejects');
      scheduler.addListener(() => {
        syncCalls++;
        throw syncError;
      });
      scheduler.addListener(async () => {
        asyncCalls++;
        await Promise.resolve();
        throw asyncError;
      });
      await scheduler.start();
      await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }), {
        id: 'j',
      });
      await advanceTo(5 * SECOND);
      await scheduler.shutdown();
      await realTurn();
      await realTurn();
      expect(job.runs).toHaveLength(5);
      expect(syncCalls).toBeGreaterThan(5);
      expect(asyncCalls).toBe(syncCalls);
      const loggedErrors = logger.at('error').flatMap((r) => r.details);
      expect(loggedErrors).toContain(syncError);
      expect(loggedErrors).toContain(asyncError);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('event masks', () => {
  const SINGLE_CODES = [
    EVENT_SCHEDULER_STARTED,
    EVENT_SCHEDULER_SHUTDOWN,
    EVENT_SCHEDULER_PAUSED,
    EVENT_SCHEDULER_RESUMED,
    EVENT_EXECUTOR_ADDED,
    EVENT_EXECUTOR_REMOVED,
    EVENT_JOBSTORE_ADDED,
    EVENT_JOBSTORE_REMOVED,
    EVENT_ALL_JOBS_REMOVED,
    EVENT_JOB_ADDED,
    EVENT_JOB_REMOVED,
    EVENT_JOB_MODIFIED,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_ERROR,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOBSTORE_ERROR,
    EVENT_JOB_CATCH_UP,
    EVENT_JOB_EXCLUDED,
  ];

  it("EVENT_ALL contains every code (APScheduler's 131071 plus the codes Horarium adds)", () => {
    for (const code of SINGLE_CODES) expect(EVENT_ALL & code).toBe(code);
    expect(EVENT_ALL & 131071).toBe(131071);
  });

  it('a listener with a single-code mask receives only that code; EVENT_ALL receives every code', async () => {
    const scheduler = makeScheduler({ jobstoreRetryInterval: 1 });
    const single = new Map(SINGLE_CODES.map((code) => [code, new EventRecorder(scheduler, code)]));
    const all = new EventRecorder(scheduler, EVENT_ALL);
    const outcomes = new EventRecorder(scheduler, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR);
    const byDefault: SchedulerEvent[] = [];
    scheduler.addListener((event) => {
      byDefault.push(event);
    });

    await scheduler.start(); // started, executor added, jobstore added
    await scheduler.addExecutor(new AsyncExecutor(), 'extra');
    await scheduler.removeExecutor('extra');
    await scheduler.addJobstore(new MemoryJobStore(), 'second');
    await scheduler.removeJobstore('second');
    scheduler.pause();
    scheduler.resume();
    // added, submitted, executed, removed (the date trigger finishes)
    await scheduler.addJob(() => 'fine', 'date', { runDate: t(SECOND), id: 'ok' });
    // error
    await scheduler.addJob(
      () => {
        throw new Error('bad');
      },
      'date',
      { runDate: t(SECOND), id: 'bad' },
    );
    // missed
    await scheduler.addJob(() => 'late', 'date', {
      runDate: t(-MINUTE),
      id: 'late',
      misfireGraceTime: 1,
    });
    // excluded: the first run time, given, is a time the calendar excludes (one computed by addJob would skip it)
    await scheduler.addCalendar(
      'first-second',
      new DailyCalendar({
        from: new Date(t(SECOND)).toISOString().slice(11, 19),
        to: new Date(t(2 * SECOND)).toISOString().slice(11, 19),
        timezone: 'UTC',
      }),
    );
    await scheduler.addJob(() => 'calendar', 'interval', {
      seconds: 1,
      startDate: t(SECOND),
      nextRunTime: t(SECOND),
      id: 'calendar',
      calendar: 'first-second',
    });
    // max instances
    await scheduler.addJob(() => sleep(1500), 'interval', {
      seconds: 1,
      startDate: t(SECOND),
      id: 'slow',
    });
    await advanceTo(2 * SECOND);
    // modified, all jobs removed
    await scheduler.modifyJob('slow', { name: 'renamed' });
    await scheduler.removeAllJobs();
    // jobstore error
    const flaky = new FlakyStore();
    flaky.failNext('getDueJobs', 1);
    await scheduler.addJobstore(flaky, 'flaky');
    await vi.advanceTimersByTimeAsync(0);
    await advanceTo(5 * SECOND); // let the slow run finish
    await scheduler.shutdown();

    for (const [code, recorder] of single) {
      expect(recorder.events.length, `events for mask ${code}`).toBeGreaterThan(0);
      expect(
        recorder.events.every((e) => e.code === code),
        `only code ${code}`,
      ).toBe(true);
    }
    expect([...all.codes()].sort((a, b) => a - b)).toEqual([...SINGLE_CODES].sort((a, b) => a - b));
    expect(all.events.every((e) => (EVENT_ALL & e.code) === e.code)).toBe(true);
    expect([...outcomes.codes()].sort((a, b) => a - b)).toEqual([
      EVENT_JOB_EXECUTED,
      EVENT_JOB_ERROR,
    ]);
    expect(byDefault).toEqual(all.events);
  });

  it('removeListener stops delivery', async () => {
    const scheduler = makeScheduler();
    const recorder = new EventRecorder(scheduler);
    scheduler.removeListener(recorder.listener);
    await scheduler.start();
    await scheduler.addJob(() => {}, 'date', { runDate: t(SECOND) });
    await advanceTo(2 * SECOND);
    expect(recorder.events).toEqual([]);
  });
});

describe('shutdown', () => {
  async function runningJob(ms: number) {
    const logger = new RecordingLogger();
    const scheduler = makeScheduler({ logger });
    const recorder = new EventRecorder(scheduler);
    let context: CurrentJob | undefined;
    let finished = false;
    await scheduler.start();
    await scheduler.addJob(
      async () => {
        context = currentJob();
        await sleep(ms);
        finished = true;
        return 'finished';
      },
      'date',
      { runDate: t(SECOND), id: 'long' },
    );
    await advanceTo(SECOND);
    expect(context).toBeDefined();
    return {
      scheduler,
      recorder,
      logger,
      signal: (): AbortSignal => (context as CurrentJob).signal,
      finished: () => finished,
    };
  }

  it('shutdown({ wait: true }) waits for a running job', async () => {
    const { scheduler, recorder, signal, finished } = await runningJob(5 * SECOND);
    let resolved = false;
    const stopping = scheduler.shutdown({ wait: true }).then(() => {
      resolved = true;
    });
    await vi.advanceTimersByTimeAsync(5 * SECOND - 1);
    expect(resolved).toBe(false);
    expect(finished()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(resolved).toBe(true);
    expect(finished()).toBe(true);
    expect(signal().aborted).toBe(false);
    const codes = recorder.events.map((e) => e.code);
    expect(codes.indexOf(EVENT_JOB_EXECUTED)).toBeGreaterThanOrEqual(0);
    expect(codes.indexOf(EVENT_JOB_EXECUTED)).toBeLessThan(codes.indexOf(EVENT_SCHEDULER_SHUTDOWN));
    expect(recorder.executions(EVENT_JOB_EXECUTED)[0]?.retval).toBe('finished');
  });

  it('shutdown({ wait: false }) resolves without waiting and aborts the job signal with JobCancelledError', async () => {
    const { scheduler, signal, finished, logger } = await runningJob(HOUR);
    let resolved = false;
    const stopping = scheduler.shutdown({ wait: false }).then(() => {
      resolved = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(resolved).toBe(true);
    await stopping;
    expect(finished()).toBe(false);
    expect(signal().aborted).toBe(true);
    expect(signal().reason).toBeInstanceOf(JobCancelledError);
    expect(scheduler.running).toBe(false);
    // A cancel on purpose is one informative line, not an error with a stack.
    expect(logger.at('error')).toEqual([]);
    expect(logger.records.filter((r) => r.message.includes('cancelled'))).toEqual([
      {
        level: 'info',
        message: 'Job "long" was cancelled: the scheduler shut down without waiting',
        details: [],
      },
    ]);
  });

  it('shutdown({ wait: true, timeout: 2 }) aborts a job still running after 2 s and resolves', async () => {
    const { scheduler, signal, finished } = await runningJob(HOUR);
    let resolved = false;
    const stopping = scheduler.shutdown({ wait: true, timeout: 2 }).then(() => {
      resolved = true;
    });
    await vi.advanceTimersByTimeAsync(2 * SECOND - 1);
    expect(signal().aborted).toBe(false);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(signal().aborted).toBe(true);
    expect(signal().reason).toBeInstanceOf(JobCancelledError);
    expect(resolved).toBe(true);
    await stopping;
    expect(finished()).toBe(false);
  });

  it('no job starts after shutdown', async () => {
    const scheduler = makeScheduler();
    const job = recordingJob();
    await scheduler.start();
    await scheduler.addJob(job.fn, new IntervalTrigger({ seconds: 1, startDate: t(SECOND) }));
    await advanceTo(2 * SECOND);
    await scheduler.shutdown();
    await advanceTo(MINUTE);
    expect(job.runs).toEqual([isoAt(SECOND), isoAt(2 * SECOND)]);
  });
});

describe('jobs added before start with the same id', () => {
  it('without replaceExisting: ConflictingIdError at once', async () => {
    const scheduler = makeScheduler();
    await scheduler.addJob(() => 'a', 'interval', { seconds: 1, id: 'dup' });
    await expect(
      scheduler.addJob(() => 'b', 'interval', { seconds: 1, id: 'dup' }),
    ).rejects.toBeInstanceOf(ConflictingIdError);
    expect(await scheduler.getJobs()).toHaveLength(1);
  });

  it('with replaceExisting: the later job replaces the earlier one', async () => {
    const scheduler = makeScheduler();
    const first = recordingJob();
    const second = recordingJob();
    await scheduler.addJob(first.fn, 'interval', { seconds: 1, id: 'dup' });
    await scheduler.addJob(second.fn, 'interval', { seconds: 1, id: 'dup', replaceExisting: true });
    const pending = await scheduler.getJobs();
    expect(pending).toHaveLength(1);
    expect(pending[0]?.pending).toBe(true);
    expect(pending[0]?.func).toBe(second.fn);
    await scheduler.start();
    await advanceTo(3 * SECOND);
    expect(first.runs).toEqual([]);
    expect(second.runs).toEqual([isoAt(SECOND), isoAt(2 * SECOND), isoAt(3 * SECOND)]);
    expect(await scheduler.getJobs()).toHaveLength(1);
  });
});

describe('export and import', () => {
  it('a job with a registered task survives exportJobs → new scheduler → importJobs with the same trigger state, next run time and args', async () => {
    const calls: unknown[][] = [];
    const report = (count: number, label: string, since: Date): string =>
      `${count} ${label} ${since.toISOString()}`;
    const reportAgain = (...args: unknown[]): void => {
      calls.push(args);
    };
    const since = at('2023-06-01T12:00:00Z');

    const source = makeScheduler();
    source.registerTask('report', report);
    await source.addJob('report', 'interval', {
      minutes: 5,
      startDate: t(0),
      id: 'r',
      args: [42, 'jobs', since],
      coalesce: false,
      maxInstances: 3,
      misfireGraceTime: 30,
    });
    await source.start();
    await advanceTo(7 * MINUTE);
    const original = await source.getJob('r');
    expect(original?.nextRunTime).toEqual(t(10 * MINUTE));
    const exported = await source.exportJobs();
    await source.shutdown();

    const target = makeScheduler();
    target.registerTask('report', reportAgain);
    await target.start();
    const [imported] = await target.importJobs(exported);
    const restored = await target.getJob('r');
    expect(imported?.id).toBe('r');
    expect(restored).not.toBeNull();
    expect(restored?.funcRef).toBe('report');
    expect(restored?.func).toBe(reportAgain);
    expect(restored?.trigger.toJSON()).toEqual(original?.trigger.toJSON());
    expect(restored?.nextRunTime).toEqual(t(10 * MINUTE));
    expect(restored?.args).toEqual([42, 'jobs', since]);
    expect(restored?.args[2]).toBeInstanceOf(Date);
    expect(restored?.coalesce).toBe(false);
    expect(restored?.maxInstances).toBe(3);
    expect(restored?.misfireGraceTime).toBe(30);

    await advanceTo(10 * MINUTE);
    expect(calls).toEqual([[42, 'jobs', since]]);
  });

  it('a job with a plain unregistered function makes exportJobs fail with a SerializationError naming the job', async () => {
    const scheduler = makeScheduler();
    await scheduler.start();
    await scheduler.addJob(function plainJob() {}, 'interval', { seconds: 5, id: 'plain-job' });
    const failure = await scheduler.exportJobs().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SerializationError);
    if (failure instanceof SerializationError) {
      expect(failure.jobId).toBe('plain-job');
      expect(failure.message).toContain('plain-job');
    }
  });
});
