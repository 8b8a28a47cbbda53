/**
 * A hand-written DST table: what every wall-clock trigger does around real
 * spring-forward gaps and autumn folds, zone by zone (SPEC "DST policy").
 *
 * Every transition date below was checked against temporal-polyfill
 * (`ZonedDateTime#getTimeZoneTransition`); the expected fire times are literals,
 * never computed, so that a bug in the time engine cannot hide in the table.
 *
 * Transitions used (wall clock, 2024 unless stated):
 * - America/New_York   gap 03-10 02:00→03:00 (-05→-04)    fold 11-03 01:00–02:00 (-04, then -05)
 * - Europe/Berlin      gap 03-31 02:00→03:00 (+01→+02)    fold 10-27 02:00–03:00 (+02, then +01)
 * - Europe/London      gap 03-31 01:00→02:00 (+00→+01)    fold 10-27 01:00–02:00 (+01, then +00)
 * - Australia/Lord_Howe gap 10-06 02:00→02:30 (+10:30→+11) fold 04-07 01:30–02:00 (+11, then +10:30)
 * - America/Santiago   gap 09-08 (Sun) 00:00→01:00 (-04→-03)  fold 04-06 (Sat) 23:00–24:00 (-03, then -04)
 * - Pacific/Chatham    gap 09-29 02:45→03:45 (+12:45→+13:45)  fold 04-07 02:45–03:45 (+13:45, then +12:45)
 * - US/Pacific         gap 2022-03-13 02:00→03:00 (-08→-07)   [APScheduler #606]
 * - US/Central         gap 2021-03-14 02:00→03:00 (-06→-05)   [APScheduler #529]
 *
 * Chain convention (what the scheduler does): t0 = getNextFireTime(null, now),
 * t(k+1) = getNextFireTime(t(k), t(k)).
 */
import { describe, expect, it } from 'vitest';
import {
  AndTrigger,
  CalendarIntervalTrigger,
  CronTrigger,
  DateTrigger,
  IntervalTrigger,
  OrTrigger,
  type Trigger,
} from '../../src/index.ts';
import { getZone } from '../../src/time/zone.ts';
import { at, fireTimes, iso } from '../helpers/trigger-chains.ts';

const NEW_YORK = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const LONDON = 'Europe/London';
const LORD_HOWE = 'Australia/Lord_Howe';
const SANTIAGO = 'America/Santiago';
const CHATHAM = 'Pacific/Chatham';

interface ChainCase {
  /** The specification, as the test name. */
  readonly name: string;
  readonly trigger: () => Trigger;
  /** `now` of the first call, ISO 8601 with an offset. */
  readonly now: string;
  /** When given, the chain starts with getNextFireTime(previous, previous) instead of (null, now). */
  readonly previous?: string;
  /** The fire times, formatted in the trigger's zone. */
  readonly expected: readonly string[];
  /** The trigger returns null after the expected fire times. */
  readonly finishes?: boolean;
}

/** The first `count` fire times of a trigger's chain, formatted in `tz`; shorter if the trigger finishes. */
function chain(
  trigger: Trigger,
  tz: string,
  c: Pick<ChainCase, 'now' | 'previous'>,
  count: number,
): string[] {
  const zone = getZone(tz);
  const out: string[] = [];
  if (count <= 0) return out;
  const start = c.previous === undefined ? null : at(c.previous);
  for (const next of fireTimes(trigger, start ?? at(c.now), start)) {
    expect(next.getTime() % 1000).toBe(0);
    out.push(iso(next, zone));
    if (out.length >= count) break;
  }
  return out;
}

function runTable(tz: string, cases: readonly ChainCase[]): void {
  it.each(cases)('$name', (c) => {
    // A finishing trigger is asked for one more fire time than it has.
    const count = c.expected.length + (c.finishes === true ? 1 : 0);
    expect(chain(c.trigger(), tz, c, count)).toEqual(c.expected);
  });
}

/** Daily fire times must fall on consecutive calendar days, once each (an invariant, on top of the literal tables). */
function expectOncePerCalendarDay(trigger: Trigger, tz: string, now: string, days: number): void {
  const fired = chain(trigger, tz, { now }, days).map((time) => time.slice(0, 10));
  expect(fired).toHaveLength(days);
  const first = fired[0] ?? '';
  const start = Date.UTC(
    Number(first.slice(0, 4)),
    Number(first.slice(5, 7)) - 1,
    Number(first.slice(8, 10)),
  );
  const consecutive = Array.from({ length: days }, (_, i) =>
    new Date(start + i * 86_400_000).toISOString().slice(0, 10),
  );
  expect(fired).toEqual(consecutive);
}

