/**
 * IntervalTrigger as a specification (SPEC §2 "Triggers" and "Other trigger
 * semantics"): fires at startDate + k·interval on absolute time; the first fire
 * time is the first grid point ≥ now (missed slots are not replayed); endDate is
 * inclusive; without startDate the grid is anchored at the first call's now +
 * interval; "Precision": interval triggers keep milliseconds, intervals may be
 * fractional seconds or use `milliseconds` (minimum 1 ms), jitter may be fractional.
 *
 * Expected fire times are literal ISO strings worked out by hand from SPEC.
 * Chain convention: t0 = getNextFireTime(null, now), t(k+1) = getNextFireTime(t(k), t(k)).
 */
import { describe, expect, it } from 'vitest';
import { triggerFromJSON } from '../../src/extend.ts';
import { IntervalTrigger, type IntervalTriggerOptions } from '../../src/index.ts';
import { getZone } from '../../src/time/zone.ts';
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

describe('IntervalTrigger keeps milliseconds', () => {
  it('{ seconds: 0.5 } is { milliseconds: 500 }: the same interval and the same chain', () => {
    const a = interval({ seconds: 0.5, startDate: '2024-05-01 12:00:00' });
    const b = interval({ milliseconds: 500, startDate: '2024-05-01 12:00:00' });
    expect([a.interval, b.interval]).toEqual([500, 500]);
    const expected = [
      '2024-05-01T12:00:00.500+00:00',
      '2024-05-01T12:00:01+00:00',
      '2024-05-01T12:00:01.500+00:00',
    ];
    expect(chain(a, '2024-05-01T12:00:00.200Z', 3)).toEqual(expected);
    expect(chain(b, '2024-05-01T12:00:00.200Z', 3)).toEqual(expected);
  });

  it.each([
    [{ minutes: 0.0125 }, 750],
    [{ hours: 0.5, seconds: 1.5 }, 1_801_500],
    [{ seconds: 1.1 }, 1100],
    [{ hours: 0.1 }, 360_000],
    [{ days: 0.001 }, 86_400],
    [{ seconds: 2, milliseconds: 5 }, 2005],
    [{ milliseconds: 1 }, 1],
  ] as const)('fractional units add up to whole milliseconds: %o → %i ms', (units, ms) => {
    expect(interval(units).interval).toBe(ms);
  });

  it('the grid is startDate + k·interval to the millisecond: 250 ms from 12:00:00.100', () => {
    const trigger = interval({ milliseconds: 250, startDate: '2024-05-01 12:00:00.100' });
    // Grid: .100, .350, .600, .850, 01.100: now .600 is on it.
    expect(chain(trigger, '2024-05-01T12:00:00.600Z', 3)).toEqual([
      '2024-05-01T12:00:00.600+00:00',
      '2024-05-01T12:00:00.850+00:00',
      '2024-05-01T12:00:01.100+00:00',
    ]);
    expect(first(trigger, '2024-05-01T12:00:00.601Z')).toBe('2024-05-01T12:00:00.850+00:00');
  });

  it('a startDate with milliseconds is the first fire time as given, not the next whole second', () => {
    const trigger = interval({ seconds: 10, startDate: '2024-05-01 12:00:00.123' });
    expect(chain(trigger, '2024-05-01T11:00:00Z', 2)).toEqual([
      '2024-05-01T12:00:00.123+00:00',
      '2024-05-01T12:00:10.123+00:00',
    ]);
  });

  it('without startDate the grid starts at now + interval of the first call, milliseconds kept', () => {
    const trigger = interval({ seconds: 0.5 });
    expect(chain(trigger, '2024-05-01T12:00:00.400Z', 3)).toEqual([
      '2024-05-01T12:00:00.900+00:00',
      '2024-05-01T12:00:01.400+00:00',
      '2024-05-01T12:00:01.900+00:00',
    ]);
  });

  it('an off-grid previous fire time is followed by the first grid point strictly after it', () => {
    const trigger = interval({ milliseconds: 250, startDate: '2024-05-01 12:00:00' });
    const previous = new Date('2024-05-01T12:00:00.333Z');
    expect(iso(trigger.getNextFireTime(previous, previous))).toBe('2024-05-01T12:00:00.500+00:00');
    const onGrid = new Date('2024-05-01T12:00:00.500Z');
    expect(iso(trigger.getNextFireTime(onGrid, onGrid))).toBe('2024-05-01T12:00:00.750+00:00');
  });

  it('endDate is inclusive to the millisecond', () => {
    const make = (endDate: string): IntervalTrigger =>
      interval({ milliseconds: 250, startDate: '2024-05-01 12:00:00', endDate });
    expect(chain(make('2024-05-01 12:00:00.750'), '2024-05-01T11:00:00Z', 5)).toEqual([
      '2024-05-01T12:00:00+00:00',
      '2024-05-01T12:00:00.250+00:00',
      '2024-05-01T12:00:00.500+00:00',
      '2024-05-01T12:00:00.750+00:00',
      null,
    ]);
    expect(chain(make('2024-05-01 12:00:00.749'), '2024-05-01T11:00:00Z', 5)).toEqual([
      '2024-05-01T12:00:00+00:00',
      '2024-05-01T12:00:00.250+00:00',
      '2024-05-01T12:00:00.500+00:00',
      null,
    ]);
  });

  it('a fractional jitter delays by whole milliseconds: random() = 0.5 of 0.05 s → +25 ms', () => {
    const trigger = interval({
      milliseconds: 100,
      startDate: '2024-05-01 12:00:00',
      jitter: 0.05,
      random: () => 0.5,
    });
    expect(chain(trigger, '2024-05-01T12:00:00Z', 3)).toEqual([
      '2024-05-01T12:00:00.025+00:00',
      '2024-05-01T12:00:00.125+00:00',
      '2024-05-01T12:00:00.225+00:00',
    ]);
    expect(trigger.jitter).toBe(0.05);
  });

  it('jitter stops at an endDate with milliseconds, not at the whole second before it', () => {
    const trigger = interval({
      seconds: 1,
      startDate: '2024-05-01 12:00:00',
      endDate: '2024-05-01 12:00:00.010',
      jitter: 0.1,
      random: () => 0.99,
    });
    expect(chain(trigger, '2024-05-01T11:00:00Z', 2)).toEqual([
      '2024-05-01T12:00:00.010+00:00',
      null,
    ]);
  });
});

