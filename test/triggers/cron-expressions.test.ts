/**
 * CronTrigger as a specification: the field grammar, field defaulting, crontab
 * lines, day matching, bounds, chaining and serialization (SPEC §2 "Triggers").
 *
 * Every trigger here runs in UTC so that the expected values are plain calendar
 * arithmetic; DST behaviour lives in dst-table.test.ts. Expected fire times are
 * literal ISO strings worked out by hand from SPEC (weekdays checked against a
 * calendar), never computed by the code under test.
 *
 * Chain convention (what the scheduler does): t0 = getNextFireTime(null, now),
 * t(k+1) = getNextFireTime(t(k), t(k)).
 */
import { describe, expect, it } from 'vitest';
import { triggerFromJSON } from '../../src/extend.ts';
import { CronTrigger, type CronTriggerOptions } from '../../src/index.ts';
import { getZone } from '../../src/time/zone.ts';
import { chain, iso } from '../helpers/trigger-chains.ts';

/** A field-form cron trigger in UTC. */
const cron = (options: CronTriggerOptions): CronTrigger =>
  new CronTrigger({ timezone: 'UTC', ...options });

/** A crontab-line trigger in UTC. */
const crontab = (expression: string, options: { dayMatching?: 'and' | 'or' } = {}): CronTrigger =>
  CronTrigger.fromCrontab(expression, { timezone: 'UTC', ...options });

// 2024-05-01 is a Wednesday.