describe('Europe/Berlin', () => {
  const tz = BERLIN;
  describe('spring-forward gap, 2024-03-31 02:00 → 03:00', () => {
    runTable(tz, [
      {
        name: 'fires once at 03:30 when 02:30 does not exist (Berlin, 2024-03-31)',
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
        now: '2024-03-29T12:00:00+01:00',
        expected: [
          '2024-03-30T02:30:00+01:00',
          '2024-03-31T03:30:00+02:00',
          '2024-04-01T02:30:00+02:00',
        ],
      },
      {
        name: 'fires once at 03:00 when the fire time 02:00 is the first skipped minute',
        trigger: () => new CronTrigger({ hour: 2, minute: 0, timezone: tz }),
        now: '2024-03-29T12:00:00+01:00',
        expected: [
          '2024-03-30T02:00:00+01:00',
          '2024-03-31T03:00:00+02:00',
          '2024-04-01T02:00:00+02:00',
        ],
      },
      {
        name: "fromCrontab('30 2 * * *') fires once at 03:30 on the switch day",
        trigger: () => CronTrigger.fromCrontab('30 2 * * *', { timezone: tz }),
        now: '2024-03-29T12:00:00+01:00',
        expected: [
          '2024-03-30T02:30:00+01:00',
          '2024-03-31T03:30:00+02:00',
          '2024-04-01T02:30:00+02:00',
        ],
      },
      {
        name: 'still fires the shifted 03:30 when the search starts at 03:00, right after the gap',
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
        now: '2024-03-31T03:00:00+02:00',
        expected: ['2024-03-31T03:30:00+02:00', '2024-04-01T02:30:00+02:00'],
      },
      {
        name: 'fires the shifted 03:30 when now is exactly 03:30',
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
        now: '2024-03-31T03:30:00+02:00',
        expected: ['2024-03-31T03:30:00+02:00', '2024-04-01T02:30:00+02:00'],
      },
      {
        name: 'does not fire the shifted time again once it has passed (now 03:31)',
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
        now: '2024-03-31T03:31:00+02:00',
        expected: ['2024-04-01T02:30:00+02:00'],
      },
      {
        name: 'a shifted fire (03:30) after endDate (03:15) does not fire; the trigger finishes',
        trigger: () =>
          new CronTrigger({
            hour: 2,
            minute: 30,
            endDate: '2024-03-31T03:15:00+02:00',
            timezone: tz,
          }),
        now: '2024-03-29T12:00:00+01:00',
        expected: ['2024-03-30T02:30:00+01:00'],
        finishes: true,
      },
      {
        name: 'a shifted fire exactly at endDate (03:30, inclusive) still fires',
        trigger: () =>
          new CronTrigger({
            hour: 2,
            minute: 30,
            endDate: '2024-03-31T03:30:00+02:00',
            timezone: tz,
          }),
        now: '2024-03-29T12:00:00+01:00',
        expected: ['2024-03-30T02:30:00+01:00', '2024-03-31T03:30:00+02:00'],
        finishes: true,
      },
      {
        name: "fixed hour=2 with minute='*/15' fires all four quarter-hours, each shifted by one hour",
        trigger: () => new CronTrigger({ hour: 2, minute: '*/15', timezone: tz }),
        now: '2024-03-31T00:00:00+01:00',
        expected: [
          '2024-03-31T03:00:00+02:00',
          '2024-03-31T03:15:00+02:00',
          '2024-03-31T03:30:00+02:00',
          '2024-03-31T03:45:00+02:00',
          '2024-04-01T02:00:00+02:00',
        ],
      },
      {
        name: "wildcard minute='*/15' (hour defaults to *) skips the times inside the gap",
        trigger: () => new CronTrigger({ minute: '*/15', timezone: tz }),
        now: '2024-03-31T01:30:00+01:00',
        expected: [
          '2024-03-31T01:30:00+01:00',
          '2024-03-31T01:45:00+01:00',
          '2024-03-31T03:00:00+02:00',
          '2024-03-31T03:15:00+02:00',
        ],
      },
      {
        name: "hour='*/2' is a wildcard: 02:00 does not occur, the next fire is 04:00",
        trigger: () => new CronTrigger({ hour: '*/2', minute: 0, timezone: tz }),
        now: '2024-03-30T23:30:00+01:00',
        expected: [
          '2024-03-31T00:00:00+01:00',
          '2024-03-31T04:00:00+02:00',
          '2024-03-31T06:00:00+02:00',
        ],
      },
      {
        name: "hour='1-3' is fixed: 02:00 shifts to 03:00, which coincides with the regular 03:00 → one fire",
        trigger: () => new CronTrigger({ hour: '1-3', minute: 0, timezone: tz }),
        now: '2024-03-31T00:30:00+01:00',
        expected: [
          '2024-03-31T01:00:00+01:00',
          '2024-03-31T03:00:00+02:00',
          '2024-04-01T01:00:00+02:00',
        ],
      },
      {
        name: "hour='2,3' minute=0 fires a single 03:00 on the switch day (shifted 02:00 coincides with 03:00)",
        trigger: () => new CronTrigger({ hour: '2,3', minute: 0, timezone: tz }),
        now: '2024-03-30T12:00:00+01:00',
        expected: [
          '2024-03-31T03:00:00+02:00',
          '2024-04-01T02:00:00+02:00',
          '2024-04-01T03:00:00+02:00',
        ],
      },
      {
        name: "hour='1-3' minute='0,30': shifted 02:00/02:30 coincide with 03:00/03:30 and fire once each",
        trigger: () => new CronTrigger({ hour: '1-3', minute: '0,30', timezone: tz }),
        now: '2024-03-31T00:30:00+01:00',
        expected: [
          '2024-03-31T01:00:00+01:00',
          '2024-03-31T01:30:00+01:00',
          '2024-03-31T03:00:00+02:00',
          '2024-03-31T03:30:00+02:00',
          '2024-04-01T01:00:00+02:00',
        ],
      },
      {
        name: "dst: { gap: 'skip' } on a fixed hour does not fire on the switch day",
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz, dst: { gap: 'skip' } }),
        now: '2024-03-29T12:00:00+01:00',
        expected: ['2024-03-30T02:30:00+01:00', '2024-04-01T02:30:00+02:00'],
      },
      {
        name: "fromCrontab('0 9 * * mon-fri') fires on the Monday after the switch weekend",
        trigger: () => CronTrigger.fromCrontab('0 9 * * mon-fri', { timezone: tz }),
        now: '2024-03-29T10:00:00+01:00',
        expected: ['2024-04-01T09:00:00+02:00', '2024-04-02T09:00:00+02:00'],
      },
      {
        name: 'CalendarIntervalTrigger(days=1, 02:30) fires once at 03:30 on the switch day',
        trigger: () =>
          new CalendarIntervalTrigger({
            days: 1,
            hour: 2,
            minute: 30,
            startDate: '2024-03-30',
            timezone: tz,
          }),
        now: '2024-03-30T00:00:00+01:00',
        expected: [
          '2024-03-30T02:30:00+01:00',
          '2024-03-31T03:30:00+02:00',
          '2024-04-01T02:30:00+02:00',
        ],
      },
      {
        name: 'CalendarIntervalTrigger(weeks=1, 02:30) shifts the switch Sunday only and keeps 02:30 after it',
        trigger: () =>
          new CalendarIntervalTrigger({
            weeks: 1,
            hour: 2,
            minute: 30,
            startDate: '2024-03-24',
            timezone: tz,
          }),
        now: '2024-03-24T00:00:00+01:00',
        expected: [
          '2024-03-24T02:30:00+01:00',
          '2024-03-31T03:30:00+02:00',
          '2024-04-07T02:30:00+02:00',
        ],
      },
      {
        name: 'IntervalTrigger(hours=24) keeps absolute time: 12:00 becomes 13:00 after the switch',
        trigger: () =>
          new IntervalTrigger({ hours: 24, startDate: '2024-03-30T12:00:00+01:00', timezone: tz }),
        now: '2024-03-30T00:00:00+01:00',
        expected: [
          '2024-03-30T12:00:00+01:00',
          '2024-03-31T13:00:00+02:00',
          '2024-04-01T13:00:00+02:00',
        ],
      },
      {
        name: 'IntervalTrigger(hours=1) goes from 01:00 straight to 03:00 (one real hour)',
        trigger: () =>
          new IntervalTrigger({ hours: 1, startDate: '2024-03-31T00:00:00+01:00', timezone: tz }),
        now: '2024-03-30T23:00:00+01:00',
        expected: [
          '2024-03-31T00:00:00+01:00',
          '2024-03-31T01:00:00+01:00',
          '2024-03-31T03:00:00+02:00',
          '2024-03-31T04:00:00+02:00',
        ],
      },
      {
        name: 'the fire after a previous fire at 03:15 is the shifted 03:30 (previous fire times enumerate missed runs)',
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
        now: '2024-03-31T03:15:00+02:00',
        previous: '2024-03-31T03:15:00+02:00',
        expected: ['2024-03-31T03:30:00+02:00', '2024-04-01T02:30:00+02:00'],
      },
      {
        name: "day='last' hour=2 minute=30 fires at 03:30 on 2024-03-31 (last day of March is the switch day)",
        trigger: () => new CronTrigger({ day: 'last', hour: 2, minute: 30, timezone: tz }),
        now: '2024-02-01T00:00:00+01:00',
        expected: [
          '2024-02-29T02:30:00+01:00',
          '2024-03-31T03:30:00+02:00',
          '2024-04-30T02:30:00+02:00',
        ],
      },
      {
        name: "fromCrontab('30 30 2 * * *') (6 fields, seconds first) fires once at 03:30:30",
        trigger: () => CronTrigger.fromCrontab('30 30 2 * * *', { timezone: tz }),
        now: '2024-03-30T12:00:00+01:00',
        expected: ['2024-03-31T03:30:30+02:00', '2024-04-01T02:30:30+02:00'],
      },
      {
        name: 'CalendarIntervalTrigger(months=1) from Jan 31 at 02:30 lands on Mar 31 (Feb 31 does not exist) at 03:30',
        trigger: () =>
          new CalendarIntervalTrigger({
            months: 1,
            hour: 2,
            minute: 30,
            startDate: '2024-01-31',
            timezone: tz,
          }),
        now: '2024-01-31T00:00:00+01:00',
        expected: [
          '2024-01-31T02:30:00+01:00',
          '2024-03-31T03:30:00+02:00',
          '2024-05-31T02:30:00+02:00',
        ],
      },
      {
        name: 'CalendarIntervalTrigger still fires the shifted 03:30 when first called at 03:00 on the switch day',
        trigger: () =>
          new CalendarIntervalTrigger({
            days: 1,
            hour: 2,
            minute: 30,
            startDate: '2024-03-31',
            timezone: tz,
          }),
        now: '2024-03-31T03:00:00+02:00',
        expected: ['2024-03-31T03:30:00+02:00', '2024-04-01T02:30:00+02:00'],
      },
      {
        name: 'OrTrigger fires once when the shifted 02:30 of one trigger coincides with the 03:30 of another',
        trigger: () =>
          new OrTrigger([
            new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
            new CronTrigger({ hour: 3, minute: 30, timezone: tz }),
          ]),
        now: '2024-03-30T12:00:00+01:00',
        expected: [
          '2024-03-31T03:30:00+02:00',
          '2024-04-01T02:30:00+02:00',
          '2024-04-01T03:30:00+02:00',
        ],
      },
      {
        name: "OrTrigger orders a shifted 02:50 (→ 03:50) after another trigger's regular 03:10",
        trigger: () =>
          new OrTrigger([
            new CronTrigger({ hour: 2, minute: 50, timezone: tz }),
            new CronTrigger({ hour: 3, minute: 10, timezone: tz }),
          ]),
        now: '2024-03-31T00:00:00+01:00',
        expected: [
          '2024-03-31T03:10:00+02:00',
          '2024-03-31T03:50:00+02:00',
          '2024-04-01T02:50:00+02:00',
        ],
      },
      {
        name: 'AndTrigger of 02:30 and 03:30 meets only on spring-forward days (2024-03-31, then 2025-03-30)',
        trigger: () =>
          new AndTrigger([
            new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
            new CronTrigger({ hour: 3, minute: 30, timezone: tz }),
          ]),
        now: '2024-03-01T00:00:00+01:00',
        expected: ['2024-03-31T03:30:00+02:00', '2025-03-30T03:30:00+02:00'],
      },
    ]);
  });

  describe('autumn fold, 2024-10-27 02:00–03:00 twice', () => {
    runTable(tz, [
      {
        name: 'fires 02:30 once, at the first (+02:00) occurrence (Berlin, 2024-10-27)',
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
        now: '2024-10-25T12:00:00+02:00',
        expected: [
          '2024-10-26T02:30:00+02:00',
          '2024-10-27T02:30:00+02:00',
          '2024-10-28T02:30:00+01:00',
        ],
      },
      {
        name: 'does not fire the second 02:30 when the search starts in the second pass (02:10+01:00)',
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
        now: '2024-10-27T02:10:00+01:00',
        expected: ['2024-10-28T02:30:00+01:00'],
      },
      {
        name: "fixed hour=2 with minute='*/15' fires each quarter-hour only in the first pass",
        trigger: () => new CronTrigger({ hour: 2, minute: '*/15', timezone: tz }),
        now: '2024-10-27T00:00:00+02:00',
        expected: [
          '2024-10-27T02:00:00+02:00',
          '2024-10-27T02:15:00+02:00',
          '2024-10-27T02:30:00+02:00',
          '2024-10-27T02:45:00+02:00',
          '2024-10-28T02:00:00+01:00',
        ],
      },
      {
        name: "dst: { fold: 'both' } on a fixed hour fires 02:30 in both passes",
        trigger: () =>
          new CronTrigger({ hour: 2, minute: 30, timezone: tz, dst: { fold: 'both' } }),
        now: '2024-10-25T12:00:00+02:00',
        expected: [
          '2024-10-26T02:30:00+02:00',
          '2024-10-27T02:30:00+02:00',
          '2024-10-27T02:30:00+01:00',
          '2024-10-28T02:30:00+01:00',
        ],
      },
      {
        name: "wildcard minute='*/15' keeps running through the repeated hour (fires in both passes)",
        trigger: () => new CronTrigger({ minute: '*/15', timezone: tz }),
        now: '2024-10-27T02:30:00+02:00',
        expected: [
          '2024-10-27T02:30:00+02:00',
          '2024-10-27T02:45:00+02:00',
          '2024-10-27T02:00:00+01:00',
          '2024-10-27T02:15:00+01:00',
          '2024-10-27T02:30:00+01:00',
          '2024-10-27T02:45:00+01:00',
          '2024-10-27T03:00:00+01:00',
        ],
      },
      {
        name: "dst: { fold: 'first' } on a wildcard schedule drops the second pass",
        trigger: () => new CronTrigger({ minute: '*/15', timezone: tz, dst: { fold: 'first' } }),
        now: '2024-10-27T02:30:00+02:00',
        expected: [
          '2024-10-27T02:30:00+02:00',
          '2024-10-27T02:45:00+02:00',
          '2024-10-27T03:00:00+01:00',
        ],
      },
      {
        name: "wildcard minute='*/15' started in the second pass (02:05+01:00) continues at 02:15+01:00",
        trigger: () => new CronTrigger({ minute: '*/15', timezone: tz }),
        now: '2024-10-27T02:05:00+01:00',
        expected: ['2024-10-27T02:15:00+01:00', '2024-10-27T02:30:00+01:00'],
      },
      {
        name: "dst: { fold: 'both' } started in the second pass (02:10+01:00) fires the second 02:30",
        trigger: () =>
          new CronTrigger({ hour: 2, minute: 30, timezone: tz, dst: { fold: 'both' } }),
        now: '2024-10-27T02:10:00+01:00',
        expected: ['2024-10-27T02:30:00+01:00', '2024-10-28T02:30:00+01:00'],
      },
      {
        name: "hour='*/2' is a wildcard: 02:00 fires in both passes",
        trigger: () => new CronTrigger({ hour: '*/2', minute: 0, timezone: tz }),
        now: '2024-10-27T00:30:00+02:00',
        expected: [
          '2024-10-27T02:00:00+02:00',
          '2024-10-27T02:00:00+01:00',
          '2024-10-27T04:00:00+01:00',
        ],
      },
      {
        name: "hour='1-3' is fixed: 02:00 fires only in the first pass",
        trigger: () => new CronTrigger({ hour: '1-3', minute: 0, timezone: tz }),
        now: '2024-10-27T00:30:00+02:00',
        expected: [
          '2024-10-27T01:00:00+02:00',
          '2024-10-27T02:00:00+02:00',
          '2024-10-27T03:00:00+01:00',
          '2024-10-28T01:00:00+01:00',
        ],
      },
      {
        name: "fromCrontab('0 9 * * mon-fri') fires on the Monday after the fall-back weekend",
        trigger: () => CronTrigger.fromCrontab('0 9 * * mon-fri', { timezone: tz }),
        now: '2024-10-25T10:00:00+02:00',
        expected: ['2024-10-28T09:00:00+01:00', '2024-10-29T09:00:00+01:00'],
      },
      {
        name: 'CalendarIntervalTrigger(days=1, 02:30) fires the repeated 02:30 once, in the first pass',
        trigger: () =>
          new CalendarIntervalTrigger({
            days: 1,
            hour: 2,
            minute: 30,
            startDate: '2024-10-26',
            timezone: tz,
          }),
        now: '2024-10-26T00:00:00+02:00',
        expected: [
          '2024-10-26T02:30:00+02:00',
          '2024-10-27T02:30:00+02:00',
          '2024-10-28T02:30:00+01:00',
        ],
      },
      {
        name: 'IntervalTrigger(hours=24) keeps absolute time: 12:00 becomes 11:00 after the switch',
        trigger: () =>
          new IntervalTrigger({ hours: 24, startDate: '2024-10-26T12:00:00+02:00', timezone: tz }),
        now: '2024-10-26T00:00:00+02:00',
        expected: [
          '2024-10-26T12:00:00+02:00',
          '2024-10-27T11:00:00+01:00',
          '2024-10-28T11:00:00+01:00',
        ],
      },
      {
        name: 'IntervalTrigger(hours=1) shows 02:00 twice (real hours keep passing)',
        trigger: () =>
          new IntervalTrigger({ hours: 1, startDate: '2024-10-27T01:00:00+02:00', timezone: tz }),
        now: '2024-10-27T00:00:00+02:00',
        expected: [
          '2024-10-27T01:00:00+02:00',
          '2024-10-27T02:00:00+02:00',
          '2024-10-27T02:00:00+01:00',
          '2024-10-27T03:00:00+01:00',
        ],
      },
      {
        name: "DateTrigger with the naive runDate '2024-10-27 02:30' fires once at the first occurrence",
        trigger: () => new DateTrigger({ runDate: '2024-10-27 02:30', timezone: tz }),
        now: '2024-10-01T00:00:00+02:00',
        expected: ['2024-10-27T02:30:00+02:00'],
        finishes: true,
      },
    ]);

    it('DateTrigger in the fold finishes after its single fire', () => {
      const trigger = new DateTrigger({ runDate: '2024-10-27 02:30', timezone: tz });
      const first = trigger.getNextFireTime(null, new Date('2024-10-01T00:00:00+02:00'));
      expect(first).not.toBeNull();
      expect(trigger.getNextFireTime(first, first ?? new Date(0))).toBeNull();
    });
  });
});

