/**
 * Malformed trigger expressions and arguments: each must fail at construction
 * with the right error class and a message that names the field (or argument)
 * and the offending text (SPEC §2 "Triggers": "Malformed expressions throw an
 * error that names the field and the offending text"; "An unknown zone is a
 * clear error at construction").
 */
import { describe, expect, it } from 'vitest';
import {
  AndTrigger,
  CalendarIntervalTrigger,
  CronSyntaxError,
  CronTrigger,
  DateTrigger,
  HorariumError,
  IntervalTrigger,
  InvalidDateError,
  InvalidTriggerError,
  NonexistentTimeError,
  OrTrigger,
  type Trigger,
  UnknownTimeZoneError,
} from '../../src/index.ts';
import { getZone } from '../../src/time/zone.ts';

type CronOptions = NonNullable<ConstructorParameters<typeof CronTrigger>[0]>;
type IntervalOptions = NonNullable<ConstructorParameters<typeof IntervalTrigger>[0]>;
type CalendarOptions = NonNullable<ConstructorParameters<typeof CalendarIntervalTrigger>[0]>;

/** The error `fn` throws; fails the test when it throws nothing. */
function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected an error, but none was thrown');
}

/** Asserts the class and that the message contains every fragment (verbatim). */
function expectError(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => Error,
  ...fragments: readonly string[]
): Error {
  const error = thrownBy(fn);
  // Soft assertions: a wrong class and a vague message are reported together.
  expect.soft(error, `${error.name}: ${error.message}`).toBeInstanceOf(cls);
  expect.soft(error).toBeInstanceOf(HorariumError);
  for (const fragment of fragments) expect.soft(error.message).toContain(fragment);
  return error;
}

const hourly = (): Trigger => new CronTrigger({ minute: 0, timezone: 'UTC' });

