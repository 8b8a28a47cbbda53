/**
 * APScheduler's trigger conformance vectors (test/fixtures/trigger-vectors.json; where
 * they come from: test/fixtures/README.md), run against Horarium's triggers.
 *
 * - Every 3.x vector runs. 3.x conventions are translated (snake_case → camelCase,
 *   3.x weekday numbers 0 = Monday → cron numbers 1 = Monday … 7 = Sunday, `from_crontab`'s
 *   AND of day and weekday → `dayMatching: 'and'`).
 * - Every 4.x vector runs too, adapted to `getNextFireTime` (4.x triggers are stateful
 *   iterators that start at `start_time`: the start becomes the first call's `now`, an
 *   interval's start becomes its `startDate`).
 * - Where SPEC deliberately differs from APScheduler, SPEC_ANSWERS holds SPEC's answer,
 *   worked out by hand from SPEC's rules (never computed by the code under test), with
 *   the reason; the reason is part of the test name.
 *
 * - Precision: APScheduler keeps microseconds, Horarium milliseconds (SPEC: date and interval
 *   triggers keep them; cron and calendar-interval fire times are whole seconds). A vector's
 *   sub-millisecond part rounds up to the next millisecond, in its inputs and in its expected
 *   results alike (a run is never early), so a sub-second date or interval vector is compared
 *   with upstream's own answer.
 *
 * Chaining (what the scheduler does): result 0 = getNextFireTime(previous_fire_time, start),
 * result k = getNextFireTime(result k−1, result k−1). Results are compared as ISO text with
 * the offset of the trigger's zone ('YYYY-MM-DDTHH:MM:SS[.mmm]±HH:MM', milliseconds only when
 * not zero), null when exhausted.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AndTrigger,
  type AndTriggerOptions,
  CalendarIntervalTrigger,
  type CalendarIntervalTriggerOptions,
  CronTrigger,
  type CronTriggerOptions,
  DateTrigger,
  type DateTriggerOptions,
  IntervalTrigger,
  type IntervalTriggerOptions,
  InvalidTriggerError,
  OrTrigger,
  type Trigger,
} from '../../src/index.ts';
import { formatIso } from '../../src/time/format.ts';
import { parseDateInput } from '../../src/time/parse.ts';
import { getZone, type Zone } from '../../src/time/zone.ts';

// ---------------------------------------------------------------------------------------
// SPEC's answers where it deliberately differs from APScheduler (worked out by hand)
// ---------------------------------------------------------------------------------------

type SpecAnswer =
  | { readonly reason: string; readonly expected: readonly (string | null)[] }
  | { readonly reason: string; readonly throws: typeof InvalidTriggerError };

const SPEC_ANSWERS: Readonly<Record<string, SpecAnswer>> = {
  // --- Results never precede the previous fire time ---------------------------------
  'v3-cron-008': {
    reason:
      'fires on 11-24, after the previous fire time (SPEC: strictly increasing; 3.x searched from a now before previous and returned 11-22)',
    expected: ['2015-11-24T00:00:00+01:00'],
  },

  // --- DST, fixed hours: a time in a fold fires once, at its first occurrence ---------
  // US/Eastern 2013-11-03: 02:00 EDT → 01:00 EST, so 01:30 occurs at -04:00 and at -05:00.
  'v3-cron-025': {
    reason:
      'fires once at the first 01:30 (SPEC: fixed hours fire once in a fold; 3.x fires twice)',
    expected: [
      '2013-11-03T01:30:00-04:00',
      '2013-11-04T01:30:00-05:00',
      '2013-11-05T01:30:00-05:00',
    ],
  },
  'v3-cron-027': {
    reason:
      'after the first 01:30 passed, the next is the next day (SPEC: fixed hours fire only at the first occurrence in a fold; 3.x fires the second 01:30)',
    expected: ['2013-11-04T01:30:00-05:00'],
  },
  'v3-cron-028': {
    reason:
      'after the first 01:30 passed, the next is the next day (SPEC: fixed hours fire only at the first occurrence in a fold; 3.x fires the second 01:30)',
    expected: ['2013-11-04T01:30:00-05:00'],
  },
  // Europe/Berlin 2024-10-27: 03:00 CEST → 02:00 CET.
  'v3-cron-059': {
    reason:
      'fires once at the first 02:30 (SPEC: fixed hours fire once in a fold; 3.x fires twice)',
    expected: [
      '2024-10-27T02:30:00+02:00',
      '2024-10-28T02:30:00+01:00',
      '2024-10-29T02:30:00+01:00',
    ],
  },
  'v4-cron-028': {
    reason:
      'fires once at the first 02:30 (SPEC: fixed hours fire once in a fold; 4.x fires twice)',
    expected: [
      '2024-10-27T02:30:00+02:00',
      '2024-10-28T02:30:00+01:00',
      '2024-10-29T02:30:00+01:00',
    ],
  },

  // --- DST, fixed hours: a time in a gap is shifted forward by the gap ----------------
  // Europe/Berlin 2024-03-31: 02:00 CET → 03:00 CEST.
  'v3-cron-058': {
    reason:
      'the missing 02:30 fires at 03:30+02:00 (SPEC: shifted by the gap; 3.x gives the same instant but prints the non-existent 02:30+01:00)',
    expected: ['2024-03-31T03:30:00+02:00', '2024-04-01T02:30:00+02:00'],
  },
  'v4-cron-027': {
    reason:
      'the missing 02:30 fires at 03:30+02:00 (SPEC: fixed hours in a gap shift forward by the gap; 4.x skips the day)',
    expected: ['2024-03-31T03:30:00+02:00', '2024-04-01T02:30:00+02:00'],
  },
  // US/Eastern 2013-03-10: 02:00 EST → 03:00 EDT.
  'v4-cron-015': {
    reason:
      'the missing 02:00 fires at 03:00-04:00 (SPEC: fixed hours in a gap shift forward by the gap; 4.x skips the day)',
    expected: ['2013-03-10T03:00:00-04:00'],
  },
  // Europe/Berlin 2016-03-27: 02:00 CET → 03:00 CEST; `now` = start_date 00:00.
  'v4-calint-001': {
    reason:
      'the missing 02:30 fires at 03:30+02:00 (SPEC: calendar-interval shifts a time in a gap forward by the gap; 3.x/4.x skip the date)',
    expected: ['2016-03-27T03:30:00+02:00', '2016-03-28T02:30:00+02:00'],
  },

  // --- Known APScheduler bugs: the intended result -------------------------------------
  'v3-cron-060': {
    reason:
      'fires on 03-14, the day after spring-forward (known_bug #606: APScheduler skips to 03-15; intended_expected)',
    expected: ['2022-03-14T00:00:00-07:00'],
  },
  'v3-cron-061': {
    reason:
      'fires on Monday 03-15 after the DST weekend (known_bug #529: APScheduler skips Monday; intended_expected)',
    expected: ['2021-03-15T00:00:00-05:00'],
  },
  'v4-cron-031': {
    reason:
      'fires on 03-14, the day after spring-forward (known_bug #606: APScheduler skips to 03-15; intended_expected)',
    expected: ['2022-03-14T00:00:00-07:00'],
  },

  // --- Errors instead of silent defaults -----------------------------------------------
  'v3-cron-062': {
    reason: 'a CronTrigger with no field is an error (SPEC; 3.x fired every second)',
    throws: InvalidTriggerError,
  },
  'v4-cron-032': {
    reason: 'a CronTrigger with no field is an error (SPEC; 4.x fires yearly)',
    throws: InvalidTriggerError,
  },
  'v3-interval-011': {
    reason: 'a zero interval is an error (SPEC; 3.x silently used 1 second)',
    throws: InvalidTriggerError,
  },

  // --- Grammar ---------------------------------------------------------------------------
  // 2024-01-01 is a Monday.
  'v3-cron-063': {
    reason:
      "the step of 'mon-fri/2' applies: mon, wed, fri (SPEC grammar a-b/c with weekday names; 3.x silently ignored the step)",
    expected: ['2024-01-01T00:00:00+00:00', '2024-01-03T00:00:00+00:00'],
  },
  'v4-cron-030': {
    reason:
      "the step of '1-5/2' applies: mon, wed, fri (SPEC grammar a-b/c; 4.x silently drops the step on numeric weekday ranges)",
    expected: [
      '2024-01-01T00:00:00-05:00',
      '2024-01-03T00:00:00-05:00',
      '2024-01-05T00:00:00-05:00',
    ],
  },

  // --- Whole seconds (cron and calendar interval) -------------------------------------------
  'v4-cron-029': {
    reason:
      'cron fire times are whole seconds, now 00:30:00.5 rounds up to 00:30:01 (SPEC; 4.x leaks the microseconds of start_time)',
    expected: ['2013-03-01T00:30:01-05:00', '2013-03-01T00:30:02-05:00'],
  },

  // --- Representation ----------------------------------------------------------------------
  'v3-date-007': {
    reason:
      "run_date '…12:00:00Z' fires at that instant, printed in the trigger zone as 14:00+02:00 (3.x keeps the string's UTC offset)",
    expected: ['2009-07-06T14:00:00+02:00'],
  },

  // --- Calendar interval: the first grid date whose fire time is ≥ now ------------------
  // These 3.x vectors call with now = 2030-01-01T00:00:00Z to show that 3.x ignores now and
  // returns start_date. SPEC: first grid date (chained from start_date) whose fire time ≥ now.
  'v3-calint-001': {
    // Daily at 02:30 Berlin; 2030-01-01 02:30+01:00 = 01:30Z ≥ now.
    reason:
      'starts at the first grid date on or after now, 2030-01-01 (SPEC; 3.x returns start_date 2016-03-27 in the past)',
    expected: ['2030-01-01T02:30:00+01:00', '2030-01-02T02:30:00+01:00'],
  },
  'v3-calint-002': {
    // Every 2 days from 2016-10-30: 2030-01-01 is 4811 days later (odd), so off the grid; the grid
    // date 2029-12-31 fires at 01:30Z, before now; the next is 2030-01-02.
    reason:
      'starts at the first grid date on or after now, 2030-01-02 (SPEC; 3.x returns start_date 2016-10-30 in the past)',
    expected: ['2030-01-02T02:30:00+01:00', '2030-01-04T02:30:00+01:00'],
  },
  'v3-calint-003': {
    // Monthly from 03-31 keeps day 31 (months without it are passed over); 2029-12-31 00:00+01:00
    // is before now, 2030-01-31 is the first after. 2030-03-31 is the spring-forward day in
    // Berlin, but midnight is still CET.
    reason:
      'starts at the first grid date on or after now, 2030-01-31 (SPEC; 3.x returns start_date 2016-03-31 in the past)',
    expected: [
      '2030-01-31T00:00:00+01:00',
      '2030-03-31T00:00:00+01:00',
      '2030-05-31T00:00:00+02:00',
      '2030-07-31T00:00:00+02:00',
    ],
  },
  'v3-calint-004': {
    reason:
      'starts at the first grid date on or after now, 2030-01-01 (SPEC; 3.x returns start_date 2016-03-31 in the past)',
    expected: ['2030-01-01T01:00:00+00:00', '2030-01-02T01:00:00+00:00'],
  },
  'v3-calint-005': {
    reason:
      'finished: the only date, 2020-12-31, lies before now (SPEC: first grid date ≥ now; 3.x returns it)',
    expected: [null],
  },
  'v3-calint-006': {
    // Yearly from 2016-02-29 (non-leap years passed over): 2028-02-29 < now ≤ 2032-02-29.
    reason:
      'starts at the first grid date on or after now, 2032-02-29 (SPEC; 3.x returns start_date 2016-02-29 in the past)',
    expected: [
      '2032-02-29T00:00:00+01:00',
      '2036-02-29T00:00:00+01:00',
      '2040-02-29T00:00:00+01:00',
    ],
  },
  'v3-calint-007': {
    // Grid chained from 2024-01-31 by +1 month (repeated while the day does not exist) then +1 day:
    // 01-31, 04-01, 05-02, … 2029-12-04, 2030-01-05, 2030-02-06, 2030-03-07.
    reason:
      'starts at the first grid date on or after now, 2030-01-05 (SPEC; 3.x returns start_date 2024-01-31 in the past)',
    expected: [
      '2030-01-05T00:00:00+00:00',
      '2030-02-06T00:00:00+00:00',
      '2030-03-07T00:00:00+00:00',
    ],
  },
  'v3-calint-008': {
    // Every 14 days from 2024-03-01: 2030-01-11 is 2142 = 14·153 days later; 2029-12-28 09:00 EST
    // is before now (2029-12-31 19:00 EST).
    reason:
      'starts at the first grid date on or after now, 2030-01-11 (SPEC; 3.x returns start_date 2024-03-01 in the past)',
    expected: [
      '2030-01-11T09:00:00-05:00',
      '2030-01-25T09:00:00-05:00',
      '2030-02-08T09:00:00-05:00',
    ],
  },
};

// ---------------------------------------------------------------------------------------
// 4.x vectors whose meaning differs under getNextFireTime
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// The vector file
// ---------------------------------------------------------------------------------------

type Params = Readonly<Record<string, unknown>>;

interface SubTriggerSpec {
  readonly kind: string;
  readonly params: Params;
  readonly timezone?: string | null;
  readonly start?: string | null;
}

interface Vector {
  readonly id: string;
  readonly kind: string;
  readonly api: '3.x' | '4.x';
  readonly params: Params;
  readonly timezone: string | null;
  readonly start: string | null;
  readonly previous_fire_time: string | null;
  readonly expected: readonly (string | null)[];
  readonly notes?: string | null;
  readonly known_bug?: boolean;
  readonly intended_expected?: readonly (string | null)[];
}

const VECTORS_URL = new URL('../fixtures/trigger-vectors.json', import.meta.url);

function loadVectors(): readonly Vector[] {
  const path = fileURLToPath(VECTORS_URL);
  const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${path}: expected an array of vectors`);
  return data.map((entry: unknown, index) => {
    if (
      !isRecord(entry) ||
      typeof entry.id !== 'string' ||
      (entry.api !== '3.x' && entry.api !== '4.x')
    ) {
      throw new Error(`${path}: entry ${index} is not a vector`);
    }
    if (!Array.isArray(entry.expected) || !isRecord(entry.params)) {
      throw new Error(`${path}: vector ${entry.id} lacks expected or params`);
    }
    return entry as unknown as Vector;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------
// Reading vector values
// ---------------------------------------------------------------------------------------

/**
 * A vector datetime as an instant. Naive strings are read in `zone`. Sub-millisecond
 * fractions (vectors carry microseconds) round UP to the next millisecond, so that a `now`
 * 5 µs after 03:30:00 stays after it.
 */
