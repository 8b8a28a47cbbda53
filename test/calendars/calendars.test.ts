/**
 * Exclusion calendars on the days DST moves the clock (Europe/Berlin,
 * America/Santiago at midnight, Australia/Lord_Howe by 30 minutes), calendars
 * that exclude everything, and bad input.
 */
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  AnnualCalendar,
  CalendarRestoreError,
  CronCalendar,
  calendarFromJSON,
  DailyCalendar,
  HolidayCalendar,
  InvalidCalendarError,
  MonthlyCalendar,
  unionCalendar,
  WeeklyCalendar,
} from '../../src/index.ts';

const at = (iso: string): Date => new Date(iso);
const startOfDay = (date: string, zone: string): Date =>
  new Date(Temporal.PlainDate.from(date).toZonedDateTime(zone).epochMilliseconds);

describe('whole local days on DST switches', () => {
  it.each([
    ['Europe/Berlin', '2026-03-29'], // 23 hours
    ['Europe/Berlin', '2026-10-25'], // 25 hours
    ['America/Santiago', '2026-09-06'], // starts at 01:00: midnight does not exist
    ['America/Santiago', '2026-04-05'], // the day before is 25 hours long, ending with a repeated hour
    ['America/Santiago', '2026-04-04'],
    ['Australia/Lord_Howe', '2026-10-04'], // 23.5 hours
    ['Australia/Lord_Howe', '2026-04-05'], // 24.5 hours
  ])('%s %s is excluded from its local midnight to the next', (zone, date) => {
    const next = Temporal.PlainDate.from(date).add({ days: 1 }).toString();
    const start = startOfDay(date, zone);
    const end = startOfDay(next, zone);
    const holiday = new HolidayCalendar({ dates: [date], timezone: zone });
    expect(holiday.isTimeIncluded(new Date(start.getTime() - 1))).toBe(true);
    expect(holiday.isTimeIncluded(start)).toBe(false);
    expect(holiday.isTimeIncluded(new Date(end.getTime() - 1))).toBe(false);
    expect(holiday.nextIncludedTime(start)).toEqual(end);
    expect(holiday.nextIncludedTime(new Date(end.getTime() - 1000))).toEqual(end);
    // The same day as a weekday, a day of the month and a day of the year.
    const plain = Temporal.PlainDate.from(date);
    const weekly = new WeeklyCalendar({ excludeDays: [plain.dayOfWeek % 7], timezone: zone });
    const monthly = new MonthlyCalendar({ excludeDays: [plain.day], timezone: zone });
    const annual = new AnnualCalendar({ exclude: [date.slice(5)], timezone: zone });
    for (const calendar of [weekly, monthly, annual]) {
      expect(calendar.isTimeIncluded(start)).toBe(false);
      expect(calendar.nextIncludedTime(start)).toEqual(end);
    }
  });
});