describe('CronTrigger field expressions', () => {
  interface FieldCase {
    readonly field: keyof CronOptions & string;
    readonly value: number | string;
    readonly why: string;
  }
  const cases: readonly FieldCase[] = [
    // out of range
    { field: 'second', value: 60, why: 'second 60 is out of range' },
    { field: 'minute', value: 60, why: 'minute 60 is out of range' },
    { field: 'minute', value: '60', why: "minute '60' is out of range" },
    { field: 'hour', value: '24', why: "hour '24' is out of range" },
    { field: 'hour', value: -1, why: 'negative hour' },
    { field: 'day', value: 0, why: 'day 0 is out of range' },
    { field: 'day', value: 32, why: 'day 32 is out of range' },
    { field: 'month', value: 13, why: 'month 13 is out of range' },
    { field: 'month', value: 0, why: 'month 0 is out of range' },
    { field: 'week', value: 54, why: 'ISO week 54 does not exist' },
    { field: 'week', value: 0, why: 'ISO week 0 does not exist' },
    { field: 'dayOfWeek', value: 8, why: 'weekday 8 is out of range (0-7)' },
    { field: 'minute', value: '0-60', why: 'range end out of range' },
    // reversed ranges (only weekday ranges wrap)
    { field: 'hour', value: '5-3', why: 'reversed hour range' },
    { field: 'minute', value: '50-10', why: 'reversed minute range' },
    { field: 'day', value: '31-1', why: 'reversed day range' },
    { field: 'month', value: 'nov-feb', why: 'month ranges do not wrap' },
    // steps
    { field: 'minute', value: '*/0', why: 'zero step' },
    { field: 'minute', value: '*/-1', why: 'negative step' },
    { field: 'hour', value: '0-23/0', why: 'zero step on a range' },
    { field: 'hour', value: '*/', why: 'missing step' },
    // names
    { field: 'month', value: 'foo', why: 'unknown month name' },
    { field: 'dayOfWeek', value: 'funday', why: 'unknown weekday name' },
    { field: 'day', value: '6th fri', why: 'there is no 6th weekday of a month' },
    { field: 'day', value: 'last funday', why: 'unknown weekday after "last"' },
    // crontab extensions in the wrong field or out of range
    { field: 'dayOfWeek', value: '5W', why: "'W' is only valid in the day field" },
    { field: 'hour', value: '3W', why: "'W' is only valid in the day field" },
    { field: 'day', value: '32W', why: "'W' on a day that does not exist" },
    { field: 'dayOfWeek', value: 'fri#6', why: 'there is no 6th Friday' },
    { field: 'dayOfWeek', value: 'fri#0', why: '#0 is not an occurrence' },
    { field: 'hour', value: 'L', why: "'L' is not valid in the hour field" },
    { field: 'month', value: 'L', why: "'L' is not valid in the month field" },
    // garbage
    { field: 'minute', value: 'abc', why: 'garbage' },
    { field: 'minute', value: '1-', why: 'unterminated range' },
    { field: 'minute', value: ',,', why: 'empty list items' },
    { field: 'second', value: '1--5', why: 'double dash' },
    // numbers that are not cron values
    { field: 'minute', value: 1.5, why: 'non-integer number' },
    { field: 'minute', value: Number.NaN, why: 'NaN' },
  ];

  it.each(cases)(
    'rejects $field=$value ($why) with a CronSyntaxError naming the field and text',
    ({ field, value }) => {
      const options = { [field]: value, timezone: 'UTC' } as CronOptions;
      const error = expectError(
        () => new CronTrigger(options),
        CronSyntaxError,
        field,
        String(value),
      );
      expect(error).toBeInstanceOf(InvalidTriggerError);
      expect((error as CronSyntaxError).field).toBe(field);
      expect((error as CronSyntaxError).expression).toBe(String(value));
    },
  );

  it('rejects a CronTrigger with no field at all (APScheduler 3.x silently fired every second)', () => {
    expectError(() => new CronTrigger({}), InvalidTriggerError);
    expectError(
      () => new CronTrigger({ timezone: 'UTC', startDate: '2024-01-01' }),
      InvalidTriggerError,
    );
  });

  it("rejects an unknown dayMatching ('xor')", () => {
    const options = { hour: 3, timezone: 'UTC', dayMatching: 'xor' } as unknown as CronOptions;
    expectError(() => new CronTrigger(options), InvalidTriggerError, 'dayMatching', 'xor');
  });

  it("rejects an unknown DST policy (dst: { gap: 'later' })", () => {
    const options = { hour: 3, timezone: 'UTC', dst: { gap: 'later' } } as unknown as CronOptions;
    expectError(() => new CronTrigger(options), InvalidTriggerError, 'gap', 'later');
  });

  describe('valid look-alikes are accepted', () => {
    it.each<{ readonly label: string; readonly options: CronOptions }>([
      { label: "dayOfWeek='fri-mon' (weekday ranges wrap)", options: { dayOfWeek: 'fri-mon' } },
      { label: "dayOfWeek='sat-sun'", options: { dayOfWeek: 'sat-sun' } },
      { label: "dayOfWeek='0' and '7' (Sunday)", options: { dayOfWeek: '0,7' } },
      { label: "dayOfWeek='5L' (last Friday)", options: { dayOfWeek: '5L' } },
      { label: "dayOfWeek='fri#5'", options: { dayOfWeek: 'fri#5' } },
      { label: "day='LW'", options: { day: 'LW' } },
      { label: "day='15W'", options: { day: '15W' } },
      { label: "day='last'", options: { day: 'last' } },
      { label: "day='5th fri'", options: { day: '5th fri' } },
      {
        label: "hour='23', minute='59', second='59'",
        options: { hour: '23', minute: '59', second: '59' },
      },
      { label: 'week=53', options: { week: 53 } },
    ])('$label', ({ options }) => {
      expect(() => new CronTrigger({ ...options, timezone: 'UTC' })).not.toThrow();
    });

    it("dayOfWeek='fri-mon' fires Friday, Saturday, Sunday and Monday", () => {
      const trigger = new CronTrigger({
        dayOfWeek: 'fri-mon',
        hour: 9,
        minute: 0,
        timezone: 'UTC',
      });
      const fired: string[] = [];
      let next = trigger.getNextFireTime(null, new Date('2024-06-05T12:00:00Z'));
      while (next !== null && fired.length < 5) {
        fired.push(next.toISOString());
        next = trigger.getNextFireTime(next, next);
      }
      expect(fired).toEqual([
        '2024-06-07T09:00:00.000Z',
        '2024-06-08T09:00:00.000Z',
        '2024-06-09T09:00:00.000Z',
        '2024-06-10T09:00:00.000Z',
        '2024-06-14T09:00:00.000Z',
      ]);
    });
  });
});

