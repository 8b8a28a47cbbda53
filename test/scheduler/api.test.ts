/**
 * The scheduler's public API (SPEC §2 "Scheduler"; reference §1.3–1.6):
 * lifecycle, the job API, stores/executors/listeners management, the Job
 * class and configuration reaching the jobs. Fake timers drive the clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AndTrigger,
  AsyncExecutor,
  AsyncScheduler,
  BackgroundScheduler,
  type BaseScheduler,
  CalendarIntervalTrigger,
  ConflictingIdError,
  CronTrigger,
  type CurrentJob,
  currentJob,
  DateTrigger,
  DuplicateAliasError,
  EVENT_ALL_JOBS_REMOVED,
  EVENT_EXECUTOR_ADDED,
  EVENT_EXECUTOR_REMOVED,
  EVENT_JOB_ADDED,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MAX_INSTANCES,
  EVENT_JOB_MISSED,
  EVENT_JOB_MODIFIED,
  EVENT_JOB_REMOVED,
  EVENT_JOBSTORE_ADDED,
  EVENT_JOBSTORE_REMOVED,
  EVENT_SCHEDULER_PAUSED,
  EVENT_SCHEDULER_RESUMED,
  EVENT_SCHEDULER_SHUTDOWN,
  EVENT_SCHEDULER_STARTED,
  IntervalTrigger,
  InvalidJobOptionError,
  InvalidTriggerError,
  type Job,
  JobEvent,
  JobExecutionEvent,
  JobLookupError,
  JobTimeoutError,
  MemoryJobStore,
  OrTrigger,
  SchedulerAlreadyRunningError,
  type SchedulerConfig,
  type SchedulerEvent,
  SchedulerNotRunningError,
  STATE_PAUSED,
  STATE_RUNNING,
  STATE_STOPPED,
  silentLogger,
  UnknownAliasError,
} from '../../src/index.ts';
import * as fixture from '../fixtures/scheduler-api-jobs.ts';
import {
  captureOutput,
  codes,
  recordEvents,
  rejectionOf,
  untyped,
} from '../helpers/scheduler-api-helpers.ts';

const T0 = new Date('2024-01-01T00:00:00Z');
const MODULE = './test/fixtures/scheduler-api-jobs.ts';

let schedulers: BaseScheduler[] = [];

function scheduler(config: SchedulerConfig = {}): AsyncScheduler {
  const s = new AsyncScheduler({ timezone: 'UTC', logger: silentLogger, ...config });
  schedulers.push(s);
  return s;
}

/** Lets the loop run its pending pass(es) and the jobs they start. */
async function settle(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await vi.advanceTimersByTimeAsync(0);
}

function send(_to: string): void {}
function noop(): void {}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  fixture.calls.length = 0;
});

afterEach(async () => {
  for (const s of schedulers) {
    if (s.running) await s.shutdown({ wait: false });
  }
  schedulers = [];
  vi.useRealTimers();
});

// ---------------------------------------------------------------------------

describe('lifecycle', () => {
  it('goes stopped → running → paused → running → stopped, with events', async () => {
    const s = scheduler();
    const events = recordEvents(s);
    expect(STATE_STOPPED).toBe(0);
    expect(STATE_RUNNING).toBe(1);
    expect(STATE_PAUSED).toBe(2);
    expect(s.state).toBe(STATE_STOPPED);
    expect(s.running).toBe(false);

    await s.start();
    expect(s.state).toBe(STATE_RUNNING);
    expect(s.running).toBe(true);
    s.pause();
    expect(s.state).toBe(STATE_PAUSED);
    expect(s.running).toBe(true);
    s.resume();
    expect(s.state).toBe(STATE_RUNNING);
    await s.shutdown();
    expect(s.state).toBe(STATE_STOPPED);
    expect(s.running).toBe(false);

    const lifecycle = codes(events).filter((c) =>
      [
        EVENT_SCHEDULER_STARTED,
        EVENT_SCHEDULER_PAUSED,
        EVENT_SCHEDULER_RESUMED,
        EVENT_SCHEDULER_SHUTDOWN,
      ].includes(c),
    );
    expect(lifecycle).toEqual([
      EVENT_SCHEDULER_STARTED,
      EVENT_SCHEDULER_PAUSED,
      EVENT_SCHEDULER_RESUMED,
      EVENT_SCHEDULER_SHUTDOWN,
    ]);
  });

  it('creates the default memory store and async executor at start', async () => {
    const s = scheduler();
    const events = recordEvents(s);
    await s.start();
    const added = events.filter(
      (e) => e.code === EVENT_JOBSTORE_ADDED || e.code === EVENT_EXECUTOR_ADDED,
    );
    expect(added.map((e) => [e.code, e.alias])).toEqual(
      expect.arrayContaining([
        [EVENT_EXECUTOR_ADDED, 'default'],
        [EVENT_JOBSTORE_ADDED, 'default'],
      ]),
    );
  });

  it('start() twice → SchedulerAlreadyRunningError (running and paused)', async () => {
    const s = scheduler();
    await s.start();
    await expect(s.start()).rejects.toBeInstanceOf(SchedulerAlreadyRunningError);
    s.pause();
    await expect(s.start()).rejects.toBeInstanceOf(SchedulerAlreadyRunningError);
    expect(s.state).toBe(STATE_PAUSED);
  });

  it('a concurrent second start() is refused too', async () => {
    const s = scheduler();
    const first = s.start();
    await expect(s.start()).rejects.toBeInstanceOf(SchedulerAlreadyRunningError);
    await first;
    expect(s.state).toBe(STATE_RUNNING);
  });

  it('shutdown / pause / resume on a stopped scheduler → SchedulerNotRunningError', async () => {
    const s = scheduler();
    await expect(s.shutdown()).rejects.toBeInstanceOf(SchedulerNotRunningError);
    expect(() => s.pause()).toThrow(SchedulerNotRunningError);
    expect(() => s.resume()).toThrow(SchedulerNotRunningError);
    await s.start();
    await s.shutdown();
    await expect(s.shutdown()).rejects.toBeInstanceOf(SchedulerNotRunningError);
    expect(() => s.pause()).toThrow('Scheduler is not running');
  });

  it('start({ paused: true }) runs nothing until resume()', async () => {
    const s = scheduler();
    const fn = vi.fn();
    await s.addJob(fn);
    const events = recordEvents(s);
    await s.start({ paused: true });
    expect(s.state).toBe(STATE_PAUSED);
    expect(codes(events)).toContain(EVENT_SCHEDULER_STARTED);
    await settle(60_000);
    expect(fn).not.toHaveBeenCalled();
    s.resume();
    await settle(10);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('pause() while paused and resume() while running are no-ops (no events)', async () => {
    const s = scheduler();
    await s.start();
    const events = recordEvents(s);
    s.resume();
    expect(s.state).toBe(STATE_RUNNING);
    s.pause();
    s.pause();
    expect(s.state).toBe(STATE_PAUSED);
    s.resume();
    s.resume();
    expect(codes(events)).toEqual([EVENT_SCHEDULER_PAUSED, EVENT_SCHEDULER_RESUMED]);
  });

  it('no job runs while the scheduler is paused; due jobs run on resume', async () => {
    const s = scheduler();
    const fn = vi.fn();
    await s.start();
    await s.addJob(fn, 'interval', { seconds: 10 });
    s.pause();
    await settle(35_000);
    expect(fn).not.toHaveBeenCalled();
    s.resume();
    await settle(10);
    expect(fn).toHaveBeenCalledTimes(1); // coalesced catch-up
  });

  it('configure() while running or paused → SchedulerAlreadyRunningError', async () => {
    const s = scheduler();
    await s.start();
    expect(() => s.configure({ timezone: 'UTC' })).toThrow(SchedulerAlreadyRunningError);
    s.pause();
    expect(() => s.configure({ jobDefaults: { coalesce: false } })).toThrow(
      SchedulerAlreadyRunningError,
    );
  });

  it('configure() after addJobstore keeps the earlier store (APScheduler 3.x dropped it)', async () => {
    const s = scheduler();
    const store = new MemoryJobStore();
    await s.addJobstore(store, 'extra');
    await s.addExecutor(new AsyncExecutor(), 'pool');
    s.configure({ timezone: 'Europe/Berlin', jobDefaults: { maxInstances: 2 } });
    expect(s.timezone).toBe('Europe/Berlin');
    await s.start();
    const job = await s.addJob(noop, 'interval', {
      minutes: 1,
      jobstore: 'extra',
      executor: 'pool',
    });
    expect(job.jobstore).toBe('extra');
    expect(job.maxInstances).toBe(2);
    expect((await s.getJobs('extra')).map((j) => j.id)).toEqual([job.id]);
    expect(await store.lookupJob(job.id)).not.toBeNull();
  });

  it('can be started again after shutdown (the memory store starts empty, as in APScheduler)', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'a' });
    await s.shutdown();
    await s.start();
    expect(s.state).toBe(STATE_RUNNING);
    expect(await s.getJobs()).toEqual([]);
  });

  it('BackgroundScheduler has the same API and lifecycle', async () => {
    const s = new BackgroundScheduler({ timezone: 'UTC', logger: silentLogger });
    schedulers.push(s);
    const fn = vi.fn();
    await s.addJob(fn, 'interval', { seconds: 5 });
    await s.start();
    await settle(5_000);
    expect(fn).toHaveBeenCalledTimes(1);
    await s.shutdown();
    expect(s.state).toBe(STATE_STOPPED);
  });
});