describe('a daily calendar whose edges fall in a gap or a fold', () => {
  const zone = 'Europe/Berlin';
  it('an edge in the spring gap takes effect at the first wall time after it', () => {
    // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z); 02:30 does not exist.
    const night = new DailyCalendar({ from: '02:30', to: '06:00', timezone: zone });
    expect(night.isTimeIncluded(at('2026-03-29T00:59:59Z'))).toBe(true); // 01:59:59 CET
    expect(night.isTimeIncluded(at('2026-03-29T01:00:00Z'))).toBe(false); // 03:00 CEST
    expect(night.nextIncludedTime(at('2026-03-29T01:00:00Z'))).toEqual(at('2026-03-29T04:00:00Z'));
    const morning = new DailyCalendar({ from: '00:00', to: '02:30', timezone: zone });
    expect(morning.nextIncludedTime(at('2026-03-28T23:30:00Z'))).toEqual(
      at('2026-03-29T01:00:00Z'),
    );
  });

  it('in the autumn fold the repeated hour is judged by its wall reading both times', () => {
    // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z); 02:00–03:00 happens twice.
    const night = new DailyCalendar({ from: '02:30', to: '06:00', timezone: zone });
    expect(night.isTimeIncluded(at('2026-10-25T00:30:00Z'))).toBe(false); // 02:30 CEST
    expect(night.nextIncludedTime(at('2026-10-25T00:40:00Z'))).toEqual(at('2026-10-25T01:00:00Z')); // 02:00 CET
    expect(night.nextIncludedTime(at('2026-10-25T01:30:00Z'))).toEqual(at('2026-10-25T05:00:00Z')); // 06:00 CET
  });

  it('crosses midnight, and inverted keeps only the range', () => {
    const blackout = new DailyCalendar({ from: '22:00', to: '06:00', timezone: zone });
    expect(blackout.nextIncludedTime(at('2026-07-01T20:30:00Z'))).toEqual(
      at('2026-07-02T04:00:00Z'),
    );
    expect(blackout.isTimeIncluded(at('2026-07-01T19:59:59Z'))).toBe(true);
    const office = new DailyCalendar({ from: '09:00', to: '17:00', invert: true, timezone: zone });
    expect(office.nextIncludedTime(at('2026-07-01T16:00:00Z'))).toEqual(at('2026-07-02T07:00:00Z'));
    expect(String(blackout)).toBe('daily[22:00–06:00; tz=Europe/Berlin]');
  });

  it('Lord Howe: a range inside the 30-minute gap excludes nothing that day', () => {
    // 2026-10-04 02:00 +10:30 becomes 02:30 +11.
    const gap = new DailyCalendar({ from: '02:00', to: '02:30', timezone: 'Australia/Lord_Howe' });
    const before = at('2026-10-03T15:29:59Z'); // 01:59:59 +10:30
    expect(gap.nextIncludedTime(before)).toEqual(before);
    expect(gap.isTimeIncluded(at('2026-10-03T15:30:00Z'))).toBe(true); // 02:30 +11
  });
});

describe('a calendar that excludes everything answers null quickly', () => {
  it.each([
    new WeeklyCalendar({
      excludeDays: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      timezone: 'UTC',
    }),
    new MonthlyCalendar({
      excludeDays: Array.from({ length: 31 }, (_, i) => i + 1),
      timezone: 'UTC',
    }),
    new MonthlyCalendar({
      excludeDays: [...Array.from({ length: 28 }, (_, i) => i + 1), 'last', 29, 30],
      timezone: 'UTC',
    }),
    new AnnualCalendar({
      exclude: Array.from({ length: 366 }, (_, i) =>
        Temporal.PlainDate.from('2024-01-01').add({ days: i }).toString().slice(5),
      ),
      timezone: 'Europe/Berlin',
    }),
    new DailyCalendar({ from: '00:00', to: '00:00:00.001', invert: true, timezone: 'UTC' }),
    new CronCalendar('* * * * *', { timezone: 'Europe/Berlin' }),
    unionCalendar([
      new WeeklyCalendar({
        excludeDays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
        timezone: 'UTC',
      }),
      new CronCalendar('* * * * sun', { timezone: 'UTC' }),
    ]),
  ])('%s', (calendar) => {
    const started = performance.now();
    const next = calendar.nextIncludedTime(at('2026-01-01T00:00:00Z'));
    // The inverted daily calendar includes one millisecond a day (the first); the others nothing.
    if (calendar instanceof DailyCalendar) expect(next).toEqual(at('2026-01-01T00:00:00Z'));
    else expect(next).toBeNull();
    // Generous: a shared machine; a walk minute by minute would take far longer.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a day included only in leap years is found years ahead', () => {
    const days: string[] = [];
    for (let d = Temporal.PlainDate.from('2024-01-01'); d.year === 2024; d = d.add({ days: 1 }))
      if (d.toString() !== '2024-02-29') days.push(d.toString().slice(5));
    const annual = new AnnualCalendar({ exclude: days, timezone: 'UTC' });
    expect(annual.nextIncludedTime(at('2097-03-01T00:00:00Z'))).toEqual(at('2104-02-29T00:00:00Z'));
  });
});