describe('CronTrigger.fromCrontab', () => {
  it.each<{ readonly expr: string; readonly field: string; readonly text: string }>([
    { expr: '60 * * * *', field: 'minute', text: '60' },
    { expr: '* 24 * * *', field: 'hour', text: '24' },
    { expr: '* * 0 * *', field: 'day', text: '0' },
    { expr: '* * * 13 *', field: 'month', text: '13' },
    { expr: '* * * * 8', field: 'dayOfWeek', text: '8' },
    { expr: '0 5-3 * * *', field: 'hour', text: '5-3' },
    { expr: '*/0 * * * *', field: 'minute', text: '*/0' },
    { expr: '0 0 * foo *', field: 'month', text: 'foo' },
    { expr: '0 0 * * funday', field: 'dayOfWeek', text: 'funday' },
    { expr: '0 0 * * 5W', field: 'dayOfWeek', text: '5W' },
    { expr: '0 3W * * *', field: 'hour', text: '3W' },
    { expr: '0 0 * * FRI#6', field: 'dayOfWeek', text: 'FRI#6' },
    { expr: '0 0 * * FRI#0', field: 'dayOfWeek', text: 'FRI#0' },
    { expr: '0 L * * *', field: 'hour', text: 'L' },
    { expr: 'abc * * * *', field: 'minute', text: 'abc' },
    { expr: '1- * * * *', field: 'minute', text: '1-' },
    { expr: '0 0 ,, * *', field: 'day', text: ',,' },
    { expr: '0 0 32W * *', field: 'day', text: '32W' },
    { expr: '60 0 0 * * *', field: 'second', text: '60' },
  ])("rejects '$expr' naming $field and '$text'", ({ expr, field, text }) => {
    const error = expectError(
      () => CronTrigger.fromCrontab(expr, { timezone: 'UTC' }),
      CronSyntaxError,
      field,
      text,
    );
    expect((error as CronSyntaxError).field).toBe(field);
    expect((error as CronSyntaxError).expression).toBe(text);
  });

  it.each<{ readonly expr: string; readonly why: string }>([
    { expr: '* * * *', why: '4 fields' },
    { expr: '* * * * * * * *', why: '8 fields' },
    { expr: '@reboot', why: 'unsupported nickname' },
    { expr: '@often', why: 'unknown nickname' },
  ])("rejects '$expr' ($why) with a CronSyntaxError quoting the expression", ({ expr }) => {
    expectError(() => CronTrigger.fromCrontab(expr, { timezone: 'UTC' }), CronSyntaxError, expr);
  });

  describe('forms of other cron dialects that are refused say what to write instead', () => {
    it.each<{
      readonly expr: string;
      readonly field: string;
      readonly text: string;
      readonly hint: string;
    }>([
      {
        expr: '@reboot',
        field: 'expression',
        text: '@reboot',
        hint: 'scheduler.addJob(func) runs it once, now',
      },
      {
        expr: '@every 1h30m',
        field: 'expression',
        text: '@every 1h30m',
        hint: 'new IntervalTrigger({ hours: 1, minutes: 30 })',
      },
      {
        expr: 'TZ=Europe/Berlin 0 3 * * *',
        field: 'expression',
        text: 'TZ=Europe/Berlin 0 3 * * *',
        hint: "{ timezone: 'Europe/Berlin' }",
      },
      {
        expr: 'CRON_TZ=Asia/Tokyo 0 9 * * *',
        field: 'expression',
        text: 'CRON_TZ=Asia/Tokyo 0 9 * * *',
        hint: "{ timezone: 'Asia/Tokyo' }",
      },
      {
        expr: '2030-01-23T00:00:00',
        field: 'expression',
        text: '2030-01-23T00:00:00',
        hint: 'new DateTrigger({ runDate })',
      },
      {
        expr: '0 5 * * * /usr/bin/backup.sh',
        field: 'expression',
        text: '0 5 * * * /usr/bin/backup.sh',
        hint: '"/usr/bin/backup.sh" looks like a command: pass only the schedule',
      },
      {
        expr: '0 0 * * L',
        field: 'dayOfWeek',
        text: 'L',
        hint: 'write SAT for Saturdays, or 5L / FRI#L for the last Friday of the month',
      },
      {
        expr: '0 0 1-15W * *',
        field: 'day',
        text: '1-15W',
        hint: 'applies to one day, as in "15W"',
      },
      { expr: '0~30 * * * *', field: 'minute', text: '0~30', hint: 'write H(a-b)' },
      { expr: '/10 * * * *', field: 'minute', text: '/10', hint: 'write "*/10"' },
      {
        expr: '0 0 1#2 * *',
        field: 'day',
        text: '1#2',
        hint: 'belongs in the dayOfWeek field ("fri#2")',
      },
      {
        expr: '0 0 * * 5W',
        field: 'dayOfWeek',
        text: '5W',
        hint: 'W (the nearest weekday) belongs in the day field',
      },
    ])("'$expr' names $field and '$text' and says: $hint", ({ expr, field, text, hint }) => {
      const error = expectError(
        () => CronTrigger.fromCrontab(expr, { timezone: 'UTC' }),
        CronSyntaxError,
        text,
        hint,
      );
      expect((error as CronSyntaxError).field).toBe(field);
      expect((error as CronSyntaxError).expression).toBe(text);
    });
  });

  describe('malformed hashed values (H)', () => {
    it.each<{
      readonly expr: string;
      readonly field: string;
      readonly text: string;
      readonly hint: string;
    }>([
      { expr: 'H5 * * * *', field: 'minute', text: 'H5', hint: 'expected H, H(a-b), H/n' },
      { expr: 'H(50-70) * * * *', field: 'minute', text: 'H(50-70)', hint: '0-59' },
      { expr: 'H(30-10) * * * *', field: 'minute', text: 'H(30-10)', hint: 'starts after it ends' },
      { expr: 'H/0 * * * *', field: 'minute', text: 'H/0', hint: 'positive whole number' },
      { expr: '0 0 * * H#9', field: 'dayOfWeek', text: 'H#9', hint: 'between #1 and #5' },
      { expr: '0 H#2 * * *', field: 'hour', text: 'H#2', hint: 'only allowed in the dayOfWeek' },
      { expr: '0 0 0 1 1 * H', field: 'year', text: 'H', hint: 'not supported in the year field' },
      // An error in another item of a hashed field quotes the field as written, not as resolved.
      { expr: 'H,99 * * * *', field: 'minute', text: 'H,99', hint: '99 is outside' },
    ])("'$expr' names $field and '$text'", ({ expr, field, text, hint }) => {
      const error = expectError(
        () => CronTrigger.fromCrontab(expr, { timezone: 'UTC', seed: 'x' }),
        CronSyntaxError,
        text,
        hint,
      );
      expect((error as CronSyntaxError).field).toBe(field);
      expect((error as CronSyntaxError).expression).toBe(text);
    });

    it("the field form does not take H and says where it is accepted: minute='H'", () => {
      expectError(
        () => new CronTrigger({ minute: 'H', timezone: 'UTC' }),
        CronSyntaxError,
        'minute',
        'H (a hashed value) needs CronTrigger.fromCrontab',
      );
    });

    it('rejects a seed that is not a string', () => {
      expectError(
        () =>
          CronTrigger.fromCrontab('H * * * *', { timezone: 'UTC', seed: 42 } as unknown as {
            seed: string;
          }),
        InvalidTriggerError,
        'seed must be a string',
      );
    });
  });

  it('rejects an unknown fromCrontab option, such as a field given beside the line', () => {
    expectError(
      () =>
        CronTrigger.fromCrontab('0 3 * * *', { timezone: 'UTC', hour: 4 } as Parameters<
          typeof CronTrigger.fromCrontab
        >[1]),
      InvalidTriggerError,
      '"hour"',
    );
  });

  it('says "cron expression" once for a malformed line (not "expression expression")', () => {
    const error = expectError(
      () => CronTrigger.fromCrontab('* * * *', { timezone: 'UTC' }),
      CronSyntaxError,
    );
    expect(error.message).toMatch(/^Invalid cron expression "\* \* \* \*": expected 5 fields/);
    expect((error as CronSyntaxError).field).toBe('expression');
  });

  it('rejects an empty expression', () => {
    expectError(() => CronTrigger.fromCrontab('', { timezone: 'UTC' }), CronSyntaxError);
  });

  it.each([
    '0 9 * * fri-mon',
    '0 0 L * ?',
    '0 0 LW * *',
    '0 0 15W * *',
    '0 0 * * FRIL',
    '0 0 * * 5#2',
    '@hourly',
  ])("accepts '%s'", (expr) => {
    expect(() => CronTrigger.fromCrontab(expr, { timezone: 'UTC' })).not.toThrow();
  });
});

