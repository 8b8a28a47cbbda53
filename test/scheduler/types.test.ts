/**
 * The scheduler's types (SPEC §2: "Types are precise: addJob(fn, 'cron',
 * { hour: 3, id: 'x' }) type-checks the trigger's arguments and fn's
 * parameters against args"). `npm run typecheck` (tsc over test/) verifies
 * every `@ts-expect-error` below is needed; the calls that must not compile
 * live in a function that never runs. The calls that must compile also run
 * against a stopped scheduler (they only add pending jobs).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type AnySchedulerEvent,
  AsyncScheduler,
  CronTrigger,
  EVENT_ALL,
  EVENT_JOB_ADDED,
  EVENT_JOB_ERROR,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_MISSED,
  EVENT_JOB_RESTORE_FAILED,
  EVENT_JOB_SUBMITTED,
  EVENT_JOBSTORE_ERROR,
  EVENT_SCHEDULER_START,
  EVENT_SCHEDULER_STARTED,
  IntervalTrigger,
  type Job,
  type JobEvent,
  JobExecutionEvent,
  type JobRestoreFailedEvent,
  type JobStoreErrorEvent,
  type JobSubmissionEvent,
  type SchedulerEvent,
  silentLogger,
} from '../../src/index.ts';

function send(n: number, s: string): string {
  return `${n}${s}`;
}
function pair(a: string, b: number): string {
  return a + String(b);
}
function zero(): void {}
function optional(n?: number): number {
  return n ?? 0;
}
async function asyncJob(date: Date): Promise<void> {
  void date;
}

function stopped(): AsyncScheduler {
  return new AsyncScheduler({ timezone: 'UTC', logger: silentLogger });
}

/** Never called: each line marked @ts-expect-error must fail to compile. */
async function mustNotCompile(s: AsyncScheduler): Promise<void> {
  // a misspelled cron argument
  // @ts-expect-error `hours` is not a cron field (it is `hour`)
  await s.addJob(zero, 'cron', { hours: 3 });
  // an interval argument given to cron, and a cron field given to interval
  // @ts-expect-error `minutes` belongs to interval
  await s.addJob(zero, 'cron', { minutes: 3 });
  // @ts-expect-error `hour` belongs to cron
  await s.addJob(zero, 'interval', { hour: 3 });
  // args that do not match the parameters
  // @ts-expect-error ['a'] is not [number, string]
  await s.addJob(send, 'interval', { minutes: 1, args: ['a'] });
  // @ts-expect-error the order matters
  await s.addJob(send, 'interval', { minutes: 1, args: ['a', 1] });
  // missing args for a function with required parameters
  // @ts-expect-error args is required for send
  await s.addJob(send, 'interval', { minutes: 1 });
  // @ts-expect-error the options (with args) are required for send
  await s.addJob(send, 'interval');
  // @ts-expect-error the options (with args) are required for send, trigger instance too
  await s.addJob(send, new CronTrigger({ hour: 3 }));
  // @ts-expect-error no trigger: still needs args
  await s.addJob(send);
  // @ts-expect-error a Date is needed
  await s.addJob(asyncJob, 'date', { args: ['2024-01-01'] });
  // wrong option types
  // @ts-expect-error id is a string
  await s.addJob(zero, 'cron', { hour: 3, id: 5 });
  // @ts-expect-error coalesce is a boolean
  await s.addJob(zero, 'cron', { hour: 3, coalesce: 'yes' });
  // @ts-expect-error maxInstances is a number
  await s.addJob(zero, 'cron', { hour: 3, maxInstances: '2' });
  // @ts-expect-error misfireGraceTime is a number or null
  await s.addJob(zero, 'cron', { hour: 3, misfireGraceTime: '10' });
  // @ts-expect-error nextRunTime is a Date, number, string or null
  await s.addJob(zero, 'cron', { hour: 3, nextRunTime: true });
  // @ts-expect-error replaceExisting is a boolean
  await s.addJob(zero, 'cron', { hour: 3, replaceExisting: 1 });
  // @ts-expect-error args is an array
  await s.addJob(zero, 'cron', { hour: 3, args: 'x' });
  // @ts-expect-error a cron field is a number or a string
  await s.addJob(zero, 'cron', { hour: true });
  // @ts-expect-error an unknown trigger alias
  await s.addJob(zero, 'crontab', { hour: 3 });
  // @ts-expect-error trigger arguments are only accepted with an alias
  await s.addJob(zero, new CronTrigger({ hour: 3 }), { hour: 4 });
  // @ts-expect-error func is a function or a string
  await s.addJob(42, 'cron', { hour: 3 });
  // a service ported from APScheduler: each mistake is reported as itself (type-errors.test.ts pins the messages)
  // @ts-expect-error `secnds` is not an interval argument (it is `seconds`)
  await s.addJob(pair, 'interval', { secnds: 5, args: ['a', 1] });
  // @ts-expect-error APScheduler's `misfire_grace_time` is `misfireGraceTime`
  await s.addJob(pair, 'interval', { seconds: 5, args: ['a', 1], misfire_grace_time: 30 });
  // @ts-expect-error args too short for pair(a: string, b: number)
  await s.addJob(pair, 'interval', { seconds: 5, args: ['a'] });
  // @ts-expect-error args of the wrong types for pair(a: string, b: number)
  await s.addJob(pair, 'interval', { seconds: 5, args: ['a', 'b'] });
  // @ts-expect-error a textual reference's trigger arguments are checked too
  await s.addJob('reports:send', 'interval', { secnds: 5 });
  // the and/or aliases need their triggers
  // @ts-expect-error `triggers` is required
  await s.addJob(zero, 'or', {});
  const job = await s.addJob(send, 'cron', { hour: 3, args: [1, 'a'] });
  // @ts-expect-error the job's args keep their types
  await job.modify({ args: ['b'] });
  // @ts-expect-error the job's args are read-only
  job.args = [2, 'b'];
  // @ts-expect-error modifyJob checks args against the types it is given
  await s.modifyJob<[number, string]>('m', { args: ['b'] });
  // @ts-expect-error rescheduleJob checks an alias's arguments
  await s.rescheduleJob('m', 'cron', { hours: 3 });
  // @ts-expect-error a Trigger instance takes no trigger arguments
  await s.rescheduleJob('m', new CronTrigger({ hour: 3 }), { hour: 4 });
  // @ts-expect-error scheduledJob checks the trigger arguments as well
  s.scheduledJob('cron', { hours: 3 });
  // @ts-expect-error a listener receives an event
  s.addListener((event: number) => {
    void event;
  });
  s.addListener((event) => {
    // @ts-expect-error a JobEvent has no exception
    void event.exception;
  }, EVENT_JOB_ADDED);
  // @ts-expect-error a listener of JobExecutionEvents cannot take JobEvents
  s.addListener((event: JobExecutionEvent) => {
    void event;
  }, EVENT_JOB_ADDED);
  // @ts-expect-error nor every event
  s.addListener((event: JobExecutionEvent) => {
    void event;
  });
}

