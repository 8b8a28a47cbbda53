/**
 * Where an interval job's runs fall (docs/triggers.md, "IntervalTrigger"): on
 * the grid `startDate + k·interval`. Without a `startDate` the trigger fixes
 * the grid the first time it is asked: when the job is added, at now +
 * interval; when `addJob` is given an explicit `nextRunTime`, that run comes
 * first and the trigger is first asked after it, so the grid starts at
 * nextRunTime + interval, to the millisecond. Fake timers drive the
 * clock; the run times are read from the execution events.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncScheduler,
  EVENT_JOB_EXECUTED,
  IntervalTrigger,
  type JobExecutionEvent,
  silentLogger,
} from '../../src/index.ts';
import { recordEvents } from '../helpers/scheduler-api-helpers.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

let scheduler: AsyncScheduler;

beforeEach(async () => {
  vi.useFakeTimers({ now: T0 });
  scheduler = new AsyncScheduler({ timezone: 'UTC', logger: silentLogger });
  await scheduler.start();
});

afterEach(async () => {
  await scheduler.shutdown({ wait: false });
  vi.useRealTimers();
});

/** The scheduled run times of the job's runs within the first `seconds`. */
async function runTimes(seconds: number): Promise<string[]> {
  const events = recordEvents(scheduler, EVENT_JOB_EXECUTED);
  await vi.advanceTimersByTimeAsync(seconds * 1000);
  return events.map((event) => (event as JobExecutionEvent).scheduledRunTime.toISOString());
}

describe('an interval job', () => {
  it('without nextRunTime runs at now + interval, then every interval', async () => {
    await scheduler.addJob(() => 'ran', 'interval', { seconds: 10, id: 'every-10s' });
    expect(await runTimes(35)).toEqual([at(10), at(20), at(30)]);
  });

  it('with a sub-second nextRunTime runs then, and then on a grid from nextRunTime + interval', async () => {
    await scheduler.addJob(() => 'ran', 'interval', {
      seconds: 10,
      id: 'every-10s',
      nextRunTime: new Date(T0 + 2_500),
    });
    expect(await runTimes(35)).toEqual([at(2.5), at(12.5), at(22.5), at(32.5)]);
  });

  it('with a startDate and a nextRunTime runs at nextRunTime, then on the startDate grid', async () => {
    const trigger = new IntervalTrigger({ seconds: 10, startDate: new Date(T0) });
    await scheduler.addJob(() => 'ran', trigger, {
      id: 'every-10s',
      nextRunTime: new Date(T0 + 2_500),
    });
    expect(await runTimes(35)).toEqual([at(2.5), at(10), at(20), at(30)]);
  });
});