function instantOf(text: string, zone: Zone): number {
  const match = /^(.*\d:\d\d:\d\d)\.(\d+)(.*)$/.exec(text);
  if (match === null) return parseDateInput(text, zone);
  const [, head = '', fraction = '', offset = ''] = match;
  const nanoseconds = Number(fraction.padEnd(9, '0').slice(0, 9));
  return parseDateInput(`${head}${offset}`, zone) + Math.ceil(nanoseconds / 1_000_000);
}

/** A fire time as the vectors print it, with milliseconds when it has any. */
function formatFireTime(time: Date, zone: Zone): string {
  return formatIso(time.getTime(), zone);
}

/** An expected result as Horarium prints it: a sub-second part rounded up to the millisecond, as the inputs are. */
function expectedText(value: string | null, zone: Zone): string | null {
  if (value === null || !SUB_SECOND.test(value)) return value;
  return formatIso(instantOf(value, zone), zone);
}

/**
 * A date parameter for a trigger: the text as written, except that a sub-millisecond
 * fraction is rounded up as {@link instantOf} does (the trigger's own parser drops
 * digits past the millisecond, as `Date` does), so inputs and `now` agree.
 */
function dateParam(value: string, zoneName: string): string | number {
  return /\.\d{4,}/.test(value) ? instantOf(value, getZone(zoneName)) : value;
}

