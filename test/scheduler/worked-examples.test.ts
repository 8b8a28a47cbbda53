/**
 * The worked examples of reference §1.9 (APScheduler 3.9.1, synchronous
 * executor, frozen clock), reproduced row by row: an hourly interval job with
 * startDate = nextRunTime = 2024-01-01T00:00Z, and a date trigger at 02:00Z,
 * first processed at 03:00:00.5Z (or 03:00:05Z / 03:00Z).
 *
 * To make the first pass happen exactly at the processing instant, the
 * scheduler is started paused at 00:00Z, the job is added with its explicit
 * next run time, the wall clock is set to the processing instant and the
 * scheduler resumed: resume() wakes the loop with a 0 ms timer, so the pass
 * reads exactly that instant (fake time does not move during a pass).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DateTrigger,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MISSED,
  EVENT_JOB_REMOVED,
  EVENT_JOB_SUBMITTED,
  IntervalTrigger,
  silentLogger,
} from '../../src/index.ts';
import { at, EventRecorder, ProbedScheduler } from '../helpers/scheduler-harness.ts';

const T0 = at('2024-01-01T00:00:00Z');
const H = 3_600_000;
const JOB_CODES = EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_REMOVED | EVENT_JOB_SUBMITTED;

const iso = (h: number): string => new Date(T0.getTime() + h * H).toISOString();

let scheduler: ProbedScheduler;
let recorder: EventRecorder;
let runs: string[];

/** The job function: synchronous, returns a value. */
function hourly(): string {
  runs.push(new Date(Date.now()).toISOString());
  return 'done';
}

beforeEach(async () => {
  vi.useFakeTimers({ now: T0 });
  runs = [];
  scheduler = new ProbedScheduler({ logger: silentLogger });
  recorder = new EventRecorder(scheduler, JOB_CODES);
  await scheduler.start({ paused: true });
});

afterEach(async () => {
  if (scheduler.running) await scheduler.shutdown({ wait: false });
  vi.useRealTimers();
});

/** Adds the hourly job (startDate = nextRunTime = 00:00Z). */
async function addHourly(options: { coalesce: boolean; misfireGraceTime: number | null }) {
  return scheduler.addJob(hourly, new IntervalTrigger({ hours: 1, startDate: T0 }), {
    id: 'hourly',
    nextRunTime: T0,
    ...options,
  });
}

/** Sets the wall clock to `instant` and lets exactly one pass happen there. */
async function processAt(instant: string): Promise<void> {
  vi.setSystemTime(at(instant));
  scheduler.resume();
  await vi.advanceTimersByTimeAsync(0);
  expect(scheduler.passes.map((p) => new Date(p.at).toISOString())).toEqual([
    at(instant).toISOString(),
  ]);
}

/** The job does not run before 04:00Z and runs (once, as EXECUTED 04:00 + SUBMITTED [04:00]) at 04:00Z. */
async function expectNextRunAtFour(): Promise<void> {
  recorder.clear();
  const msToFourMinusOne = at('2024-01-01T04:00:00Z').getTime() - Date.now() - 1;
  await vi.advanceTimersByTimeAsync(msToFourMinusOne);
  expect(recorder.lines()).toEqual([]);
  await vi.advanceTimersByTimeAsync(1);
  expect(recorder.lines()).toEqual([`JOB_EXECUTED ${iso(4)}`, `JOB_SUBMITTED [${iso(4)}]`]);
  expect((await scheduler.getJob('hourly'))?.nextRunTime).toEqual(at('2024-01-01T05:00:00Z'));
}

