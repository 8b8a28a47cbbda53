/**
 * Bad input to the scheduler (SPEC §2 "Scheduler"): every mistake is a typed
 * error whose message names the option and the value at fault — at addJob
 * time, never later. Calls go through an untyped view, as plain JavaScript
 * (or data read from a file) would make them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  ConfigurationError,
  ConflictingIdError,
  CronSyntaxError,
  CronTrigger,
  HorariumError,
  IntervalTrigger,
  InvalidDateError,
  InvalidJobOptionError,
  InvalidTriggerError,
  JobReferenceError,
  type SchedulerConfig,
  SchedulerNotRunningError,
  SerializationError,
  silentLogger,
  ThreadPoolExecutor,
  UnknownAliasError,
} from '../../src/index.ts';
import { errorOf, rejectionOf, untyped } from '../helpers/scheduler-api-helpers.ts';
import { removeSqliteFiles, tempSqlitePath } from '../helpers/sql-backends.ts';

const MODULE = './test/fixtures/scheduler-api-jobs.ts';

let schedulers: AsyncScheduler[] = [];

function scheduler(config: SchedulerConfig = {}): AsyncScheduler {
  const s = new AsyncScheduler({ timezone: 'UTC', logger: silentLogger, ...config });
  schedulers.push(s);
  return s;
}

async function started(): Promise<AsyncScheduler> {
  const s = scheduler();
  await s.start();
  return s;
}

afterEach(async () => {
  for (const s of schedulers) {
    if (s.running) await s.shutdown({ wait: false });
  }
  schedulers = [];
});

function noop(): void {}

/** The InvalidJobOptionError that `addJob(noop, 'interval', { minutes: 1, ...options })` rejects with. */
async function optionError(
  s: AsyncScheduler,
  options: Record<string, unknown>,
): Promise<InvalidJobOptionError> {
  const error = await rejectionOf(untyped(s).addJob(noop, 'interval', { minutes: 1, ...options }));
  expect(error).toBeInstanceOf(InvalidJobOptionError);
  expect(error).toBeInstanceOf(HorariumError);
  return error as InvalidJobOptionError;
}

// ---------------------------------------------------------------------------

describe('job options of the wrong type or out of range', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['id: 5', { id: 5 }, 'id', '5'],
    ["id: ''", { id: '' }, 'id', '""'],
    ["name: ''", { name: '' }, 'name', '""'],
    ['name: 7', { name: 7 }, 'name', '7'],
    ["coalesce: 'yes'", { coalesce: 'yes' }, 'coalesce', '"yes"'],
    ['coalesce: 1', { coalesce: 1 }, 'coalesce', '1'],
    ['maxInstances: 0', { maxInstances: 0 }, 'maxInstances', '0'],
    ['maxInstances: -1', { maxInstances: -1 }, 'maxInstances', '-1'],
    ['maxInstances: 1.5', { maxInstances: 1.5 }, 'maxInstances', '1.5'],
    ["maxInstances: '2'", { maxInstances: '2' }, 'maxInstances', '"2"'],
    ['misfireGraceTime: -1', { misfireGraceTime: -1 }, 'misfireGraceTime', '-1'],
    ["misfireGraceTime: '10'", { misfireGraceTime: '10' }, 'misfireGraceTime', '"10"'],
    ['misfireGraceTime: NaN', { misfireGraceTime: Number.NaN }, 'misfireGraceTime', 'NaN'],
    ['timeout: 0', { timeout: 0 }, 'timeout', '0'],
    ['timeout: -5', { timeout: -5 }, 'timeout', '-5'],
    ["recover: 'yes'", { recover: 'yes' }, 'recover', '"yes"'],
    ["args: 'x'", { args: 'x' }, 'args', '"x"'],
    ['args: {}', { args: { 0: 1 } }, 'args', 'args'],
    ['replaceExisting: 1', { replaceExisting: 1 }, 'replaceExisting', '1'],
    ["nextRunTime: 'tomorrow'", { nextRunTime: 'tomorrow' }, 'nextRunTime', 'tomorrow'],
    [
      "nextRunTime: '2024-01-01 10:00' (naive, ambiguous)",
      { nextRunTime: '2024-01-01 10:00' },
      'nextRunTime',
      '2024-01-01 10:00',
    ],
    ['nextRunTime: new Date(NaN)', { nextRunTime: new Date(Number.NaN) }, 'nextRunTime', 'Date'],
    ['nextRunTime: {}', { nextRunTime: {} }, 'nextRunTime', 'nextRunTime'],
    ['nextRunTime: NaN', { nextRunTime: Number.NaN }, 'nextRunTime', 'NaN'],
    ['jobstore: 3', { jobstore: 3 }, 'jobstore', '3'],
    ['executor: null', { executor: null }, 'executor', 'null'],
  ];

  for (const [title, options, option, shown] of cases) {
    it(`${title} → InvalidJobOptionError naming ${option}`, async () => {
      for (const s of [scheduler(), await started()]) {
        const error = await optionError(s, options);
        expect(error.option).toBe(option);
        expect(error.message).toContain(option);
        expect(error.message).toContain(shown);
        expect(await s.getJobs()).toEqual([]);
      }
    });
  }

  it('a naive nextRunTime string is rejected even though triggers accept naive dates', async () => {
    const s = await started();
    const error = await optionError(s, { nextRunTime: '2024-01-01T10:00:00' });
    expect(error.message).toMatch(/zone|offset/i);
  });

  it('options that are not an object', async () => {
    const s = scheduler();
    const error = await rejectionOf(untyped(s).addJob(noop, null, 'often'));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect(error.message).toContain('options');
  });
});