describe('America/New_York', () => {
  const tz = NEW_YORK;
  describe('spring-forward gap, 2024-03-10 02:00 → 03:00', () => {
    runTable(tz, [
      {
        name: 'fires once at 03:30 EDT when 02:30 does not exist (New York, 2024-03-10)',
        trigger: () => new CronTrigger({ hour: 2, minute: 30, timezone: tz }),
        now: '2024-03-08T12:00:00-05:00',
        expected: [
          '2024-03-09T02:30:00-05:00',
          '2024-03-10T03:30:00-04:00',
          '2024-03-11T02:30:00-04:00',
        ],
      },
      {
        name: "hourly (hour='*', minute=0) goes from 01:00 EST to 03:00 EDT: 02:00 does not occur",
        trigger: () => new CronTrigger({ hour: '*', minute: 0, timezone: tz }),
        now: '2024-03-10T00:30:00-05:00',
        expected: [
          '2024-03-10T01:00:00-05:00',
          '2024-03-10T03:00:00-04:00',
          '2024-03-10T04:00:00-04:00',
        ],
      },
      {
        name: "hour='2,3' minute=0 fires a single 03:00 on the switch day",
        trigger: () => new CronTrigger({ hour: '2,3', minute: 0, timezone: tz }),
        now: '2024-03-09T12:00:00-05:00',
        expected: [
          '2024-03-10T03:00:00-04:00',
          '2024-03-11T02:00:00-04:00',
          '2024-03-11T03:00:00-04:00',
        ],
      },
      {
        name: 'a daily midnight job fires on the switch day and the day after',
        trigger: () => new CronTrigger({ hour: 0, minute: 0, timezone: tz }),
        now: '2024-03-09T12:00:00-05:00',
        expected: [
          '2024-03-10T00:00:00-05:00',
          '2024-03-11T00:00:00-04:00',
          '2024-03-12T00:00:00-04:00',
        ],
      },
      {
        name: "dayOfWeek='mon-fri' hour=9 fires on the Monday after the switch weekend",
        trigger: () => new CronTrigger({ dayOfWeek: 'mon-fri', hour: 9, minute: 0, timezone: tz }),
        now: '2024-03-08T10:00:00-05:00',
        expected: ['2024-03-11T09:00:00-04:00', '2024-03-12T09:00:00-04:00'],
      },
      {
        name: 'IntervalTrigger(hours=24) drifts from 12:00 EST to 13:00 EDT',
        trigger: () =>
          new IntervalTrigger({ hours: 24, startDate: '2024-03-09T12:00:00-05:00', timezone: tz }),
        now: '2024-03-09T00:00:00-05:00',
        expected: [
          '2024-03-09T12:00:00-05:00',
          '2024-03-10T13:00:00-04:00',
          '2024-03-11T13:00:00-04:00',
        ],
      },
    ]);
  });

  describe('autumn fold, 2024-11-03 01:00–02:00 twice', () => {
    runTable(tz, [
      {
        name: 'fires 01:30 once, at the EDT occurrence (New York, 2024-11-03)',
        trigger: () => new CronTrigger({ hour: 1, minute: 30, timezone: tz }),
        now: '2024-11-01T12:00:00-04:00',
        expected: [
          '2024-11-02T01:30:00-04:00',
          '2024-11-03T01:30:00-04:00',
          '2024-11-04T01:30:00-05:00',
        ],
      },
      {
        name: "hourly (hour='*', minute=0) fires 01:00 EDT and 01:00 EST",
        trigger: () => new CronTrigger({ hour: '*', minute: 0, timezone: tz }),
        now: '2024-11-03T00:30:00-04:00',
        expected: [
          '2024-11-03T01:00:00-04:00',
          '2024-11-03T01:00:00-05:00',
          '2024-11-03T02:00:00-05:00',
          '2024-11-03T03:00:00-05:00',
        ],
      },
      {
        name: "minute='*/30' from 01:35 EDT continues with the second pass at 01:00 EST",
        trigger: () => new CronTrigger({ minute: '*/30', timezone: tz }),
        now: '2024-11-03T01:35:00-04:00',
        expected: [
          '2024-11-03T01:00:00-05:00',
          '2024-11-03T01:30:00-05:00',
          '2024-11-03T02:00:00-05:00',
        ],
      },
      {
        name: "dayOfWeek='mon-fri' hour=9 fires on the Monday after the fall-back weekend",
        trigger: () => new CronTrigger({ dayOfWeek: 'mon-fri', hour: 9, minute: 0, timezone: tz }),
        now: '2024-11-01T10:00:00-04:00',
        expected: ['2024-11-04T09:00:00-05:00'],
      },
    ]);
  });
});