describe('date-like arguments', () => {
  const berlin = 'Europe/Berlin';

  it.each<{ readonly label: string; readonly make: () => unknown }>([
    {
      label: 'CronTrigger startDate',
      make: () => new CronTrigger({ hour: 3, startDate: '2024-03-31 02:30', timezone: berlin }),
    },
    {
      label: 'IntervalTrigger startDate',
      make: () =>
        new IntervalTrigger({ hours: 1, startDate: '2024-03-31 02:30', timezone: berlin }),
    },
    {
      label: 'CronTrigger endDate',
      make: () => new CronTrigger({ hour: 3, endDate: '2024-03-31 02:30', timezone: berlin }),
    },
  ])(
    "$label '2024-03-31 02:30' in Europe/Berlin does not exist (DST gap) → NonexistentTimeError",
    ({ make }) => {
      const error = expectError(make, NonexistentTimeError, '2024-03-31 02:30', berlin);
      expect(error).toBeInstanceOf(InvalidDateError);
    },
  );

  it("DateTrigger runDate '2024-03-31 02:30' in Europe/Berlin → NonexistentTimeError", () => {
    expectError(
      () => new DateTrigger({ runDate: '2024-03-31 02:30', timezone: berlin }),
      NonexistentTimeError,
      '2024-03-31 02:30',
      berlin,
    );
  });

  it.each<{
    readonly label: string;
    readonly input: Date | number | string;
    readonly text: string;
  }>([
    { label: "'2024-02-30' (no such day)", input: '2024-02-30', text: '2024-02-30' },
    { label: "'2023-02-29' (not a leap year)", input: '2023-02-29', text: '2023-02-29' },
    { label: "'2024-13-01' (no such month)", input: '2024-13-01', text: '2024-13-01' },
    {
      label: "'2024-01-01 24:00' (no such hour)",
      input: '2024-01-01 24:00',
      text: '2024-01-01 24:00',
    },
    { label: "'yesterday'", input: 'yesterday', text: 'yesterday' },
    { label: "'' (empty)", input: '', text: '""' },
    { label: 'NaN', input: Number.NaN, text: 'NaN' },
    { label: 'Infinity', input: Number.POSITIVE_INFINITY, text: 'Infinity' },
    { label: 'an invalid Date', input: new Date('not a date'), text: 'Invalid Date' },
  ])('startDate $label → InvalidDateError naming startDate and the input', ({ input, text }) => {
    expectError(
      () => new CronTrigger({ hour: 3, startDate: input, timezone: 'UTC' }),
      InvalidDateError,
      'startDate',
      text,
    );
    expectError(
      () => new IntervalTrigger({ hours: 1, startDate: input, timezone: 'UTC' }),
      InvalidDateError,
      'startDate',
      text,
    );
  });

  it.each<{ readonly input: Date | number | string; readonly text: string }>([
    { input: '2024-02-30', text: '2024-02-30' },
    { input: 'yesterday', text: 'yesterday' },
    { input: new Date(Number.NaN), text: 'Invalid Date' },
  ])('DateTrigger runDate $input → InvalidDateError naming runDate', ({ input, text }) => {
    expectError(
      () => new DateTrigger({ runDate: input, timezone: 'UTC' }),
      InvalidDateError,
      'runDate',
      text,
    );
  });

  it("CalendarIntervalTrigger startDate '2023-02-29' → InvalidDateError", () => {
    expectError(
      () => new CalendarIntervalTrigger({ days: 1, startDate: '2023-02-29', timezone: 'UTC' }),
      InvalidDateError,
      'startDate',
      '2023-02-29',
    );
  });

  it.each<{ readonly label: string; readonly make: () => unknown }>([
    {
      label: 'CronTrigger',
      make: () =>
        new CronTrigger({
          hour: 3,
          startDate: '2024-05-01',
          endDate: '2024-04-01',
          timezone: 'UTC',
        }),
    },
    {
      label: 'IntervalTrigger',
      make: () =>
        new IntervalTrigger({
          hours: 1,
          startDate: '2024-05-01',
          endDate: '2024-04-01',
          timezone: 'UTC',
        }),
    },
    {
      label: 'CalendarIntervalTrigger',
      make: () =>
        new CalendarIntervalTrigger({
          days: 1,
          startDate: '2024-05-01',
          endDate: '2024-04-01',
          timezone: 'UTC',
        }),
    },
  ])('$label with endDate before startDate → InvalidTriggerError naming endDate', ({ make }) => {
    const error = expectError(make, InvalidTriggerError, 'endDate');
    expect((error as InvalidTriggerError).argument).toBe('endDate');
  });
});