// ---------------------------------------------------------------------------

describe('triggers', () => {
  describe('a trigger that never fires is refused at addJob, not added as a silently paused job', () => {
    const never: [string, () => CronTrigger | IntervalTrigger][] = [
      ['February 30th (crontab)', () => CronTrigger.fromCrontab('0 0 30 2 *', { timezone: 'UTC' })],
      ['a year in the past', () => new CronTrigger({ year: 2020, timezone: 'UTC' })],
      [
        'an interval whose end date has passed',
        () => new IntervalTrigger({ hours: 1, endDate: '2020-01-01T00:00:00Z', timezone: 'UTC' }),
      ],
    ];
    for (const [title, make] of never) {
      it(`${title}: stopped and running`, async () => {
        for (const s of [scheduler(), await started()]) {
          const error = await rejectionOf(s.addJob(noop, make(), { id: 'never' }));
          expect(error).toBeInstanceOf(InvalidJobOptionError);
          expect((error as InvalidJobOptionError).option).toBe('trigger');
          expect(error.message).toMatch(
            /^The trigger never fires: .+ has no fire time after .+; check its fields and dates, or pass nextRunTime: null to add the job paused on purpose$/,
          );
          expect(await s.getJobs()).toEqual([]);
          // Asked for, a paused job with such a trigger is fine.
          const paused = await s.addJob(noop, make(), { id: 'paused', nextRunTime: null });
          expect(paused.nextRunTime).toBeNull();
        }
      });
    }

    it('rescheduleJob to a trigger that never fires leaves the job as it was', async () => {
      const s = await started();
      const job = await s.addJob(noop, 'interval', { minutes: 1, id: 'j' });
      const error = await rejectionOf(s.rescheduleJob('j', 'cron', { year: 2020 }));
      expect(error).toBeInstanceOf(InvalidJobOptionError);
      expect((await s.getJob('j'))?.nextRunTime).toEqual(job.nextRunTime);
    });
  });

  it("an unknown trigger alias ('crontab') names the alias and the known ones", async () => {
    const s = scheduler();
    const error = await rejectionOf(untyped(s).addJob(noop, 'crontab', { hour: 3 }));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('trigger');
    expect(error.message).toContain('crontab');
    expect(error.message).toContain('cron');
  });

  it('a trigger that is neither an alias nor a Trigger', async () => {
    const s = scheduler();
    const error = await rejectionOf(untyped(s).addJob(noop, { hour: 3 }));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('trigger');
  });

  it('trigger arguments beside a trigger instance are unknown options', async () => {
    const s = scheduler();
    const error = await rejectionOf(
      untyped(s).addJob(noop, new CronTrigger({ hour: 3 }), { hour: 4, id: 'x' }),
    );
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('hour');
    expect(error.message).toContain('hour');
    expect(await s.getJob('x')).toBeNull();
  });

  it('trigger arguments without any trigger are unknown options', async () => {
    const s = scheduler();
    const error = await rejectionOf(untyped(s).addJob(noop, undefined, { minutes: 5 }));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect(error.message).toContain('minutes');
  });

  it('a misspelled trigger argument for an alias names it', async () => {
    const s = scheduler();
    const error = await rejectionOf(untyped(s).addJob(noop, 'cron', { hours: 3 }));
    expect(error).toBeInstanceOf(HorariumError);
    expect(error.message).toContain('hours');
  });

  it('invalid trigger arguments propagate the trigger error, naming the field', async () => {
    const s = scheduler();
    const cron = await rejectionOf(s.addJob(noop, 'cron', { hour: 25 }));
    expect(cron).toBeInstanceOf(CronSyntaxError);
    expect(cron.message).toContain('hour');
    expect(cron.message).toContain('25');
    const empty = await rejectionOf(s.addJob(noop, 'cron', {}));
    expect(empty).toBeInstanceOf(InvalidTriggerError);
    const interval = await rejectionOf(s.addJob(noop, 'interval', { minutes: -1 }));
    expect(interval).toBeInstanceOf(InvalidTriggerError);
    const zone = await rejectionOf(s.addJob(noop, 'cron', { hour: 3, timezone: 'Mars/Olympus' }));
    expect(zone).toBeInstanceOf(HorariumError);
    expect(zone.message).toContain('Mars/Olympus');
  });

  it('rescheduleJob with an unknown alias or a bad argument changes nothing', async () => {
    const s = await started();
    await s.addJob(noop, 'cron', { hour: 3, id: 'r' });
    const before = (await s.getJob('r'))?.nextRunTime;
    await expect(untyped(s).rescheduleJob('r', 'crontab', { hour: 4 })).rejects.toBeInstanceOf(
      InvalidJobOptionError,
    );
    await expect(s.rescheduleJob('r', 'cron', { hour: 99 })).rejects.toBeInstanceOf(
      CronSyntaxError,
    );
    expect((await s.getJob('r'))?.nextRunTime).toEqual(before);
  });
});