describe('bad input names the field and the fix', () => {
  it.each([
    [
      () => new WeeklyCalendar({ excludeDays: ['saturday', 'sonday'] }),
      'excludeDays[1]',
      /unknown day of the week "sonday".*sun, mon/,
    ],
    [
      () => new DailyCalendar({ from: '22:00', to: '22:00' }),
      'to',
      /empty: give two different times/,
    ],
    [() => new DailyCalendar({ from: '25:00', to: '06:00' }), 'from', /not a time of day/],
    [() => new DailyCalendar({ from: '9:00', to: '17:00' }), 'from', /'HH:mm'/],
    [
      () => new HolidayCalendar({ dates: ['2026-02-30'] }),
      'dates[0]',
      /not a date of the calendar/,
    ],
    [() => new HolidayCalendar({ dates: ['25.12.2026'] }), 'dates[0]', /'YYYY-MM-DD'/],
    [
      () => new HolidayCalendar({ dates: [], timezone: 'Europe/Berln' }),
      'timezone',
      /Unknown time zone "Europe\/Berln"/,
    ],
    [() => new AnnualCalendar({ exclude: ['13-01'] }), 'exclude[0]', /not a day of any year/],
    [() => new MonthlyCalendar({ excludeDays: [0] }), 'excludeDays[0]', /1–31 or 'last'/],
    [() => new CronCalendar('* 25 * * *'), 'expression', /hour/],
    [() => new CronCalendar('H * * * *'), 'expression', /hashed/],
    [
      () => new WeeklyCalendar({ excludeDays: [], timzone: 'UTC' } as never),
      'timzone',
      /did you mean "timezone"/,
    ],
    [() => unionCalendar([]), 'calendars', /non-empty/],
  ])('%#', (make, field, message) => {
    let error: unknown;
    try {
      make();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidCalendarError);
    expect((error as InvalidCalendarError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    [null, 'calendar', /expected an object/],
    [{ type: 'script', version: 1 }, 'type', /unknown calendar type "script"/],
    [
      { type: 'weekly', version: 2, timezone: 'UTC', excludeDays: [] },
      'version',
      /upgrade Horarium/,
    ],
    [{ type: 'weekly', version: 1, excludeDays: [] }, 'timezone', /IANA zone/],
    [{ type: 'holiday', version: 1, timezone: 'UTC', dates: ['x'] }, 'dates[0]', /YYYY-MM-DD/],
    [
      { type: 'holiday', version: 1, timezone: 'UTC', dates: [], extra: 1 },
      'extra',
      /Unknown HolidayCalendar option/,
    ],
    [
      {
        type: 'union',
        version: 1,
        calendars: [{ type: 'daily', version: 1, timezone: 'UTC', from: '1', to: '2' }],
      },
      'calendars[0].from',
      /'HH:mm'/,
    ],
  ])('calendarFromJSON refuses %j', (state, field, message) => {
    let error: unknown;
    try {
      calendarFromJSON(state);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CalendarRestoreError);
    expect((error as CalendarRestoreError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses unions nested too deep', () => {
    let state: unknown = { type: 'weekly', version: 1, timezone: 'UTC', excludeDays: [] };
    for (let i = 0; i < 12; i++) state = { type: 'union', version: 1, calendars: [state] };
    expect(() => calendarFromJSON(state)).toThrow(CalendarRestoreError);
  });
});

it('describes itself briefly', () => {
  const dates = Array.from({ length: 9 }, (_, i) => `2026-12-${String(i + 20)}`);
  expect(String(new HolidayCalendar({ dates, timezone: 'Europe/Berlin' }))).toBe(
    'holiday[2026-12-20, 2026-12-21, 2026-12-22, 2026-12-23, 2026-12-24, … (9 in all); tz=Europe/Berlin]',
  );
  expect(
    new HolidayCalendar({ dates: ['2026-12-25'], timezone: 'Europe/Berlin' }).exclusionReason(
      at('2026-12-25T12:00:00Z'),
    ),
  ).toBe('holiday 2026-12-25');
  expect(String(new WeeklyCalendar({ excludeDays: ['Sunday', 'sat'], timezone: 'UTC' }))).toBe(
    'weekly[sun, sat; tz=UTC]',
  );
});