/** The zone a vector's results are printed in; 4.x vectors without a zone use the offset of their results. */
function zoneNameOf(vector: Vector): string {
  if (vector.timezone !== null) return vector.timezone;
  const sample = [...vector.expected, vector.start].find(
    (value): value is string => typeof value === 'string',
  );
  const offset = sample === undefined ? undefined : /([+-]\d\d:\d\d)$/.exec(sample)?.[1];
  if (offset === undefined) throw new Error(`${vector.id}: no zone and no offset to take one from`);
  return offset === '+00:00' ? 'UTC' : offset;
}

const PARAM_NAMES: Readonly<Record<string, string>> = {
  day_of_week: 'dayOfWeek',
  start_date: 'startDate',
  end_date: 'endDate',
  run_date: 'runDate',
  end_time: 'endDate', // 4.x
  run_time: 'runDate', // 4.x
};

/** snake_case → camelCase, rejecting parameters this file does not know (nothing is dropped silently). */
function camelParams(
  id: string,
  params: Params,
  allowed: readonly string[],
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const name = PARAM_NAMES[key] ?? key;
    if (!allowed.includes(name))
      throw new Error(`${id}: parameter ${key} is not handled by this test`);
    result[name] = value;
  }
  return result;
}

function fieldValue(id: string, value: unknown): string | number {
  if (typeof value === 'string' || typeof value === 'number') return value;
  throw new Error(`${id}: expected a string or number, got ${JSON.stringify(value)}`);
}

