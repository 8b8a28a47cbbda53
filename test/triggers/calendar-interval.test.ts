/**
 * CalendarIntervalTrigger as a specification (SPEC §2 "Other trigger semantics"):
 * dates advance from the previous fire date by years and months, keeping the day
 * of month and repeating the addition while that day does not exist (Jan 31 +
 * 1 month → Mar 31), then by days and weeks; the wall-clock time is kept across
 * DST; the first fire time is the first grid date whose fire time is ≥ now
 * (a startDate years in the past is not returned); endDate is inclusive.
 *
 * Expected fire times are literal ISO strings worked out by hand from SPEC.
 * Chain convention: t0 = getNextFireTime(null, now), t(k+1) = getNextFireTime(t(k), t(k)).
 */
import { describe, expect, it } from 'vitest';
import { triggerFromJSON } from '../../src/extend.ts';
import { CalendarIntervalTrigger, type CalendarIntervalTriggerOptions } from '../../src/index.ts';
import { getZone } from '../../src/time/zone.ts';
import { chain, first, iso } from '../helpers/trigger-chains.ts';

const BERLIN = getZone('Europe/Berlin');
const NEW_YORK = getZone('America/New_York');

const calendar = (options: CalendarIntervalTriggerOptions): CalendarIntervalTrigger =>
  new CalendarIntervalTrigger({ timezone: 'UTC', ...options });

describe('CalendarIntervalTrigger date arithmetic', () => {
  it('months=1 from 2016-03-31 keeps the 31st, repeating the addition over 30-day months', () => {
    // 04-31 does not exist → 05-31; 06-31 → 07-31; 08-31 exists; 09-31 → 10-31; 11-31 → 12-31.
    expect(
      chain(calendar({ months: 1, startDate: '2016-03-31' }), '2016-03-01T00:00:00Z', 6),
    ).toEqual([
      '2016-03-31T00:00:00+00:00',
      '2016-05-31T00:00:00+00:00',
      '2016-07-31T00:00:00+00:00',
      '2016-08-31T00:00:00+00:00',
      '2016-10-31T00:00:00+00:00',
      '2016-12-31T00:00:00+00:00',
    ]);
  });

  it('years=1 from 2016-02-29 fires only on February 29 (2020, 2024)', () => {
    expect(
      chain(calendar({ years: 1, startDate: '2016-02-29' }), '2016-01-01T00:00:00Z', 3),
    ).toEqual([
      '2016-02-29T00:00:00+00:00',
      '2020-02-29T00:00:00+00:00',
      '2024-02-29T00:00:00+00:00',
    ]);
  });

  it('months=1, days=1 from 2024-01-31 adds the month first (→ 03-31), then the day (→ 04-01)', () => {
    // 01-31 + 1 month: 02-31 does not exist → 03-31, + 1 day → 04-01;
    // 04-01 → 05-01 → 05-02; 05-02 → 06-02 → 06-03; 06-03 → 07-03 → 07-04.
    expect(
      chain(calendar({ months: 1, days: 1, startDate: '2024-01-31' }), '2024-01-01T00:00:00Z', 5),
    ).toEqual([
      '2024-01-31T00:00:00+00:00',
      '2024-04-01T00:00:00+00:00',
      '2024-05-02T00:00:00+00:00',
      '2024-06-03T00:00:00+00:00',
      '2024-07-04T00:00:00+00:00',
    ]);
  });

  it('days and weeks add up: weeks=1, days=2 is every 9 days', () => {
    expect(
      chain(calendar({ weeks: 1, days: 2, startDate: '2024-05-01' }), '2024-05-01T00:00:00Z', 3),
    ).toEqual([
      '2024-05-01T00:00:00+00:00',
      '2024-05-10T00:00:00+00:00',
      '2024-05-19T00:00:00+00:00',
    ]);
  });

  it('hour, minute and second set the wall-clock time of every fire', () => {
    expect(
      chain(
        calendar({ days: 1, hour: 23, minute: 59, second: 59, startDate: '2024-05-01' }),
        '2024-05-01T00:00:00Z',
        2,
      ),
    ).toEqual(['2024-05-01T23:59:59+00:00', '2024-05-02T23:59:59+00:00']);
  });
});