// ---------------------------------------------------------------------------

describe('stores, executors and ids', () => {
  it("an unknown store alias ('nope') while running → UnknownAliasError naming it", async () => {
    const s = await started();
    const error = await rejectionOf(s.addJob(noop, 'interval', { minutes: 1, jobstore: 'nope' }));
    expect(error).toBeInstanceOf(UnknownAliasError);
    expect(error.message).toContain('nope');
    expect(error.message).toContain('default');
  });

  it("an unknown store alias ('nope') while stopped → UnknownAliasError at addJob", async () => {
    const s = scheduler();
    const error = await rejectionOf(s.addJob(noop, 'interval', { minutes: 1, jobstore: 'nope' }));
    expect(error).toBeInstanceOf(UnknownAliasError);
    expect(error.message).toContain('nope');
    expect(await s.getJobs()).toEqual([]);
  });

  it('an unknown executor alias (stopped and running) → UnknownAliasError naming it', async () => {
    for (const s of [scheduler(), await started()]) {
      const error = await rejectionOf(s.addJob(noop, 'interval', { minutes: 1, executor: 'gpu' }));
      expect(error).toBeInstanceOf(UnknownAliasError);
      expect(error.message).toContain('gpu');
    }
  });

  it('modifyJob to an unknown executor → UnknownAliasError, nothing changes', async () => {
    const s = await started();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'm' });
    await expect(s.modifyJob('m', { executor: 'gpu', name: 'x' })).rejects.toBeInstanceOf(
      UnknownAliasError,
    );
    expect(await s.getJob('m')).toMatchObject({ executor: 'default', name: 'noop' });
  });

  it('a duplicate id → ConflictingIdError naming the id (pending and stored)', async () => {
    const s = scheduler();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'dup' });
    const pending = await rejectionOf(s.addJob(noop, 'interval', { minutes: 1, id: 'dup' }));
    expect(pending).toBeInstanceOf(ConflictingIdError);
    expect(pending.message).toContain('dup');
    await s.start();
    const stored = await rejectionOf(s.addJob(noop, 'cron', { hour: 1, id: 'dup' }));
    expect(stored).toBeInstanceOf(ConflictingIdError);
    expect(stored.message).toContain('dup');
    expect(await s.getJobs()).toHaveLength(1);
  });

  it('a duplicate id in another store is allowed', async () => {
    const s = scheduler();
    await s.addJobstore('memory', 'other');
    await s.start();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'same' });
    await s.addJob(noop, 'interval', { minutes: 1, id: 'same', jobstore: 'other' });
    expect(await s.getJobs()).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------

