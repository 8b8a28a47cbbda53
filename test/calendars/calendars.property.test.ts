/**
 * Property tests for the exclusion calendars: `nextIncludedTime(t)` is
 * included, nothing between `t` and it is included (checked second by second
 * over windows of the gap), the same instant written in any UTC offset gets
 * the same answer, `isTimeIncluded` agrees with a model built on Temporal's
 * wall-clock fields, and a calendar restored from its JSON answers the same.
 */
import { fc, test } from '@fast-check/vitest';
import { Temporal } from 'temporal-polyfill';
import { describe, expect } from 'vitest';
import {
  AnnualCalendar,
  CronCalendar,
  calendarFromJSON,
  DailyCalendar,
  type ExclusionCalendar,
  HolidayCalendar,
  MonthlyCalendar,
  unionCalendar,
  WeeklyCalendar,
} from '../../src/index.ts';
import { MS_DAY, zoneAndInstantArb, zonedAt } from '../helpers/zones.ts';

/** A calendar and the model of what it excludes. */
interface Case {
  calendar: ExclusionCalendar;
  excluded: (zdt: Temporal.ZonedDateTime) => boolean;
}

const pad = (n: number): string => String(n).padStart(2, '0');
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const holidayArb = (zone: string, around: number): fc.Arbitrary<Case> =>
  fc.uniqueArray(fc.integer({ min: -12, max: 12 }), { maxLength: 12 }).map((offsets) => {
    const base = zonedAt(zone, around).toPlainDate();
    const dates = offsets.map((d) => base.add({ days: d }).toString());
    const set = new Set(dates);
    return {
      calendar: new HolidayCalendar({ dates, timezone: zone }),
      excluded: (zdt) => set.has(zdt.toPlainDate().toString()),
    };
  });

const weeklyArb = (zone: string): fc.Arbitrary<Case> =>
  fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 7 }).map((days) => ({
    calendar: new WeeklyCalendar({
      excludeDays: days.map((d) => WEEKDAYS[d] as string),
      timezone: zone,
    }),
    excluded: (zdt) => days.includes(zdt.dayOfWeek % 7),
  }));

const monthlyArb = (zone: string): fc.Arbitrary<Case> =>
  fc
    .record({
      days: fc.uniqueArray(fc.integer({ min: 1, max: 31 }), { maxLength: 31 }),
      last: fc.boolean(),
    })
    .map(({ days, last }) => ({
      calendar: new MonthlyCalendar({
        excludeDays: last ? [...days, 'last'] : days,
        timezone: zone,
      }),
      excluded: (zdt) => days.includes(zdt.day) || (last && zdt.day === zdt.daysInMonth),
    }));

const annualArb = (zone: string, around: number): fc.Arbitrary<Case> =>
  fc.uniqueArray(fc.integer({ min: -20, max: 20 }), { maxLength: 20 }).map((offsets) => {
    const base = zonedAt(zone, around).toPlainDate();
    const days = offsets.map((d) => {
      const date = base.add({ days: d });
      return `${pad(date.month)}-${pad(date.day)}`;
    });
    const set = new Set(days);
    return {
      calendar: new AnnualCalendar({ exclude: days, timezone: zone }),
      excluded: (zdt) => set.has(`${pad(zdt.month)}-${pad(zdt.day)}`),
    };
  });

const timeArb = fc.record({
  h: fc.integer({ min: 0, max: 23 }),
  m: fc.constantFrom(0, 15, 30, 45, 59),
});
const dailyArb = (zone: string): fc.Arbitrary<Case> =>
  fc
    .record({ from: timeArb, to: timeArb, invert: fc.boolean() })
    .filter(({ from, to }) => from.h !== to.h || from.m !== to.m)
    .map(({ from, to, invert }) => {
      const a = from.h * 60 + from.m;
      const b = to.h * 60 + to.m;
      const inRange = (minute: number): boolean =>
        a < b ? minute >= a && minute < b : minute >= a || minute < b;
      return {
        calendar: new DailyCalendar({
          from: `${pad(from.h)}:${pad(from.m)}`,
          to: `${pad(to.h)}:${pad(to.m)}`,
          invert,
          timezone: zone,
        }),
        excluded: (zdt) => inRange(zdt.hour * 60 + zdt.minute) !== invert,
      };
    });

/** A cron field: `*`, or a range of values. */
const fieldArb = (
  min: number,
  max: number,
): fc.Arbitrary<{ text: string; has: (v: number) => boolean }> =>
  fc.oneof(
    fc.constant({ text: '*', has: () => true }),
    fc
      .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
      .map(([x, y]) => [Math.min(x, y), Math.max(x, y)] as const)
      .map(([lo, hi]) => ({
        text: lo === hi ? `${lo}` : `${lo}-${hi}`,
        has: (v: number) => v >= lo && v <= hi,
      })),
  );