// ---------------------------------------------------------------------------

describe('addJob: functions and triggers', () => {
  it('a function with no trigger runs once, now, then is removed', async () => {
    const s = scheduler();
    const fn = vi.fn(() => 'done');
    const pending = await s.addJob(fn);
    expect(pending.pending).toBe(true);
    expect(pending.trigger).toBeInstanceOf(DateTrigger);
    const events = recordEvents(s);
    vi.setSystemTime(new Date(T0.getTime() + 5_000));
    await s.start();
    await settle(10);
    expect(fn).toHaveBeenCalledTimes(1);
    const executed = events.find((e) => e.code === EVENT_JOB_EXECUTED);
    expect(executed).toBeInstanceOf(JobExecutionEvent);
    // "now" is when the job is really added (start), not when addJob was called
    expect((executed as JobExecutionEvent).scheduledRunTime.getTime()).toBe(T0.getTime() + 5_000);
    expect((executed as JobExecutionEvent).retval).toBe('done');
    expect(await s.getJob(pending.id)).toBeNull();
    expect(codes(events)).toContain(EVENT_JOB_REMOVED);
  });

  it('a null trigger is the same as no trigger', async () => {
    const s = scheduler();
    await s.start();
    const fn = vi.fn();
    const job = await s.addJob(fn, null);
    expect(job.trigger).toBeInstanceOf(DateTrigger);
    await settle(10);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('a trigger instance is used as is', async () => {
    const s = scheduler();
    await s.start();
    const trigger = new CronTrigger({ hour: 3, timezone: 'UTC' });
    const job = await s.addJob(send, trigger, { args: ['ops'] });
    expect(job.trigger).toBe(trigger);
    expect(job.nextRunTime).toEqual(new Date('2024-01-01T03:00:00Z'));
  });

  it('each alias builds its trigger from the arguments merged into the options', async () => {
    const s = scheduler();
    await s.start();
    const date = await s.addJob(noop, 'date', { runDate: '2024-01-02T00:00:00Z', id: 'date' });
    expect(date.trigger).toBeInstanceOf(DateTrigger);
    expect(date.id).toBe('date');
    expect(date.nextRunTime).toEqual(new Date('2024-01-02T00:00:00Z'));

    const interval = await s.addJob(noop, 'interval', { minutes: 5, name: 'every five' });
    expect(interval.trigger).toBeInstanceOf(IntervalTrigger);
    expect(interval.name).toBe('every five');
    expect(interval.nextRunTime).toEqual(new Date('2024-01-01T00:05:00Z'));

    const cron = await s.addJob(noop, 'cron', { hour: 3, minute: 30 });
    expect(cron.trigger).toBeInstanceOf(CronTrigger);
    expect(String(cron.trigger)).toBe("cron[hour='3', minute='30']");
    expect(cron.nextRunTime).toEqual(new Date('2024-01-01T03:30:00Z'));

    const calendar = await s.addJob(noop, 'calendarinterval', {
      days: 1,
      hour: 6,
      startDate: '2024-01-01',
    });
    expect(calendar.trigger).toBeInstanceOf(CalendarIntervalTrigger);
    expect(calendar.nextRunTime).toEqual(new Date('2024-01-01T06:00:00Z'));

    const and = await s.addJob(noop, 'and', {
      triggers: [
        new CronTrigger({ hour: '*/2', timezone: 'UTC' }),
        new CronTrigger({ hour: '*/3', timezone: 'UTC' }),
      ],
      threshold: 1,
    });
    expect(and.trigger).toBeInstanceOf(AndTrigger);
    expect(and.nextRunTime).toEqual(new Date('2024-01-01T00:00:00Z'));

    const or = await s.addJob(noop, 'or', {
      triggers: [
        new CronTrigger({ hour: 5, timezone: 'UTC' }),
        new CronTrigger({ hour: 4, timezone: 'UTC' }),
      ],
    });
    expect(or.trigger).toBeInstanceOf(OrTrigger);
    expect(or.nextRunTime).toEqual(new Date('2024-01-01T04:00:00Z'));
  });

  it("an alias trigger takes the scheduler's zone unless the arguments give one", async () => {
    const s = scheduler({ timezone: 'Europe/Berlin' });
    await s.start();
    const berlin = await s.addJob(noop, 'cron', { hour: 3 });
    expect(berlin.nextRunTime).toEqual(new Date('2024-01-01T02:00:00Z'));
    const tokyo = await s.addJob(noop, 'cron', { hour: 3, timezone: 'Asia/Tokyo' });
    expect(tokyo.nextRunTime).toEqual(new Date('2024-01-01T18:00:00Z'));
  });

  it("a 'module:export' reference is resolved, kept as funcRef and run", async () => {
    const s = scheduler();
    await s.start();
    const job = await s.addJob(`${MODULE}:send`, 'date', {
      runDate: '2024-01-01T00:00:01Z',
      args: ['ops@example.com'],
    });
    expect(job.funcRef).toBe(`${MODULE}:send`);
    expect(job.func).toBe(fixture.send);
    expect(job.name).toBe('send');
    await settle(1_000);
    expect(fixture.calls).toEqual([['send', 'ops@example.com']]);
  });

  it("':default' names the default export and dotted paths reach into an export", async () => {
    const s = scheduler();
    await s.start();
    const def = await s.addJob(`${MODULE}:default`, 'date', { runDate: '2024-01-01T00:00:01Z' });
    expect(def.func).toBe(fixture.default);
    const nested = await s.addJob(`${MODULE}:reports.daily`, 'date', {
      runDate: '2024-01-01T00:00:02Z',
    });
    expect(nested.funcRef).toBe(`${MODULE}:reports.daily`);
    await settle(2_000);
    expect(fixture.calls).toEqual([['default'], ['reports.daily']]);
  });

  it('a reference can be added before start (pending)', async () => {
    const s = scheduler();
    const job = await s.addJob(`${MODULE}:send`, 'interval', { seconds: 1, args: ['x'] });
    expect(job.pending).toBe(true);
    expect(job.funcRef).toBe(`${MODULE}:send`);
    await s.start();
    await settle(1_000);
    expect(fixture.calls).toEqual([['send', 'x']]);
  });

  it('a registered task name resolves to the task; its name is the funcRef', async () => {
    const s = scheduler();
    const cleanup = vi.fn();
    s.registerTask('cleanup', cleanup);
    await s.start();
    const byName = await s.addJob('cleanup', 'date', { runDate: '2024-01-01T00:00:01Z' });
    expect(byName.func).toBe(cleanup);
    expect(byName.funcRef).toBe('cleanup');
    // Adding the registered function itself also records its task name.
    const byFunction = await s.addJob(cleanup, 'interval', { hours: 1 });
    expect(byFunction.funcRef).toBe('cleanup');
    await settle(1_000);
    expect(cleanup).toHaveBeenCalledTimes(1);
  });

  it('a plain function has no funcRef and its name as the job name', async () => {
    const s = scheduler();
    const job = await s.addJob(send, 'interval', { hours: 1, args: ['a'] });
    expect(job.funcRef).toBeNull();
    expect(job.name).toBe('send');
    expect(job.func).toBe(send);
  });
});

// ---------------------------------------------------------------------------

describe('addJob on a running scheduler', () => {
  it('never throws: invalid options reject the promise it returns', async () => {
    const s = scheduler();
    await s.start();
    let result: Promise<Job> | undefined;
    expect(() => {
      result = s.addJob(noop, 'interval', { seconds: -1 });
    }).not.toThrow();
    await expect(result).rejects.toBeInstanceOf(InvalidTriggerError);
    await expect(s.addJob(noop, 'interval', { minutes: 1, id: 'x' })).resolves.toBeDefined();
    await expect(s.addJob(noop, 'interval', { minutes: 1, id: 'x' })).rejects.toBeInstanceOf(
      ConflictingIdError,
    );
  });

  it('a job added from inside a running job, while the loop holds the store, is stored and runs', async () => {
    const s = scheduler();
    await s.start();
    const inner = vi.fn();
    let added: Promise<Job> | undefined;
    await s.addJob(
      () => {
        added = s.addJob(inner, 'interval', { seconds: 10, id: 'inner' });
      },
      'date',
      { runDate: new Date(T0.getTime() + 1_000), id: 'outer' },
    );
    await settle(1_000);
    expect((await added)?.id).toBe('inner');
    expect((await s.getJob('inner'))?.nextRunTime).toEqual(new Date(T0.getTime() + 11_000));
    await settle(10_000);
    expect(inner).toHaveBeenCalledTimes(1);
  });

  it('a store without synchronous methods is added to through its async ones, replaceExisting included', async () => {
    // A memory store without its synchronous methods, as a store backed by I/O would be.
    const store = new MemoryJobStore();
    Object.assign(store, { addJobSync: undefined, updateJobSync: undefined });
    const addJob = vi.spyOn(store, 'addJob');
    const updateJob = vi.spyOn(store, 'updateJob');
    const s = scheduler({ jobstores: { default: store } });
    await s.start();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'a' });
    const replaced = await s.addJob(noop, 'interval', {
      minutes: 2,
      id: 'a',
      replaceExisting: true,
    });
    expect(addJob).toHaveBeenCalledTimes(2);
    expect(updateJob).toHaveBeenCalledTimes(1);
    expect((await s.getJob('a'))?.nextRunTime).toEqual(replaced.nextRunTime);
    expect(replaced.nextRunTime).toEqual(new Date(T0.getTime() + 120_000));
  });
});