describe('CronTrigger field grammar', () => {
  it("'*' matches every value: second='*' fires every second", () => {
    expect(chain(cron({ second: '*' }), '2024-05-01T12:00:00Z', 3)).toEqual([
      '2024-05-01T12:00:00+00:00',
      '2024-05-01T12:00:01+00:00',
      '2024-05-01T12:00:02+00:00',
    ]);
  });

  it("'*/15' in the minute field fires at :00, :15, :30 and :45", () => {
    expect(chain(cron({ minute: '*/15' }), '2024-05-01T12:07:00Z', 4)).toEqual([
      '2024-05-01T12:15:00+00:00',
      '2024-05-01T12:30:00+00:00',
      '2024-05-01T12:45:00+00:00',
      '2024-05-01T13:00:00+00:00',
    ]);
  });

  it("'a-b' fires at every value of the inclusive range: day='5-7'", () => {
    expect(chain(cron({ day: '5-7' }), '2024-05-01T00:00:00Z', 4)).toEqual([
      '2024-05-05T00:00:00+00:00',
      '2024-05-06T00:00:00+00:00',
      '2024-05-07T00:00:00+00:00',
      '2024-06-05T00:00:00+00:00',
    ]);
  });

  it("'a-b/c' steps through the range from a: hour='8-17/3' fires at 8, 11, 14 and 17", () => {
    expect(chain(cron({ hour: '8-17/3' }), '2024-05-01T00:00:00Z', 5)).toEqual([
      '2024-05-01T08:00:00+00:00',
      '2024-05-01T11:00:00+00:00',
      '2024-05-01T14:00:00+00:00',
      '2024-05-01T17:00:00+00:00',
      '2024-05-02T08:00:00+00:00',
    ]);
  });

  it("'a/c' steps from a up to the field maximum: minute='10/20' fires at :10, :30 and :50", () => {
    expect(chain(cron({ minute: '10/20' }), '2024-05-01T12:00:00Z', 4)).toEqual([
      '2024-05-01T12:10:00+00:00',
      '2024-05-01T12:30:00+00:00',
      '2024-05-01T12:50:00+00:00',
      '2024-05-01T13:10:00+00:00',
    ]);
  });

  it('comma lists fire at the union of their items: hour=9,17 and minute=0,30', () => {
    expect(chain(cron({ hour: '9,17', minute: '0,30' }), '2024-05-01T00:00:00Z', 5)).toEqual([
      '2024-05-01T09:00:00+00:00',
      '2024-05-01T09:30:00+00:00',
      '2024-05-01T17:00:00+00:00',
      '2024-05-01T17:30:00+00:00',
      '2024-05-02T09:00:00+00:00',
    ]);
  });

  it('a list may mix ranges and single values: minute=0-2,58', () => {
    expect(chain(cron({ minute: '0-2,58' }), '2024-05-01T12:01:30Z', 4)).toEqual([
      '2024-05-01T12:02:00+00:00',
      '2024-05-01T12:58:00+00:00',
      '2024-05-01T13:00:00+00:00',
      '2024-05-01T13:01:00+00:00',
    ]);
  });

  it('month names work in lists: month=jan,jul fires on January 1 and July 1', () => {
    expect(chain(cron({ month: 'jan,jul', day: 1 }), '2024-03-10T00:00:00Z', 3)).toEqual([
      '2024-07-01T00:00:00+00:00',
      '2025-01-01T00:00:00+00:00',
      '2025-07-01T00:00:00+00:00',
    ]);
  });

  it('month names are case-insensitive and work in ranges: month=JUN-aug', () => {
    expect(chain(cron({ month: 'JUN-aug', day: 15 }), '2024-05-01T00:00:00Z', 4)).toEqual([
      '2024-06-15T00:00:00+00:00',
      '2024-07-15T00:00:00+00:00',
      '2024-08-15T00:00:00+00:00',
      '2025-06-15T00:00:00+00:00',
    ]);
  });

  it('weekday names (case-insensitive) select weekdays: dayOfWeek=SAT,sun', () => {
    expect(chain(cron({ dayOfWeek: 'SAT,sun', hour: 10 }), '2024-05-01T00:00:00Z', 4)).toEqual([
      '2024-05-04T10:00:00+00:00',
      '2024-05-05T10:00:00+00:00',
      '2024-05-11T10:00:00+00:00',
      '2024-05-12T10:00:00+00:00',
    ]);
  });

  describe('numeric weekdays follow cron: 0 and 7 = Sunday, 1 = Monday … 6 = Saturday', () => {
    it.each([
      { dayOfWeek: 0, name: 'Sunday', expected: '2024-05-05T09:00:00+00:00' },
      { dayOfWeek: 7, name: 'Sunday', expected: '2024-05-05T09:00:00+00:00' },
      { dayOfWeek: 1, name: 'Monday', expected: '2024-05-06T09:00:00+00:00' },
      { dayOfWeek: 3, name: 'Wednesday', expected: '2024-05-01T09:00:00+00:00' },
      { dayOfWeek: 5, name: 'Friday', expected: '2024-05-03T09:00:00+00:00' },
      { dayOfWeek: 6, name: 'Saturday', expected: '2024-05-04T09:00:00+00:00' },
    ])('dayOfWeek=$dayOfWeek is $name', ({ dayOfWeek, expected }) => {
      expect(chain(cron({ dayOfWeek, hour: 9 }), '2024-05-01T00:00:00Z', 1)).toEqual([expected]);
    });

    it("'1-5' is Monday to Friday", () => {
      // 2024-06-01 is a Saturday.
      expect(chain(cron({ dayOfWeek: '1-5', hour: 9 }), '2024-06-01T00:00:00Z', 6)).toEqual([
        '2024-06-03T09:00:00+00:00',
        '2024-06-04T09:00:00+00:00',
        '2024-06-05T09:00:00+00:00',
        '2024-06-06T09:00:00+00:00',
        '2024-06-07T09:00:00+00:00',
        '2024-06-10T09:00:00+00:00',
      ]);
    });

    it("'0' and 'sun' are the same day", () => {
      expect(chain(cron({ dayOfWeek: '0' }), '2024-05-01T00:00:00Z', 2)).toEqual(
        chain(cron({ dayOfWeek: 'sun' }), '2024-05-01T00:00:00Z', 2),
      );
    });
  });

  describe('weekday ranges wrap around the end of the week', () => {
    const friToMon = [
      '2024-05-03T00:00:00+00:00',
      '2024-05-04T00:00:00+00:00',
      '2024-05-05T00:00:00+00:00',
      '2024-05-06T00:00:00+00:00',
      '2024-05-10T00:00:00+00:00',
    ];

    it("'fri-mon' is Friday, Saturday, Sunday and Monday", () => {
      expect(chain(cron({ dayOfWeek: 'fri-mon' }), '2024-05-01T00:00:00Z', 5)).toEqual(friToMon);
    });

    it("'5-1' (numeric) is the same wrapping range", () => {
      expect(chain(cron({ dayOfWeek: '5-1' }), '2024-05-01T00:00:00Z', 5)).toEqual(friToMon);
    });
  });

  describe('day-of-month rules', () => {
    it("'3rd fri' is the third Friday: month=6-8, day='3rd fri'", () => {
      expect(chain(cron({ month: '6-8', day: '3rd fri' }), '2024-05-01T00:00:00Z', 4)).toEqual([
        '2024-06-21T00:00:00+00:00',
        '2024-07-19T00:00:00+00:00',
        '2024-08-16T00:00:00+00:00',
        '2025-06-20T00:00:00+00:00',
      ]);
    });

    it("'1st mon' is the first Monday of each month", () => {
      expect(chain(cron({ day: '1st mon' }), '2024-05-01T00:00:00Z', 3)).toEqual([
        '2024-05-06T00:00:00+00:00',
        '2024-06-03T00:00:00+00:00',
        '2024-07-01T00:00:00+00:00',
      ]);
    });

    it("'5th fri' skips the months that have only four Fridays", () => {
      expect(chain(cron({ day: '5th fri' }), '2024-01-01T00:00:00Z', 4)).toEqual([
        '2024-03-29T00:00:00+00:00',
        '2024-05-31T00:00:00+00:00',
        '2024-08-30T00:00:00+00:00',
        '2024-11-29T00:00:00+00:00',
      ]);
    });

    it("'last fri' is the last Friday of each month", () => {
      expect(chain(cron({ day: 'last fri' }), '2024-05-01T00:00:00Z', 4)).toEqual([
        '2024-05-31T00:00:00+00:00',
        '2024-06-28T00:00:00+00:00',
        '2024-07-26T00:00:00+00:00',
        '2024-08-30T00:00:00+00:00',
      ]);
    });

    const lastDays = [
      '2024-01-31T00:00:00+00:00',
      '2024-02-29T00:00:00+00:00',
      '2024-03-31T00:00:00+00:00',
      '2024-04-30T00:00:00+00:00',
    ];

    it("'last' is the last day of each month (29 in a leap February)", () => {
      expect(chain(cron({ day: 'last' }), '2024-01-15T00:00:00Z', 4)).toEqual(lastDays);
    });

    it("'L' is the same as 'last'", () => {
      expect(chain(cron({ day: 'L' }), '2024-01-15T00:00:00Z', 4)).toEqual(lastDays);
    });

    it("'LW' is the last weekday (Monday–Friday) of each month", () => {
      // June 30 2024 is a Sunday, August 31 a Saturday.
      expect(chain(cron({ day: 'LW' }), '2024-05-01T00:00:00Z', 4)).toEqual([
        '2024-05-31T00:00:00+00:00',
        '2024-06-28T00:00:00+00:00',
        '2024-07-31T00:00:00+00:00',
        '2024-08-30T00:00:00+00:00',
      ]);
    });

    it("'15W' is the weekday nearest the 15th (Saturday → Friday, Sunday → Monday)", () => {
      // June 15 2024 is a Saturday, September 15 a Sunday.
      expect(chain(cron({ day: '15W' }), '2024-06-01T00:00:00Z', 4)).toEqual([
        '2024-06-14T00:00:00+00:00',
        '2024-07-15T00:00:00+00:00',
        '2024-08-15T00:00:00+00:00',
        '2024-09-16T00:00:00+00:00',
      ]);
    });

    it("'1W' on a month starting on Saturday is Monday the 3rd (it never leaves the month)", () => {
      // 2024-06-01 is a Saturday; Friday May 31 would be in another month.
      expect(chain(cron({ day: '1W' }), '2024-05-15T00:00:00Z', 2)).toEqual([
        '2024-06-03T00:00:00+00:00',
        '2024-07-01T00:00:00+00:00',
      ]);
    });

    it("'31W' on a month whose 31st is a Sunday is Friday the 29th (it never leaves the month)", () => {
      // 2024-03-31 is a Sunday; Monday April 1 would be in another month.
      expect(chain(cron({ day: '31W' }), '2024-03-01T00:00:00Z', 1)).toEqual([
        '2024-03-29T00:00:00+00:00',
      ]);
    });
  });

  describe('day-of-week rules', () => {
    it("'FRI#2' is the second Friday of each month", () => {
      expect(chain(cron({ dayOfWeek: 'FRI#2' }), '2024-05-01T00:00:00Z', 3)).toEqual([
        '2024-05-10T00:00:00+00:00',
        '2024-06-14T00:00:00+00:00',
        '2024-07-12T00:00:00+00:00',
      ]);
    });

    it("'5#2' is the same (5 = Friday)", () => {
      expect(chain(cron({ dayOfWeek: '5#2' }), '2024-05-01T00:00:00Z', 3)).toEqual(
        chain(cron({ dayOfWeek: 'FRI#2' }), '2024-05-01T00:00:00Z', 3),
      );
    });

    const lastFridays = [
      '2024-05-31T00:00:00+00:00',
      '2024-06-28T00:00:00+00:00',
      '2024-07-26T00:00:00+00:00',
      '2024-08-30T00:00:00+00:00',
    ];

    it("'5L' is the last Friday of each month", () => {
      expect(chain(cron({ dayOfWeek: '5L' }), '2024-05-01T00:00:00Z', 4)).toEqual(lastFridays);
    });

    it("'FRIL' is the same as '5L'", () => {
      expect(chain(cron({ dayOfWeek: 'FRIL' }), '2024-05-01T00:00:00Z', 4)).toEqual(lastFridays);
    });
  });

  describe("'?' is an alias of '*'", () => {
    it("'0 12 ? * mon' fires on Mondays only ('?' does not restrict the day of month)", () => {
      expect(chain(crontab('0 12 ? * mon'), '2024-05-01T00:00:00Z', 3)).toEqual([
        '2024-05-06T12:00:00+00:00',
        '2024-05-13T12:00:00+00:00',
        '2024-05-20T12:00:00+00:00',
      ]);
    });

    it("'0 12 15 * ?' fires on the 15th only", () => {
      expect(chain(crontab('0 12 15 * ?'), '2024-05-01T00:00:00Z', 3)).toEqual([
        '2024-05-15T12:00:00+00:00',
        '2024-06-15T12:00:00+00:00',
        '2024-07-15T12:00:00+00:00',
      ]);
    });

    it("day='?' in the field form matches every day", () => {
      expect(chain(cron({ day: '?', hour: 6 }), '2024-05-01T07:00:00Z', 2)).toEqual([
        '2024-05-02T06:00:00+00:00',
        '2024-05-03T06:00:00+00:00',
      ]);
    });
  });

  describe('week is the ISO 8601 week number', () => {
    it('week=1 fires on every day of ISO week 1, which may start in December', () => {
      // ISO week 1 of 2025 runs from Monday 2024-12-30 to Sunday 2025-01-05;
      // ISO week 1 of 2026 starts on Monday 2025-12-29.
      expect(chain(cron({ week: 1 }), '2024-06-01T00:00:00Z', 8)).toEqual([
        '2024-12-30T00:00:00+00:00',
        '2024-12-31T00:00:00+00:00',
        '2025-01-01T00:00:00+00:00',
        '2025-01-02T00:00:00+00:00',
        '2025-01-03T00:00:00+00:00',
        '2025-01-04T00:00:00+00:00',
        '2025-01-05T00:00:00+00:00',
        '2025-12-29T00:00:00+00:00',
      ]);
    });

    it('week=53 fires only in years that have an ISO week 53 (2020, then 2026)', () => {
      // 2021-01-01 to 2021-01-03 belong to ISO week 53 of 2020; the next week 53
      // is 2026-12-28 … 2027-01-03.
      expect(chain(cron({ week: 53 }), '2021-01-01T00:00:00Z', 5)).toEqual([
        '2021-01-01T00:00:00+00:00',
        '2021-01-02T00:00:00+00:00',
        '2021-01-03T00:00:00+00:00',
        '2026-12-28T00:00:00+00:00',
        '2026-12-29T00:00:00+00:00',
      ]);
    });

    it('week combines with dayOfWeek: the Monday of week 53', () => {
      expect(chain(cron({ week: 53, dayOfWeek: 'mon' }), '2021-01-04T00:00:00Z', 1)).toEqual([
        '2026-12-28T00:00:00+00:00',
      ]);
    });
  });

  describe('year', () => {
    it("a range with a step: year='2030-2040/5' fires in 2030, 2035 and 2040, then finishes", () => {
      expect(chain(cron({ year: '2030-2040/5' }), '2025-03-01T00:00:00Z', 4)).toEqual([
        '2030-01-01T00:00:00+00:00',
        '2035-01-01T00:00:00+00:00',
        '2040-01-01T00:00:00+00:00',
        null,
      ]);
    });

    it("'*/10' steps from the field minimum 1970: 2030, 2040", () => {
      expect(chain(cron({ year: '*/10' }), '2025-03-01T00:00:00Z', 2)).toEqual([
        '2030-01-01T00:00:00+00:00',
        '2040-01-01T00:00:00+00:00',
      ]);
    });

    it("'2024/4' with February 29 fires every leap year", () => {
      expect(chain(cron({ year: '2024/4', month: 2, day: 29 }), '2025-01-01T00:00:00Z', 2)).toEqual(
        ['2028-02-29T00:00:00+00:00', '2032-02-29T00:00:00+00:00'],
      );
    });
  });
});