function numberValue(id: string, value: unknown): number {
  if (typeof value === 'number') return value;
  throw new Error(`${id}: expected a number, got ${JSON.stringify(value)}`);
}

function stringValue(id: string, value: unknown): string {
  if (typeof value === 'string') return value;
  throw new Error(`${id}: expected a string, got ${JSON.stringify(value)}`);
}

/** Keeps only the options actually given, so "explicitly given" stays meaningful to the trigger. */
function given<T extends object>(options: T): T {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as T;
}

function mapDefined<T, R>(value: T | undefined, f: (v: T) => R): R | undefined {
  return value === undefined ? undefined : f(value);
}

// ---------------------------------------------------------------------------------------
// Translating APScheduler conventions
// ---------------------------------------------------------------------------------------

/**
 * 3.x numbers weekdays 0 = Monday … 6 = Sunday; SPEC follows cron, 1 = Monday … 7 (or 0) =
 * Sunday. Each number in a value or range moves up by one; steps and names are unchanged.
 */
function weekdaysFrom3x(expression: string | number): string {
  return String(expression)
    .split(',')
    .map((part) =>
      part
        .trim()
        .replace(/^(\d+)(?:-(\d+))?/, (_whole, first: string, last: string | undefined) =>
          last === undefined ? `${Number(first) + 1}` : `${Number(first) + 1}-${Number(last) + 1}`,
        ),
    )
    .join(',');
}