describe('addJob: job options', () => {
  it('id, name, args, executor, jobstore and the explicit defaults are kept', async () => {
    const s = scheduler();
    await s.addJobstore(new MemoryJobStore(), 'other');
    await s.addExecutor(new AsyncExecutor(), 'pool');
    await s.start();
    const seen: unknown[][] = [];
    const fn = (n: number, label: string): void => {
      seen.push([n, label]);
    };
    const job = await s.addJob(fn, 'interval', {
      seconds: 10,
      id: 'the-id',
      name: 'The job',
      args: [7, 'seven'],
      coalesce: false,
      maxInstances: 3,
      misfireGraceTime: 30,
      timeout: 5,
      jobstore: 'other',
      executor: 'pool',
    });
    expect(job).toMatchObject({
      id: 'the-id',
      name: 'The job',
      args: [7, 'seven'],
      coalesce: false,
      maxInstances: 3,
      misfireGraceTime: 30,
      timeout: 5,
      executor: 'pool',
      jobstore: 'other',
      pending: false,
    });
    expect(await s.getJob('the-id', 'default')).toBeNull();
    expect((await s.getJob('the-id', 'other'))?.name).toBe('The job');
    await settle(10_000);
    expect(seen).toEqual([[7, 'seven']]);
  });

  it('the job defaults apply to options not given', async () => {
    const s = scheduler();
    const job = await s.addJob(noop, 'interval', { seconds: 10 });
    expect(job.coalesce).toBe(true);
    expect(job.maxInstances).toBe(1);
    expect(job.misfireGraceTime).toBeNull();
    expect(job.timeout).toBeNull();
    expect(job.executor).toBe('default');
    expect(job.args).toEqual([]);
    expect(job.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('nextRunTime: a Date, epoch ms or ISO string with an offset; null adds the job paused', async () => {
    const s = scheduler();
    await s.start();
    const a = await s.addJob(noop, 'interval', {
      hours: 1,
      nextRunTime: new Date('2024-01-01T05:00:00Z'),
    });
    expect(a.nextRunTime).toEqual(new Date('2024-01-01T05:00:00Z'));
    const b = await s.addJob(noop, 'interval', {
      hours: 1,
      nextRunTime: Date.parse('2024-01-01T06:00:00Z'),
    });
    expect(b.nextRunTime).toEqual(new Date('2024-01-01T06:00:00Z'));
    const c = await s.addJob(noop, 'interval', {
      hours: 1,
      nextRunTime: '2024-01-01T09:00:00+02:00',
    });
    expect(c.nextRunTime).toEqual(new Date('2024-01-01T07:00:00Z'));
    const d = await s.addJob(noop, 'interval', { hours: 1, nextRunTime: '2024-01-01T08:00:00Z' });
    expect(d.nextRunTime).toEqual(new Date('2024-01-01T08:00:00Z'));
    const paused = await s.addJob(noop, 'interval', { seconds: 1, nextRunTime: null });
    expect(paused.nextRunTime).toBeNull();
    expect(String(paused)).toContain('paused');
  });

  it('a paused job (nextRunTime: null) added before start stays paused', async () => {
    const s = scheduler();
    const fn = vi.fn();
    const job = await s.addJob(fn, 'interval', { seconds: 1, nextRunTime: null });
    await s.start();
    await settle(5_000);
    expect(fn).not.toHaveBeenCalled();
    expect((await s.getJob(job.id))?.nextRunTime).toBeNull();
  });

  it('an explicit nextRunTime is the first run', async () => {
    const s = scheduler();
    await s.start();
    const fn = vi.fn();
    await s.addJob(fn, 'cron', { hour: 3, nextRunTime: new Date('2024-01-01T00:00:30Z') });
    await settle(30_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('misfireGraceTime: a run later than the grace time is missed', async () => {
    const s = scheduler();
    await s.start();
    const events = recordEvents(s);
    const strict = vi.fn();
    const lenient = vi.fn();
    await s.addJob(strict, 'date', { runDate: '2023-12-31T23:59:30Z', misfireGraceTime: 10 });
    await s.addJob(lenient, 'date', { runDate: '2023-12-31T23:59:30Z' });
    await settle(10);
    expect(strict).not.toHaveBeenCalled();
    expect(lenient).toHaveBeenCalledTimes(1);
    expect(codes(events)).toContain(EVENT_JOB_MISSED);
  });

  it('coalesce: false runs every missed run time; true only one', async () => {
    const s = scheduler();
    await s.start();
    const everyRun = vi.fn();
    const coalesced = vi.fn();
    await s.addJob(everyRun, 'interval', { seconds: 10, coalesce: false });
    await s.addJob(coalesced, 'interval', { seconds: 10, coalesce: true });
    s.pause();
    await settle(35_000);
    s.resume();
    await settle(10);
    expect(everyRun).toHaveBeenCalledTimes(3);
    expect(coalesced).toHaveBeenCalledTimes(1);
  });

  it('maxInstances: a job still running is not started again beyond the limit', async () => {
    const s = scheduler();
    await s.start();
    const events = recordEvents(s);
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fn = vi.fn(() => blocked);
    await s.addJob(fn, 'interval', { seconds: 1, maxInstances: 2, id: 'slow' });
    await settle(3_000);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(codes(events)).toContain(EVENT_JOB_MAX_INSTANCES);
    release();
    await settle(1_000);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('timeout: a run taking longer is reported as a JobTimeoutError and its signal aborted', async () => {
    const s = scheduler();
    await s.start();
    const events = recordEvents(s, EVENT_JOB_ERROR);
    let signal: AbortSignal | undefined;
    const hang = (): Promise<void> => {
      signal = currentJob()?.signal;
      return new Promise<void>(() => {});
    };
    await s.addJob(hang, 'date', { runDate: '2024-01-01T00:00:01Z', timeout: 2 });
    await settle(1_000);
    expect(events).toEqual([]);
    await settle(2_000);
    expect(events).toHaveLength(1);
    expect((events[0] as JobExecutionEvent).exception).toBeInstanceOf(JobTimeoutError);
    expect(signal?.aborted).toBe(true);
  });

  it('replaceExisting replaces a job with the same id (pending and stored)', async () => {
    const s = scheduler();
    await s.addJob(noop, 'interval', { hours: 1, id: 'x', name: 'first' });
    await s.addJob(noop, 'interval', { hours: 1, id: 'x', name: 'second', replaceExisting: true });
    expect((await s.getJobs()).map((j) => j.name)).toEqual(['second']);
    await s.start();
    await s.addJob(noop, 'interval', { hours: 2, id: 'x', name: 'third', replaceExisting: true });
    const jobs = await s.getJobs();
    expect(jobs.map((j) => j.name)).toEqual(['third']);
    expect(jobs[0]?.nextRunTime).toEqual(new Date('2024-01-01T02:00:00Z'));
  });

  it('without replaceExisting, the same id is a ConflictingIdError (stopped and running)', async () => {
    const s = scheduler();
    await s.addJob(noop, 'interval', { hours: 1, id: 'x' });
    await expect(s.addJob(noop, 'interval', { hours: 1, id: 'x' })).rejects.toBeInstanceOf(
      ConflictingIdError,
    );
    await s.start();
    await expect(s.addJob(noop, 'interval', { hours: 1, id: 'x' })).rejects.toBeInstanceOf(
      ConflictingIdError,
    );
  });

  it('job.pending is true before start; the stored job is not pending', async () => {
    const s = scheduler();
    const job = await s.addJob(noop, 'interval', { hours: 1, id: 'p' });
    expect(job.pending).toBe(true);
    expect(job.jobstore).toBeNull();
    expect(job.nextRunTime).toBeNull();
    expect((await s.getJob('p'))?.pending).toBe(true);
    await s.start();
    const stored = await s.getJob('p');
    expect(stored?.pending).toBe(false);
    expect(stored?.jobstore).toBe('default');
    expect(stored?.nextRunTime).toEqual(new Date('2024-01-01T01:00:00Z'));
    const added = await s.addJob(noop, 'interval', { hours: 1 });
    expect(added.pending).toBe(false);
  });

  it('EVENT_JOB_ADDED is dispatched when the job is really added', async () => {
    const s = scheduler();
    const events = recordEvents(s, EVENT_JOB_ADDED);
    await s.addJob(noop, 'interval', { hours: 1, id: 'early' });
    expect(events).toEqual([]);
    await s.start();
    await s.addJob(noop, 'interval', { hours: 1, id: 'late' });
    expect(events.map((e) => [(e as JobEvent).jobId, (e as JobEvent).jobstore])).toEqual([
      ['early', 'default'],
      ['late', 'default'],
    ]);
  });

  it('an interval job added before start anchors its grid at start, not at addJob', async () => {
    const s = scheduler();
    await s.addJob(noop, 'interval', { seconds: 30, id: 'i' });
    vi.setSystemTime(new Date('2024-01-01T00:10:00Z'));
    await s.start();
    expect((await s.getJob('i'))?.nextRunTime).toEqual(new Date('2024-01-01T00:10:30Z'));
  });
});

// ---------------------------------------------------------------------------

describe('scheduledJob', () => {
  it('returns the function unchanged and adds it (pending while stopped)', async () => {
    const s = scheduler();
    const fn = vi.fn();
    const wrapped = s.scheduledJob('interval', { seconds: 5, id: 'tick' })(fn);
    expect(wrapped).toBe(fn);
    const pending = await s.getJob('tick');
    expect(pending?.pending).toBe(true);
    await s.start();
    await settle(5_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('forces replaceExisting: the same id twice replaces, stopped and running', async () => {
    const s = scheduler();
    const first = (): void => {};
    const second = (): void => {};
    s.scheduledJob('cron', { hour: 3, id: 'nightly' })(first);
    s.scheduledJob('cron', { hour: 4, id: 'nightly' })(second);
    expect((await s.getJobs()).map((j) => j.func)).toEqual([second]);
    await s.start();
    const third = (): void => {};
    s.scheduledJob(new CronTrigger({ hour: 5, timezone: 'UTC' }), { id: 'nightly' })(third);
    await settle(0);
    const jobs = await s.getJobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.func).toBe(third);
    expect(jobs[0]?.nextRunTime).toEqual(new Date('2024-01-01T05:00:00Z'));
  });

  it('without a trigger runs once, now', async () => {
    const s = scheduler();
    await s.start();
    const fn = vi.fn();
    s.scheduledJob()(fn);
    await settle(10);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

// ---------------------------------------------------------------------------

describe('modifyJob', () => {
  it('changes every modifiable setting and dispatches EVENT_JOB_MODIFIED', async () => {
    const s = scheduler();
    await s.addExecutor(new AsyncExecutor(), 'pool');
    await s.start();
    await s.addJob(send, 'cron', { hour: 3, id: 'm', args: ['a'] });
    const events = recordEvents(s, EVENT_JOB_MODIFIED);
    const other = (_a: string, _b: number): void => {};
    const trigger = new IntervalTrigger({ minutes: 1, timezone: 'UTC' });
    const modified = await s.modifyJob('m', {
      name: 'renamed',
      func: other,
      args: ['b', 2],
      trigger,
      executor: 'pool',
      coalesce: false,
      maxInstances: 4,
      misfireGraceTime: 15,
      timeout: 3,
      nextRunTime: new Date('2024-01-01T00:00:42Z'),
    });
    expect(modified).toMatchObject({
      id: 'm',
      name: 'renamed',
      func: other,
      args: ['b', 2],
      trigger,
      executor: 'pool',
      coalesce: false,
      maxInstances: 4,
      misfireGraceTime: 15,
      timeout: 3,
      nextRunTime: new Date('2024-01-01T00:00:42Z'),
    });
    expect(await s.getJob('m')).toMatchObject({ name: 'renamed', maxInstances: 4 });
    expect(events.map((e) => (e as JobEvent).jobId)).toEqual(['m']);
  });

  it('can change func to a reference or a task name', async () => {
    const s = scheduler();
    const task = vi.fn();
    s.registerTask('task', task);
    await s.start();
    await s.addJob(noop, 'cron', { hour: 3, id: 'f' });
    const byRef = await s.modifyJob('f', { func: `${MODULE}:default` });
    expect(byRef.func).toBe(fixture.default);
    expect(byRef.funcRef).toBe(`${MODULE}:default`);
    const byTask = await s.modifyJob('f', { func: 'task' });
    expect(byTask.func).toBe(task);
    expect(byTask.funcRef).toBe('task');
  });

  it('is all-or-nothing: one invalid change among valid ones changes nothing', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(noop, 'cron', { hour: 3, id: 'm', name: 'original' });
    const events = recordEvents(s, EVENT_JOB_MODIFIED);
    const error = await rejectionOf(
      s.modifyJob('m', { name: 'changed', coalesce: false, maxInstances: 0 }),
    );
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('maxInstances');
    expect(await s.getJob('m')).toMatchObject({
      name: 'original',
      coalesce: true,
      maxInstances: 1,
    });
    expect(events).toEqual([]);
  });

  it('is all-or-nothing for a pending job too', async () => {
    const s = scheduler();
    await s.addJob(noop, 'cron', { hour: 3, id: 'm', name: 'original' });
    await expect(
      untyped(s).modifyJob('m', { name: 'changed', misfireGraceTime: 'soon' }),
    ).rejects.toBeInstanceOf(InvalidJobOptionError);
    expect((await s.getJob('m'))?.name).toBe('original');
    const changed = await s.modifyJob('m', { name: 'changed' });
    expect(changed.name).toBe('changed');
    expect(changed.pending).toBe(true);
  });

  it('modifying a pending job keeps the change when the job is really added', async () => {
    const s = scheduler();
    await s.addJob(noop, 'cron', { hour: 3, id: 'm' });
    await s.modifyJob('m', { maxInstances: 5, name: 'five' });
    await s.start();
    expect(await s.getJob('m')).toMatchObject({ maxInstances: 5, name: 'five', pending: false });
  });

  it('the id cannot change', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(noop, 'cron', { hour: 3, id: 'm' });
    const error = await rejectionOf(s.modifyJob('m', { id: 'n' }));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('id');
    expect(error.message).toMatch(/id/i);
    expect(await s.getJob('m')).not.toBeNull();
    expect(await s.getJob('n')).toBeNull();
  });

  it('an unknown option is an InvalidJobOptionError naming it', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(noop, 'cron', { hour: 3, id: 'm' });
    const error = await rejectionOf(untyped(s).modifyJob('m', { name: 'x', hours: 4 }));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('hours');
    expect(error.message).toContain('hours');
    expect((await s.getJob('m'))?.name).toBe('noop');
  });

  it('a missing job → JobLookupError', async () => {
    const s = scheduler();
    await expect(s.modifyJob('nope', { name: 'x' })).rejects.toBeInstanceOf(JobLookupError);
    await s.start();
    await expect(s.modifyJob('nope', { name: 'x' })).rejects.toBeInstanceOf(JobLookupError);
  });
});

// ---------------------------------------------------------------------------

describe('rescheduleJob, pauseJob, resumeJob', () => {
  it('rescheduleJob with an alias and its arguments', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'r' });
    const events = recordEvents(s, EVENT_JOB_MODIFIED);
    const job = await s.rescheduleJob('r', 'cron', { hour: 5, minute: 15 });
    expect(job.trigger).toBeInstanceOf(CronTrigger);
    expect(String(job.trigger)).toBe("cron[hour='5', minute='15']");
    expect(job.nextRunTime).toEqual(new Date('2024-01-01T05:15:00Z'));
    expect((await s.getJob('r'))?.nextRunTime).toEqual(new Date('2024-01-01T05:15:00Z'));
    expect(events).toHaveLength(1);
  });

  it('rescheduleJob with a trigger instance computes the next run time from now', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(noop, 'cron', { hour: 3, id: 'r' });
    vi.setSystemTime(new Date('2024-01-01T00:30:00Z'));
    const job = await s.rescheduleJob('r', new IntervalTrigger({ minutes: 10, timezone: 'UTC' }));
    expect(job.trigger).toBeInstanceOf(IntervalTrigger);
    expect(job.nextRunTime).toEqual(new Date('2024-01-01T00:40:00Z'));
  });

  it('rescheduleJob of a missing job → JobLookupError', async () => {
    const s = scheduler();
    await s.start();
    await expect(s.rescheduleJob('nope', 'cron', { hour: 1 })).rejects.toBeInstanceOf(
      JobLookupError,
    );
  });

  it('pauseJob stops runs; resumeJob restarts from now, skipping runs missed while paused', async () => {
    const s = scheduler();
    await s.start();
    const fn = vi.fn();
    await s.addJob(fn, 'interval', { seconds: 10, id: 'p' });
    const paused = await s.pauseJob('p');
    expect(paused.nextRunTime).toBeNull();
    await settle(65_000);
    expect(fn).not.toHaveBeenCalled();
    const resumed = await s.resumeJob('p');
    // the first grid point from now: runs at +10 s … +60 s are skipped
    expect(resumed?.nextRunTime).toEqual(new Date('2024-01-01T00:01:10Z'));
    await settle(10);
    expect(fn).not.toHaveBeenCalled();
    await settle(5_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('resumeJob of a job whose trigger has finished removes it and returns null', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(noop, 'cron', {
      hour: 3,
      endDate: '2024-01-01T05:00:00Z',
      id: 'done',
      nextRunTime: null,
    });
    const events = recordEvents(s, EVENT_JOB_REMOVED);
    vi.setSystemTime(new Date('2024-01-02T00:00:00Z'));
    expect(await s.resumeJob('done')).toBeNull();
    expect(await s.getJob('done')).toBeNull();
    expect(events.map((e) => (e as JobEvent).jobId)).toEqual(['done']);
  });

  it('pauseJob / resumeJob work on pending jobs', async () => {
    const s = scheduler();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'p' });
    expect((await s.pauseJob('p')).nextRunTime).toBeNull();
    await s.start();
    expect((await s.getJob('p'))?.nextRunTime).toBeNull();
  });

  it('pauseJob / resumeJob of a missing job → JobLookupError', async () => {
    const s = scheduler();
    await s.start();
    await expect(s.pauseJob('nope')).rejects.toBeInstanceOf(JobLookupError);
    await expect(s.resumeJob('nope')).rejects.toBeInstanceOf(JobLookupError);
  });
});

// ---------------------------------------------------------------------------

describe('getJobs, getJob, removeJob, removeAllJobs', () => {
  it('getJobs returns the pending jobs while stopped', async () => {
    const s = scheduler();
    await s.addJobstore(new MemoryJobStore(), 'other');
    await s.addJob(noop, 'interval', { minutes: 1, id: 'a' });
    await s.addJob(noop, 'interval', { minutes: 2, id: 'b', jobstore: 'other' });
    const jobs = await s.getJobs();
    expect(jobs.map((j) => j.id)).toEqual(['a', 'b']);
    expect(jobs.every((j) => j.pending)).toBe(true);
    expect((await s.getJobs('other')).map((j) => j.id)).toEqual(['b']);
    expect((await s.getJob('b'))?.id).toBe('b');
    expect(await s.getJob('b', 'default')).toBeNull();
    expect(await s.getJob('zzz')).toBeNull();
  });

  it('getJobs while running: per store, by next run time, paused last', async () => {
    const s = scheduler();
    await s.addJobstore(new MemoryJobStore(), 'other');
    await s.start();
    await s.addJob(noop, 'interval', { minutes: 5, id: 'five' });
    await s.addJob(noop, 'interval', { minutes: 1, id: 'paused', nextRunTime: null });
    await s.addJob(noop, 'interval', { minutes: 2, id: 'two' });
    await s.addJob(noop, 'interval', { minutes: 1, id: 'elsewhere', jobstore: 'other' });
    expect((await s.getJobs('default')).map((j) => j.id)).toEqual(['two', 'five', 'paused']);
    expect((await s.getJobs('other')).map((j) => j.id)).toEqual(['elsewhere']);
    expect(await s.getJobs()).toHaveLength(4);
    expect((await s.getJob('elsewhere'))?.jobstore).toBe('other');
    expect(await s.getJob('elsewhere', 'default')).toBeNull();
  });

  it('removeJob removes (pending and stored), with EVENT_JOB_REMOVED', async () => {
    const s = scheduler();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'a' });
    await s.addJob(noop, 'interval', { minutes: 1, id: 'b' });
    await s.removeJob('a');
    expect((await s.getJobs()).map((j) => j.id)).toEqual(['b']);
    await s.start();
    const events = recordEvents(s, EVENT_JOB_REMOVED);
    await s.removeJob('b');
    expect(await s.getJobs()).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toBeInstanceOf(JobEvent);
    expect(events[0]).toMatchObject({ jobId: 'b', jobstore: 'default' });
  });

  it('removeJob of a missing id → JobLookupError (stopped, running, wrong store)', async () => {
    const s = scheduler();
    await s.addJobstore(new MemoryJobStore(), 'other');
    const stopped = await rejectionOf(s.removeJob('ghost'));
    expect(stopped).toBeInstanceOf(JobLookupError);
    expect(stopped.message).toContain('ghost');
    await s.start();
    await expect(s.removeJob('ghost')).rejects.toBeInstanceOf(JobLookupError);
    await s.addJob(noop, 'interval', { minutes: 1, id: 'here' });
    await expect(s.removeJob('here', 'other')).rejects.toBeInstanceOf(JobLookupError);
    expect(await s.getJob('here')).not.toBeNull();
  });

  it('removeAllJobs empties every store or one, with EVENT_ALL_JOBS_REMOVED', async () => {
    const s = scheduler();
    await s.addJobstore(new MemoryJobStore(), 'other');
    await s.start();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'a' });
    await s.addJob(noop, 'interval', { minutes: 1, id: 'b', jobstore: 'other' });
    const events = recordEvents(s, EVENT_ALL_JOBS_REMOVED);
    await s.removeAllJobs('other');
    expect((await s.getJobs()).map((j) => j.id)).toEqual(['a']);
    await s.removeAllJobs();
    expect(await s.getJobs()).toEqual([]);
    expect(events.map((e) => e.alias)).toEqual(['other', null]);
  });

  it('removeAllJobs while stopped clears the pending jobs', async () => {
    const s = scheduler();
    await s.addJob(noop, 'interval', { minutes: 1 });
    await s.addJob(noop, 'interval', { minutes: 1 });
    await s.removeAllJobs();
    expect(await s.getJobs()).toEqual([]);
    await s.start();
    expect(await s.getJobs()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------

describe('printJobs', () => {
  it('prints "Pending jobs:" while stopped', async () => {
    const s = scheduler();
    const capture = captureOutput();
    await s.printJobs(undefined, capture.out);
    expect(capture.text()).toBe('Pending jobs:\n    No pending jobs\n');

    await s.addJob(send, 'cron', { hour: 3, args: ['x'] });
    const second = captureOutput();
    await s.printJobs(undefined, second.out);
    expect(second.text()).toBe("Pending jobs:\n    send (trigger: cron[hour='3'], pending)\n");
  });

  it('prints each store in alias order with its jobs while running', async () => {
    const s = scheduler();
    await s.addJobstore(new MemoryJobStore(), 'archive');
    await s.start();
    await s.addJob(send, 'cron', { hour: 3, args: ['x'] });
    await s.addJob(noop, 'interval', { minutes: 30, name: 'idle', nextRunTime: null });
    const capture = captureOutput();
    await s.printJobs(undefined, capture.out);
    expect(capture.text()).toBe(
      [
        'Jobstore archive:',
        '    No scheduled jobs',
        'Jobstore default:',
        "    send (trigger: cron[hour='3'], next run at: 2024-01-01 03:00:00+00:00)",
        '    idle (trigger: interval[0:30:00], paused)',
        '',
      ].join('\n'),
    );
    const only = captureOutput();
    await s.printJobs('archive', only.out);
    expect(only.text()).toBe('Jobstore archive:\n    No scheduled jobs\n');
  });

  it('writes to stdout by default', async () => {
    const s = scheduler();
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await s.printJobs();
      expect(write).toHaveBeenCalledWith('Pending jobs:\n    No pending jobs\n');
    } finally {
      write.mockRestore();
    }
  });
});

// ---------------------------------------------------------------------------

describe('exportJobs / importJobs', () => {
  it('need a started scheduler (SchedulerNotRunningError while stopped)', async () => {
    const s = scheduler();
    await expect(s.exportJobs()).rejects.toBeInstanceOf(SchedulerNotRunningError);
    await expect(
      s.importJobs({ version: 1, horariumVersion: '0.1.0', jobs: [] }),
    ).rejects.toBeInstanceOf(SchedulerNotRunningError);
    await s.start();
    s.pause();
    await expect(s.exportJobs()).resolves.toContain('"jobs"');
  });

  it('round-trips jobs with textual references', async () => {
    const s = scheduler();
    s.registerTask('report', noop);
    await s.start();
    await s.addJob('report', 'cron', { hour: 3, id: 'r', args: [1, { when: new Date(0) }] });
    await s.addJob(`${MODULE}:send`, 'interval', { minutes: 5, id: 's', args: ['to'] });
    const exported = await s.exportJobs();
    const document: unknown = JSON.parse(exported);
    expect(document).toMatchObject({ version: 1 });
    await s.removeAllJobs();
    const restored = await s.importJobs(exported);
    expect(restored.map((j) => j.id).sort()).toEqual(['r', 's']);
    const r = await s.getJob('r');
    expect(r?.func).toBe(noop);
    expect(r?.args).toEqual([1, { when: new Date(0) }]);
    expect(r?.nextRunTime).toEqual(new Date('2024-01-01T03:00:00Z'));
    expect((await s.getJob('s'))?.func).toBe(fixture.send);
  });

  it('importJobs into an unknown store → UnknownAliasError', async () => {
    const s = scheduler();
    await s.start();
    await expect(
      s.importJobs({ version: 1, horariumVersion: '0.1.0', jobs: [] }, 'nope'),
    ).rejects.toBeInstanceOf(UnknownAliasError);
  });
});

// ---------------------------------------------------------------------------

describe('executors, job stores and listeners', () => {
  it('addExecutor / removeExecutor with events; duplicates and unknown aliases are errors', async () => {
    const s = scheduler();
    const events = recordEvents(s, EVENT_EXECUTOR_ADDED | EVENT_EXECUTOR_REMOVED);
    await s.addExecutor(new AsyncExecutor(), 'first');
    await s.addExecutor('async', 'second');
    const duplicate = await rejectionOf(s.addExecutor(new AsyncExecutor(), 'first'));
    expect(duplicate).toBeInstanceOf(DuplicateAliasError);
    expect(duplicate.message).toContain('first');
    await s.removeExecutor('first');
    const unknown = await rejectionOf(s.removeExecutor('first'));
    expect(unknown).toBeInstanceOf(UnknownAliasError);
    expect(unknown.message).toContain('first');
    expect(events.map((e) => [e.code, e.alias])).toEqual([
      [EVENT_EXECUTOR_ADDED, 'first'],
      [EVENT_EXECUTOR_ADDED, 'second'],
      [EVENT_EXECUTOR_REMOVED, 'first'],
    ]);
    await s.start();
    await expect(s.addExecutor('async')).rejects.toBeInstanceOf(DuplicateAliasError);
    // an executor added while running is started and usable at once
    await s.addExecutor(new AsyncExecutor(), 'late');
    const fn = vi.fn();
    await s.addJob(fn, 'date', { runDate: '2024-01-01T00:00:01Z', executor: 'late' });
    await settle(1_000);
    expect(fn).toHaveBeenCalled();
  });

  it('addJobstore / removeJobstore with events; duplicates and unknown aliases are errors', async () => {
    const s = scheduler();
    const events = recordEvents(s, EVENT_JOBSTORE_ADDED | EVENT_JOBSTORE_REMOVED);
    await s.addJobstore(new MemoryJobStore(), 'a');
    await s.addJobstore('memory', 'b');
    await expect(s.addJobstore(new MemoryJobStore(), 'a')).rejects.toBeInstanceOf(
      DuplicateAliasError,
    );
    await s.start();
    await expect(s.addJobstore('memory')).rejects.toBeInstanceOf(DuplicateAliasError);
    const fn = vi.fn();
    const late = new MemoryJobStore();
    await s.addJobstore(late, 'late');
    await s.addJob(fn, 'date', { runDate: '2024-01-01T00:00:01Z', jobstore: 'late' });
    await settle(1_000);
    expect(fn).toHaveBeenCalledTimes(1);
    await s.removeJobstore('b');
    await expect(s.removeJobstore('b')).rejects.toBeInstanceOf(UnknownAliasError);
    await expect(s.addJob(fn, 'interval', { minutes: 1, jobstore: 'b' })).rejects.toBeInstanceOf(
      UnknownAliasError,
    );
    expect(events.map((e) => [e.code, e.alias])).toEqual([
      [EVENT_JOBSTORE_ADDED, 'a'],
      [EVENT_JOBSTORE_ADDED, 'b'],
      [EVENT_JOBSTORE_ADDED, 'default'],
      [EVENT_JOBSTORE_ADDED, 'late'],
      [EVENT_JOBSTORE_REMOVED, 'b'],
    ]);
  });

  it('a due job whose executor was removed is paused, not deleted (APScheduler deleted it)', async () => {
    const s = scheduler();
    await s.addExecutor(new AsyncExecutor(), 'pool');
    await s.start();
    const fn = vi.fn();
    await s.addJob(fn, 'interval', { seconds: 10, id: 'orphan', executor: 'pool' });
    await s.removeExecutor('pool');
    const removed = recordEvents(s, EVENT_JOB_REMOVED);
    const modified = recordEvents(s, EVENT_JOB_MODIFIED);
    await settle(10_000);
    expect(fn).not.toHaveBeenCalled();
    expect((await s.getJob('orphan'))?.nextRunTime).toBeNull();
    expect(removed).toEqual([]);
    expect(modified.map((e) => (e as JobEvent).jobId)).toEqual(['orphan']);
  });

  it('removeJobstore with shutdown: false leaves the store running and its jobs intact', async () => {
    const s = scheduler();
    const store = new MemoryJobStore();
    await s.addJobstore(store, 'kept');
    await s.start();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'k', jobstore: 'kept' });
    await s.removeJobstore('kept', false);
    expect(await store.lookupJob('k')).not.toBeNull();
    expect(await s.getJob('k')).toBeNull();
  });

  it('addListener honours the mask; removeListener stops delivery', async () => {
    const s = scheduler();
    const all: SchedulerEvent[] = [];
    const onlyAdded: SchedulerEvent[] = [];
    const listener = (e: SchedulerEvent): void => {
      all.push(e);
    };
    s.addListener(listener);
    s.addListener((e) => {
      onlyAdded.push(e);
    }, EVENT_JOB_ADDED);
    await s.start();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'a' });
    expect(codes(all)).toContain(EVENT_SCHEDULER_STARTED);
    expect(codes(all)).toContain(EVENT_JOB_ADDED);
    expect(codes(onlyAdded)).toEqual([EVENT_JOB_ADDED]);
    s.removeListener(listener);
    const before = all.length;
    await s.addJob(noop, 'interval', { minutes: 1, id: 'b' });
    expect(all.length).toBe(before);
    expect(codes(onlyAdded)).toEqual([EVENT_JOB_ADDED, EVENT_JOB_ADDED]);
  });

  it('a throwing or rejecting listener does not affect the others or the scheduler', async () => {
    const logged: unknown[] = [];
    const s = scheduler({
      logger: { ...silentLogger, error: (message: string) => logged.push(message) },
    });
    s.addListener(() => {
      throw new Error('boom');
    });
    s.addListener(async () => {
      throw new Error('async boom');
    });
    const seen = recordEvents(s, EVENT_JOB_EXECUTED);
    await s.start();
    await s.addJob(noop);
    await settle(10);
    expect(seen).toHaveLength(1);
    expect(s.state).toBe(STATE_RUNNING);
    expect(logged.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------

describe('the Job class', () => {
  it('toString reads like APScheduler: next run at / paused / pending', async () => {
    const s = scheduler();
    const pending = await s.addJob(send, 'cron', { hour: 3, id: 'j', args: ['a'] });
    expect(String(pending)).toBe("send (trigger: cron[hour='3'], pending)");
    await s.start();
    const stored = (await s.getJob('j')) as Job;
    expect(String(stored)).toBe(
      "send (trigger: cron[hour='3'], next run at: 2024-01-01 03:00:00+00:00)",
    );
    const paused = await s.pauseJob('j');
    expect(paused.toString()).toBe("send (trigger: cron[hour='3'], paused)");
  });

  it("toString prints the next run time in the scheduler's zone", async () => {
    const s = scheduler({ timezone: 'Europe/Berlin' });
    await s.start();
    const job = await s.addJob(send, 'cron', { hour: 3, args: ['a'] });
    expect(String(job)).toBe(
      "send (trigger: cron[hour='3'], next run at: 2024-01-01 03:00:00+01:00)",
    );
  });

  it('modify, reschedule, pause, resume and remove act on the scheduler', async () => {
    const s = scheduler();
    await s.start();
    const job = await s.addJob(noop, 'cron', { hour: 3, id: 'j' });
    await job.modify({ name: 'renamed', maxInstances: 2 });
    expect(await s.getJob('j')).toMatchObject({ name: 'renamed', maxInstances: 2 });
    await job.reschedule(new CronTrigger({ hour: 4, timezone: 'UTC' }));
    expect((await s.getJob('j'))?.nextRunTime).toEqual(new Date('2024-01-01T04:00:00Z'));
    await job.pause();
    expect((await s.getJob('j'))?.nextRunTime).toBeNull();
    await job.resume();
    expect((await s.getJob('j'))?.nextRunTime).toEqual(new Date('2024-01-01T04:00:00Z'));
    await job.remove();
    expect(await s.getJob('j')).toBeNull();
    await expect(job.remove()).rejects.toBeInstanceOf(JobLookupError);
  });

  it("job.reschedule takes an alias and its arguments, as rescheduleJob and APScheduler's job.reschedule do", async () => {
    const s = scheduler();
    await s.start();
    const job = await s.addJob(noop, 'cron', { hour: 3, id: 'j' });
    const every = await job.reschedule('interval', { seconds: 1 });
    expect(String(every.trigger)).toBe('interval[0:00:01]');
    expect(every.nextRunTime).toEqual(new Date(Date.now() + 1000));
    const daily = await job.reschedule('cron', { hour: 5, minute: 30 });
    expect(String(daily.trigger)).toBe("cron[hour='5', minute='30']");
    expect((await s.getJob('j'))?.nextRunTime).toEqual(new Date('2024-01-01T05:30:00Z'));
  });

  it('Job methods resolve to the job as changed (APScheduler returns the updated job)', async () => {
    const s = scheduler();
    await s.start();
    const job = await s.addJob(noop, 'cron', { hour: 3, id: 'j' });
    const modified = await job.modify({ name: 'renamed' });
    expect(modified.name).toBe('renamed');
    const rescheduled = await job.reschedule(new CronTrigger({ hour: 4, timezone: 'UTC' }));
    expect(rescheduled.nextRunTime).toEqual(new Date('2024-01-01T04:00:00Z'));
    const paused = await job.pause();
    expect(paused.nextRunTime).toBeNull();
  });

  it('the methods of a job obtained while pending work after start', async () => {
    const s = scheduler();
    const job = await s.addJob(noop, 'cron', { hour: 3, id: 'j' });
    await s.start();
    await job.pause();
    expect((await s.getJob('j'))?.nextRunTime).toBeNull();
    await job.remove();
    expect(await s.getJob('j')).toBeNull();
  });

  it('equals compares ids', async () => {
    const s = scheduler();
    await s.start();
    const job = await s.addJob(noop, 'cron', { hour: 3, id: 'j' });
    const again = (await s.getJob('j')) as Job;
    expect(job.equals(again)).toBe(true);
    expect(job.equals(await s.addJob(noop, 'cron', { hour: 3, id: 'k' }))).toBe(false);
  });
});

// ---------------------------------------------------------------------------

describe('currentJob()', () => {
  it('inside a running job gives its id, scheduled run time and signal; undefined outside', async () => {
    const s = scheduler();
    await s.start();
    const seen: (CurrentJob | undefined)[] = [];
    const job = async (): Promise<void> => {
      seen.push(currentJob());
      await Promise.resolve();
      await new Promise<void>((resolve) => setTimeout(resolve, 100));
      seen.push(currentJob());
    };
    await s.addJob(job, 'date', { runDate: '2024-01-01T00:00:05Z', id: 'cj' });
    await settle(5_000);
    await settle(200);
    expect(seen).toHaveLength(2);
    for (const current of seen) {
      expect(current?.id).toBe('cj');
      expect(current?.scheduledRunTime).toEqual(new Date('2024-01-01T00:00:05Z'));
      expect(current?.signal).toBeInstanceOf(AbortSignal);
      expect(current?.signal.aborted).toBe(false);
    }
    expect(currentJob()).toBeUndefined();
  });

  it('each run of a batch sees its own scheduled run time', async () => {
    const s = scheduler();
    await s.start();
    const times: number[] = [];
    await s.addJob(
      () => {
        times.push(currentJob()?.scheduledRunTime.getTime() ?? -1);
      },
      'interval',
      { seconds: 10, coalesce: false, id: 'b' },
    );
    s.pause();
    await settle(25_000);
    s.resume();
    await settle(10);
    expect(times).toEqual([T0.getTime() + 10_000, T0.getTime() + 20_000]);
  });
});

// ---------------------------------------------------------------------------

describe('configuration reaching the jobs', () => {
  it('the flat form sets the job defaults', async () => {
    const s = new AsyncScheduler({
      'horarium.jobDefaults.coalesce': 'false',
      'horarium.jobDefaults.maxInstances': '3',
      'horarium.jobDefaults.misfireGraceTime': '30',
      'horarium.timezone': 'UTC',
      'horarium.logger': silentLogger,
    });
    schedulers.push(s);
    expect(s.timezone).toBe('UTC');
    const pending = await s.addJob(noop, 'interval', { minutes: 1, id: 'a' });
    expect(pending).toMatchObject({ coalesce: false, maxInstances: 3, misfireGraceTime: 30 });
    await s.start();
    const job = await s.addJob(noop, 'interval', { minutes: 1, id: 'b' });
    expect(job).toMatchObject({ coalesce: false, maxInstances: 3, misfireGraceTime: 30 });
    expect(await s.getJob('a')).toMatchObject({ coalesce: false, maxInstances: 3 });
  });

  it('the flat form configures stores and executors', async () => {
    const s = new AsyncScheduler({
      'horarium.jobstores.archive.type': 'memory',
      'horarium.executors.pool': { type: 'async' },
      'horarium.timezone': 'UTC',
    });
    schedulers.push(s);
    s.configure({ logger: silentLogger });
    await s.start();
    const job = await s.addJob(noop, 'interval', {
      minutes: 1,
      jobstore: 'archive',
      executor: 'pool',
    });
    expect(job.jobstore).toBe('archive');
  });

  it('job defaults are applied when a pending job is really added', async () => {
    const s = scheduler();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'defaults' });
    await s.addJob(noop, 'interval', {
      minutes: 1,
      id: 'explicit',
      coalesce: true,
      maxInstances: 1,
    });
    s.configure({ jobDefaults: { coalesce: false, maxInstances: 4, misfireGraceTime: 60 } });
    await s.start();
    expect(await s.getJob('defaults')).toMatchObject({
      coalesce: false,
      maxInstances: 4,
      misfireGraceTime: 60,
    });
    expect(await s.getJob('explicit')).toMatchObject({
      coalesce: true,
      maxInstances: 1,
      misfireGraceTime: 60,
    });
  });

  it("the configured timezone is the triggers' default zone", async () => {
    const s = new AsyncScheduler({ 'horarium.timezone': 'America/New_York' });
    schedulers.push(s);
    s.configure({ logger: silentLogger });
    await s.start();
    const job = await s.addJob(noop, 'cron', { hour: 3 });
    expect(job.nextRunTime).toEqual(new Date('2024-01-01T08:00:00Z'));
  });
});