const cronArb = (zone: string): fc.Arbitrary<Case> =>
  fc
    .record({
      second: fieldArb(0, 59),
      minute: fieldArb(0, 59),
      hour: fieldArb(0, 23),
      day: fieldArb(1, 31),
      dow: fieldArb(0, 6),
    })
    .map(({ second, minute, hour, day, dow }) => {
      const either = day.text !== '*' && dow.text !== '*';
      return {
        calendar: new CronCalendar(
          `${second.text} ${minute.text} ${hour.text} ${day.text} * ${dow.text}`,
          { timezone: zone },
        ),
        excluded: (zdt) =>
          second.has(zdt.second) &&
          minute.has(zdt.minute) &&
          hour.has(zdt.hour) &&
          (either
            ? day.has(zdt.day) || dow.has(zdt.dayOfWeek % 7)
            : day.has(zdt.day) && dow.has(zdt.dayOfWeek % 7)),
      };
    });

const unionArb = (zone: string, around: number): fc.Arbitrary<Case> =>
  fc.tuple(holidayArb(zone, around), weeklyArb('UTC'), dailyArb(zone)).map((cases) => ({
    calendar: unionCalendar(cases.map((c) => c.calendar)),
    excluded: (zdt) =>
      cases[0].excluded(zdt) ||
      cases[1].excluded(zdt.withTimeZone('UTC')) ||
      cases[2].excluded(zdt),
  }));

const KINDS: Record<string, (zone: string, around: number) => fc.Arbitrary<Case>> = {
  holiday: holidayArb,
  weekly: (zone) => weeklyArb(zone),
  monthly: (zone) => monthlyArb(zone),
  annual: annualArb,
  daily: (zone) => dailyArb(zone),
  cron: (zone) => cronArb(zone),
  union: unionArb,
};

/** Seconds checked one by one at the start and at the end of a gap, and in one window inside it. */
const WINDOW = 1800;
/** Beyond this gap only the windows are checked second by second; minutes are checked up to it. */
const MINUTE_SCAN_LIMIT = 45 * MS_DAY;

function checkGap(calendar: ExclusionCalendar, from: number, next: number, fraction: number): void {
  const excludedAt = (t: number): void => {
    if (calendar.isTimeIncluded(new Date(t)))
      throw new Error(
        `${new Date(t).toISOString()} is included, between ${new Date(from).toISOString()} and the answer ${new Date(next).toISOString()}`,
      );
  };
  const seconds = Math.ceil((next - from) / 1000);
  const checkSeconds = (start: number, count: number): void => {
    for (let k = Math.max(0, start); k < Math.min(seconds, start + count); k++)
      excludedAt(from + k * 1000);
  };
  checkSeconds(0, WINDOW);
  checkSeconds(seconds - WINDOW, WINDOW);
  checkSeconds(Math.floor(fraction * seconds), WINDOW);
  if (next - from <= MINUTE_SCAN_LIMIT) for (let t = from; t < next; t += 60_000) excludedAt(t);
}

const caseArb = (kind: string) =>
  zoneAndInstantArb.chain(({ zone, instant }) =>
    fc.record({
      zone: fc.constant(zone),
      // Calendars are about recent and coming years; the zone helpers reach from 1900 to 2100.
      instant: fc.constant(instant),
      test: (KINDS[kind] as (z: string, a: number) => fc.Arbitrary<Case>)(zone, instant),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      offsetMinutes: fc.integer({ min: -14 * 60, max: 14 * 60 }),
    }),
  );

describe.each(Object.keys(KINDS))('%s calendar', (kind) => {
  test.prop([caseArb(kind)], { numRuns: 120 })(
    'nextIncludedTime is included, and nothing before it is',
    ({ instant, test: c, fraction }) => {
      const next = c.calendar.nextIncludedTime(new Date(instant));
      if (next === null) {
        // Only a calendar that excludes everything answers null; it excludes `instant` too.
        expect(c.calendar.isTimeIncluded(new Date(instant))).toBe(false);
        return;
      }
      expect(next.getTime()).toBeGreaterThanOrEqual(instant);
      expect(c.calendar.isTimeIncluded(next)).toBe(true);
      checkGap(c.calendar, instant, next.getTime(), fraction);
    },
  );

  test.prop([caseArb(kind)], { numRuns: 200 })(
    'isTimeIncluded agrees with the wall-clock model',
    ({ zone, instant, test: c }) => {
      const zdt = zonedAt(zone, instant);
      expect(c.calendar.isTimeIncluded(new Date(instant))).toBe(!c.excluded(zdt));
    },
  );

  test.prop([caseArb(kind)], { numRuns: 60 })(
    'the same instant in any offset, and the restored calendar, give the same answer',
    ({ instant, test: c, offsetMinutes }) => {
      const sign = offsetMinutes < 0 ? '-' : '+';
      const abs = Math.abs(offsetMinutes);
      const written = Temporal.Instant.fromEpochMilliseconds(instant).toString({
        timeZone: `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`,
        fractionalSecondDigits: 3,
      });
      const expected = c.calendar.nextIncludedTime(new Date(instant));
      expect(c.calendar.nextIncludedTime(new Date(written))).toEqual(expected);
      const restored = calendarFromJSON(JSON.parse(JSON.stringify(c.calendar)));
      expect(restored.toJSON()).toEqual(c.calendar.toJSON());
      expect(restored.nextIncludedTime(new Date(instant))).toEqual(expected);
    },
  );
});