describe('reference §1.9 worked examples (hourly interval job from 00:00Z)', () => {
  it('coalesce false, grace 1, processed at 03:00:00.5Z: three misses, one run, one batch of four; next run 04:00Z; wait 3599.5 s', async () => {
    await addHourly({ coalesce: false, misfireGraceTime: 1 });
    await processAt('2024-01-01T03:00:00.500Z');

    expect(recorder.lines()).toEqual([
      `JOB_MISSED ${iso(0)}`,
      `JOB_MISSED ${iso(1)}`,
      `JOB_MISSED ${iso(2)}`,
      `JOB_EXECUTED ${iso(3)}`,
      `JOB_SUBMITTED [${iso(0)}, ${iso(1)}, ${iso(2)}, ${iso(3)}]`,
    ]);
    const [executed] = recorder.executions(EVENT_JOB_EXECUTED);
    expect(executed?.retval).toBe('done');
    expect(executed?.jobId).toBe('hourly');
    expect(executed?.jobstore).toBe('default');
    expect(runs).toEqual(['2024-01-01T03:00:00.500Z']);
    expect((await scheduler.getJob('hourly'))?.nextRunTime).toEqual(at(iso(4)));
    expect(scheduler.passes[0]?.wait).toBe(3_599_500);

    await expectNextRunAtFour();
  });

  it('coalesce true, grace 1, processed at 03:00:00.5Z: one run of 03:00, batch [03:00]; next run 04:00Z', async () => {
    await addHourly({ coalesce: true, misfireGraceTime: 1 });
    await processAt('2024-01-01T03:00:00.500Z');

    expect(recorder.lines()).toEqual([`JOB_EXECUTED ${iso(3)}`, `JOB_SUBMITTED [${iso(3)}]`]);
    expect(recorder.executions(EVENT_JOB_EXECUTED)[0]?.retval).toBe('done');
    expect((await scheduler.getJob('hourly'))?.nextRunTime).toEqual(at(iso(4)));
    expect(scheduler.passes[0]?.wait).toBe(3_599_500);

    await expectNextRunAtFour();
  });

  it('coalesce false, grace null, processed at 03:00:00.5Z: four runs (00:00…03:00), one batch of four; next run 04:00Z', async () => {
    await addHourly({ coalesce: false, misfireGraceTime: null });
    await processAt('2024-01-01T03:00:00.500Z');

    expect(recorder.lines()).toEqual([
      `JOB_EXECUTED ${iso(0)}`,
      `JOB_EXECUTED ${iso(1)}`,
      `JOB_EXECUTED ${iso(2)}`,
      `JOB_EXECUTED ${iso(3)}`,
      `JOB_SUBMITTED [${iso(0)}, ${iso(1)}, ${iso(2)}, ${iso(3)}]`,
    ]);
    expect(recorder.executions(EVENT_JOB_EXECUTED).map((e) => e.retval)).toEqual([
      'done',
      'done',
      'done',
      'done',
    ]);
    expect(runs).toHaveLength(4);
    expect((await scheduler.getJob('hourly'))?.nextRunTime).toEqual(at(iso(4)));
    expect(scheduler.passes[0]?.wait).toBe(3_599_500);

    await expectNextRunAtFour();
  });

  it('coalesce true, grace 1, processed at 03:00:05Z: 03:00 missed, batch [03:00]; next run 04:00Z; wait 3595 s', async () => {
    await addHourly({ coalesce: true, misfireGraceTime: 1 });
    await processAt('2024-01-01T03:00:05Z');

    expect(recorder.lines()).toEqual([`JOB_MISSED ${iso(3)}`, `JOB_SUBMITTED [${iso(3)}]`]);
    expect(runs).toEqual([]);
    expect((await scheduler.getJob('hourly'))?.nextRunTime).toEqual(at(iso(4)));
    expect(scheduler.passes[0]?.wait).toBe(3_595_000);

    await expectNextRunAtFour();
  });
});

describe('reference §1.9 worked example (date trigger)', () => {
  it('date trigger at 02:00Z processed at 03:00Z, grace 1: missed, removed, batch [02:00]; job gone; wait null', async () => {
    await scheduler.addJob(hourly, new DateTrigger({ runDate: at(iso(2)) }), {
      id: 'once',
      misfireGraceTime: 1,
    });
    expect((await scheduler.getJob('once'))?.nextRunTime).toEqual(at(iso(2)));
    await processAt('2024-01-01T03:00:00Z');

    expect(recorder.lines()).toEqual([
      `JOB_MISSED ${iso(2)}`,
      'JOB_REMOVED',
      `JOB_SUBMITTED [${iso(2)}]`,
    ]);
    expect(recorder.select('once', EVENT_JOB_REMOVED)).toHaveLength(1);
    expect(runs).toEqual([]);
    expect(await scheduler.getJob('once')).toBeNull();
    expect(await scheduler.getJobs()).toEqual([]);
    expect(scheduler.passes[0]?.wait).toBeNull();

    // Nothing happens afterwards.
    await vi.advanceTimersByTimeAsync(2 * H);
    expect(recorder.lines()).toHaveLength(3);
  });
});

describe('derived from §1.9: executor events of a synchronous function precede the loop events of the same pass', () => {
  it('date trigger at 02:00Z processed at 03:00Z, grace null: EXECUTED 02:00, JOB_REMOVED, SUBMITTED [02:00]', async () => {
    await scheduler.addJob(hourly, new DateTrigger({ runDate: at(iso(2)) }), {
      id: 'once',
      misfireGraceTime: null,
    });
    await processAt('2024-01-01T03:00:00Z');

    expect(recorder.lines()).toEqual([
      `JOB_EXECUTED ${iso(2)}`,
      'JOB_REMOVED',
      `JOB_SUBMITTED [${iso(2)}]`,
    ]);
    expect(recorder.executions(EVENT_JOB_EXECUTED)[0]?.retval).toBe('done');
    expect(await scheduler.getJob('once')).toBeNull();
  });
});
