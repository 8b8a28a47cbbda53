/**
 * IntervalTrigger as a specification (SPEC §2 "Triggers" and "Other trigger
 * semantics"): fires at startDate + k·interval on absolute time; the first fire
 * time is the first grid point ≥ now (missed slots are not replayed); endDate is
 * inclusive; without startDate the grid is anchored at the first call's now +
 * interval.
 *
 * Expected fire times are literal ISO strings worked out by hand from SPEC.
 * Chain convention: t0 = getNextFireTime(null, now), t(k+1) = getNextFireTime(t(k), t(k)).
 */
import { describe, expect, it } from 'vitest';
import {
  getZone,
  IntervalTrigger,
  type IntervalTriggerOptions,
  triggerFromJSON,
} from '../../src/index.ts';
import { chain, first, iso } from '../helpers/trigger-chains.ts';

const BERLIN = getZone('Europe/Berlin');

const interval = (options: IntervalTriggerOptions): IntervalTrigger =>
  new IntervalTrigger({ timezone: 'UTC', ...options });

describe('IntervalTrigger grid', () => {
  const everyFiveMinutes = (): IntervalTrigger =>
    interval({ minutes: 5, startDate: '2024-05-01 12:00:00' });

  it('a startDate in the future is the first fire time', () => {
    expect(first(everyFiveMinutes(), '2024-05-01T11:00:00Z')).toBe('2024-05-01T12:00:00+00:00');
  });

  it('now == startDate returns startDate', () => {
    expect(first(everyFiveMinutes(), '2024-05-01T12:00:00Z')).toBe('2024-05-01T12:00:00+00:00');
  });

  it('now after startDate returns the next grid point ≥ now; missed slots are not replayed', () => {
    // 12:00 and 12:05 have passed; they are not returned.
    expect(chain(everyFiveMinutes(), '2024-05-01T12:07:30Z', 3)).toEqual([
      '2024-05-01T12:10:00+00:00',
      '2024-05-01T12:15:00+00:00',
      '2024-05-01T12:20:00+00:00',
    ]);
  });

  it('now exactly on a grid point returns that grid point', () => {
    expect(first(everyFiveMinutes(), '2024-05-01T12:10:00Z')).toBe('2024-05-01T12:10:00+00:00');
  });

  it('now half a second after a grid point returns the next one', () => {
    expect(first(everyFiveMinutes(), '2024-05-01T12:10:00.500Z')).toBe('2024-05-01T12:15:00+00:00');
  });

  it('now long after startDate stays on the grid (startDate + k·interval)', () => {
    // 7 minutes from 2024-05-01 00:00:00: 2024-05-02 00:00 is 1440 min = 205·7 + 5, so
    // the grid points around it are 23:55 (205·7 = 1435 min) and 00:02 (206·7 = 1442 min).
    const trigger = interval({ minutes: 7, startDate: '2024-05-01 00:00:00' });
    expect(chain(trigger, '2024-05-01T23:59:00Z', 2)).toEqual([
      '2024-05-02T00:02:00+00:00',
      '2024-05-02T00:09:00+00:00',
    ]);
  });

  it('the units add up: weeks, days, hours, minutes and seconds', () => {
    const trigger = interval({
      weeks: 1,
      days: 1,
      hours: 2,
      minutes: 3,
      seconds: 4,
      startDate: '2024-05-01 00:00:00',
    });
    expect(chain(trigger, '2024-05-01T00:00:00Z', 3)).toEqual([
      '2024-05-01T00:00:00+00:00',
      '2024-05-09T02:03:04+00:00',
      '2024-05-17T04:06:08+00:00',
    ]);
  });
});

describe('IntervalTrigger without startDate (lazy anchoring)', () => {
  it('the first call returns now + interval', () => {
    const trigger = interval({ minutes: 5 });
    expect(first(trigger, '2024-05-01T12:00:00Z')).toBe('2024-05-01T12:05:00+00:00');
  });

  it('later calls with previous = null land on the grid anchored by the first call', () => {
    const trigger = interval({ minutes: 5 });
    expect(first(trigger, '2024-05-01T12:00:00Z')).toBe('2024-05-01T12:05:00+00:00');
    expect(first(trigger, '2024-05-01T12:05:00Z')).toBe('2024-05-01T12:05:00+00:00');
    expect(first(trigger, '2024-05-01T12:07:00Z')).toBe('2024-05-01T12:10:00+00:00');
    expect(first(trigger, '2024-05-01T13:01:00Z')).toBe('2024-05-01T13:05:00+00:00');
  });

  it('the anchor is fixed once: an earlier now later on still returns the anchor', () => {
    const trigger = interval({ minutes: 5 });
    first(trigger, '2024-05-01T12:00:00Z');
    expect(first(trigger, '2024-05-01T11:00:00Z')).toBe('2024-05-01T12:05:00+00:00');
  });

  it('the chain continues by the interval from the anchor', () => {
    expect(chain(interval({ seconds: 30 }), '2024-05-01T12:00:00Z', 3)).toEqual([
      '2024-05-01T12:00:30+00:00',
      '2024-05-01T12:01:00+00:00',
      '2024-05-01T12:01:30+00:00',
    ]);
  });
});