describe('CronTrigger field defaulting', () => {
  it('day=1, minute=20 fires every hour at :20:00 on the 1st (hour is *, second is 0)', () => {
    expect(chain(cron({ day: 1, minute: 20 }), '2024-05-01T00:00:00Z', 3)).toEqual([
      '2024-05-01T00:20:00+00:00',
      '2024-05-01T01:20:00+00:00',
      '2024-05-01T02:20:00+00:00',
    ]);
    expect(chain(cron({ day: 1, minute: 20 }), '2024-05-01T22:00:00Z', 3)).toEqual([
      '2024-05-01T22:20:00+00:00',
      '2024-05-01T23:20:00+00:00',
      '2024-06-01T00:20:00+00:00',
    ]);
  });

  it('hour=3 fires daily at 03:00:00 (minute and second take their minimum)', () => {
    expect(chain(cron({ hour: 3 }), '2024-05-01T03:00:00Z', 3)).toEqual([
      '2024-05-01T03:00:00+00:00',
      '2024-05-02T03:00:00+00:00',
      '2024-05-03T03:00:00+00:00',
    ]);
  });

  it('month=6 fires once a year on June 1 at midnight (day=1, time 00:00:00)', () => {
    expect(chain(cron({ month: 6 }), '2024-05-01T12:00:00Z', 2)).toEqual([
      '2024-06-01T00:00:00+00:00',
      '2025-06-01T00:00:00+00:00',
    ]);
  });

  it('dayOfWeek=mon fires every Monday at midnight (day is *, time 00:00:00)', () => {
    expect(chain(cron({ dayOfWeek: 'mon' }), '2024-05-01T12:00:00Z', 2)).toEqual([
      '2024-05-06T00:00:00+00:00',
      '2024-05-13T00:00:00+00:00',
    ]);
  });

  it('second=30 fires every minute at :30', () => {
    expect(chain(cron({ second: 30 }), '2024-05-01T12:00:31Z', 2)).toEqual([
      '2024-05-01T12:01:30+00:00',
      '2024-05-01T12:02:30+00:00',
    ]);
  });

  it('numbers and numeric strings are the same expression', () => {
    expect(chain(cron({ hour: 3, minute: 15 }), '2024-05-01T00:00:00Z', 2)).toEqual(
      chain(cron({ hour: '3', minute: '15' }), '2024-05-01T00:00:00Z', 2),
    );
  });
});