describe('APScheduler day-skip bugs are not reproduced', () => {
  describe('#606: US/Pacific daily midnight job on the spring-forward day 2022-03-13', () => {
    runTable('US/Pacific', [
      {
        name: 'after firing 2022-03-13 00:00 PST the next fire is 2022-03-14 00:00 PDT (not 03-15)',
        trigger: () => new CronTrigger({ hour: 0, minute: 0, timezone: 'US/Pacific' }),
        now: '2022-03-13T00:00:00-08:00',
        previous: '2022-03-13T00:00:00-08:00',
        expected: ['2022-03-14T00:00:00-07:00', '2022-03-15T00:00:00-07:00'],
      },
      {
        name: 'the chain from 2022-03-12 fires every day: 03-13, 03-14, 03-15',
        trigger: () => new CronTrigger({ hour: 0, minute: 0, timezone: 'US/Pacific' }),
        now: '2022-03-12T12:00:00-08:00',
        expected: [
          '2022-03-13T00:00:00-08:00',
          '2022-03-14T00:00:00-07:00',
          '2022-03-15T00:00:00-07:00',
        ],
      },
      {
        name: "fromCrontab('@daily') fires 2022-03-14 after 2022-03-13",
        trigger: () => CronTrigger.fromCrontab('@daily', { timezone: 'US/Pacific' }),
        now: '2022-03-13T00:00:00-08:00',
        previous: '2022-03-13T00:00:00-08:00',
        expected: ['2022-03-14T00:00:00-07:00'],
      },
    ]);
  });

  describe('#529: US/Central weekday midnight job across the 2021-03-14 switch weekend', () => {
    runTable('US/Central', [
      {
        name: "fromCrontab('0 0 * * mon-fri') fires Monday 2021-03-15",
        trigger: () => CronTrigger.fromCrontab('0 0 * * mon-fri', { timezone: 'US/Central' }),
        now: '2021-03-12T00:00:01-06:00',
        expected: ['2021-03-15T00:00:00-05:00', '2021-03-16T00:00:00-05:00'],
      },
      {
        name: "fromCrontab('0 0 * * 1-5') (cron numbering, 1 = Monday) fires Monday 2021-03-15",
        trigger: () => CronTrigger.fromCrontab('0 0 * * 1-5', { timezone: 'US/Central' }),
        now: '2021-03-12T00:00:01-06:00',
        expected: ['2021-03-15T00:00:00-05:00', '2021-03-16T00:00:00-05:00'],
      },
      {
        name: "dayOfWeek='mon-fri' hour=0 fires Monday 2021-03-15",
        trigger: () =>
          new CronTrigger({ dayOfWeek: 'mon-fri', hour: 0, minute: 0, timezone: 'US/Central' }),
        now: '2021-03-12T00:00:01-06:00',
        expected: ['2021-03-15T00:00:00-05:00', '2021-03-16T00:00:00-05:00'],
      },
    ]);
  });
});