describe('functions and references', () => {
  it('a function whose required parameters args does not satisfy → InvalidJobOptionError naming args', async () => {
    const s = scheduler();
    const two = (a: number, b: number): number => a + b;
    const error = await rejectionOf(untyped(s).addJob(two, 'interval', { minutes: 1, args: [1] }));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('args');
    expect(error.message).toContain('args');
    expect(error.message).toContain('2');
    const none = await rejectionOf(untyped(s).addJob(two, 'interval', { minutes: 1 }));
    expect(none).toBeInstanceOf(InvalidJobOptionError);
    expect((none as InvalidJobOptionError).option).toBe('args');
  });

  it('extra args are allowed (JavaScript functions ignore them) and defaults are optional', async () => {
    const s = scheduler();
    const withDefault = (a: number, b = 2): number => a + b;
    await expect(
      s.addJob(withDefault, 'interval', { minutes: 1, args: [1] }),
    ).resolves.toBeDefined();
    await expect(
      untyped(s).addJob(withDefault, 'interval', { minutes: 1, args: [1, 2, 3] }),
    ).resolves.toBeDefined();
  });

  it('modifyJob with args that do not fit the function → InvalidJobOptionError', async () => {
    const s = await started();
    const one = (_a: number): void => {};
    await s.addJob(one, 'interval', { minutes: 1, id: 'a', args: [1] });
    const error = await rejectionOf(s.modifyJob('a', { args: [] }));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('args');
    expect((await s.getJob('a'))?.args).toEqual([1]);
  });

  for (const [title, func] of [
    ['a number', 42],
    ['null', null],
    ['an object', { run: noop }],
    ['undefined', undefined],
  ] as const) {
    it(`func that is ${title} → InvalidJobOptionError naming func`, async () => {
      const s = scheduler();
      const error = await rejectionOf(untyped(s).addJob(func, 'interval', { minutes: 1 }));
      expect(error).toBeInstanceOf(InvalidJobOptionError);
      expect((error as InvalidJobOptionError).option).toBe('func');
      expect(error.message).toContain('func');
    });
  }

  it("a reference to a missing module ('./missing.js:fn') names the module", async () => {
    const s = scheduler();
    const error = await rejectionOf(s.addJob('./missing.js:fn', 'interval', { minutes: 1 }));
    expect(error).toBeInstanceOf(JobReferenceError);
    expect((error as JobReferenceError).reference).toBe('./missing.js:fn');
    expect(error.message).toContain('./missing.js');
  });

  it('a reference to a missing export names the export', async () => {
    const s = scheduler();
    const error = await rejectionOf(s.addJob(`${MODULE}:nope`, 'interval', { minutes: 1 }));
    expect(error).toBeInstanceOf(JobReferenceError);
    expect(error.message).toContain('nope');
    const nested = await rejectionOf(
      s.addJob(`${MODULE}:reports.weekly`, 'interval', { minutes: 1 }),
    );
    expect(nested).toBeInstanceOf(JobReferenceError);
    expect(nested.message).toContain('reports.weekly');
  });

  it('a reference to an export that is not a function says so', async () => {
    const s = scheduler();
    const error = await rejectionOf(s.addJob(`${MODULE}:notAFunction`, 'interval', { minutes: 1 }));
    expect(error).toBeInstanceOf(JobReferenceError);
    expect(error.message).toContain('notAFunction');
    expect(error.message).toMatch(/not a function/);
  });

  it('a malformed reference names the expected form', async () => {
    const s = scheduler();
    for (const reference of [`${MODULE}:`, ':send', `${MODULE}:a..b`]) {
      const error = await rejectionOf(s.addJob(reference, 'interval', { minutes: 1 }));
      expect(error).toBeInstanceOf(JobReferenceError);
      expect(error.message).toContain(reference);
    }
  });

  it("an unregistered task name ('unregistered-task') names it and says how to register", async () => {
    const s = scheduler();
    const error = await rejectionOf(s.addJob('unregistered-task', 'interval', { minutes: 1 }));
    expect(error).toBeInstanceOf(JobReferenceError);
    expect(error.message).toContain('unregistered-task');
    expect(error.message).toContain('registerTask');
  });

  it('modifyJob with a bad reference changes nothing', async () => {
    const s = await started();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'm' });
    await expect(s.modifyJob('m', { func: `${MODULE}:nope`, name: 'x' })).rejects.toBeInstanceOf(
      JobReferenceError,
    );
    expect(await s.getJob('m')).toMatchObject({ func: noop, name: 'noop' });
  });

  it('registerTask with a bad name or a non-function', () => {
    const s = scheduler();
    expect(() => s.registerTask('', noop)).toThrow(InvalidJobOptionError);
    expect(() => s.registerTask('a:b', noop)).toThrow(/':'/);
    const error = errorOf(() => s.registerTask('task', 'noop' as unknown as () => void));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect(error.message).toContain('task');
  });

  it('scheduledJob: invalid options throw at once', () => {
    const s = scheduler();
    const wrap = untyped(s).scheduledJob('interval', { minutes: 1, maxInstances: 0 });
    const error = errorOf(() => wrap(noop));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect(error.message).toContain('maxInstances');
    expect(
      errorOf(() => untyped(s).scheduledJob('interval', { minutes: 1 })('noop')),
    ).toBeInstanceOf(InvalidJobOptionError);
  });
});