describe('IntervalTrigger toString prints the interval like a Python timedelta', () => {
  it.each([
    [{ seconds: 0.5 }, 'interval[0:00:00.500]'],
    [{ milliseconds: 1250 }, 'interval[0:00:01.250]'],
    [{ minutes: 1, milliseconds: 5 }, 'interval[0:01:00.005]'],
    [{ days: 1, milliseconds: 1 }, 'interval[1 day, 0:00:00.001]'],
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

  it('keeps milliseconds: a sub-second part is stored as `milliseconds`, the start to the millisecond', () => {
    const trigger = interval({
      seconds: 90.5,
      startDate: '2024-05-01 12:00:00.250',
      endDate: '2024-05-01 13:00:00.999',
      jitter: 0.25,
    });
    const json = JSON.parse(JSON.stringify(trigger.toJSON()));
    expect(json).toEqual({
      type: 'interval',
      version: 1,
      minutes: 1,
      seconds: 30,
      milliseconds: 500,
      startDate: '2024-05-01T12:00:00.250Z',
      endDate: '2024-05-01T13:00:00.999Z',
      timezone: 'UTC',
      jitter: 0.25,
    });
    const restored = triggerFromJSON(json);
    expect(String(restored)).toBe('interval[0:01:30.500]');
    expect(JSON.parse(JSON.stringify(restored.toJSON()))).toEqual(json);
    const plain = (): IntervalTrigger =>
      interval({ seconds: 90.5, startDate: '2024-05-01 12:00:00.250' });
    const restoredPlain = triggerFromJSON(JSON.parse(JSON.stringify(plain().toJSON())));
    expect(chain(restoredPlain, '2024-05-01T12:00:01Z', 2)).toEqual([
      '2024-05-01T12:01:30.750+00:00',
      '2024-05-01T12:03:01.250+00:00',
    ]);
  });

  it('a whole-second interval writes the same JSON as before milliseconds were kept (no `milliseconds` key)', () => {
    const json = interval({ minutes: 90, startDate: '2024-05-01 12:00' }).toJSON();
    expect(json).toEqual({
      type: 'interval',
      version: 1,
      hours: 1,
      minutes: 30,
      startDate: '2024-05-01T12:00:00.000Z',
      endDate: null,
      timezone: 'UTC',
      jitter: null,
    });
  });

  it('restores interval triggers stored by earlier releases (whole seconds) with the same fire times', () => {
    // Literal JSON in the format written before interval triggers kept milliseconds.
    const stored = {
      type: 'interval',
      version: 1,
      hours: 2,
      minutes: 30,
      seconds: 15,
      startDate: '2024-05-01T07:00:01.000Z',
      endDate: '2024-05-01T17:00:00.000Z',
      timezone: 'Europe/Berlin',
      jitter: null,
    };
    const restored = triggerFromJSON(stored);
    expect(String(restored)).toBe('interval[2:30:15]');
    expect(restored.toJSON()).toEqual(stored);
    // Grid from 09:00:01+02:00 every 2:30:15; the end is 19:00+02:00, so 19:01:01 is past it.
    expect(chain(restored, '2024-05-01T08:00:00Z', 5, BERLIN)).toEqual([
      '2024-05-01T11:30:16+02:00',
      '2024-05-01T14:00:31+02:00',
      '2024-05-01T16:30:46+02:00',
      null,
    ]);
    // Lazily anchored and never called: the anchor is fixed by the first call, as before.
    const lazy = triggerFromJSON({
      type: 'interval',
      version: 1,
      minutes: 5,
      startDate: null,
      endDate: null,
      timezone: 'UTC',
      jitter: null,
    });
    expect(chain(lazy, '2024-05-01T12:00:00Z', 2)).toEqual([
      '2024-05-01T12:05:00+00:00',
      '2024-05-01T12:10:00+00:00',
    ]);
  });

  it('a lazily anchored trigger keeps its anchor through serialization', () => {
    const trigger = interval({ minutes: 5 });
    expect(first(trigger, '2024-05-01T12:00:00Z')).toBe('2024-05-01T12:05:00+00:00');
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON())));
    expect(first(restored, '2024-05-01T12:07:00Z')).toBe('2024-05-01T12:10:00+00:00');
  });
});