describe('CronTrigger.fromCrontab', () => {
  it('5 fields are minute hour day month dayOfWeek, firing at second 0', () => {
    // 2024-05-03 is a Friday.
    expect(chain(crontab('30 9 * * mon-fri'), '2024-05-03T10:00:00Z', 2)).toEqual([
      '2024-05-06T09:30:00+00:00',
      '2024-05-07T09:30:00+00:00',
    ]);
  });

  it("'* * * * *' fires every minute at second 0", () => {
    expect(chain(crontab('* * * * *'), '2024-05-01T12:00:30Z', 2)).toEqual([
      '2024-05-01T12:01:00+00:00',
      '2024-05-01T12:02:00+00:00',
    ]);
  });

  it('6 fields have a leading seconds field', () => {
    expect(chain(crontab('15 30 9 * * *'), '2024-05-01T00:00:00Z', 2)).toEqual([
      '2024-05-01T09:30:15+00:00',
      '2024-05-02T09:30:15+00:00',
    ]);
  });

  it('7 fields have a trailing year field', () => {
    expect(chain(crontab('0 0 12 1 1 * 2030'), '2024-05-01T00:00:00Z', 2)).toEqual([
      '2030-01-01T12:00:00+00:00',
      null,
    ]);
  });

  describe('nicknames (now = Wednesday 2024-05-01 12:30 UTC)', () => {
    it.each([
      ['@yearly', '2025-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'],
      ['@annually', '2025-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'],
      ['@monthly', '2024-06-01T00:00:00+00:00', '2024-07-01T00:00:00+00:00'],
      ['@weekly', '2024-05-05T00:00:00+00:00', '2024-05-12T00:00:00+00:00'],
      ['@daily', '2024-05-02T00:00:00+00:00', '2024-05-03T00:00:00+00:00'],
      ['@midnight', '2024-05-02T00:00:00+00:00', '2024-05-03T00:00:00+00:00'],
      ['@hourly', '2024-05-01T13:00:00+00:00', '2024-05-01T14:00:00+00:00'],
    ])('%s fires at %s, then %s', (nickname, first, second) => {
      expect(chain(crontab(nickname), '2024-05-01T12:30:00Z', 2)).toEqual([first, second]);
    });
  });

  describe('day of month and day of week', () => {
    it("both restricted → OR: '0 0 13 * fri' fires on the 13th and on every Friday", () => {
      // September 13 2024 is a Friday (fires once); October 13 is a Sunday.
      expect(chain(crontab('0 0 13 * fri'), '2024-09-01T00:00:00Z', 8)).toEqual([
        '2024-09-06T00:00:00+00:00',
        '2024-09-13T00:00:00+00:00',
        '2024-09-20T00:00:00+00:00',
        '2024-09-27T00:00:00+00:00',
        '2024-10-04T00:00:00+00:00',
        '2024-10-11T00:00:00+00:00',
        '2024-10-13T00:00:00+00:00',
        '2024-10-18T00:00:00+00:00',
      ]);
    });

    it("dayMatching: 'and' → only Friday the 13th", () => {
      expect(
        chain(crontab('0 0 13 * fri', { dayMatching: 'and' }), '2024-09-01T00:00:00Z', 3),
      ).toEqual([
        '2024-09-13T00:00:00+00:00',
        '2024-12-13T00:00:00+00:00',
        '2025-06-13T00:00:00+00:00',
      ]);
    });

    it("day of week '*' → only the day of month restricts: '0 0 13 * *'", () => {
      expect(chain(crontab('0 0 13 * *'), '2024-09-01T00:00:00Z', 3)).toEqual([
        '2024-09-13T00:00:00+00:00',
        '2024-10-13T00:00:00+00:00',
        '2024-11-13T00:00:00+00:00',
      ]);
    });

    it("day of month '*' → only the day of week restricts: '0 0 * * fri'", () => {
      expect(chain(crontab('0 0 * * fri'), '2024-09-01T00:00:00Z', 3)).toEqual([
        '2024-09-06T00:00:00+00:00',
        '2024-09-13T00:00:00+00:00',
        '2024-09-20T00:00:00+00:00',
      ]);
    });

    it('the field form keeps APScheduler AND by default and accepts dayMatching: or', () => {
      expect(chain(cron({ day: 13, dayOfWeek: 'fri' }), '2024-09-01T00:00:00Z', 2)).toEqual([
        '2024-09-13T00:00:00+00:00',
        '2024-12-13T00:00:00+00:00',
      ]);
      expect(
        chain(cron({ day: 13, dayOfWeek: 'fri', dayMatching: 'or' }), '2024-10-01T00:00:00Z', 3),
      ).toEqual([
        '2024-10-04T00:00:00+00:00',
        '2024-10-11T00:00:00+00:00',
        '2024-10-13T00:00:00+00:00',
      ]);
    });
  });
});