/** 3.x `from_crontab`: 5 fields, weekday numbers as above (day AND weekday is selected with dayMatching). */
function crontabFrom3x(id: string, expression: string): string {
  const fields = expression.trim().split(/\s+/);
  const dayOfWeek = fields[4];
  if (fields.length !== 5 || dayOfWeek === undefined)
    throw new Error(`${id}: expected 5 crontab fields`);
  return [...fields.slice(0, 4), weekdaysFrom3x(dayOfWeek)].join(' ');
}

// ---------------------------------------------------------------------------------------
// Building triggers
// ---------------------------------------------------------------------------------------

const CRON_FIELDS = [
  'year',
  'month',
  'day',
  'week',
  'dayOfWeek',
  'hour',
  'minute',
  'second',
] as const;

interface BuildContext {
  readonly id: string;
  readonly api: '3.x' | '4.x';
  readonly zone: string;
}

function buildTrigger(spec: SubTriggerSpec, context: BuildContext): Trigger {
  const { id, api } = context;
  const zone = spec.timezone ?? context.zone;
  // A 4.x interval starts at its start_time: that is the grid anchor, startDate. (For cron,
  // start_time is only where the search begins: the `now` of the first call, see firstNow4x.)
  const start4x = api === '4.x' && spec.start != null ? spec.start : undefined;

  switch (spec.kind) {
    case 'cron': {
      const p = camelParams(id, spec.params, [...CRON_FIELDS, 'startDate', 'endDate']);
      const options: CronTriggerOptions = { timezone: zone };
      for (const field of CRON_FIELDS) {
        if (p[field] === undefined) continue;
        const value = fieldValue(id, p[field]);
        options[field] = field === 'dayOfWeek' && api === '3.x' ? weekdaysFrom3x(value) : value;
      }
      options.startDate = mapDefined(p.startDate, (v) => dateParam(stringValue(id, v), zone));
      options.endDate = mapDefined(p.endDate, (v) => dateParam(stringValue(id, v), zone));
      return new CronTrigger(given(options));
    }
    case 'cron_crontab': {
      const p = camelParams(id, spec.params, ['expr']);
      const expression = stringValue(id, p.expr);
      return api === '3.x'
        ? CronTrigger.fromCrontab(crontabFrom3x(id, expression), {
            timezone: zone,
            dayMatching: 'and',
          })
        : CronTrigger.fromCrontab(expression, { timezone: zone });
    }
    case 'interval': {
      const p = camelParams(id, spec.params, [
        'weeks',
        'days',
        'hours',
        'minutes',
        'seconds',
        'startDate',
        'endDate',
      ]);
      const options: IntervalTriggerOptions = {
        weeks: mapDefined(p.weeks, (v) => numberValue(id, v)),
        days: mapDefined(p.days, (v) => numberValue(id, v)),
        hours: mapDefined(p.hours, (v) => numberValue(id, v)),
        minutes: mapDefined(p.minutes, (v) => numberValue(id, v)),
        seconds: mapDefined(p.seconds, (v) => numberValue(id, v)),
        startDate: mapDefined(mapDefined(p.startDate, (v) => stringValue(id, v)) ?? start4x, (v) =>
          dateParam(v, zone),
        ),
        endDate: mapDefined(p.endDate, (v) => dateParam(stringValue(id, v), zone)),
        timezone: zone,
      };
      return new IntervalTrigger(given(options));
    }
    case 'date': {
      const p = camelParams(id, spec.params, ['runDate']);
      const options: DateTriggerOptions = {
        runDate: dateParam(stringValue(id, p.runDate), zone),
        timezone: zone,
      };
      return new DateTrigger(options);
    }
    case 'calendarinterval': {
      const p = camelParams(id, spec.params, [
        'years',
        'months',
        'weeks',
        'days',
        'hour',
        'minute',
        'second',
        'startDate',
        'endDate',
      ]);
      const options: CalendarIntervalTriggerOptions = {
        years: mapDefined(p.years, (v) => numberValue(id, v)),
        months: mapDefined(p.months, (v) => numberValue(id, v)),
        weeks: mapDefined(p.weeks, (v) => numberValue(id, v)),
        days: mapDefined(p.days, (v) => numberValue(id, v)),
        hour: mapDefined(p.hour, (v) => numberValue(id, v)),
        minute: mapDefined(p.minute, (v) => numberValue(id, v)),
        second: mapDefined(p.second, (v) => numberValue(id, v)),
        startDate: mapDefined(p.startDate, (v) => stringValue(id, v)),
        endDate: mapDefined(p.endDate, (v) => stringValue(id, v)),
        timezone: zone,
      };
      return new CalendarIntervalTrigger(given(options));
    }
    case 'and': {
      const p = camelParams(id, spec.params, ['triggers', 'threshold']);
      const options: AndTriggerOptions = given({
        threshold: mapDefined(p.threshold, (v) => numberValue(id, v)),
      });
      return new AndTrigger(subTriggers(p.triggers, { ...context, zone }), options);
    }
    case 'or': {
      const p = camelParams(id, spec.params, ['triggers']);
      return new OrTrigger(subTriggers(p.triggers, { ...context, zone }));
    }
    default:
      throw new Error(`${id}: unknown trigger kind ${spec.kind}`);
  }
}