describe('Europe/London', () => {
  const tz = LONDON;
  describe('spring-forward gap, 2024-03-31 01:00 → 02:00', () => {
    runTable(tz, [
      {
        name: 'fires once at 02:30 BST when 01:30 does not exist (London, 2024-03-31)',
        trigger: () => new CronTrigger({ hour: 1, minute: 30, timezone: tz }),
        now: '2024-03-29T12:00:00+00:00',
        expected: [
          '2024-03-30T01:30:00+00:00',
          '2024-03-31T02:30:00+01:00',
          '2024-04-01T01:30:00+01:00',
        ],
      },
      {
        name: "wildcard minute='*/20' goes from 00:40 GMT to 02:00 BST",
        trigger: () => new CronTrigger({ minute: '*/20', timezone: tz }),
        now: '2024-03-31T00:40:00+00:00',
        expected: [
          '2024-03-31T00:40:00+00:00',
          '2024-03-31T02:00:00+01:00',
          '2024-03-31T02:20:00+01:00',
        ],
      },
      {
        name: "hour='1,2' minute=0 fires a single 02:00 on the switch day (shifted 01:00 coincides with 02:00)",
        trigger: () => new CronTrigger({ hour: '1,2', minute: 0, timezone: tz }),
        now: '2024-03-30T12:00:00+00:00',
        expected: [
          '2024-03-31T02:00:00+01:00',
          '2024-04-01T01:00:00+01:00',
          '2024-04-01T02:00:00+01:00',
        ],
      },
      {
        name: "hour='1-23/2' is a fixed hour (only * and */n are wildcards): 01:00 shifts to 02:00",
        trigger: () => new CronTrigger({ hour: '1-23/2', minute: 0, timezone: tz }),
        now: '2024-03-31T00:30:00+00:00',
        expected: [
          '2024-03-31T02:00:00+01:00',
          '2024-03-31T03:00:00+01:00',
          '2024-03-31T05:00:00+01:00',
        ],
      },
      {
        name: "fromCrontab('0 9 * * 1-5') fires on the Monday after the switch weekend",
        trigger: () => CronTrigger.fromCrontab('0 9 * * 1-5', { timezone: tz }),
        now: '2024-03-29T10:00:00+00:00',
        expected: ['2024-04-01T09:00:00+01:00'],
      },
      {
        name: 'CalendarIntervalTrigger(days=1, 01:30) fires once at 02:30 BST on the switch day',
        trigger: () =>
          new CalendarIntervalTrigger({
            days: 1,
            hour: 1,
            minute: 30,
            startDate: '2024-03-30',
            timezone: tz,
          }),
        now: '2024-03-30T00:00:00+00:00',
        expected: [
          '2024-03-30T01:30:00+00:00',
          '2024-03-31T02:30:00+01:00',
          '2024-04-01T01:30:00+01:00',
        ],
      },
    ]);
  });

  describe('autumn fold, 2024-10-27 01:00–02:00 twice', () => {
    runTable(tz, [
      {
        name: 'fires 01:30 once, at the BST occurrence (London, 2024-10-27)',
        trigger: () => new CronTrigger({ hour: 1, minute: 30, timezone: tz }),
        now: '2024-10-25T12:00:00+01:00',
        expected: [
          '2024-10-26T01:30:00+01:00',
          '2024-10-27T01:30:00+01:00',
          '2024-10-28T01:30:00+00:00',
        ],
      },
      {
        name: "wildcard minute='*/20' fires the repeated hour in both passes",
        trigger: () => new CronTrigger({ minute: '*/20', timezone: tz }),
        now: '2024-10-27T01:20:00+01:00',
        expected: [
          '2024-10-27T01:20:00+01:00',
          '2024-10-27T01:40:00+01:00',
          '2024-10-27T01:00:00+00:00',
          '2024-10-27T01:20:00+00:00',
          '2024-10-27T01:40:00+00:00',
          '2024-10-27T02:00:00+00:00',
        ],
      },
      {
        name: "hour='1-23/2' is a fixed hour: 01:00 fires only in the first pass",
        trigger: () => new CronTrigger({ hour: '1-23/2', minute: 0, timezone: tz }),
        now: '2024-10-27T00:30:00+01:00',
        expected: [
          '2024-10-27T01:00:00+01:00',
          '2024-10-27T03:00:00+00:00',
          '2024-10-27T05:00:00+00:00',
        ],
      },
      {
        name: 'CalendarIntervalTrigger(days=1, 01:30) fires the repeated 01:30 once, in the first pass',
        trigger: () =>
          new CalendarIntervalTrigger({
            days: 1,
            hour: 1,
            minute: 30,
            startDate: '2024-10-26',
            timezone: tz,
          }),
        now: '2024-10-26T00:00:00+01:00',
        expected: [
          '2024-10-26T01:30:00+01:00',
          '2024-10-27T01:30:00+01:00',
          '2024-10-28T01:30:00+00:00',
        ],
      },
    ]);
  });
});