describe('CronTrigger startDate and endDate', () => {
  it('startDate is inclusive: a matching startDate is the first fire time', () => {
    const trigger = cron({ hour: 12, startDate: '2024-05-10 12:00:00' });
    expect(chain(trigger, '2024-05-01T00:00:00Z', 2)).toEqual([
      '2024-05-10T12:00:00+00:00',
      '2024-05-11T12:00:00+00:00',
    ]);
  });

  it('endDate is inclusive: a matching endDate is the last fire time', () => {
    const trigger = cron({
      hour: 12,
      startDate: '2024-05-10 12:00:00',
      endDate: '2024-05-12 12:00:00',
    });
    expect(chain(trigger, '2024-05-01T00:00:00Z', 5)).toEqual([
      '2024-05-10T12:00:00+00:00',
      '2024-05-11T12:00:00+00:00',
      '2024-05-12T12:00:00+00:00',
      null,
    ]);
  });

  it('a fire time one second after endDate is not returned', () => {
    const trigger = cron({ hour: 12, endDate: '2024-05-12 11:59:59' });
    expect(chain(trigger, '2024-05-10T00:00:00Z', 4)).toEqual([
      '2024-05-10T12:00:00+00:00',
      '2024-05-11T12:00:00+00:00',
      null,
    ]);
  });

  it('a trigger asked after its endDate has finished', () => {
    const trigger = cron({ hour: 12, endDate: '2024-05-12 12:00:00' });
    expect(trigger.getNextFireTime(null, new Date('2024-05-12T12:00:01Z'))).toBeNull();
  });
});