describe('addJob types', () => {
  it('the calls that must not compile are all in one function that never runs', () => {
    expect(typeof mustNotCompile).toBe('function');
  });

  it("addJob(fn, 'cron', { hour: 3, id: 'x' }) type-checks", async () => {
    const s = stopped();
    const job = await s.addJob(zero, 'cron', { hour: 3, id: 'x' });
    expectTypeOf(job).toEqualTypeOf<Job<[]>>();
    expect(job.id).toBe('x');
    await s.addJob(zero, 'cron', { hour: '*/2', minute: '0,30', dayOfWeek: 'mon-fri' });
    await s.addJob(zero, 'interval', { minutes: 5, startDate: '2024-01-01 00:00' });
    await s.addJob(zero, 'date', { runDate: new Date(0) });
    await s.addJob(zero, 'calendarinterval', { months: 1, hour: 9 });
    await s.addJob(zero, 'and', { triggers: [new CronTrigger({ hour: 3 })], threshold: 2 });
    await s.addJob(zero, 'or', { triggers: [new CronTrigger({ hour: 3 })] });
  });

  it('args must match the parameters: [1, "a"] for (n: number, s: string)', async () => {
    const s = stopped();
    const job = await s.addJob(send, 'interval', { minutes: 1, args: [1, 'a'] });
    expectTypeOf(job).toEqualTypeOf<Job<[number, string]>>();
    expectTypeOf(job.args).toEqualTypeOf<[number, string]>();
    expect(job.args).toEqual([1, 'a']);
    const viaInstance = await s.addJob(send, new IntervalTrigger({ minutes: 1 }), {
      args: [2, 'b'],
    });
    expectTypeOf(viaInstance.args).toEqualTypeOf<[number, string]>();
    const dated = await s.addJob(asyncJob, 'date', { args: [new Date(0)] });
    expectTypeOf(dated.args).toEqualTypeOf<[date: Date]>();
  });

  it('no args are needed for a zero-parameter function', async () => {
    const s = stopped();
    const a = await s.addJob(zero);
    const b = await s.addJob(zero, 'interval', { seconds: 1 });
    const c = await s.addJob(zero, null);
    expectTypeOf(a).toEqualTypeOf<Job<[]>>();
    expect([a, b, c].every((j) => j.pending)).toBe(true);
  });

  it('optional parameters: the types ask for args exactly when the run-time arity check does', async () => {
    const s = stopped();
    const withArgs = await s.addJob(optional, 'interval', { seconds: 1, args: [3] });
    expectTypeOf(withArgs.args).toEqualTypeOf<[n?: number]>();
    // `(n?: number) => …` compiles to `function (n)`: its `length` is 1 at run time, so the
    // run-time check requires an argument, and the types require `args` as well.
    if (false as boolean) {
      // @ts-expect-error args is required for a function with a parameter, even an optional one
      await s.addJob(optional, 'interval', { seconds: 1 });
    }
    await expect(s.addJob(optional, 'interval', { seconds: 1, args: [] })).rejects.toThrow(
      /takes 1 required argument, but args has 0/,
    );
  });

  it('a textual reference or task name gives an untyped Job', async () => {
    const s = stopped();
    s.registerTask('task', send);
    const job = await s.addJob('task', 'cron', { hour: 3, args: [1, 'x'] });
    expectTypeOf(job).toEqualTypeOf<Job>();
    expectTypeOf(job.args).toEqualTypeOf<unknown[]>();
  });

  it('the other methods are typed too', async () => {
    const s = stopped();
    const wrapped = s.scheduledJob('cron', { hour: 3, id: 'w', args: [1, 'a'] })(send);
    expectTypeOf(wrapped).toEqualTypeOf<typeof send>();
    const job = await s.addJob(send, 'cron', { hour: 3, args: [1, 'a'], id: 'm' });
    const modified = await job.modify({ args: [2, 'b'] });
    expectTypeOf(modified.args).toEqualTypeOf<[number, string]>();
    expectTypeOf(await job.reschedule(new CronTrigger({ hour: 4 }))).toEqualTypeOf<
      Job<[number, string]>
    >();
    expectTypeOf(await job.reschedule('interval', { seconds: 1 })).toEqualTypeOf<
      Job<[number, string]>
    >();
    const typo = () =>
      // @ts-expect-error: the interval alias has no option `secnds`
      job.reschedule('interval', { secnds: 1 });
    expectTypeOf(typo).toBeFunction();
    expectTypeOf(job.pause).returns.resolves.toEqualTypeOf<Job<[number, string]>>();
    expectTypeOf(job.resume).returns.resolves.toEqualTypeOf<Job<[number, string]> | null>();
    expectTypeOf(s.getJob('m')).resolves.toEqualTypeOf<Job | null>();
    expectTypeOf(s.getJobs()).resolves.toEqualTypeOf<Job[]>();
    expectTypeOf(s.resumeJob).returns.resolves.toEqualTypeOf<Job | null>();
    expectTypeOf(job.nextRunTime).toEqualTypeOf<Date | null>();
    expectTypeOf(job.funcRef).toEqualTypeOf<string | null>();
  });

  it('modifyJob returns the job typed by the args it is given, Job<unknown[]> when it is given none', async () => {
    const s = stopped();
    await s.addJob(send, 'cron', { hour: 3, args: [1, 'a'], id: 'm' });
    const changed = await s.modifyJob('m', { args: [2, 'b'] });
    expectTypeOf(changed).toEqualTypeOf<Job<[number, string]>>();
    expect(changed.args).toEqual([2, 'b']);
    const explicit = await s.modifyJob<[number, string]>('m', { args: [3, 'c'] });
    expectTypeOf(explicit.args).toEqualTypeOf<[number, string]>();
    const renamed = await s.modifyJob('m', { name: 'renamed' });
    expectTypeOf(renamed).toEqualTypeOf<Job>();
    expect([renamed.name, renamed.args]).toEqual(['renamed', [3, 'c']]);
  });

  it('rescheduleJob takes an alias with its arguments, or a Trigger alone', async () => {
    const s = stopped();
    await s.addJob(zero, 'cron', { hour: 3, id: 'r' });
    const byAlias = await s.rescheduleJob('r', 'interval', { minutes: 5 });
    expect(String(byAlias.trigger)).toMatch(/^interval\[0:05:00\]/);
    const byInstance = await s.rescheduleJob('r', new CronTrigger({ hour: 4 }));
    expect(String(byInstance.trigger)).toMatch(/^cron\[hour='4'\]/);
  });
});