describe('Australia/Lord_Howe (30-minute DST)', () => {
  const tz = LORD_HOWE;
  describe('spring-forward gap, 2024-10-06 02:00 → 02:30', () => {
    runTable(tz, [
      {
        name: 'fires once at 02:45 when 02:15 does not exist (the gap is 30 minutes; Lord Howe, 2024-10-06)',
        trigger: () => new CronTrigger({ hour: 2, minute: 15, timezone: tz }),
        now: '2024-10-04T12:00:00+10:30',
        expected: [
          '2024-10-05T02:15:00+10:30',
          '2024-10-06T02:45:00+11:00',
          '2024-10-07T02:15:00+11:00',
        ],
      },
      {
        name: 'fires once at 02:30 when 02:00 does not exist',
        trigger: () => new CronTrigger({ hour: 2, minute: 0, timezone: tz }),
        now: '2024-10-04T12:00:00+10:30',
        expected: [
          '2024-10-05T02:00:00+10:30',
          '2024-10-06T02:30:00+11:00',
          '2024-10-07T02:00:00+11:00',
        ],
      },
      {
        name: "hour=2 minute='0,30': shifted 02:00 coincides with the regular 02:30 → one fire",
        trigger: () => new CronTrigger({ hour: 2, minute: '0,30', timezone: tz }),
        now: '2024-10-05T12:00:00+10:30',
        expected: [
          '2024-10-06T02:30:00+11:00',
          '2024-10-07T02:00:00+11:00',
          '2024-10-07T02:30:00+11:00',
        ],
      },
      {
        name: "wildcard minute='*/15' goes from 01:45 to 02:30: 02:00 and 02:15 do not occur",
        trigger: () => new CronTrigger({ minute: '*/15', timezone: tz }),
        now: '2024-10-06T01:30:00+10:30',
        expected: [
          '2024-10-06T01:30:00+10:30',
          '2024-10-06T01:45:00+10:30',
          '2024-10-06T02:30:00+11:00',
          '2024-10-06T02:45:00+11:00',
        ],
      },
      {
        name: "wildcard minute='*/20' goes from 01:40 to 02:40: 02:00 and 02:20 do not occur",
        trigger: () => new CronTrigger({ minute: '*/20', timezone: tz }),
        now: '2024-10-06T01:35:00+10:30',
        expected: [
          '2024-10-06T01:40:00+10:30',
          '2024-10-06T02:40:00+11:00',
          '2024-10-06T03:00:00+11:00',
        ],
      },
      {
        name: 'IntervalTrigger(minutes=30) goes from 01:30 to 02:30 (half a real hour)',
        trigger: () =>
          new IntervalTrigger({
            minutes: 30,
            startDate: '2024-10-06T01:00:00+10:30',
            timezone: tz,
          }),
        now: '2024-10-06T00:00:00+10:30',
        expected: [
          '2024-10-06T01:00:00+10:30',
          '2024-10-06T01:30:00+10:30',
          '2024-10-06T02:30:00+11:00',
          '2024-10-06T03:00:00+11:00',
        ],
      },
      {
        name: "hourly (hour='*', minute=0) goes from 01:00 to 03:00: 02:00 does not occur",
        trigger: () => new CronTrigger({ hour: '*', minute: 0, timezone: tz }),
        now: '2024-10-06T00:30:00+10:30',
        expected: [
          '2024-10-06T01:00:00+10:30',
          '2024-10-06T03:00:00+11:00',
          '2024-10-06T04:00:00+11:00',
        ],
      },
      {
        name: 'CalendarIntervalTrigger(days=1, 02:15) fires once at 02:45 on the switch day',
        trigger: () =>
          new CalendarIntervalTrigger({
            days: 1,
            hour: 2,
            minute: 15,
            startDate: '2024-10-05',
            timezone: tz,
          }),
        now: '2024-10-05T00:00:00+10:30',
        expected: [
          '2024-10-05T02:15:00+10:30',
          '2024-10-06T02:45:00+11:00',
          '2024-10-07T02:15:00+11:00',
        ],
      },
      {
        name: 'IntervalTrigger(hours=24) drifts by half an hour: 12:00 becomes 12:30',
        trigger: () =>
          new IntervalTrigger({ hours: 24, startDate: '2024-10-05T12:00:00+10:30', timezone: tz }),
        now: '2024-10-05T00:00:00+10:30',
        expected: [
          '2024-10-05T12:00:00+10:30',
          '2024-10-06T12:30:00+11:00',
          '2024-10-07T12:30:00+11:00',
        ],
      },
    ]);
  });

  describe('autumn fold, 2024-04-07 01:30–02:00 twice', () => {
    runTable(tz, [
      {
        name: 'fires 01:45 once, at the first (+11:00) occurrence (Lord Howe, 2024-04-07)',
        trigger: () => new CronTrigger({ hour: 1, minute: 45, timezone: tz }),
        now: '2024-04-05T12:00:00+11:00',
        expected: [
          '2024-04-06T01:45:00+11:00',
          '2024-04-07T01:45:00+11:00',
          '2024-04-08T01:45:00+10:30',
        ],
      },
      {
        name: "wildcard minute='*/15' fires 01:30 and 01:45 in both passes",
        trigger: () => new CronTrigger({ minute: '*/15', timezone: tz }),
        now: '2024-04-07T01:15:00+11:00',
        expected: [
          '2024-04-07T01:15:00+11:00',
          '2024-04-07T01:30:00+11:00',
          '2024-04-07T01:45:00+11:00',
          '2024-04-07T01:30:00+10:30',
          '2024-04-07T01:45:00+10:30',
          '2024-04-07T02:00:00+10:30',
        ],
      },
      {
        name: "hourly (hour='*', minute=30) fires 01:30 in both passes",
        trigger: () => new CronTrigger({ hour: '*', minute: 30, timezone: tz }),
        now: '2024-04-07T00:45:00+11:00',
        expected: [
          '2024-04-07T01:30:00+11:00',
          '2024-04-07T01:30:00+10:30',
          '2024-04-07T02:30:00+10:30',
        ],
      },
      {
        name: 'IntervalTrigger(hours=24) drifts by half an hour: 12:00 becomes 11:30',
        trigger: () =>
          new IntervalTrigger({ hours: 24, startDate: '2024-04-06T12:00:00+11:00', timezone: tz }),
        now: '2024-04-06T00:00:00+11:00',
        expected: ['2024-04-06T12:00:00+11:00', '2024-04-07T11:30:00+10:30'],
      },
    ]);
  });
});