describe('interval lengths', () => {
  it.each<{ readonly label: string; readonly options: IntervalOptions }>([
    { label: 'IntervalTrigger({})', options: {} },
    {
      label: 'all parts zero',
      options: { weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, milliseconds: 0 },
    },
  ])('$label → InvalidTriggerError (an interval must be positive)', ({ options }) => {
    expectError(
      () => new IntervalTrigger({ ...options, timezone: 'UTC' }),
      InvalidTriggerError,
      'positive',
      'at least 1 ms',
      'milliseconds',
    );
  });

  it.each<{ readonly part: keyof IntervalOptions & string; readonly value: number }>([
    { part: 'seconds', value: 0.0005 },
    { part: 'seconds', value: 1.0005 },
    { part: 'milliseconds', value: 0.5 },
    { part: 'milliseconds', value: 250.25 },
    { part: 'minutes', value: 0.00001 },
  ])(
    'IntervalTrigger $part=$value (not a whole number of milliseconds) → InvalidTriggerError naming the part and the 1 ms minimum',
    ({ part, value }) => {
      const options = { [part]: value, timezone: 'UTC' } as IntervalOptions;
      const error = expectError(
        () => new IntervalTrigger(options),
        InvalidTriggerError,
        `${part}: ${value}`,
        'whole number of milliseconds',
        'at least 1 ms',
      );
      expect((error as InvalidTriggerError).argument).toBe(part);
    },
  );

  it.each<{ readonly part: keyof IntervalOptions & string; readonly value: number }>([
    { part: 'hours', value: -1 },
    { part: 'weeks', value: -2 },
    { part: 'seconds', value: Number.NaN },
    { part: 'minutes', value: Number.POSITIVE_INFINITY },
    { part: 'milliseconds', value: -1 },
  ])(
    'IntervalTrigger $part=$value → InvalidTriggerError naming the part and value',
    ({ part, value }) => {
      const options = { [part]: value, timezone: 'UTC' } as IntervalOptions;
      const error = expectError(
        () => new IntervalTrigger(options),
        InvalidTriggerError,
        part,
        String(value),
      );
      expect((error as InvalidTriggerError).argument).toBe(part);
    },
  );

  it.each<{ readonly label: string; readonly options: CalendarOptions }>([
    { label: 'CalendarIntervalTrigger({})', options: {} },
    {
      label: 'years, months, weeks and days all zero',
      options: { years: 0, months: 0, weeks: 0, days: 0 },
    },
  ])('$label → InvalidTriggerError (at least one day)', ({ options }) => {
    expectError(
      () => new CalendarIntervalTrigger({ ...options, timezone: 'UTC' }),
      InvalidTriggerError,
    );
  });

  it.each<{ readonly part: keyof CalendarOptions & string; readonly value: number }>([
    { part: 'months', value: -1 },
    { part: 'days', value: 1.5 },
    { part: 'hour', value: 24 },
    { part: 'minute', value: 60 },
    { part: 'second', value: -1 },
  ])(
    'CalendarIntervalTrigger $part=$value → InvalidTriggerError naming the part and value',
    ({ part, value }) => {
      const options = { days: 1, [part]: value, timezone: 'UTC' } as CalendarOptions;
      const error = expectError(
        () => new CalendarIntervalTrigger(options),
        InvalidTriggerError,
        part,
        String(value),
      );
      expect((error as InvalidTriggerError).argument).toBe(part);
    },
  );
});