describe('CalendarIntervalTrigger keeps the wall-clock time across DST', () => {
  it('weeks=2, hour=9 in America/New_York stays at 09:00 across spring-forward (2024-03-10)', () => {
    const trigger = new CalendarIntervalTrigger({
      weeks: 2,
      hour: 9,
      startDate: '2024-03-01',
      timezone: 'America/New_York',
    });
    expect(chain(trigger, '2024-02-01T00:00:00Z', 3, NEW_YORK)).toEqual([
      '2024-03-01T09:00:00-05:00',
      '2024-03-15T09:00:00-04:00',
      '2024-03-29T09:00:00-04:00',
    ]);
  });

  it('weeks=2, hour=9 in America/New_York stays at 09:00 across fall-back (2024-11-03)', () => {
    const trigger = new CalendarIntervalTrigger({
      weeks: 2,
      hour: 9,
      startDate: '2024-10-25',
      timezone: 'America/New_York',
    });
    expect(chain(trigger, '2024-10-01T00:00:00Z', 2, NEW_YORK)).toEqual([
      '2024-10-25T09:00:00-04:00',
      '2024-11-08T09:00:00-05:00',
    ]);
  });
});

describe('CalendarIntervalTrigger first fire time', () => {
  const daily9 = (): CalendarIntervalTrigger =>
    calendar({ days: 1, hour: 9, startDate: '2020-01-01' });

  it('a startDate years in the past is not returned: the first grid date whose fire time is ≥ now', () => {
    expect(chain(daily9(), '2024-05-01T12:00:00Z', 2)).toEqual([
      '2024-05-02T09:00:00+00:00',
      '2024-05-03T09:00:00+00:00',
    ]);
  });

  it("a now equal to a grid date's fire time returns it", () => {
    expect(chain(daily9(), '2024-05-01T09:00:00Z', 1)).toEqual(['2024-05-01T09:00:00+00:00']);
  });

  it("a now one second before a grid date's fire time returns that fire time", () => {
    expect(chain(daily9(), '2024-05-01T08:59:59Z', 1)).toEqual(['2024-05-01T09:00:00+00:00']);
  });

  it('the grid stays anchored at startDate: weeks=2 from Monday 2020-01-06 → Monday 2024-05-06', () => {
    // 2024-05-01 is 1577 days after 2020-01-06; the next multiple of 14 is 1582 → 2024-05-06.
    expect(
      chain(calendar({ weeks: 2, startDate: '2020-01-06' }), '2024-05-01T00:00:00Z', 2),
    ).toEqual(['2024-05-06T00:00:00+00:00', '2024-05-20T00:00:00+00:00']);
  });

  it('the month grid stays anchored too: months=1 from 2020-01-31, now 2024-05-15 → 2024-05-31', () => {
    // From Jan 31 the grid is Jan 31, Mar 31, May 31, Jul 31, Aug 31, Oct 31, Dec 31 every year.
    expect(
      chain(calendar({ months: 1, startDate: '2020-01-31' }), '2024-05-15T00:00:00Z', 3),
    ).toEqual([
      '2024-05-31T00:00:00+00:00',
      '2024-07-31T00:00:00+00:00',
      '2024-08-31T00:00:00+00:00',
    ]);
  });

  it('without startDate the grid starts on the date of the first call', () => {
    expect(chain(calendar({ days: 3, hour: 9 }), '2024-05-01T08:00:00Z', 3)).toEqual([
      '2024-05-01T09:00:00+00:00',
      '2024-05-04T09:00:00+00:00',
      '2024-05-07T09:00:00+00:00',
    ]);
  });

  it("without startDate, when today's time has passed, the next grid date is returned", () => {
    expect(chain(calendar({ days: 3, hour: 9 }), '2024-05-01T10:00:00Z', 2)).toEqual([
      '2024-05-04T09:00:00+00:00',
      '2024-05-07T09:00:00+00:00',
    ]);
  });

  it('the start date is read in the trigger zone (the date of now in Europe/Berlin)', () => {
    // 2024-05-01T23:30Z is already 2024-05-02 01:30 in Berlin.
    const trigger = new CalendarIntervalTrigger({ days: 1, hour: 9, timezone: 'Europe/Berlin' });
    expect(chain(trigger, '2024-05-01T23:30:00Z', 1, BERLIN)).toEqual([
      '2024-05-02T09:00:00+02:00',
    ]);
  });
});