describe('America/Santiago (transitions at midnight)', () => {
  const tz = SANTIAGO;
  describe('spring-forward gap, Sunday 2024-09-08 00:00 → 01:00 (midnight does not exist)', () => {
    runTable(tz, [
      {
        name: 'a daily midnight job fires at 01:00 on 2024-09-08 and at midnight on every other day',
        trigger: () => new CronTrigger({ hour: 0, minute: 0, timezone: tz }),
        now: '2024-09-06T12:00:00-04:00',
        expected: [
          '2024-09-07T00:00:00-04:00',
          '2024-09-08T01:00:00-03:00',
          '2024-09-09T00:00:00-03:00',
          '2024-09-10T00:00:00-03:00',
        ],
      },
      {
        name: "fromCrontab('@daily') fires on 2024-09-08 at 01:00",
        trigger: () => CronTrigger.fromCrontab('@daily', { timezone: tz }),
        now: '2024-09-06T12:00:00-04:00',
        expected: [
          '2024-09-07T00:00:00-04:00',
          '2024-09-08T01:00:00-03:00',
          '2024-09-09T00:00:00-03:00',
        ],
      },
      {
        name: "day='*' (hour defaults to 0, which is a fixed hour) fires on 2024-09-08 at 01:00",
        trigger: () => new CronTrigger({ day: '*', timezone: tz }),
        now: '2024-09-06T12:00:00-04:00',
        expected: [
          '2024-09-07T00:00:00-04:00',
          '2024-09-08T01:00:00-03:00',
          '2024-09-09T00:00:00-03:00',
        ],
      },
      {
        name: "a weekly dayOfWeek='sun' job (midnight by default) fires on the switch Sunday at 01:00",
        trigger: () => new CronTrigger({ dayOfWeek: 'sun', timezone: tz }),
        now: '2024-09-01T12:00:00-04:00',
        expected: ['2024-09-08T01:00:00-03:00', '2024-09-15T00:00:00-03:00'],
      },
      {
        name: 'fires 00:30 once, at 01:30, on 2024-09-08',
        trigger: () => new CronTrigger({ hour: 0, minute: 30, timezone: tz }),
        now: '2024-09-06T12:00:00-04:00',
        expected: [
          '2024-09-07T00:30:00-04:00',
          '2024-09-08T01:30:00-03:00',
          '2024-09-09T00:30:00-03:00',
        ],
      },
      {
        name: "hour='0,1' minute=0 fires a single 01:00 on 2024-09-08 (shifted midnight coincides with 01:00)",
        trigger: () => new CronTrigger({ hour: '0,1', minute: 0, timezone: tz }),
        now: '2024-09-07T12:00:00-04:00',
        expected: [
          '2024-09-08T01:00:00-03:00',
          '2024-09-09T00:00:00-03:00',
          '2024-09-09T01:00:00-03:00',
        ],
      },
      {
        name: "fromCrontab('0 0 * * mon-fri') fires on Monday 2024-09-09",
        trigger: () => CronTrigger.fromCrontab('0 0 * * mon-fri', { timezone: tz }),
        now: '2024-09-06T12:00:00-04:00',
        expected: ['2024-09-09T00:00:00-03:00', '2024-09-10T00:00:00-03:00'],
      },
      {
        name: 'hourly (minute=0, hour defaults to *) goes from 23:00 on 09-07 to 01:00 on 09-08',
        trigger: () => new CronTrigger({ minute: 0, timezone: tz }),
        now: '2024-09-07T22:30:00-04:00',
        expected: [
          '2024-09-07T23:00:00-04:00',
          '2024-09-08T01:00:00-03:00',
          '2024-09-08T02:00:00-03:00',
        ],
      },
      {
        name: "dst: { gap: 'skip' } makes the daily midnight job skip 2024-09-08",
        trigger: () => new CronTrigger({ hour: 0, minute: 0, timezone: tz, dst: { gap: 'skip' } }),
        now: '2024-09-06T12:00:00-04:00',
        expected: ['2024-09-07T00:00:00-04:00', '2024-09-09T00:00:00-03:00'],
      },
      {
        name: "hour='*/2' is a wildcard: midnight of 2024-09-08 does not occur, the next fire is 02:00",
        trigger: () => new CronTrigger({ hour: '*/2', minute: 0, timezone: tz }),
        now: '2024-09-07T21:00:00-04:00',
        expected: [
          '2024-09-07T22:00:00-04:00',
          '2024-09-08T02:00:00-03:00',
          '2024-09-08T04:00:00-03:00',
        ],
      },
      {
        name: 'CalendarIntervalTrigger(days=1) at midnight fires at 01:00 on 2024-09-08',
        trigger: () =>
          new CalendarIntervalTrigger({ days: 1, startDate: '2024-09-07', timezone: tz }),
        now: '2024-09-07T00:00:00-04:00',
        expected: [
          '2024-09-07T00:00:00-04:00',
          '2024-09-08T01:00:00-03:00',
          '2024-09-09T00:00:00-03:00',
        ],
      },
      {
        name: 'IntervalTrigger(days=1) is 24 real hours: midnight becomes 01:00 and stays there',
        trigger: () =>
          new IntervalTrigger({ days: 1, startDate: '2024-09-07T00:00:00-04:00', timezone: tz }),
        now: '2024-09-06T12:00:00-04:00',
        expected: [
          '2024-09-07T00:00:00-04:00',
          '2024-09-08T01:00:00-03:00',
          '2024-09-09T01:00:00-03:00',
        ],
      },
    ]);

    it('a daily midnight job fires exactly once on every calendar day from 2024-08-25 to 2024-09-23', () => {
      expectOncePerCalendarDay(
        new CronTrigger({ hour: 0, minute: 0, timezone: tz }),
        tz,
        '2024-08-24T12:00:00-04:00',
        30,
      );
    });
  });

  describe('autumn fold, Saturday 2024-04-06 23:00–24:00 twice', () => {
    runTable(tz, [
      {
        name: 'a daily midnight job fires once on 2024-04-07 (midnight follows the repeated hour)',
        trigger: () => new CronTrigger({ hour: 0, minute: 0, timezone: tz }),
        now: '2024-04-05T12:00:00-03:00',
        expected: [
          '2024-04-06T00:00:00-03:00',
          '2024-04-07T00:00:00-04:00',
          '2024-04-08T00:00:00-04:00',
        ],
      },
      {
        name: 'fires 23:30 once on 2024-04-06, at the first (-03:00) occurrence',
        trigger: () => new CronTrigger({ hour: 23, minute: 30, timezone: tz }),
        now: '2024-04-05T12:00:00-03:00',
        expected: [
          '2024-04-05T23:30:00-03:00',
          '2024-04-06T23:30:00-03:00',
          '2024-04-07T23:30:00-04:00',
        ],
      },
      {
        name: 'hourly (minute=0, hour defaults to *) fires 23:00 in both passes',
        trigger: () => new CronTrigger({ minute: 0, timezone: tz }),
        now: '2024-04-06T21:30:00-03:00',
        expected: [
          '2024-04-06T22:00:00-03:00',
          '2024-04-06T23:00:00-03:00',
          '2024-04-06T23:00:00-04:00',
          '2024-04-07T00:00:00-04:00',
        ],
      },
      {
        name: 'CalendarIntervalTrigger(days=1, 23:30) fires the repeated 23:30 once, in the first pass',
        trigger: () =>
          new CalendarIntervalTrigger({
            days: 1,
            hour: 23,
            minute: 30,
            startDate: '2024-04-05',
            timezone: tz,
          }),
        now: '2024-04-05T00:00:00-03:00',
        expected: [
          '2024-04-05T23:30:00-03:00',
          '2024-04-06T23:30:00-03:00',
          '2024-04-07T23:30:00-04:00',
        ],
      },
    ]);

    it('a daily midnight job fires exactly once on every calendar day from 2024-03-25 to 2024-04-23', () => {
      expectOncePerCalendarDay(
        new CronTrigger({ hour: 0, minute: 0, timezone: tz }),
        tz,
        '2024-03-24T12:00:00-03:00',
        30,
      );
    });
  });
});