describe('time zones', () => {
  it.each<{ readonly label: string; readonly make: () => unknown }>([
    { label: 'getZone', make: () => getZone('Mars/Olympus') },
    { label: 'CronTrigger', make: () => new CronTrigger({ hour: 3, timezone: 'Mars/Olympus' }) },
    {
      label: 'CronTrigger.fromCrontab',
      make: () => CronTrigger.fromCrontab('0 3 * * *', { timezone: 'Mars/Olympus' }),
    },
    {
      label: 'IntervalTrigger',
      make: () => new IntervalTrigger({ hours: 1, timezone: 'Mars/Olympus' }),
    },
    {
      label: 'CalendarIntervalTrigger',
      make: () => new CalendarIntervalTrigger({ days: 1, timezone: 'Mars/Olympus' }),
    },
    {
      label: 'DateTrigger',
      make: () => new DateTrigger({ runDate: '2024-01-01', timezone: 'Mars/Olympus' }),
    },
  ])(
    "$label with the unknown zone 'Mars/Olympus' → UnknownTimeZoneError at construction",
    ({ make }) => {
      const error = expectError(make, UnknownTimeZoneError, 'Mars/Olympus');
      expect((error as UnknownTimeZoneError).timezone).toBe('Mars/Olympus');
    },
  );
});

