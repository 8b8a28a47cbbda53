/**
 * OrTrigger and AndTrigger as a specification (SPEC §2 "Other trigger semantics"):
 * - Or: the earliest next time of any sub-trigger; a time produced by several
 *   fires once; finished when every sub-trigger has finished.
 * - And: the earliest time t ≥ the search start at which every sub-trigger fires
 *   within `threshold` seconds of t; finished as soon as any sub-trigger is; it
 *   always terminates and throws MaxIterationsError after `maxIterations` rounds.
 *
 * Expected fire times are literal ISO strings worked out by hand from SPEC
 * (weekdays checked against a calendar). 2024-05-01 is a Wednesday.
 * Chain convention: t0 = getNextFireTime(null, now), t(k+1) = getNextFireTime(t(k), t(k)).
 */
import { describe, expect, it } from 'vitest';
import { triggerFromJSON } from '../../src/extend.ts';
import {
  AndTrigger,
  CronTrigger,
  DateTrigger,
  HorariumError,
  IntervalTrigger,
  MaxIterationsError,
  OrTrigger,
} from '../../src/index.ts';
import { getZone } from '../../src/time/zone.ts';
import { chain, iso } from '../helpers/trigger-chains.ts';

const BERLIN = getZone('Europe/Berlin');

const weekdaysAt9 = (): CronTrigger =>
  new CronTrigger({ dayOfWeek: 'mon-fri', hour: 9, timezone: 'UTC' });
const every4DaysFromMay1At9 = (): IntervalTrigger =>
  new IntervalTrigger({ days: 4, startDate: '2024-05-01 09:00', timezone: 'UTC' });
const dateAt = (runDate: string): DateTrigger => new DateTrigger({ runDate, timezone: 'UTC' });

describe('OrTrigger', () => {
  it('4 s and 6 s intervals from the same start fire at 0, 4, 6, 8, 12, 16, 18, 20, 24 s, then finish', () => {
    const or = new OrTrigger([
      new IntervalTrigger({
        seconds: 4,
        startDate: '2024-05-01 12:00:00',
        endDate: '2024-05-01 12:00:20',
        timezone: 'UTC',
      }),
      new IntervalTrigger({
        seconds: 6,
        startDate: '2024-05-01 12:00:00',
        endDate: '2024-05-01 12:00:24',
        timezone: 'UTC',
      }),
    ]);
    // 0 and 12 are produced by both sub-triggers and fire once.
    expect(chain(or, '2024-05-01T11:00:00Z', 11)).toEqual([
      '2024-05-01T12:00:00+00:00',
      '2024-05-01T12:00:04+00:00',
      '2024-05-01T12:00:06+00:00',
      '2024-05-01T12:00:08+00:00',
      '2024-05-01T12:00:12+00:00',
      '2024-05-01T12:00:16+00:00',
      '2024-05-01T12:00:18+00:00',
      '2024-05-01T12:00:20+00:00',
      '2024-05-01T12:00:24+00:00',
      null,
    ]);
  });

  it('returns the earliest time of its sub-triggers: 09:00 and 17:00 crons', () => {
    const or = new OrTrigger([
      new CronTrigger({ hour: 17, timezone: 'UTC' }),
      new CronTrigger({ hour: 9, timezone: 'UTC' }),
    ]);
    expect(chain(or, '2024-05-01T10:00:00Z', 3)).toEqual([
      '2024-05-01T17:00:00+00:00',
      '2024-05-02T09:00:00+00:00',
      '2024-05-02T17:00:00+00:00',
    ]);
  });

  it('a time produced by several sub-triggers fires once: hour=9 or hour=9,17', () => {
    const or = new OrTrigger([
      new CronTrigger({ hour: 9, timezone: 'UTC' }),
      new CronTrigger({ hour: '9,17', timezone: 'UTC' }),
    ]);
    expect(chain(or, '2024-05-01T00:00:00Z', 3)).toEqual([
      '2024-05-01T09:00:00+00:00',
      '2024-05-01T17:00:00+00:00',
      '2024-05-02T09:00:00+00:00',
    ]);
  });

  it('two date triggers at the same time fire once, then the Or finishes', () => {
    const or = new OrTrigger([dateAt('2024-05-01 12:00'), dateAt('2024-05-01 12:00')]);
    expect(chain(or, '2024-05-01T00:00:00Z', 3)).toEqual(['2024-05-01T12:00:00+00:00', null]);
  });

  it('keeps firing while any sub-trigger has times left and finishes when all have finished', () => {
    const or = new OrTrigger([
      dateAt('2024-05-01 10:00'),
      new IntervalTrigger({
        hours: 1,
        startDate: '2024-05-01 10:30',
        endDate: '2024-05-01 12:30',
        timezone: 'UTC',
      }),
      dateAt('2024-05-01 13:00'),
    ]);
    expect(chain(or, '2024-05-01T00:00:00Z', 7)).toEqual([
      '2024-05-01T10:00:00+00:00',
      '2024-05-01T10:30:00+00:00',
      '2024-05-01T11:30:00+00:00',
      '2024-05-01T12:30:00+00:00',
      '2024-05-01T13:00:00+00:00',
      null,
    ]);
  });

  it('keeps the milliseconds of its sub-triggers: dates 100 ms and 300 ms past 12:00 both fire', () => {
    const or = new OrTrigger([
      dateAt('2024-05-01 12:00:00.300'),
      dateAt('2024-05-01 12:00:00.100'),
    ]);
    expect(chain(or, '2024-05-01T00:00:00Z', 3)).toEqual([
      '2024-05-01T12:00:00.100+00:00',
      '2024-05-01T12:00:00.300+00:00',
      null,
    ]);
  });

  it('with a previous fire time it returns the next time after it, whatever now is', () => {
    const or = new OrTrigger([
      new IntervalTrigger({ seconds: 4, startDate: '2024-05-01 12:00:00', timezone: 'UTC' }),
      new IntervalTrigger({ seconds: 6, startDate: '2024-05-01 12:00:00', timezone: 'UTC' }),
    ]);
    const previous = new Date('2024-05-01T12:00:04Z');
    expect(iso(or.getNextFireTime(previous, new Date('2024-05-01T13:00:00Z')))).toBe(
      '2024-05-01T12:00:06+00:00',
    );
  });
});