function subTriggerSpecs(id: string, value: unknown): SubTriggerSpec[] {
  if (!Array.isArray(value)) throw new Error(`${id}: triggers must be an array`);
  return value.map((entry: unknown) => {
    if (!isRecord(entry) || typeof entry.kind !== 'string' || !isRecord(entry.params)) {
      throw new Error(`${id}: malformed sub-trigger ${JSON.stringify(entry)}`);
    }
    return entry as unknown as SubTriggerSpec;
  });
}

function subTriggers(value: unknown, context: BuildContext): Trigger[] {
  return subTriggerSpecs(context.id, value).map((spec) => buildTrigger(spec, context));
}

// ---------------------------------------------------------------------------------------
// Adapting a vector to getNextFireTime
// ---------------------------------------------------------------------------------------

interface Case {
  readonly zone: Zone;
  readonly build: () => Trigger;
  /** `now` of the first call. */
  readonly now: number;
  readonly previous: number | null;
}

/**
 * The `now` of the first call for a 4.x vector: its start_time (cron, interval), the run
 * time (date: any now works, a date trigger fires even in the past), the start date at
 * midnight (calendar interval, which has no start_time), the earliest of these for combined
 * triggers.
 */
function firstNow4x(spec: SubTriggerSpec, zone: Zone, id: string): number {
  if (spec.start != null) return instantOf(spec.start, zone);
  const p = spec.params;
  switch (spec.kind) {
    case 'date':
      return instantOf(stringValue(id, p.run_time), zone);
    case 'calendarinterval':
      return instantOf(stringValue(id, p.start_date), zone);
    case 'and':
    case 'or':
      return Math.min(
        ...subTriggerSpecs(id, p.triggers).map((sub) =>
          firstNow4x(sub, sub.timezone == null ? zone : getZone(sub.timezone), id),
        ),
      );
    default:
      throw new Error(`${id}: no start for a 4.x ${spec.kind} vector`);
  }
}