// ---------------------------------------------------------------------------

describe('unknown options name themselves and what was meant', () => {
  it.each<[string, string, Record<string, unknown>, string]>([
    [
      "APScheduler's misfire_grace_time is reported as a job option",
      'interval',
      { seconds: 1, misfire_grace_time: 5 },
      `Unknown option "misfire_grace_time" for a job with the 'interval' trigger (did you mean "misfireGraceTime"?)`,
    ],
    [
      'a typo of a trigger argument',
      'interval',
      { secnds: 5 },
      `Unknown option "secnds" for a job with the 'interval' trigger (did you mean "seconds"?)`,
    ],
    [
      "APScheduler's day_of_week",
      'cron',
      { hour: 3, day_of_week: 'mon' },
      `Unknown option "day_of_week" for a job with the 'cron' trigger (did you mean "dayOfWeek"?)`,
    ],
    [
      "APScheduler's kwargs",
      'date',
      { kwargs: { to: 'ops' } },
      `Unknown option "kwargs" for a job with the 'date' trigger (Horarium passes positional arguments only: pass the values in "args")`,
    ],
  ])('%s', async (_title, alias, options, message) => {
    const s = scheduler();
    const error = await rejectionOf(untyped(s).addJob(noop, alias, options));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe(Object.keys(options).at(-1));
    expect(error.message.split(';')[0]).toBe(message);
  });

  it('a trigger constructed in code suggests too', () => {
    const Untyped = CronTrigger as unknown as new (options: object) => CronTrigger;
    const error = errorOf(() => new Untyped({ day_of_week: 'mon' }));
    expect(error).toBeInstanceOf(InvalidTriggerError);
    expect(error.message).toMatch(
      /^Unknown CronTrigger option "day_of_week" \(did you mean "dayOfWeek"\?\); known: /,
    );
  });
});