describe('IntervalTrigger with a previous fire time', () => {
  it('returns previous + interval and ignores now', () => {
    const previous = new Date('2024-05-01T12:05:00Z');
    for (const now of ['2024-05-01T12:00:00Z', '2024-05-01T12:05:00Z', '2024-05-01T13:00:00Z']) {
      const trigger = interval({ minutes: 5, startDate: '2024-05-01 12:00:00' });
      expect(iso(trigger.getNextFireTime(previous, new Date(now)))).toBe(
        '2024-05-01T12:10:00+00:00',
      );
    }
  });

  it('enumerates missed runs one by one when previous is far behind now', () => {
    const trigger = interval({ hours: 1, startDate: '2024-05-01 00:00:00' });
    const now = new Date('2024-05-01T10:30:00Z');
    const a = trigger.getNextFireTime(new Date('2024-05-01T03:00:00Z'), now);
    const b = trigger.getNextFireTime(a, now);
    expect([iso(a), iso(b)]).toEqual(['2024-05-01T04:00:00+00:00', '2024-05-01T05:00:00+00:00']);
  });
});

describe('IntervalTrigger endDate', () => {
  it('is inclusive: a grid point equal to endDate is the last fire time', () => {
    const trigger = interval({
      minutes: 5,
      startDate: '2024-05-01 12:00:00',
      endDate: '2024-05-01 12:15:00',
    });
    expect(chain(trigger, '2024-05-01T11:00:00Z', 6)).toEqual([
      '2024-05-01T12:00:00+00:00',
      '2024-05-01T12:05:00+00:00',
      '2024-05-01T12:10:00+00:00',
      '2024-05-01T12:15:00+00:00',
      null,
    ]);
  });

  it('a grid point one second after endDate is not returned', () => {
    const trigger = interval({
      minutes: 5,
      startDate: '2024-05-01 12:00:00',
      endDate: '2024-05-01 12:14:59',
    });
    expect(chain(trigger, '2024-05-01T11:00:00Z', 5)).toEqual([
      '2024-05-01T12:00:00+00:00',
      '2024-05-01T12:05:00+00:00',
      '2024-05-01T12:10:00+00:00',
      null,
    ]);
  });

  it('a first call after endDate returns null', () => {
    const trigger = interval({
      minutes: 5,
      startDate: '2024-05-01 12:00:00',
      endDate: '2024-05-01 12:15:00',
    });
    expect(first(trigger, '2024-05-01T12:16:00Z')).toBeNull();
  });
});

describe('IntervalTrigger arithmetic is on absolute time across DST (Europe/Berlin)', () => {
  it('hours: 24 across spring-forward (2024-03-31) moves 12:00 to 13:00 wall clock', () => {
    const trigger = new IntervalTrigger({
      hours: 24,
      startDate: '2024-03-30 12:00',
      timezone: 'Europe/Berlin',
    });
    expect(chain(trigger, '2024-03-30T00:00:00Z', 3, BERLIN)).toEqual([
      '2024-03-30T12:00:00+01:00',
      '2024-03-31T13:00:00+02:00',
      '2024-04-01T13:00:00+02:00',
    ]);
  });

  it('days: 1 is 24 hours too, and across fall-back (2024-10-27) 12:00 becomes 11:00', () => {
    const trigger = new IntervalTrigger({
      days: 1,
      startDate: '2024-10-26 12:00',
      timezone: 'Europe/Berlin',
    });
    expect(chain(trigger, '2024-10-26T00:00:00Z', 3, BERLIN)).toEqual([
      '2024-10-26T12:00:00+02:00',
      '2024-10-27T11:00:00+01:00',
      '2024-10-28T11:00:00+01:00',
    ]);
  });

  it('hours: 1 through the spring-forward gap goes 01:00 → 03:00 (one real hour)', () => {
    const trigger = new IntervalTrigger({
      hours: 1,
      startDate: '2024-03-31 01:00',
      timezone: 'Europe/Berlin',
    });
    expect(chain(trigger, '2024-03-30T00:00:00Z', 3, BERLIN)).toEqual([
      '2024-03-31T01:00:00+01:00',
      '2024-03-31T03:00:00+02:00',
      '2024-03-31T04:00:00+02:00',
    ]);
  });

  it('hours: 1 through the fall-back fold fires in both 02:00 hours', () => {
    const trigger = new IntervalTrigger({
      hours: 1,
      startDate: '2024-10-27 01:00',
      timezone: 'Europe/Berlin',
    });
    expect(chain(trigger, '2024-10-26T00:00:00Z', 4, BERLIN)).toEqual([
      '2024-10-27T01:00:00+02:00',
      '2024-10-27T02:00:00+02:00',
      '2024-10-27T02:00:00+01:00',
      '2024-10-27T03:00:00+01:00',
    ]);
  });
});