function adapt(vector: Vector): Case {
  const zoneName = zoneNameOf(vector);
  const zone = getZone(zoneName);
  const context: BuildContext = { id: vector.id, api: vector.api, zone: zoneName };
  const build = (): Trigger => buildTrigger(vector, context);

  if (vector.api === '3.x') {
    if (vector.start === null) throw new Error(`${vector.id}: a 3.x vector needs start (now)`);
    const previous =
      vector.previous_fire_time === null ? null : instantOf(vector.previous_fire_time, zone);
    return { zone, build, now: instantOf(vector.start, zone), previous };
  }
  return { zone, build, now: firstNow4x(vector, zone, vector.id), previous: null };
}

/** Chain as the scheduler does: each result becomes previous and now of the next call; stops once finished. */
function chain(
  trigger: Trigger,
  c: Case,
  count: number,
): { texts: (string | null)[]; times: Date[] } {
  const texts: (string | null)[] = [];
  const times: Date[] = [];
  let previous = c.previous === null ? null : new Date(c.previous);
  let now = new Date(c.now);
  while (texts.length < count) {
    const next = trigger.getNextFireTime(previous, now);
    if (next === null) {
      texts.push(null);
      break;
    }
    texts.push(formatFireTime(next, c.zone));
    times.push(next);
    previous = next;
    now = next;
  }
  return { texts, times };
}

