/**
 * Jitter as a specification (SPEC §2 "Triggers": "`jitter` (seconds) adds a
 * uniform random delay in `[0, jitter]`, never past `endDate`"; "Precision":
 * cron and calendar-interval fire times are whole seconds, so their delay is a
 * whole number of seconds; the other triggers keep milliseconds and `jitter`
 * may be fractional; fire times strictly increase along a chain).
 *
 * Deterministic cases inject `random` (each trigger accepts `random: () => number`
 * returning a value in [0, 1)); the chain properties use Math.random. Expected
 * fire times are literal ISO strings worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  AndTrigger,
  CalendarIntervalTrigger,
  CronTrigger,
  IntervalTrigger,
  OrTrigger,
  type Trigger,
} from '../../src/index.ts';
import { at, first } from '../helpers/trigger-chains.ts';

const SECOND = 1000;

/** A random source that returns `values` in turn, cycling. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => {
    const value = values[i % values.length] as number;
    i++;
    return value;
  };
}

describe('jitter with an injected random source', () => {
  it('adds random() × jitter seconds: 0, 0.25, 0.5, 0.75 of 8 s → +0, +2, +4, +6 s', () => {
    const trigger = new IntervalTrigger({
      minutes: 1,
      startDate: '2024-05-01 12:00:00',
      timezone: 'UTC',
      jitter: 8,
      random: sequence(0, 0.25, 0.5, 0.75),
    });
    const results = [
      '2024-05-01T12:00:00Z',
      '2024-05-01T12:01:00Z',
      '2024-05-01T12:02:00Z',
      '2024-05-01T12:03:00Z',
    ].map((now) => first(trigger, now));
    expect(results).toEqual([
      '2024-05-01T12:00:00+00:00',
      '2024-05-01T12:01:02+00:00',
      '2024-05-01T12:02:04+00:00',
      '2024-05-01T12:03:06+00:00',
    ]);
  });

  it('random() = 0 fires exactly at the un-jittered time, never before it', () => {
    const trigger = new CronTrigger({
      minute: 0,
      timezone: 'UTC',
      jitter: 120,
      random: () => 0,
    });
    expect(first(trigger, '2024-05-01T12:30:00Z')).toBe('2024-05-01T13:00:00+00:00');
  });

  it('a cron fire time is delayed by half the jitter when random() = 0.5', () => {
    const trigger = new CronTrigger({
      minute: 0,
      timezone: 'UTC',
      jitter: 120,
      random: () => 0.5,
    });
    expect(first(trigger, '2024-05-01T12:30:00Z')).toBe('2024-05-01T13:01:00+00:00');
  });

  it('a calendar-interval fire time is delayed by a quarter hour with jitter 3600 and random() = 0.25', () => {
    const trigger = new CalendarIntervalTrigger({
      days: 1,
      hour: 9,
      startDate: '2024-05-01',
      timezone: 'UTC',
      jitter: 3600,
      random: () => 0.25,
    });
    expect(first(trigger, '2024-05-01T00:00:00Z')).toBe('2024-05-01T09:15:00+00:00');
  });

  it('Or and And accept jitter too: random() = 0.5 of 10 s → +5 s', () => {
    const hourly = (): CronTrigger => new CronTrigger({ minute: 0, timezone: 'UTC' });
    const or = new OrTrigger([hourly()], { jitter: 10, random: () => 0.5 });
    const and = new AndTrigger([hourly(), hourly()], { jitter: 10, random: () => 0.5 });
    expect(first(or, '2024-05-01T12:30:00Z')).toBe('2024-05-01T13:00:05+00:00');
    expect(first(and, '2024-05-01T12:30:00Z')).toBe('2024-05-01T13:00:05+00:00');
  });

  it('Or and And delay by whole milliseconds: random() = 0.3 of 0.05 s → +15 ms', () => {
    const hourly = (): CronTrigger => new CronTrigger({ minute: 0, timezone: 'UTC' });
    const or = new OrTrigger([hourly()], { jitter: 0.05, random: () => 0.3 });
    const and = new AndTrigger([hourly(), hourly()], { jitter: 0.05, random: () => 0.3 });
    expect(first(or, '2024-05-01T12:30:00Z')).toBe('2024-05-01T13:00:00.015+00:00');
    expect(first(and, '2024-05-01T12:30:00Z')).toBe('2024-05-01T13:00:00.015+00:00');
  });

  it('cron and calendar interval stay on whole seconds: a fractional jitter delays by whole seconds only', () => {
    // 0.9 × 2.5 s = 2.25 s → 2 s; 0.9 × 0.5 s = 0.45 s → 0 s.
    const cron = (jitter: number): CronTrigger =>
      new CronTrigger({ minute: 0, timezone: 'UTC', jitter, random: () => 0.9 });
    expect(first(cron(2.5), '2024-05-01T12:30:00Z')).toBe('2024-05-01T13:00:02+00:00');
    expect(first(cron(0.5), '2024-05-01T12:30:00Z')).toBe('2024-05-01T13:00:00+00:00');
    const calendar = new CalendarIntervalTrigger({
      days: 1,
      hour: 9,
      startDate: '2024-05-01',
      timezone: 'UTC',
      jitter: 2.5,
      random: () => 0.9,
    });
    expect(first(calendar, '2024-05-01T00:00:00Z')).toBe('2024-05-01T09:00:02+00:00');
  });

  it.each([
    [0.001, '2024-05-01T12:00:00.010+00:00'],
    [0.123456, '2024-05-01T12:00:01.234+00:00'],
    [0.5000001, '2024-05-01T12:00:05+00:00'],
    [0.987654, '2024-05-01T12:00:09.876+00:00'],
    [0.999999, '2024-05-01T12:00:09.999+00:00'],
  ])(
    'interval: the delay is random() × jitter in whole milliseconds, rounded down (random() = %f → %s)',
    (r, expected) => {
      const trigger = new IntervalTrigger({
        seconds: 30,
        startDate: '2024-05-01 12:00:00',
        timezone: 'UTC',
        jitter: 10,
        random: () => r,
      });
      expect(first(trigger, '2024-05-01T12:00:00Z')).toBe(expected);
    },
  );

  it.each([0.001, 0.123456, 0.5000001, 0.987654, 0.999999])(
    'cron: results are whole seconds within [t, t + jitter] (random() = %f)',
    (r) => {
      const trigger = new CronTrigger({ minute: 0, timezone: 'UTC', jitter: 10, random: () => r });
      const t = trigger.getNextFireTime(null, at('2024-05-01T11:30:00Z'))?.getTime() ?? NaN;
      expect(t % SECOND).toBe(0);
      expect(t).toBeGreaterThanOrEqual(Date.parse('2024-05-01T12:00:00Z'));
      expect(t).toBeLessThanOrEqual(Date.parse('2024-05-01T12:00:10Z'));
    },
  );
});

describe('jitter never pushes a fire time past endDate', () => {
  it('interval: a fire time 10 s before endDate with 60 s of jitter stays within endDate', () => {
    const trigger = new IntervalTrigger({
      minutes: 1,
      startDate: '2024-05-01 12:00:00',
      endDate: '2024-05-01 12:00:10',
      timezone: 'UTC',
      jitter: 60,
      random: () => 0.99,
    });
    const t = trigger.getNextFireTime(null, at('2024-05-01T11:00:00Z'))?.getTime() ?? NaN;
    expect(t).toBeGreaterThanOrEqual(Date.parse('2024-05-01T12:00:00Z'));
    expect(t).toBeLessThanOrEqual(Date.parse('2024-05-01T12:00:10Z'));
    // 0.99 × 60 s lands past endDate: the run is clamped to endDate itself.
    expect(t).toBe(Date.parse('2024-05-01T12:00:10Z'));
  });

  it('cron: a fire time 30 s before endDate with 120 s of jitter stays within endDate', () => {
    const trigger = new CronTrigger({
      minute: 0,
      endDate: '2024-05-01 13:00:30',
      timezone: 'UTC',
      jitter: 120,
      random: () => 0.99,
    });
    const t = trigger.getNextFireTime(null, at('2024-05-01T12:30:00Z'))?.getTime() ?? NaN;
    expect(t).toBeGreaterThanOrEqual(Date.parse('2024-05-01T13:00:00Z'));
    expect(t).toBeLessThanOrEqual(Date.parse('2024-05-01T13:00:30Z'));
  });

  it('calendar interval: a 23:59 fire on the endDate is not jittered into the next day', () => {
    const trigger = new CalendarIntervalTrigger({
      days: 1,
      hour: 23,
      minute: 59,
      startDate: '2024-05-03',
      endDate: '2024-05-03',
      timezone: 'UTC',
      jitter: 120,
      random: () => 0.99,
    });
    const t = trigger.getNextFireTime(null, at('2024-05-01T00:00:00Z'))?.getTime() ?? NaN;
    expect(t).toBeGreaterThanOrEqual(Date.parse('2024-05-03T23:59:00Z'));
    expect(t).toBeLessThanOrEqual(Date.parse('2024-05-03T23:59:59Z'));
  });
});

describe('jittered chains with Math.random stay on their resolution, jittered and strictly increasing', () => {
  interface ChainCase {
    readonly name: string;
    readonly jitter: number;
    /** What every fire time is a whole number of: 1 s for cron and calendar interval, 1 ms otherwise. */
    readonly resolution: number;
    /** The trigger with the given jitter (Math.random) or without it (jitter 0). */
    readonly make: (jitter: number) => Trigger;
  }
  const cases: readonly ChainCase[] = [
    {
      name: 'interval seconds=10, jitter=30 (jitter larger than the interval)',
      jitter: 30,
      resolution: 1,
      make: (jitter) =>
        new IntervalTrigger({
          seconds: 10,
          startDate: '2024-05-01 00:00:00',
          timezone: 'UTC',
          jitter,
        }),
    },
    {
      name: "cron second='*/5', jitter=20",
      jitter: 20,
      resolution: SECOND,
      make: (jitter) => new CronTrigger({ second: '*/5', timezone: 'UTC', jitter }),
    },
    {
      name: "cron minute='*', jitter=0.5 (less than a second)",
      jitter: 0.5,
      resolution: SECOND,
      make: (jitter) => new CronTrigger({ minute: '*', timezone: 'UTC', jitter }),
    },
    {
      name: 'calendar interval days=1, jitter=172800 (two days)',
      jitter: 172_800,
      resolution: SECOND,
      make: (jitter) =>
        new CalendarIntervalTrigger({ days: 1, startDate: '2024-05-01', timezone: 'UTC', jitter }),
    },
    {
      name: 'or of 4 s and 6 s intervals, jitter=7',
      jitter: 7,
      resolution: 1,
      make: (jitter) =>
        new OrTrigger(
          [
            new IntervalTrigger({ seconds: 4, startDate: '2024-05-01 00:00:00', timezone: 'UTC' }),
            new IntervalTrigger({ seconds: 6, startDate: '2024-05-01 00:00:00', timezone: 'UTC' }),
          ],
          { jitter },
        ),
    },
    {
      name: 'and of 6 s and 9 s intervals, jitter=25',
      jitter: 25,
      resolution: 1,
      make: (jitter) =>
        new AndTrigger(
          [
            new IntervalTrigger({ seconds: 6, startDate: '2024-05-01 00:00:00', timezone: 'UTC' }),
            new IntervalTrigger({ seconds: 9, startDate: '2024-05-01 00:00:00', timezone: 'UTC' }),
          ],
          { jitter },
        ),
    },
  ];

  it.each(cases)('$name', ({ jitter, resolution, make }) => {
    const jittered = make(jitter);
    const plain = make(0);
    let previous: Date | null = null;
    let now = at('2024-05-01T00:00:00Z');
    for (let i = 0; i < 1500; i++) {
      const next = jittered.getNextFireTime(previous, now);
      const base = plain.getNextFireTime(previous, now);
      expect(next).not.toBeNull();
      expect(base).not.toBeNull();
      const t = (next as Date).getTime();
      const b = (base as Date).getTime();
      expect(t % resolution).toBe(0);
      expect(Number.isInteger(t)).toBe(true);
      expect(t).toBeGreaterThanOrEqual(b);
      expect(t).toBeLessThanOrEqual(b + jitter * SECOND);
      if (previous !== null) expect(t).toBeGreaterThan(previous.getTime());
      previous = next;
      now = next as Date;
    }
  });
});