describe('numbers out of range are typed errors naming the option, never a bare RangeError', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['weeks: 1e12', { weeks: 1e12 }, 'InvalidTriggerError', 'weeks'],
    ['seconds: 1e20', { seconds: 1e20 }, 'InvalidTriggerError', 'seconds'],
    ['startDate: 9e15', { seconds: 1, startDate: 9e15 }, 'InvalidDateError', 'startDate'],
    ['jitter: 1e300', { seconds: 1, jitter: 1e300 }, 'InvalidTriggerError', 'jitter'],
    [
      'nextRunTime: 1e20',
      { seconds: 1, nextRunTime: 1e20 },
      'InvalidJobOptionError',
      'nextRunTime',
    ],
    ['timeout: 1e300', { seconds: 1, timeout: 1e300 }, 'InvalidJobOptionError', 'timeout'],
  ])('interval job with %s', async (_title, options, name, option) => {
    for (const s of [scheduler(), await started()]) {
      const error = await rejectionOf(untyped(s).addJob(noop, 'interval', options));
      expect(error.name).toBe(name);
      expect(error).toBeInstanceOf(HorariumError);
      expect(error.message).toContain(option);
      expect(await s.getJobs()).toEqual([]);
    }
  });

  it('runDate: 8.64e15 + 1 → InvalidDateError naming runDate', async () => {
    const s = await started();
    const error = await rejectionOf(s.addJob(noop, 'date', { runDate: 8.64e15 + 1 }));
    expect(error).toBeInstanceOf(InvalidDateError);
    expect((error as InvalidDateError).argument).toBe('runDate');
    expect(error.message).toContain('the range of a Date');
  });

  it("importJobs('{not json') → InvalidJobOptionError naming the document", async () => {
    const s = await started();
    const error = await rejectionOf(s.importJobs('{not json'));
    expect(error).toBeInstanceOf(InvalidJobOptionError);
    expect((error as InvalidJobOptionError).option).toBe('document');
    expect(error.message).toMatch(/^The import document is not JSON \(/);
  });

  it('a pool grace period longer than a timer can wait is a ConfigurationError', () => {
    expect(() => new ThreadPoolExecutor({ abortGracePeriod: 1e12 })).toThrow(ConfigurationError);
  });
});

describe('a job its persistent store could never hold (a real SQLite file)', () => {
  const paths: string[] = [];
  afterEach(async () => {
    for (const path of paths.splice(0)) await removeSqliteFiles(path);
  });
  function sqliteScheduler(): AsyncScheduler {
    const path = tempSqlitePath();
    paths.push(path);
    return scheduler({ jobstores: { default: { type: 'sql', url: `sqlite:${path}` } } });
  }

  it('a function without a textual reference is refused by addJob before start(), and start() then works', async () => {
    const s = sqliteScheduler();
    const error = await rejectionOf(s.addJob(() => 'x', 'interval', { minutes: 1, id: 'lambda' }));
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toMatch(
      /^job 'lambda' cannot be stored: its function .*has no textual reference/,
    );
    expect(await s.getJobs()).toEqual([]);
    await s.start();
    expect(await s.getJobs()).toEqual([]);
  });

  it('args that cannot be serialized are refused by addJob before start()', async () => {
    const s = sqliteScheduler();
    s.registerTask('report', (_to: unknown) => 'sent');
    const error = await rejectionOf(
      s.addJob('report', 'interval', { minutes: 1, id: 'bad-args', args: [Symbol('to')] }),
    );
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toMatch(/^job 'bad-args' cannot be stored: /);
  });

  it('scheduledJob throws to its caller, stopped and running', async () => {
    const s = sqliteScheduler();
    const wrap = s.scheduledJob('interval', { minutes: 1, id: 'wrapped' });
    expect(() => wrap(() => 'x')).toThrow(SerializationError);
    await s.start();
    expect(() => wrap(() => 'x')).toThrow(SerializationError);
    expect(await s.getJobs()).toEqual([]);
  });
});