describe('IntervalTrigger toString prints the interval like a Python timedelta', () => {
  it.each([
    [{ minutes: 5 }, 'interval[0:05:00]'],
    [{ seconds: 90 }, 'interval[0:01:30]'],
    [{ hours: 10, minutes: 1, seconds: 1 }, 'interval[10:01:01]'],
    [{ days: 1 }, 'interval[1 day, 0:00:00]'],
    [{ days: 1, hours: 2 }, 'interval[1 day, 2:00:00]'],
    [{ hours: 36 }, 'interval[1 day, 12:00:00]'],
    [{ weeks: 2 }, 'interval[14 days, 0:00:00]'],
  ] as const)('%o → %s', (units, text) => {
    expect(String(interval(units))).toBe(text);
  });
});

describe('IntervalTrigger read-only values', () => {
  it('shows its interval, zone, end date and jitter as given, and null for those left out', () => {
    const full = new IntervalTrigger({
      hours: 1,
      timezone: 'Europe/Berlin',
      endDate: '2024-06-01 12:00',
      jitter: 30,
    });
    expect(full.interval).toBe(3_600_000);
    expect(full.timezone).toBe('Europe/Berlin');
    expect(full.endDate).toEqual(new Date('2024-06-01T10:00:00Z'));
    expect(full.jitter).toBe(30);
    const bare = interval({ seconds: 10 });
    expect([bare.timezone, bare.endDate, bare.jitter, bare.startDate]).toEqual([
      'UTC',
      null,
      null,
      null,
    ]);
  });

  it('hands out a copy of the end date, so changing it changes nothing', () => {
    const trigger = interval({
      hours: 1,
      startDate: '2024-01-01T00:00:00Z',
      endDate: '2024-01-01T02:00:00Z',
    });
    trigger.endDate?.setTime(0);
    expect(trigger.endDate).toEqual(new Date('2024-01-01T02:00:00Z'));
    expect(chain(trigger, '2024-01-01T00:00:00Z', 5)).toEqual([
      '2024-01-01T00:00:00+00:00',
      '2024-01-01T01:00:00+00:00',
      '2024-01-01T02:00:00+00:00',
      null,
    ]);
  });
});

describe('IntervalTrigger JSON round trip', () => {
  it('a restored trigger has the same chain and toString', () => {
    const make = (): IntervalTrigger =>
      new IntervalTrigger({
        hours: 2,
        startDate: '2024-05-01 09:00',
        endDate: '2024-05-01 17:00',
        timezone: 'Europe/Berlin',
      });
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(make().toJSON())));
    expect(restored).toBeInstanceOf(IntervalTrigger);
    expect(String(restored)).toBe('interval[2:00:00]');
    expect(String(restored)).toBe(String(make()));
    const expected = [
      '2024-05-01T11:00:00+02:00',
      '2024-05-01T13:00:00+02:00',
      '2024-05-01T15:00:00+02:00',
      '2024-05-01T17:00:00+02:00',
      null,
    ];
    expect(chain(make(), '2024-05-01T08:30:00Z', 6, BERLIN)).toEqual(expected);
    expect(chain(restored, '2024-05-01T08:30:00Z', 6, BERLIN)).toEqual(expected);
  });

  it('a lazily anchored trigger keeps its anchor through serialization', () => {
    const trigger = interval({ minutes: 5 });
    expect(first(trigger, '2024-05-01T12:00:00Z')).toBe('2024-05-01T12:05:00+00:00');
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON())));
    expect(first(restored, '2024-05-01T12:07:00Z')).toBe('2024-05-01T12:10:00+00:00');
  });
});