describe('AndTrigger', () => {
  it('weekday 09:00 cron & 4-day interval from Wed 2024-05-01 09:00 fire on the shared weekdays', () => {
    // Interval grid: 05-01 Wed, 05-05 Sun, 05-09 Thu, 05-13 Mon, 05-17 Fri, 05-21 Tue,
    // 05-25 Sat, 05-29 Wed, 06-02 Sun, 06-06 Thu.
    const and = new AndTrigger([weekdaysAt9(), every4DaysFromMay1At9()]);
    expect(chain(and, '2024-05-01T00:00:00Z', 3)).toEqual([
      '2024-05-01T09:00:00+00:00',
      '2024-05-09T09:00:00+00:00',
      '2024-05-13T09:00:00+00:00',
    ]);
    expect(chain(and, '2024-05-10T00:00:00Z', 5)).toEqual([
      '2024-05-13T09:00:00+00:00',
      '2024-05-17T09:00:00+00:00',
      '2024-05-21T09:00:00+00:00',
      '2024-05-29T09:00:00+00:00',
      '2024-06-06T09:00:00+00:00',
    ]);
  });

  it('6 h and 12 h intervals from the same start agree every 12 hours', () => {
    const and = new AndTrigger([
      new IntervalTrigger({ hours: 6, startDate: '2024-05-01 00:00', timezone: 'UTC' }),
      new IntervalTrigger({ hours: 12, startDate: '2024-05-01 00:00', timezone: 'UTC' }),
    ]);
    expect(chain(and, '2024-04-30T00:00:00Z', 3)).toEqual([
      '2024-05-01T00:00:00+00:00',
      '2024-05-01T12:00:00+00:00',
      '2024-05-02T00:00:00+00:00',
    ]);
  });

  describe('threshold', () => {
    it('two date triggers within the threshold (default 1 s) count as one; the earliest is returned', () => {
      // 14:17:30.254 and 14:17:31.254 are exactly 1 s apart: within the threshold.
      const and = new AndTrigger([
        new DateTrigger({ runDate: '2020-05-16T14:17:30.254+02:00', timezone: 'Europe/Berlin' }),
        new DateTrigger({ runDate: '2020-05-16T14:17:31.254+02:00', timezone: 'Europe/Berlin' }),
      ]);
      expect(chain(and, '2020-05-16T00:00:00Z', 3, BERLIN)).toEqual([
        '2020-05-16T14:17:30.254+02:00',
        null,
      ]);
    });

    it('a fractional threshold works to the millisecond: 300 ms apart agree with 0.3, not with 0.299', () => {
      const dates = (): DateTrigger[] => [
        dateAt('2024-05-01 12:00:00.450'),
        dateAt('2024-05-01 12:00:00.150'),
      ];
      expect(chain(new AndTrigger(dates(), { threshold: 0.3 }), '2024-05-01T00:00:00Z', 2)).toEqual(
        ['2024-05-01T12:00:00.150+00:00', null],
      );
      expect(
        new AndTrigger(dates(), { threshold: 0.299 }).getNextFireTime(
          null,
          new Date('2024-05-01T00:00:00Z'),
        ),
      ).toBeNull();
    });

    it('two date triggers 2 s apart never agree with threshold 1: the And finishes', () => {
      const and = new AndTrigger([dateAt('2024-05-01 12:00:00'), dateAt('2024-05-01 12:00:02')]);
      expect(and.getNextFireTime(null, new Date('2024-05-01T00:00:00Z'))).toBeNull();
    });

    it('the same two date triggers agree with threshold 2, at the earlier time', () => {
      const and = new AndTrigger([dateAt('2024-05-01 12:00:02'), dateAt('2024-05-01 12:00:00')], {
        threshold: 2,
      });
      expect(chain(and, '2024-05-01T00:00:00Z', 2)).toEqual(['2024-05-01T12:00:00+00:00', null]);
    });
  });

  it('finishes as soon as any sub-trigger has finished', () => {
    const and = new AndTrigger([
      new CronTrigger({ hour: 9, endDate: '2024-05-03 09:00', timezone: 'UTC' }),
      new IntervalTrigger({ days: 1, startDate: '2024-05-01 09:00', timezone: 'UTC' }),
    ]);
    expect(chain(and, '2024-05-01T00:00:00Z', 5)).toEqual([
      '2024-05-01T09:00:00+00:00',
      '2024-05-02T09:00:00+00:00',
      '2024-05-03T09:00:00+00:00',
      null,
    ]);
  });

  it('throws MaxIterationsError instead of looping when sub-triggers never agree (minute=0 & minute=30)', () => {
    const and = new AndTrigger(
      [
        new CronTrigger({ minute: 0, timezone: 'UTC' }),
        new CronTrigger({ minute: 30, timezone: 'UTC' }),
      ],
      { maxIterations: 50 },
    );
    let error: unknown;
    try {
      and.getNextFireTime(null, new Date('2024-05-01T00:00:00Z'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MaxIterationsError);
    expect(error).toBeInstanceOf(HorariumError);
  });

  it('terminates when called with a previous fire time and its crons disagree (APScheduler 3.x looped forever)', () => {
    // 3.x test_combining case: month 5-8 day 6-15 (ends 2017-08-10) & month 6-9 day */3 (ends 2017-09-07).
    // Common days after 08-06: 08-07 and 08-10 (day */3 = 1, 4, 7, 10, 13 …); then the first ends.
    const and = new AndTrigger([
      new CronTrigger({
        month: '5-8',
        day: '6-15',
        endDate: '2017-08-10 00:00:00',
        timezone: 'Europe/Berlin',
      }),
      new CronTrigger({
        month: '6-9',
        day: '*/3',
        endDate: '2017-09-07 00:00:00',
        timezone: 'Europe/Berlin',
      }),
    ]);
    expect(chain(and, '2017-08-06T00:00:00+02:00', 4, BERLIN)).toEqual([
      '2017-08-07T00:00:00+02:00',
      '2017-08-10T00:00:00+02:00',
      null,
    ]);
  });
});

describe('nested combinations: toString and JSON round trip', () => {
  const makeAnd = (): AndTrigger => new AndTrigger([weekdaysAt9(), every4DaysFromMay1At9()]);
  const makeOr = (): OrTrigger => new OrTrigger([makeAnd(), dateAt('2024-05-02 12:00')]);

  it('prints and[…] of its sub-triggers: and[cron[…], interval[…]]', () => {
    expect(String(makeAnd())).toBe(
      "and[cron[dayOfWeek='mon-fri', hour='9'], interval[4 days, 0:00:00]]",
    );
  });

  it('prints or[…] with a nested and[…]', () => {
    expect(String(makeOr())).toBe(
      "or[and[cron[dayOfWeek='mon-fri', hour='9'], interval[4 days, 0:00:00]], date[2024-05-02 12:00:00+00:00]]",
    );
  });

  it('an Or of an And and a date restores with the same chain and toString', () => {
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(makeOr().toJSON())));
    expect(restored).toBeInstanceOf(OrTrigger);
    expect(String(restored)).toBe(String(makeOr()));
    const expected = [
      '2024-05-01T09:00:00+00:00',
      '2024-05-02T12:00:00+00:00',
      '2024-05-09T09:00:00+00:00',
      '2024-05-13T09:00:00+00:00',
      '2024-05-17T09:00:00+00:00',
    ];
    expect(chain(makeOr(), '2024-05-01T00:00:00Z', 5)).toEqual(expected);
    expect(chain(restored, '2024-05-01T00:00:00Z', 5)).toEqual(expected);
  });

  it('an And restores with its threshold and maxIterations', () => {
    const and = new AndTrigger(
      [
        new CronTrigger({ minute: 0, timezone: 'UTC' }),
        new CronTrigger({ minute: 30, timezone: 'UTC' }),
      ],
      { threshold: 3, maxIterations: 50 },
    );
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(and.toJSON())));
    expect(restored).toBeInstanceOf(AndTrigger);
    expect((restored as AndTrigger).threshold).toBe(3);
    expect((restored as AndTrigger).maxIterations).toBe(50);
    expect(() => restored.getNextFireTime(null, new Date('2024-05-01T00:00:00Z'))).toThrow(
      MaxIterationsError,
    );
  });
});