describe('jitter', () => {
  it.each<{
    readonly label: string;
    readonly value: number;
    readonly make: (jitter: number) => unknown;
  }>([
    {
      label: 'CronTrigger',
      value: -1,
      make: (jitter) => new CronTrigger({ hour: 3, timezone: 'UTC', jitter }),
    },
    {
      label: 'IntervalTrigger',
      value: -5,
      make: (jitter) => new IntervalTrigger({ hours: 1, timezone: 'UTC', jitter }),
    },
    {
      label: 'CalendarIntervalTrigger',
      value: -1,
      make: (jitter) => new CalendarIntervalTrigger({ days: 1, timezone: 'UTC', jitter }),
    },
    { label: 'OrTrigger', value: -1, make: (jitter) => new OrTrigger([hourly()], { jitter }) },
    { label: 'AndTrigger', value: -1, make: (jitter) => new AndTrigger([hourly()], { jitter }) },
    {
      label: 'CronTrigger (NaN)',
      value: Number.NaN,
      make: (jitter) => new CronTrigger({ hour: 3, timezone: 'UTC', jitter }),
    },
  ])('$label with jitter=$value → InvalidTriggerError naming jitter', ({ value, make }) => {
    const error = expectError(() => make(value), InvalidTriggerError, 'jitter', String(value));
    expect((error as InvalidTriggerError).argument).toBe('jitter');
  });
});

describe('combining triggers', () => {
  it.each<{ readonly label: string; readonly make: () => unknown }>([
    { label: 'AndTrigger([])', make: () => new AndTrigger([]) },
    { label: 'OrTrigger([])', make: () => new OrTrigger([]) },
    { label: 'AndTrigger([{}])', make: () => new AndTrigger([{} as unknown as Trigger]) },
    {
      label: 'OrTrigger([cron, 42])',
      make: () => new OrTrigger([hourly(), 42 as unknown as Trigger]),
    },
    {
      label: 'OrTrigger([cron, null])',
      make: () => new OrTrigger([hourly(), null as unknown as Trigger]),
    },
    {
      label: 'AndTrigger([{ getNextFireTime: 1 }])',
      make: () => new AndTrigger([{ getNextFireTime: 1 } as unknown as Trigger]),
    },
  ])('$label → InvalidTriggerError naming triggers', ({ make }) => {
    const error = expectError(make, InvalidTriggerError, 'triggers');
    expect((error as InvalidTriggerError).argument).toBe('triggers');
  });

  it('AndTrigger with a negative threshold → InvalidTriggerError naming threshold', () => {
    expectError(
      () => new AndTrigger([hourly()], { threshold: -1 }),
      InvalidTriggerError,
      'threshold',
      '-1',
    );
  });

  it('AndTrigger with maxIterations=0 → InvalidTriggerError naming maxIterations', () => {
    expectError(
      () => new AndTrigger([hourly()], { maxIterations: 0 }),
      InvalidTriggerError,
      'maxIterations',
      '0',
    );
  });
});