describe('Pacific/Chatham (+12:45 / +13:45)', () => {
  const tz = CHATHAM;
  describe('spring-forward gap, 2024-09-29 02:45 → 03:45', () => {
    runTable(tz, [
      {
        name: 'fires once at 04:00 when 03:00 does not exist (Chatham, 2024-09-29)',
        trigger: () => new CronTrigger({ hour: 3, minute: 0, timezone: tz }),
        now: '2024-09-27T12:00:00+12:45',
        expected: [
          '2024-09-28T03:00:00+12:45',
          '2024-09-29T04:00:00+13:45',
          '2024-09-30T03:00:00+13:45',
        ],
      },
      {
        name: 'fires once at 03:45 when 02:45 does not exist',
        trigger: () => new CronTrigger({ hour: 2, minute: 45, timezone: tz }),
        now: '2024-09-27T12:00:00+12:45',
        expected: [
          '2024-09-28T02:45:00+12:45',
          '2024-09-29T03:45:00+13:45',
          '2024-09-30T02:45:00+13:45',
        ],
      },
      {
        name: "hour='2,3' minute=45 fires a single 03:45 (shifted 02:45 coincides with the regular 03:45)",
        trigger: () => new CronTrigger({ hour: '2,3', minute: 45, timezone: tz }),
        now: '2024-09-28T12:00:00+12:45',
        expected: [
          '2024-09-29T03:45:00+13:45',
          '2024-09-30T02:45:00+13:45',
          '2024-09-30T03:45:00+13:45',
        ],
      },
      {
        name: "wildcard minute='*/15' goes from 02:30 to 03:45",
        trigger: () => new CronTrigger({ minute: '*/15', timezone: tz }),
        now: '2024-09-29T02:15:00+12:45',
        expected: [
          '2024-09-29T02:15:00+12:45',
          '2024-09-29T02:30:00+12:45',
          '2024-09-29T03:45:00+13:45',
          '2024-09-29T04:00:00+13:45',
        ],
      },
      {
        name: "hourly (hour='*', minute=0) goes from 02:00 to 04:00: 03:00 does not occur",
        trigger: () => new CronTrigger({ hour: '*', minute: 0, timezone: tz }),
        now: '2024-09-29T01:30:00+12:45',
        expected: ['2024-09-29T02:00:00+12:45', '2024-09-29T04:00:00+13:45'],
      },
      {
        name: 'a daily midnight job fires on every day around the switch',
        trigger: () => new CronTrigger({ hour: 0, minute: 0, timezone: tz }),
        now: '2024-09-27T12:00:00+12:45',
        expected: [
          '2024-09-28T00:00:00+12:45',
          '2024-09-29T00:00:00+12:45',
          '2024-09-30T00:00:00+13:45',
        ],
      },
      {
        name: "fromCrontab('0 9 * * mon-fri') fires on the Monday after the switch weekend",
        trigger: () => CronTrigger.fromCrontab('0 9 * * mon-fri', { timezone: tz }),
        now: '2024-09-27T10:00:00+12:45',
        expected: ['2024-09-30T09:00:00+13:45'],
      },
      {
        name: 'CalendarIntervalTrigger(days=1, 03:00) fires once at 04:00 on the switch day',
        trigger: () =>
          new CalendarIntervalTrigger({ days: 1, hour: 3, startDate: '2024-09-28', timezone: tz }),
        now: '2024-09-28T00:00:00+12:45',
        expected: [
          '2024-09-28T03:00:00+12:45',
          '2024-09-29T04:00:00+13:45',
          '2024-09-30T03:00:00+13:45',
        ],
      },
      {
        name: 'IntervalTrigger(hours=24) drifts from 12:00 to 13:00',
        trigger: () =>
          new IntervalTrigger({ hours: 24, startDate: '2024-09-28T12:00:00+12:45', timezone: tz }),
        now: '2024-09-28T00:00:00+12:45',
        expected: ['2024-09-28T12:00:00+12:45', '2024-09-29T13:00:00+13:45'],
      },
    ]);

    it('a daily midnight job fires exactly once on every calendar day from 2024-09-20 to 2024-10-19', () => {
      expectOncePerCalendarDay(
        new CronTrigger({ hour: 0, minute: 0, timezone: tz }),
        tz,
        '2024-09-19T12:00:00+12:45',
        30,
      );
    });
  });

  describe('autumn fold, 2024-04-07 02:45–03:45 twice', () => {
    runTable(tz, [
      {
        name: 'fires 03:00 once, at the first (+13:45) occurrence (Chatham, 2024-04-07)',
        trigger: () => new CronTrigger({ hour: 3, minute: 0, timezone: tz }),
        now: '2024-04-05T12:00:00+13:45',
        expected: [
          '2024-04-06T03:00:00+13:45',
          '2024-04-07T03:00:00+13:45',
          '2024-04-08T03:00:00+12:45',
        ],
      },
      {
        name: "hourly (hour='*', minute=0) fires 03:00 in both passes",
        trigger: () => new CronTrigger({ hour: '*', minute: 0, timezone: tz }),
        now: '2024-04-07T01:30:00+13:45',
        expected: [
          '2024-04-07T02:00:00+13:45',
          '2024-04-07T03:00:00+13:45',
          '2024-04-07T03:00:00+12:45',
          '2024-04-07T04:00:00+12:45',
        ],
      },
      {
        name: 'a daily midnight job fires on every day around the switch',
        trigger: () => new CronTrigger({ hour: 0, minute: 0, timezone: tz }),
        now: '2024-04-05T12:00:00+13:45',
        expected: [
          '2024-04-06T00:00:00+13:45',
          '2024-04-07T00:00:00+13:45',
          '2024-04-08T00:00:00+12:45',
        ],
      },
      {
        name: 'CalendarIntervalTrigger(days=1, 03:00) fires the repeated 03:00 once, in the first pass',
        trigger: () =>
          new CalendarIntervalTrigger({ days: 1, hour: 3, startDate: '2024-04-06', timezone: tz }),
        now: '2024-04-06T00:00:00+13:45',
        expected: [
          '2024-04-06T03:00:00+13:45',
          '2024-04-07T03:00:00+13:45',
          '2024-04-08T03:00:00+12:45',
        ],
      },
    ]);
  });
});

describe('year-long invariants (2024)', () => {
  it.each<{
    readonly tz: string;
    readonly hour: number;
    readonly minute: number;
    readonly where: string;
  }>([
    { tz: NEW_YORK, hour: 2, minute: 30, where: 'gap' },
    { tz: NEW_YORK, hour: 1, minute: 30, where: 'fold' },
    { tz: BERLIN, hour: 2, minute: 30, where: 'gap and fold' },
    { tz: LONDON, hour: 1, minute: 30, where: 'gap and fold' },
    { tz: LORD_HOWE, hour: 2, minute: 15, where: 'gap' },
    { tz: LORD_HOWE, hour: 1, minute: 45, where: 'fold' },
    { tz: SANTIAGO, hour: 0, minute: 0, where: 'gap' },
    { tz: SANTIAGO, hour: 23, minute: 30, where: 'fold' },
    { tz: CHATHAM, hour: 3, minute: 0, where: 'gap and fold' },
  ])(
    'a daily $hour:$minute job in $tz ($where) fires exactly once on each of the 366 days',
    ({ tz, hour, minute }) => {
      expectOncePerCalendarDay(
        new CronTrigger({ hour, minute, timezone: tz }),
        tz,
        '2023-12-31T14:00:00Z',
        366,
      );
    },
  );

  it.each([NEW_YORK, BERLIN, LONDON, SANTIAGO, CHATHAM])(
    'an hourly job (minute=0) in %s fires every real hour through 2024 (whole-hour DST shifts)',
    (tz) => {
      const trigger = new CronTrigger({ minute: 0, timezone: tz });
      let previous = trigger.getNextFireTime(null, new Date('2024-01-01T00:00:00Z'));
      expect(previous).not.toBeNull();
      const gaps = new Set<number>();
      for (let i = 0; i < 366 * 24 && previous !== null; i++) {
        const next: Date | null = trigger.getNextFireTime(previous, previous);
        expect(next).not.toBeNull();
        if (next === null) break;
        gaps.add(next.getTime() - previous.getTime());
        previous = next;
      }
      expect([...gaps]).toEqual([3_600_000]);
    },
  );
});