describe('CronTrigger chaining', () => {
  const hourly = (): CronTrigger => cron({ minute: 0 });

  it('a previous fire time in the past yields the missed fire times one by one', () => {
    const trigger = hourly();
    const now = new Date('2024-05-01T12:34:00Z');
    const first = trigger.getNextFireTime(new Date('2024-05-01T03:00:00Z'), now);
    expect(iso(first)).toBe('2024-05-01T04:00:00+00:00');
    expect(iso(trigger.getNextFireTime(first, now))).toBe('2024-05-01T05:00:00+00:00');
  });

  it('with a previous fire time the result does not depend on now', () => {
    const previous = new Date('2024-05-01T03:00:00Z');
    for (const now of ['2024-05-01T03:00:00Z', '2024-05-01T12:34:00Z', '2030-01-01T00:00:00Z']) {
      expect(iso(hourly().getNextFireTime(previous, new Date(now)))).toBe(
        '2024-05-01T04:00:00+00:00',
      );
    }
  });

  it('the result is strictly after the previous fire time, even when that time matches', () => {
    const previous = new Date('2024-05-01T12:00:00Z');
    expect(iso(cron({ second: '*' }).getNextFireTime(previous, previous))).toBe(
      '2024-05-01T12:00:01+00:00',
    );
    expect(iso(cron({ hour: 12 }).getNextFireTime(previous, previous))).toBe(
      '2024-05-02T12:00:00+00:00',
    );
  });

  it('a first call returns now itself when now matches', () => {
    expect(iso(cron({ hour: 12 }).getNextFireTime(null, new Date('2024-05-01T12:00:00Z')))).toBe(
      '2024-05-01T12:00:00+00:00',
    );
  });

  it('results are rounded up to a whole second: now = 00:00:00.5 → 00:00:01', () => {
    expect(
      iso(cron({ second: '*' }).getNextFireTime(null, new Date('2024-05-01T00:00:00.500Z'))),
    ).toBe('2024-05-01T00:00:01+00:00');
    expect(
      iso(cron({ minute: '*' }).getNextFireTime(null, new Date('2024-05-01T12:00:00.500Z'))),
    ).toBe('2024-05-01T12:01:00+00:00');
  });

  it('a fractional previous fire time is followed by the next whole second', () => {
    const previous = new Date('2024-05-01T12:00:00.250Z');
    const next = cron({ second: '*' }).getNextFireTime(previous, previous);
    expect(iso(next)).toBe('2024-05-01T12:00:01+00:00');
    expect(next?.getUTCMilliseconds()).toBe(0);
  });

  it('a schedule that cannot fire again finishes: year=2012, month=2, day=last', () => {
    const trigger = cron({ year: 2012, month: 2, day: 'last' });
    expect(chain(trigger, '2012-01-01T00:00:00Z', 3)).toEqual(['2012-02-29T00:00:00+00:00', null]);
    expect(trigger.getNextFireTime(null, new Date('2012-03-01T00:00:00Z'))).toBeNull();
  });
});