describe('listener types', () => {
  // The listeners are registered on a stopped scheduler and never called: the
  // assertions inside them are checked by the compiler (`npm run typecheck`).

  it('a listener for one code receives the class that code is dispatched with', () => {
    const s = stopped();
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<JobEvent>();
    }, EVENT_JOB_ADDED);
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<JobExecutionEvent>();
    }, EVENT_JOB_MISSED);
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<JobSubmissionEvent>();
    }, EVENT_JOB_SUBMITTED);
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<JobStoreErrorEvent>();
    }, EVENT_JOBSTORE_ERROR);
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<JobRestoreFailedEvent>();
    }, EVENT_JOB_RESTORE_FAILED);
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<SchedulerEvent>();
    }, EVENT_SCHEDULER_STARTED);
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<SchedulerEvent>();
    }, EVENT_SCHEDULER_START);
  });

  it('a listener for EVENT_JOB_EXECUTED | EVENT_JOB_ERROR reads event.exception without a cast', () => {
    const s = stopped();
    const failures: unknown[] = [];
    s.addListener((event) => {
      if (event.exception) failures.push(event.exception);
    }, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR);
    // An OR of codes is typed `number`: the event is an AnySchedulerEvent.
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<AnySchedulerEvent>();
      expectTypeOf(event.exception).toEqualTypeOf<unknown>();
      expectTypeOf(event.scheduledRunTime).toEqualTypeOf<Date | undefined>();
      expectTypeOf(event.jobId).toEqualTypeOf<string | null | undefined>();
    }, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR);
    expect(failures).toEqual([]);
  });

  it('a listener for a JobEvent code does not see exception', () => {
    expectTypeOf<JobEvent>().not.toHaveProperty('exception');
    expectTypeOf<JobExecutionEvent>().toHaveProperty('exception');
  });

  it('EVENT_ALL, a number variable and no mask give an AnySchedulerEvent, which instanceof narrows', () => {
    const s = stopped();
    const mask: number = EVENT_JOB_ADDED;
    for (const given of [EVENT_ALL, mask]) {
      s.addListener((event) => {
        expectTypeOf(event).toEqualTypeOf<AnySchedulerEvent>();
      }, given);
    }
    s.addListener((event) => {
      expectTypeOf(event).toEqualTypeOf<AnySchedulerEvent>();
      expectTypeOf(event).toExtend<SchedulerEvent>();
      if (event instanceof JobExecutionEvent) {
        expectTypeOf(event).toEqualTypeOf<JobExecutionEvent>();
      }
    });
  });

  it('a listener typed by its parameter is accepted for its codes, and removed like any other', () => {
    const s = stopped();
    const onError = (event: JobExecutionEvent): void => {
      void event.exception;
    };
    const onAny = (event: SchedulerEvent): void => {
      void event.code;
    };
    s.addListener(onError, EVENT_JOB_ERROR);
    s.addListener(onAny, EVENT_JOB_ERROR);
    s.addListener(onAny);
    s.removeListener(onError);
    s.removeListener(onAny);
    expectTypeOf(s.removeListener<JobExecutionEvent>)
      .parameter(0)
      .toEqualTypeOf<(event: JobExecutionEvent) => void | Promise<void>>();
  });
});