describe('exportJobs', () => {
  it('a job whose function has no textual reference cannot be exported (named in the error)', async () => {
    const s = await started();
    await s.addJob(noop, 'interval', { minutes: 1, id: 'plain' });
    const error = await rejectionOf(s.exportJobs());
    expect(error).toBeInstanceOf(HorariumError);
    expect(error.message).toContain('plain');
  });

  it('exportJobs / importJobs while stopped → SchedulerNotRunningError', async () => {
    const s = scheduler();
    await expect(s.exportJobs()).rejects.toBeInstanceOf(SchedulerNotRunningError);
    await expect(s.importJobs('{"version":1,"jobs":[]}')).rejects.toBeInstanceOf(
      SchedulerNotRunningError,
    );
  });

  it('importJobs of a document that is not an export names the problem', async () => {
    const s = await started();
    await expect(s.importJobs('{"jobs": 3}')).rejects.toBeInstanceOf(InvalidJobOptionError);
    const version = await rejectionOf(s.importJobs('{"version": 9, "jobs": []}'));
    expect(version.message).toContain('9');
  });
});

// ---------------------------------------------------------------------------

describe('configuration', () => {
  function configError(fn: () => unknown): ConfigurationError {
    const error = errorOf(fn);
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }

  it('an unknown top-level key names it', () => {
    const error = configError(
      () => new AsyncScheduler({ jobDefault: { coalesce: false } } as unknown as SchedulerConfig),
    );
    expect(error.message).toContain('jobDefault');
    const flat = configError(() => new AsyncScheduler({ 'horarium.timezon': 'UTC' }));
    expect(flat.message).toContain('horarium.timezon');
  });

  it("'horarium.jobDefaults.maxInstances': 'many' names the key and the value", () => {
    const error = configError(
      () => new AsyncScheduler({ 'horarium.jobDefaults.maxInstances': 'many' }),
    );
    expect(error.key).toBe('horarium.jobDefaults.maxInstances');
    expect(error.message).toContain('horarium.jobDefaults.maxInstances');
    expect(error.message).toContain('many');
  });

  it("'horarium.jobDefaults.coalesce': 'maybe' names the key and the value", () => {
    const error = configError(
      () => new AsyncScheduler({ 'horarium.jobDefaults.coalesce': 'maybe' }),
    );
    expect(error.message).toContain('coalesce');
    expect(error.message).toContain('maybe');
  });

  it('an unknown store or executor type names the type', async () => {
    const store = configError(
      () => new AsyncScheduler({ jobstores: { default: { type: 'cassandra' } } }),
    );
    expect(store.message).toContain('cassandra');
    const executor = configError(
      () => new AsyncScheduler({ 'horarium.executors.gpu.type': 'quantum' }),
    );
    expect(executor.message).toContain('quantum');
    const viaAdd = await rejectionOf(scheduler().addJobstore('cassandra', 'c'));
    expect(viaAdd).toBeInstanceOf(ConfigurationError);
    expect(viaAdd.message).toContain('cassandra');
  });

  it('an unknown time zone names it', () => {
    const error = configError(() => new AsyncScheduler({ timezone: 'Mars/Olympus' }));
    expect(error.message).toContain('Mars/Olympus');
  });

  it('configure() with bad input keeps the scheduler usable and unchanged', async () => {
    const s = scheduler();
    configError(() => s.configure({ 'horarium.jobDefaults.maxInstances': '0' }));
    const job = await s.addJob(noop, 'interval', { minutes: 1 });
    expect(job.maxInstances).toBe(1);
  });
});