describe('CronTrigger toString', () => {
  it("prints the given fields: cron[month='6-8', day='3rd fri']", () => {
    expect(String(cron({ month: '6-8', day: '3rd fri' }))).toBe("cron[month='6-8', day='3rd fri']");
  });

  it('prints only explicitly given fields, not the defaulted ones', () => {
    expect(String(cron({ day: 1, minute: 20 }))).toBe("cron[day='1', minute='20']");
  });

  it('prints fields in field order (year … second) whatever the option order, numbers as text', () => {
    expect(String(cron({ second: 5, hour: 3, dayOfWeek: 'mon', year: 2030 }))).toBe(
      "cron[year='2030', dayOfWeek='mon', hour='3', second='5']",
    );
  });
});

describe('CronTrigger JSON round trip', () => {
  const cases: readonly { name: string; make: () => CronTrigger; now: string; zone: string }[] = [
    {
      name: "cron[month='6-8', day='3rd fri', hour='0-3']",
      make: () => cron({ month: '6-8', day: '3rd fri', hour: '0-3' }),
      now: '2024-05-01T00:00:00Z',
      zone: 'UTC',
    },
    {
      name: "crontab '0 0 13 * fri' (OR)",
      make: () => crontab('0 0 13 * fri'),
      now: '2024-09-01T00:00:00Z',
      zone: 'UTC',
    },
    {
      name: "crontab '0 0 13 * fri' with dayMatching: 'and'",
      make: () => crontab('0 0 13 * fri', { dayMatching: 'and' }),
      now: '2024-09-01T00:00:00Z',
      zone: 'UTC',
    },
    {
      name: 'weekdays 09:30 in Europe/Berlin with startDate and endDate',
      make: () =>
        new CronTrigger({
          dayOfWeek: 'mon-fri',
          hour: 9,
          minute: 30,
          timezone: 'Europe/Berlin',
          startDate: '2024-03-27 00:00',
          endDate: '2024-04-03 09:30',
        }),
      now: '2024-03-01T00:00:00Z',
      zone: 'Europe/Berlin',
    },
    {
      name: "crontab '0 8 LW * FRI#2' (L, W and # extensions)",
      make: () => crontab('0 8 LW * FRI#2'),
      now: '2024-05-01T00:00:00Z',
      zone: 'UTC',
    },
  ];

  it.each(cases)(
    '$name: restored trigger has the same chain and toString',
    ({ make, now, zone }) => {
      const original = make();
      const restored = triggerFromJSON(JSON.parse(JSON.stringify(original.toJSON())));
      expect(restored).toBeInstanceOf(CronTrigger);
      expect(String(restored)).toBe(String(original));
      const z = getZone(zone);
      expect(chain(restored, now, 8, z)).toEqual(chain(make(), now, 8, z));
    },
  );

  it('the Berlin round-trip case fires on the weekdays between its bounds, across DST', () => {
    // 2024-03-27 is a Wednesday; Berlin switches to +02:00 on Sunday 2024-03-31.
    const trigger = new CronTrigger({
      dayOfWeek: 'mon-fri',
      hour: 9,
      minute: 30,
      timezone: 'Europe/Berlin',
      startDate: '2024-03-27 00:00',
      endDate: '2024-04-03 09:30',
    });
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON())));
    expect(chain(restored, '2024-03-01T00:00:00Z', 8, getZone('Europe/Berlin'))).toEqual([
      '2024-03-27T09:30:00+01:00',
      '2024-03-28T09:30:00+01:00',
      '2024-03-29T09:30:00+01:00',
      '2024-04-01T09:30:00+02:00',
      '2024-04-02T09:30:00+02:00',
      '2024-04-03T09:30:00+02:00',
      null,
    ]);
  });
});