describe('CalendarIntervalTrigger with a previous fire time', () => {
  it('returns the next grid date after previous and ignores now (missed runs one by one)', () => {
    const trigger = calendar({ days: 1, hour: 9, startDate: '2024-05-01' });
    const previous = new Date('2024-05-02T09:00:00Z');
    expect(iso(trigger.getNextFireTime(previous, new Date('2024-06-01T00:00:00Z')))).toBe(
      '2024-05-03T09:00:00+00:00',
    );
  });
});

describe('CalendarIntervalTrigger endDate', () => {
  it('is inclusive: the fire time on the endDate is the last one', () => {
    const trigger = calendar({ days: 1, hour: 9, startDate: '2024-05-01', endDate: '2024-05-03' });
    expect(chain(trigger, '2024-04-01T00:00:00Z', 5)).toEqual([
      '2024-05-01T09:00:00+00:00',
      '2024-05-02T09:00:00+00:00',
      '2024-05-03T09:00:00+00:00',
      null,
    ]);
  });

  it('includes a late fire time on the endDate (the whole end date counts)', () => {
    const trigger = calendar({
      days: 1,
      hour: 23,
      minute: 59,
      second: 59,
      startDate: '2024-05-02',
      endDate: '2024-05-03',
    });
    expect(chain(trigger, '2024-04-01T00:00:00Z', 3)).toEqual([
      '2024-05-02T23:59:59+00:00',
      '2024-05-03T23:59:59+00:00',
      null,
    ]);
  });

  it('a first call after the last fire time on endDate returns null', () => {
    const trigger = calendar({ days: 1, hour: 9, startDate: '2024-05-01', endDate: '2024-05-03' });
    expect(trigger.getNextFireTime(null, new Date('2024-05-03T09:00:01Z'))).toBeNull();
  });

  it('stops before a grid date past endDate', () => {
    const trigger = calendar({ months: 1, startDate: '2024-01-31', endDate: '2024-05-30' });
    expect(chain(trigger, '2024-01-01T00:00:00Z', 4)).toEqual([
      '2024-01-31T00:00:00+00:00',
      '2024-03-31T00:00:00+00:00',
      null,
    ]);
  });
});

describe('CalendarIntervalTrigger toString and JSON', () => {
  const make = (): CalendarIntervalTrigger =>
    new CalendarIntervalTrigger({
      months: 1,
      days: 1,
      hour: 9,
      minute: 30,
      startDate: '2024-01-31',
      endDate: '2024-12-31',
      timezone: 'Europe/Berlin',
    });

  it("toString names the trigger type like the other triggers: 'calendarinterval[…]'", () => {
    expect(String(make())).toMatch(/^calendarinterval\[.+\]$/);
  });

  it('a restored trigger has the same chain and toString', () => {
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(make().toJSON())));
    expect(restored).toBeInstanceOf(CalendarIntervalTrigger);
    expect(String(restored)).toBe(String(make()));
    // Berlin is on +02:00 from 2024-03-31 to 2024-10-27.
    const expected = [
      '2024-01-31T09:30:00+01:00',
      '2024-04-01T09:30:00+02:00',
      '2024-05-02T09:30:00+02:00',
      '2024-06-03T09:30:00+02:00',
      '2024-07-04T09:30:00+02:00',
      '2024-08-05T09:30:00+02:00',
      '2024-09-06T09:30:00+02:00',
      '2024-10-07T09:30:00+02:00',
      '2024-11-08T09:30:00+01:00',
      '2024-12-09T09:30:00+01:00',
      null,
    ];
    expect(chain(make(), '2024-01-01T00:00:00Z', 12, BERLIN)).toEqual(expected);
    expect(chain(restored, '2024-01-01T00:00:00Z', 12, BERLIN)).toEqual(expected);
  });

  it('a trigger without startDate keeps the start date fixed by its first call', () => {
    const trigger = calendar({ days: 3, hour: 9 });
    trigger.getNextFireTime(null, new Date('2024-05-01T08:00:00Z'));
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON())));
    // Grid 05-01, 05-04, 05-07…: asked on 05-05 it must answer 05-07, not 05-05.
    expect(first(restored, '2024-05-05T00:00:00Z')).toBe('2024-05-07T09:00:00+00:00');
  });
});