const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/;
const SUB_SECOND = /:\d\d\.\d+[+-]\d\d:\d\d$/;
/** Kinds whose fire times are whole seconds (SPEC): a sub-second expected value needs SPEC's answer. */
const WHOLE_SECOND_KINDS = new Set(['cron', 'cron_crontab', 'calendarinterval']);

function describeVector(vector: Vector): string {
  const tz = vector.timezone === null ? '' : ` ${vector.timezone}`;
  return `${vector.id} ${vector.kind} ${JSON.stringify(vector.params)}${tz}`;
}

function runVector(vector: Vector, c: Case): void {
  const answer = SPEC_ANSWERS[vector.id];
  if (answer !== undefined && 'throws' in answer) {
    it(`${vector.id}: ${answer.reason}`, () => {
      expect(() => c.build()).toThrow(answer.throws);
    });
    return;
  }
  const expected = answer?.expected ?? vector.expected;
  const title = answer === undefined ? describeVector(vector) : `${vector.id}: ${answer.reason}`;
  it(title, () => {
    for (const value of expected) {
      if (value === null) continue;
      if (!CANONICAL.test(value))
        throw new Error(`${vector.id}: expected value ${value} is not ISO text with an offset`);
      if (WHOLE_SECOND_KINDS.has(vector.kind) && SUB_SECOND.test(value)) {
        throw new Error(
          `${vector.id}: expected value ${value} is not a whole second, as ${vector.kind} fire times are; give SPEC's answer in SPEC_ANSWERS`,
        );
      }
    }
    const { texts, times } = chain(c.build(), c, expected.length);
    expect(texts).toEqual(expected.map((value) => expectedText(value, c.zone)));
    // SPEC: strictly increasing along the chain, starting after the previous fire time.
    const instants = [
      ...(c.previous === null ? [] : [c.previous]),
      ...times.map((t) => t.getTime()),
    ];
    for (let i = 1; i < instants.length; i++)
      expect(instants[i]).toBeGreaterThan(instants[i - 1] ?? -Infinity);
  });
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

const vectors = loadVectors();
const adapted = new Map(vectors.map((vector) => [vector.id, adapt(vector)] as const));

for (const api of ['3.x', '4.x'] as const) {
  describe(`APScheduler ${api} trigger vectors`, () => {
    for (const vector of vectors.filter((v) => v.api === api)) {
      runVector(vector, adapted.get(vector.id) as Case);
    }
  });
}

describe('trigger vector bookkeeping', () => {
  const ids = new Set(vectors.map((v) => v.id));

  it('reads both API lines from the vector file', () => {
    expect(vectors.filter((v) => v.api === '3.x').length).toBeGreaterThan(0);
    expect(vectors.filter((v) => v.api === '4.x').length).toBeGreaterThan(0);
    expect(ids.size).toBe(vectors.length);
  });

  it('gives SPEC answers only for vectors that exist and run', () => {
    for (const id of Object.keys(SPEC_ANSWERS)) {
      expect(ids.has(id), id).toBe(true);
    }
  });

  it('answers every known_bug vector with its intended_expected', () => {
    for (const vector of vectors.filter((v) => v.known_bug === true)) {
      const answer = SPEC_ANSWERS[vector.id];
      expect(answer && 'expected' in answer ? answer.expected : undefined, vector.id).toEqual(
        vector.intended_expected,
      );
    }
  });
});
