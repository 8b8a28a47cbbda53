/**
 * Property tests for the triggers against SPEC.md ("Triggers", "DST policy"):
 * strictly increasing chains (whole seconds for cron and calendar interval,
 * whole milliseconds for date and interval), cron fire times equal to a brute-force
 * enumeration of matching wall times under the DST policy (nothing skipped,
 * nothing doubled, shifts only where documented), crontab ≡ field form,
 * JSON round trips, the daily fixed-hour guarantee, and interval/calendar/
 * combining models.
 */

import { fc, test } from '@fast-check/vitest';
import { describe, expect, vi } from 'vitest';
import { triggerFromJSON } from '../../src/extend.ts';
import {
  AndTrigger,
  CalendarIntervalTrigger,
  CronTrigger,
  type CronTriggerOptions,
  DateTrigger,
  IntervalTrigger,
  MaxIterationsError,
  OrTrigger,
  type Trigger,
} from '../../src/index.ts';
import {
  daysFromCivil,
  daysInMonth,
  fieldsFromWall,
  wallFromFields,
} from '../../src/time/civil.ts';
import { getZone, type Zone } from '../../src/time/zone.ts';
import {
  buildModel,
  type CronModel,
  crontabFieldExprArb,
  crontabOnlyFieldExprArb,
  expectedFireTimes,
  FIELDS,
  type FieldExpr,
  type FieldName,
  fieldExprArb,
  firstExpectedAfter,
  instantsOfWall,
  wallMatches,
  yearExprArb,
} from '../helpers/cron-model.ts';
import { fireTimes } from '../helpers/trigger-chains.ts';
import {
  DST_HEAVY_ZONES,
  instantNearTransitionArb,
  MS_DAY,
  MS_HOUR,
  MS_SECOND,
  type Transition,
  transitionNear,
} from '../helpers/zones.ts';

/** Scale every numRuns (e.g. PROPERTY_SCALE=10 for a long bug hunt); the default keeps the file under ~10 s. */
const SCALE = Number(process.env.PROPERTY_SCALE ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
// Long hunts need more than the default 30 s per test.
if (SCALE > 1) vi.setConfig({ testTimeout: 3_600_000 });

const YEAR_MS = 365 * MS_DAY;
const iso = (t: number): string => new Date(t).toISOString();

/** DST-heavy zones, UTC, and a fixed-offset zone. */
const triggerZoneArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...DST_HEAVY_ZONES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'UTC',
      'Asia/Kolkata',
      'America/Sao_Paulo',
      'Europe/Moscow',
      'Australia/Sydney',
    ),
  },
);

/** A zone with a `now` biased near its transitions (1965–2045), sometimes with milliseconds. */
const zoneAndNowArb = triggerZoneArb.chain((zone) =>
  fc.record({
    zone: fc.constant(zone),
    now: fc
      .tuple(
        instantNearTransitionArb(zone, 1965, 2045),
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999 })),
      )
      .map(([t, ms]) => t + ms),
  }),
);

interface Chain {
  fires: number[];
  /** True when the chain ended (null) or passed the horizon, rather than hitting the count limit. */
  exhausted: boolean;
}

/** t0 = next(null, now); t(k+1) = next(t(k), t(k)), up to `max` fire times not after `horizon`. */
function runChain(trigger: Trigger, now: number, max: number, horizon: number): Chain {
  const fires: number[] = [];
  for (const next of fireTimes(trigger, new Date(now))) {
    const t = next.getTime();
    if (t > horizon) return { fires, exhausted: true };
    fires.push(t);
    if (fires.length >= max) return { fires, exhausted: false };
  }
  return { fires, exhausted: true };
}

function expectIncreasingWholeSeconds(fires: readonly number[]): void {
  expectIncreasing(fires, MS_SECOND);
}

/** Strictly increasing, each a whole number of `resolution` ms (1: whole milliseconds, what a Date holds). */
function expectIncreasing(fires: readonly number[], resolution: number): void {
  for (let i = 0; i < fires.length; i++) {
    const t = fires[i] as number;
    const whole = Number.isInteger(t) && t % resolution === 0;
    expect({ i, t: iso(t), whole }).toEqual({ i, t: iso(t), whole: true });
    if (i > 0)
      expect({ i, t: iso(t), increases: t > (fires[i - 1] as number) }).toEqual({
        i,
        t: iso(t),
        increases: true,
      });
  }
}

/** Asserts `details[key] === true`, showing all of `details` on failure. */
function holds<T extends Record<string, unknown>>(details: T, key: keyof T & string): void {
  expect(details).toEqual({ ...details, [key]: true });
}

const ceilSecond = (t: number): number => Math.ceil(t / MS_SECOND) * MS_SECOND;

/**
 * Every fire time of `chain` matches the model exactly or is a documented gap
 * shift (never under wildcard hours), and the chain is complete: up to where it
 * stopped (`horizon` when exhausted), it is every matching wall time from `lo`,
 * nothing skipped, nothing doubled (when the model can enumerate them).
 */
function expectFollowsModel(
  chain: Chain,
  m: CronModel,
  zone: Zone,
  label: string,
  lo: number,
  horizon: number,
): void {
  for (const t of chain.fires) {
    expect({ label, t: iso(t), kind: classifyFire(m, zone, t) }).toEqual({
      label,
      t: iso(t),
      kind: expect.stringMatching(/^(exact|shifted)$/),
    });
  }
  const end = chain.exhausted ? horizon : (chain.fires[chain.fires.length - 1] as number);
  const expected = expectedFireTimes(m, zone, lo, end);
  if (expected === undefined) return;
  expect({ label, fires: chain.fires.map(iso) }).toEqual({ label, fires: expected.map(iso) });
}

// ---------------------------------------------------------------------------------------------
// Cron: random expressions from the grammar, checked against the brute-force model.

interface CronCase {
  zone: string;
  now: number;
  given: Partial<Record<FieldName, FieldExpr>>;
  dst: { gap?: 'shift' | 'skip'; fold?: 'first' | 'both' } | undefined;
  /** Optional startDate/endDate (instants). */
  start?: number | undefined;
  end?: number | undefined;
}

const givenFieldsArb: fc.Arbitrary<Partial<Record<FieldName, FieldExpr>>> = fc
  .record(
    {
      month: fieldExprArb('month'),
      day: fieldExprArb('day'),
      week: fieldExprArb('week'),
      dayOfWeek: fieldExprArb('dayOfWeek'),
      hour: fieldExprArb('hour'),
      minute: fieldExprArb('minute'),
      second: fieldExprArb('second'),
    },
    { requiredKeys: [] },
  )
  .filter((g) => Object.keys(g).length > 0)
  // The week field is rare: it makes most expressions sparse.
  .map((g) =>
    g.week !== undefined && g.week.text !== '*' && g.month !== undefined
      ? { ...g, week: undefined }
      : g,
  )
  .map(
    (g) =>
      Object.fromEntries(Object.entries(g).filter(([, v]) => v !== undefined)) as Partial<
        Record<FieldName, FieldExpr>
      >,
  )
  .filter((g) => Object.keys(g).length > 0);

const dstArb = fc.option(
  fc.record(
    {
      gap: fc.constantFrom<'shift' | 'skip'>('shift', 'skip'),
      fold: fc.constantFrom<'first' | 'both'>('first', 'both'),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined, freq: 4 },
);

const cronCaseArb: fc.Arbitrary<CronCase> = fc
  .record({ zn: zoneAndNowArb, given: givenFieldsArb, dst: dstArb })
  .chain(({ zn, given, dst }) =>
    fc
      .record({
        year: fc.option(yearExprArb(fieldsFromWall(zn.now).year), { nil: undefined, freq: 6 }),
        start: fc.option(fc.integer({ min: -3 * MS_DAY, max: 10 * MS_DAY }), {
          nil: undefined,
          freq: 4,
        }),
        end: fc.option(fc.integer({ min: 0, max: 200 * MS_DAY }), { nil: undefined, freq: 4 }),
      })
      .map(({ year, start, end }) => ({
        zone: zn.zone,
        now: zn.now,
        given: year === undefined ? given : { year, ...given },
        dst,
        start: start === undefined ? undefined : zn.now + start,
        end: end === undefined ? undefined : zn.now + Math.max(start ?? 0, 0) + end,
      })),
  );

function cronOptions(c: {
  zone: string;
  given: Partial<Record<FieldName, FieldExpr>>;
  dst?: CronCase['dst'];
  start?: number | undefined;
  end?: number | undefined;
}): CronTriggerOptions {
  const options: CronTriggerOptions = { timezone: c.zone };
  if (c.start !== undefined) options.startDate = new Date(c.start);
  if (c.end !== undefined) options.endDate = new Date(c.end);
  for (const f of FIELDS) {
    const e = c.given[f];
    if (e !== undefined) options[f] = e.text;
  }
  if (c.dst !== undefined) options.dst = c.dst;
  return options;
}

function describeCase(trigger: Trigger, zone: string, now: number): string {
  return `${JSON.stringify(trigger.toJSON())} in ${zone} from ${iso(now)}`;
}

/**
 * Each fire time either shows matching wall fields (and, under fold 'first', is the
 * first occurrence) or is the documented gap shift of a matching wall time.
 */
function classifyFire(m: CronModel, zone: Zone, t: number): 'exact' | 'shifted' | 'wrong' {
  const wall = zone.wallAt(t);
  if (wallMatches(m, wall)) {
    return instantsOfWall(m, zone, wall).includes(t) ? 'exact' : 'wrong';
  }
  if (m.gap !== 'shift') return 'wrong';
  // Shifted: some matching wall time w lies in a gap and its 'later' instant is t (w = t + offset before the gap).
  const candidates = new Set<number>();
  for (const back of [1, MS_HOUR, 3 * MS_HOUR, MS_DAY, 2 * MS_DAY])
    candidates.add(t + zone.offsetAt(t - back));
  for (const w of candidates) {
    const r = zone.resolveWall(w);
    if (r.kind === 'gap' && r.later === t && wallMatches(m, w)) return 'shifted';
  }
  return 'wrong';
}

/** A zone and one of its real transitions between 1970 and 2040 (DST-heavy zones only). */
const transitionArb = fc
  .record({
    zone: fc.constantFrom(...DST_HEAVY_ZONES),
    year: fc.integer({ min: 1970, max: 2040 }),
    month: fc.integer({ min: 1, max: 12 }),
  })
  .map(({ zone, year, month }): { zone: string; tr: Transition | null } => ({
    zone,
    tr: transitionNear(zone, year, month),
  }))
  .filter(
    (x): x is { zone: string; tr: Transition } => x.tr !== null && x.tr.before !== x.tr.after,
  );

const numTerm = (v: number): FieldExpr => ({
  text: String(v),
  terms: [{ text: String(v), matches: (x) => x === v }],
  star: false,
});
const listTerm = (vs: number[]): FieldExpr => ({
  text: vs.join(','),
  terms: vs.map((v) => ({ text: String(v), matches: (x: number) => x === v })),
  star: false,
});
const rangeStepTerm = (lo: number, hi: number, step: number): FieldExpr => ({
  text: step === 1 ? `${lo}-${hi}` : `${lo}-${hi}/${step}`,
  terms: [
    { text: `${lo}-${hi}/${step}`, matches: (x) => x >= lo && x <= hi && (x - lo) % step === 0 },
  ],
  star: false,
});

/**
 * Expressions aimed at a transition: the hour (and often the minute) of a wall time inside
 * its gap or fold, written as a fixed hour, a list, a range, or a wildcard; `now` up to two
 * days before the transition.
 */
const dstCaseArb = transitionArb.chain(({ zone, tr }) => {
  const lo = tr.instant + Math.min(tr.before, tr.after);
  const width = Math.abs(tr.after - tr.before);
  return fc
    .record({
      at: fc.integer({ min: 0, max: Math.max(0, Math.floor(width / 60_000) - 1) }),
      hourForm: fc.constantFrom('exact', 'list', 'range', 'star', 'starStep'),
      minuteForm: fc.constantFrom('exact', 'star', 'step', 'zero'),
      withSecond: fc.boolean(),
      before: fc
        .integer({ min: 0, max: 2 * MS_DAY })
        .map((x) => Math.floor(x / MS_SECOND) * MS_SECOND),
      dst: dstArb,
    })
    .map(({ at, hourForm, minuteForm, withSecond, before, dst }) => {
      const w = fieldsFromWall(lo + at * 60_000);
      const h = w.hour;
      const hour =
        hourForm === 'exact'
          ? numTerm(h)
          : hourForm === 'list'
            ? listTerm([...new Set([(h + 19) % 24, h])].sort((a, b) => a - b))
            : hourForm === 'range'
              ? rangeStepTerm(Math.max(0, h - 1), Math.min(23, h + 1), 1)
              : hourForm === 'star'
                ? ({
                    text: '*',
                    terms: [{ text: '*', matches: () => true }],
                    star: true,
                  } as FieldExpr)
                : ({
                    text: '*/1',
                    terms: [{ text: '*/1', matches: () => true }],
                    star: false,
                  } as FieldExpr);
      const minute =
        minuteForm === 'exact'
          ? numTerm(w.minute)
          : minuteForm === 'zero'
            ? numTerm(0)
            : minuteForm === 'star'
              ? ({
                  text: '*',
                  terms: [{ text: '*', matches: () => true }],
                  star: true,
                } as FieldExpr)
              : rangeStepTerm(w.minute % 15, 59, 15);
      const given: Partial<Record<FieldName, FieldExpr>> = withSecond
        ? { hour, minute, second: rangeStepTerm(0, 59, 20) }
        : { hour, minute };
      return {
        zone,
        now: tr.instant - before,
        given,
        dst,
        start: undefined,
        end: undefined,
      } satisfies CronCase;
    });
});

describe('CronTrigger (field form) vs the brute-force model', () => {
  test.prop([dstCaseArb], { numRuns: runs(55) })(
    'around real gaps and folds: chains equal the model (shift/skip, first/both) over 3 days',
    (c) => {
      const trigger = new CronTrigger(cronOptions(c));
      const m = buildModel(c.given, 'and', c.dst);
      const zone = getZone(c.zone);
      const lo = ceilSecond(c.now);
      const hi = lo + 3 * MS_DAY;
      const chain = runChain(trigger, c.now, 400, hi);
      const label = describeCase(trigger, c.zone, c.now);
      expectIncreasingWholeSeconds(chain.fires);
      expectFollowsModel(chain, m, zone, label, lo, hi);
    },
  );

  test.prop([cronCaseArb], { numRuns: runs(90) })(
    'chains strictly increase, are whole seconds, and equal every matching wall time under the DST policy',
    (c) => {
      const trigger = new CronTrigger(cronOptions(c));
      const m = buildModel(c.given, 'and', c.dst);
      const zone = getZone(c.zone);
      // First fire ≥ max(now, startDate); endDate inclusive.
      const lo = ceilSecond(Math.max(c.now, c.start ?? -Infinity));
      const horizon = Math.min(lo + 2 * YEAR_MS, c.end ?? Infinity);
      const chain = runChain(trigger, c.now, 25, lo + 2 * YEAR_MS);
      const label = describeCase(trigger, c.zone, c.now);
      expectIncreasingWholeSeconds(chain.fires);
      for (const t of chain.fires) {
        holds(
          {
            label,
            t: iso(t),
            lo: iso(lo),
            horizon: iso(horizon),
            inRange: t >= lo && t <= horizon,
          },
          'inRange',
        );
      }
      expectFollowsModel(chain, m, zone, label, lo, horizon);
    },
  );

  const wildcardHourArb = fc.constantFrom<FieldExpr>(
    { text: '*', terms: [{ text: '*', matches: () => true }], star: true },
    { text: '*/2', terms: [{ text: '*/2', matches: (v) => v % 2 === 0 }], star: false },
    { text: '*/3', terms: [{ text: '*/3', matches: (v) => v % 3 === 0 }], star: false },
  );

  test.prop(
    [
      zoneAndNowArb,
      wildcardHourArb,
      fieldExprArb('minute'),
      fc.option(fieldExprArb('second'), { nil: undefined }),
    ],
    {
      numRuns: runs(40),
    },
  )(
    '(d) wildcard hours: every fire time shows matching wall fields (nothing shifted) and folds fire twice',
    ({ zone, now }, hour, minute, second) => {
      const given: Partial<Record<FieldName, FieldExpr>> = {
        hour,
        minute,
        ...(second !== undefined ? { second } : {}),
      };
      const trigger = new CronTrigger(cronOptions({ zone, given }));
      const m = buildModel(given, 'and');
      expect(m.gap).toBe('skip');
      const z = getZone(zone);
      const lo = ceilSecond(now);
      const chain = runChain(trigger, now, 60, lo + 4 * MS_DAY);
      expectIncreasingWholeSeconds(chain.fires);
      for (const t of chain.fires) {
        holds(
          {
            label: describeCase(trigger, zone, now),
            t: iso(t),
            matches: wallMatches(m, z.wallAt(t)),
          },
          'matches',
        );
      }
      const hi = chain.exhausted
        ? lo + 4 * MS_DAY
        : (chain.fires[chain.fires.length - 1] as number);
      const expected = expectedFireTimes(m, z, lo, hi);
      if (expected !== undefined) expect(chain.fires.map(iso)).toEqual(expected.map(iso));
    },
  );

  test.prop(
    [
      fc
        .constantFrom('UTC', 'Europe/Berlin', 'America/Santiago', 'Australia/Lord_Howe')
        .chain((zone) =>
          fc.record({ zone: fc.constant(zone), now: instantNearTransitionArb(zone, 1990, 2040) }),
        ),
      fieldExprArb('hour'),
      fieldExprArb('minute', { starStep: true, special: false }),
    ],
    { numRuns: runs(35) },
  )(
    '(e) minute-level brute force over a 2-day window: no matching wall minute is skipped',
    ({ zone, now }, hour, minute) => {
      const given = { hour, minute };
      const trigger = new CronTrigger(cronOptions({ zone, given }));
      const m = buildModel(given, 'and');
      const z = getZone(zone);
      const lo = ceilSecond(now);
      const hi = lo + 2 * MS_DAY;
      const chain = runChain(trigger, now, 5000, hi);
      // Walk every instant minute by minute (instants, not wall times).
      const seen = new Set(chain.fires);
      const start = Math.ceil(lo / 60_000) * 60_000;
      for (let t = start; t <= hi; t += 60_000) {
        const wall = z.wallAt(t);
        if (!wallMatches(m, wall)) continue;
        // A matching wall time seen at instant t must fire at t, except the second pass of a fold under 'first'.
        const r = z.resolveWall(wall);
        const secondPass = r.kind === 'fold' && r.later === t;
        if (secondPass && m.fold === 'first') {
          expect({ t: iso(t), fired: seen.has(t) }).toEqual({ t: iso(t), fired: false });
        } else {
          holds(
            {
              label: describeCase(trigger, zone, now),
              t: iso(t),
              fired: seen.has(t),
            },
            'fired',
          );
        }
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// (f) fromCrontab ≡ field form.

const crontabCaseArb = fc
  .record({
    zn: zoneAndNowArb,
    minute: fieldExprArb('minute'),
    hour: fieldExprArb('hour'),
    // No '*/n' in the day fields: whether it counts as "restricted" for Vixie's OR is not specified.
    dom: fieldExprArb('day', { starStep: false, special: false }),
    month: fieldExprArb('month'),
    dow: fieldExprArb('dayOfWeek'),
    dayMatching: fc.constantFrom<'and' | 'or' | undefined>('and', 'or', undefined),
  })
  .map(({ zn, ...rest }) => ({ ...zn, ...rest }));

describe('CronTrigger.fromCrontab', () => {
  test.prop([crontabCaseArb], { numRuns: runs(100) })(
    '(f) equals the field form and the model over chains',
    (c) => {
      const expr = `${c.minute.text} ${c.hour.text} ${c.dom.text} ${c.month.text} ${c.dow.text}`;
      const options =
        c.dayMatching === undefined
          ? { timezone: c.zone }
          : { timezone: c.zone, dayMatching: c.dayMatching };
      const fromCrontab = CronTrigger.fromCrontab(expr, options);
      const matching = c.dayMatching ?? 'or';
      const given = {
        minute: c.minute,
        hour: c.hour,
        day: c.dom,
        month: c.month,
        dayOfWeek: c.dow,
      };
      const lo = ceilSecond(c.now);
      const horizon = lo + 2 * YEAR_MS;
      const a = runChain(fromCrontab, c.now, 20, horizon);
      expectIncreasingWholeSeconds(a.fires);
      const bothRestricted = !c.dom.star && !c.dow.star;
      if (matching === 'and' || !bothRestricted) {
        const fieldForm = new CronTrigger({
          timezone: c.zone,
          minute: c.minute.text,
          hour: c.hour.text,
          day: c.dom.text,
          month: c.month.text,
          dayOfWeek: c.dow.text,
        });
        expect({ expr, fires: a.fires.map(iso) }).toEqual({
          expr,
          fires: runChain(fieldForm, c.now, 20, horizon).fires.map(iso),
        });
      }
      const fieldFormSame = new CronTrigger({
        ...cronOptions({ zone: c.zone, given }),
        dayMatching: matching,
      });
      expect({ expr, fires: a.fires.map(iso) }).toEqual({
        expr,
        fires: runChain(fieldFormSame, c.now, 20, horizon).fires.map(iso),
      });
      const m = buildModel(
        {
          ...given,
          second: { text: '0', terms: [{ text: '0', matches: (v) => v === 0 }], star: false },
        },
        matching,
      );
      const hi = a.exhausted ? horizon : (a.fires[a.fires.length - 1] as number);
      const expected = expectedFireTimes(m, getZone(c.zone), lo, hi);
      if (expected !== undefined)
        expect({ expr, fires: a.fires.map(iso) }).toEqual({ expr, fires: expected.map(iso) });
    },
  );
});

// ---------------------------------------------------------------------------------------------
// (h) Daily fixed-hour job: every calendar day exactly once.

describe('fixed-hour daily job', () => {
  test.prop(
    [
      fc
        .constantFrom(...DST_HEAVY_ZONES)
        .chain((zone) =>
          fc.record({ zone: fc.constant(zone), now: instantNearTransitionArb(zone, 1975, 2040) }),
        ),
      fc.integer({ min: 0, max: 23 }),
      fc.constantFrom(0, 15, 30, 45, 59),
    ],
    { numRuns: runs(8) },
  )(
    '(h) fires on every calendar day of a 2-year window exactly once, at h:m or shifted by the gap',
    ({ zone, now }, hour, minute) => {
      const z = getZone(zone);
      const trigger = new CronTrigger({ hour, minute, timezone: zone });
      const lo = ceilSecond(now);
      const hi = lo + 2 * YEAR_MS;
      const chain = runChain(trigger, now, 1000, hi);
      expectIncreasingWholeSeconds(chain.fires);
      const fired = new Set(chain.fires);
      const firstDay = Math.floor(z.wallAt(lo) / MS_DAY);
      const lastDay = Math.floor(z.wallAt(hi) / MS_DAY);
      const expected = new Set<number>();
      for (let d = firstDay; d <= lastDay; d++) {
        const { year, month, day } = fieldsFromWall(d * MS_DAY);
        const t = z.instantOf(
          wallFromFields(year, month, day, hour, minute),
          'compatible',
        ) as number;
        if (t < lo || t > hi) continue;
        expected.add(t);
        holds(
          {
            zone,
            hour,
            minute,
            date: `${year}-${month}-${day}`,
            fired: fired.has(t),
          },
          'fired',
        );
      }
      // Nothing else fired (no double fires in folds).
      expect(chain.fires.filter((t) => !expected.has(t)).map(iso)).toEqual([]);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Interval, calendar interval, And/Or.

type IntervalUnits = {
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
};

/** Whole-second intervals, as before milliseconds were kept. */
const wholeSecondIntervalArb: fc.Arbitrary<IntervalUnits> = fc
  .record(
    {
      weeks: fc.integer({ min: 0, max: 2 }),
      days: fc.integer({ min: 0, max: 3 }),
      hours: fc.integer({ min: 0, max: 30 }),
      minutes: fc.integer({ min: 0, max: 90 }),
      seconds: fc.integer({ min: 0, max: 90 }),
    },
    { requiredKeys: [] },
  )
  .filter(
    (o) =>
      (o.weeks ?? 0) + (o.days ?? 0) + (o.hours ?? 0) + (o.minutes ?? 0) + (o.seconds ?? 0) > 0,
  );

/**
 * Intervals with milliseconds: whole units plus `milliseconds`, sub-second
 * `milliseconds` alone (down to 1 ms), and fractional `seconds` (n / 1000 s,
 * which floating point does not always hold exactly).
 */
const intervalArb: fc.Arbitrary<IntervalUnits> = fc.oneof(
  wholeSecondIntervalArb,
  fc
    .tuple(wholeSecondIntervalArb, fc.integer({ min: 1, max: 999 }))
    .map(([o, milliseconds]) => ({ ...o, milliseconds })),
  fc.integer({ min: 1, max: 3000 }).map((milliseconds) => ({ milliseconds })),
  fc.integer({ min: 1, max: 200_000 }).map((n) => ({ seconds: n / 1000 })),
);

/** The interval in ms, worked out from the units (fractional seconds are n / 1000 s, so n ms). */
const intervalMs = (o: IntervalUnits): number =>
  (o.weeks ?? 0) * 7 * MS_DAY +
  (o.days ?? 0) * MS_DAY +
  (o.hours ?? 0) * MS_HOUR +
  (o.minutes ?? 0) * 60_000 +
  Math.round((o.seconds ?? 0) * MS_SECOND) +
  (o.milliseconds ?? 0);

const intervalCaseArb = fc
  .record({
    zn: zoneAndNowArb,
    iv: intervalArb,
    startOffset: fc.oneof(
      fc.integer({ min: -30 * MS_DAY, max: 30 * MS_DAY }),
      fc.integer({ min: -5000, max: 5000 }),
    ),
    endAfter: fc.option(
      fc.oneof(fc.integer({ min: 0, max: 60 * MS_DAY }), fc.integer({ min: 0, max: 20_000 })),
      { nil: undefined },
    ),
  })
  .map(({ zn, iv, startOffset, endAfter }) => {
    const start = zn.now + startOffset;
    return {
      zone: zn.zone,
      now: zn.now,
      iv,
      start,
      end: endAfter === undefined ? undefined : start + endAfter,
    };
  });

function makeInterval(c: {
  zone: string;
  iv: IntervalUnits;
  start: number;
  end: number | undefined;
}): IntervalTrigger {
  return new IntervalTrigger({
    ...c.iv,
    timezone: c.zone,
    startDate: new Date(c.start),
    ...(c.end !== undefined ? { endDate: new Date(c.end) } : {}),
  });
}

describe('IntervalTrigger', () => {
  test.prop([intervalCaseArb], { numRuns: runs(200) })(
    'fires on the absolute grid start + k·interval (to the millisecond), from the first point ≥ now, until endDate',
    (c) => {
      const trigger = makeInterval(c);
      const step = intervalMs(c.iv);
      const lo = Math.max(c.now, c.start);
      const chain = runChain(trigger, c.now, 30, lo + 400 * MS_DAY);
      expectIncreasing(chain.fires, 1);
      for (const t of chain.fires) {
        holds(
          {
            t: iso(t),
            onGrid: (t - c.start) % step === 0,
            notBeforeStart: t >= c.start,
            notBeforeNow: t >= c.now,
            notAfterEnd: c.end === undefined || t <= c.end,
            all: (t - c.start) % step === 0 && t >= lo && (c.end === undefined || t <= c.end),
          },
          'all',
        );
      }
      let k = Math.ceil((lo - c.start) / step);
      const expected: number[] = [];
      for (; expected.length < 30; k++) {
        const t = c.start + k * step;
        if (c.end !== undefined && t > c.end) break;
        if (t > lo + 400 * MS_DAY) break;
        expected.push(t);
      }
      expect(chain.fires.map(iso)).toEqual(expected.map(iso));
    },
  );
});

/** The SPEC rule: add years and months keeping the day (repeating while the day does not exist), then days and weeks. */
function addCalendar(
  date: { year: number; month: number; day: number },
  o: { years?: number; months?: number; weeks?: number; days?: number },
): { year: number; month: number; day: number } {
  let { year, month } = date;
  const { day } = date;
  const ym = (o.years ?? 0) * 12 + (o.months ?? 0);
  if (ym > 0) {
    do {
      const idx = year * 12 + (month - 1) + ym;
      year = Math.floor(idx / 12);
      month = (idx % 12) + 1;
    } while (day > daysInMonth(year, month));
  }
  const days = daysFromCivil(year, month, day) + (o.days ?? 0) + 7 * (o.weeks ?? 0);
  const f = fieldsFromWall(days * MS_DAY);
  return { year: f.year, month: f.month, day: f.day };
}

const calendarUniformArb = fc
  .record({
    zn: zoneAndNowArb,
    iv: fc
      .record(
        {
          years: fc.integer({ min: 0, max: 2 }),
          months: fc.integer({ min: 0, max: 14 }),
          weeks: fc.integer({ min: 0, max: 3 }),
          days: fc.integer({ min: 0, max: 10 }),
        },
        { requiredKeys: [] },
      )
      .filter((o) => (o.years ?? 0) + (o.months ?? 0) + (o.weeks ?? 0) + (o.days ?? 0) > 0),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.constantFrom(0, 15, 30, 45, 59),
    second: fc.constantFrom(0, 30),
    startBack: fc.integer({ min: 0, max: 120 }),
    startDay: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.constantFrom(29, 30, 31)),
  })
  .map(({ zn, startBack, startDay, ...rest }) => {
    const z = getZone(zn.zone);
    const nowWall = fieldsFromWall(z.wallAt(zn.now) - startBack * MS_DAY);
    const day = Math.min(startDay, daysInMonth(nowWall.year, nowWall.month));
    return {
      zone: zn.zone,
      now: zn.now,
      start: { year: nowWall.year, month: nowWall.month, day },
      ...rest,
    };
  });

/** Calendar cases whose time of day lies in a real gap or fold, on a grid that crosses the transition. */
const calendarDstArb = transitionArb.chain(({ zone, tr }) => {
  const lo = tr.instant + Math.min(tr.before, tr.after);
  const width = Math.abs(tr.after - tr.before);
  return fc
    .record({
      at: fc.integer({ min: 0, max: Math.max(0, Math.floor(width / 60_000) - 1) }),
      iv: fc.constantFrom({ days: 1 }, { days: 2 }, { weeks: 1 }, { months: 1 }, { years: 1 }),
      startBack: fc.integer({ min: 0, max: 3 }),
      before: fc
        .integer({ min: 0, max: 2 * MS_DAY })
        .map((x) => Math.floor(x / MS_SECOND) * MS_SECOND),
    })
    .map(({ at, iv, startBack, before }) => {
      const w = fieldsFromWall(lo + at * 60_000);
      const d = fieldsFromWall(lo + at * 60_000 - startBack * MS_DAY);
      return {
        zone,
        now: tr.instant - before,
        start: { year: d.year, month: d.month, day: d.day },
        iv: iv as { years?: number; months?: number; weeks?: number; days?: number },
        hour: w.hour,
        minute: w.minute,
        second: 0,
      };
    });
});

const calendarCaseArb = fc.oneof(calendarUniformArb, calendarDstArb);

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

describe('CalendarIntervalTrigger', () => {
  test.prop([calendarCaseArb], { numRuns: runs(90) })(
    'fires at the wall time on each grid date (gap → shifted, fold → first), from the first grid date ≥ now',
    (c) => {
      const z = getZone(c.zone);
      const startDate = `${pad(c.start.year, 4)}-${pad(c.start.month)}-${pad(c.start.day)}`;
      const trigger = new CalendarIntervalTrigger({
        ...c.iv,
        hour: c.hour,
        minute: c.minute,
        second: c.second,
        startDate,
        timezone: c.zone,
      });
      const lo = ceilSecond(c.now);
      const horizon = lo + 12 * YEAR_MS;
      const chain = runChain(trigger, c.now, 12, horizon);
      expectIncreasingWholeSeconds(chain.fires);
      const expected: number[] = [];
      let date = c.start;
      for (let guard = 0; expected.length < chain.fires.length + 1 && guard < 5000; guard++) {
        const t = z.instantOf(
          wallFromFields(date.year, date.month, date.day, c.hour, c.minute, c.second),
          'compatible',
        ) as number;
        if (t > horizon) break;
        if (t >= lo && (expected.length === 0 || t > (expected[expected.length - 1] as number)))
          expected.push(t);
        date = addCalendar(date, c.iv);
      }
      const label = `${trigger.toString()} start ${startDate} in ${c.zone} from ${iso(c.now)}`;
      expect({ label, fires: chain.fires.map(iso) }).toEqual({
        label,
        fires: expected.slice(0, chain.fires.length).map(iso),
      });
      if (!chain.exhausted) return;
      expect({ label, fires: chain.fires.map(iso) }).toEqual({ label, fires: expected.map(iso) });
    },
  );
});

/** A small cron over minutes for combining triggers. */
const smallCronArb = fc
  .record({
    minute: fc.constantFrom('*/5', '*/10', '0,30', '*/15', '7', '*/6'),
    hour: fc.constantFrom('*', '*/2', '1-3', '2', '0-23/3'),
  })
  .map((f) => f);

describe('OrTrigger / AndTrigger', () => {
  test.prop(
    [
      zoneAndNowArb,
      fc.array(smallCronArb, { minLength: 1, maxLength: 3 }),
      fc.option(intervalArb, { nil: undefined }),
    ],
    { numRuns: runs(60) },
  )('Or: the sorted, deduplicated union of the sub-trigger chains', ({ zone, now }, crons, iv) => {
    const make = (): Trigger[] => {
      const subs: Trigger[] = crons.map((f) => new CronTrigger({ ...f, timezone: zone }));
      if (iv !== undefined)
        subs.push(
          new IntervalTrigger({
            ...iv,
            startDate: new Date(Math.floor(now / 1000) * 1000 - 3 * MS_HOUR),
            timezone: zone,
          }),
        );
      return subs;
    };
    const or = new OrTrigger(make());
    const lo = ceilSecond(now);
    const hi = lo + 2 * MS_DAY;
    const chain = runChain(or, now, 40, hi);
    // Whole seconds from the crons, whole milliseconds from an interval with a sub-second part.
    expectIncreasing(chain.fires, iv === undefined ? MS_SECOND : 1);
    const union = new Set<number>();
    for (const s of make()) for (const t of runChain(s, now, 40, hi).fires) union.add(t);
    const last = chain.exhausted ? hi : (chain.fires[chain.fires.length - 1] as number);
    const expected = [...union].filter((t) => t <= last).sort((a, b) => a - b);
    expect(chain.fires.map(iso)).toEqual(expected.map(iso));
  });

  test.prop([zoneAndNowArb, smallCronArb, smallCronArb, fc.constantFrom(0, 1, 60, 300)], {
    numRuns: runs(50),
  })(
    'And: increasing whole seconds; the earliest sub-trigger fire time with every sub-trigger firing within threshold',
    ({ zone, now }, c1, c2, threshold) => {
      const mk = (): Trigger[] => [
        new CronTrigger({ ...c1, timezone: zone }),
        new CronTrigger({ ...c2, timezone: zone }),
      ];
      const and = new AndTrigger(mk(), { threshold, maxIterations: 500 });
      let chain: Chain;
      try {
        chain = runChain(and, now, 15, ceilSecond(now) + 3 * MS_DAY);
      } catch (error) {
        if (error instanceof MaxIterationsError) return;
        throw error;
      }
      expectIncreasingWholeSeconds(chain.fires);
      const thr = threshold * MS_SECOND;
      const subs = mk();
      const lo = ceilSecond(now);
      const last = chain.fires[chain.fires.length - 1];
      if (last === undefined) return;
      // Every sub-trigger's fire times over the window (as a fresh trigger at each point would see them).
      const subFires = subs.map((s) => runChain(s, lo, 100_000, last + thr).fires);
      const firstAtOrAfter = (fires: number[], t: number): number | undefined =>
        fires.find((f) => f >= t);
      const allWithin = (t: number): boolean =>
        subFires.every((fires) => {
          const f = firstAtOrAfter(fires, t);
          return f !== undefined && f <= t + thr;
        });
      let from = lo;
      for (const t of chain.fires) {
        // t is a sub-trigger fire time at which every sub-trigger fires within [t, t + threshold] (APScheduler's rule)...
        expect({
          t: iso(t),
          isSubFire: subFires.some((f) => f.includes(t)),
          allWithin: allWithin(t),
        }).toEqual({ t: iso(t), isSubFire: true, allWithin: true });
        // ... and no earlier sub-trigger fire time in [search start, t) qualifies.
        const earlier = [...new Set(subFires.flat())]
          .filter((c) => c >= from && c < t && allWithin(c))
          .sort((a, b) => a - b);
        expect({ t: iso(t), earlierQualifying: earlier.map(iso) }).toEqual({
          t: iso(t),
          earlierQualifying: [],
        });
        from = t + MS_SECOND;
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// (g) Serialization round trip.

const anyTriggerArb: fc.Arbitrary<{ make: () => Trigger; now: number; zone: string }> = fc.oneof(
  // Lazily anchored triggers: the anchor chosen at the first call must survive a round trip.
  fc.tuple(zoneAndNowArb, intervalArb).map(([{ zone, now }, iv]) => ({
    make: (): Trigger => new IntervalTrigger({ ...iv, timezone: zone }),
    now,
    zone,
  })),
  fc
    .tuple(zoneAndNowArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 23 }))
    .map(([{ zone, now }, days, hour]) => ({
      make: (): Trigger => new CalendarIntervalTrigger({ days, hour, timezone: zone }),
      now,
      zone,
    })),
  zoneAndNowArb.map(({ zone, now }) => ({
    make: (): Trigger => new DateTrigger({ timezone: zone }),
    now,
    zone,
  })),
  cronCaseArb.map((c) => ({
    make: (): Trigger => new CronTrigger(cronOptions(c)),
    now: c.now,
    zone: c.zone,
  })),
  crontabCaseArb.map((c) => ({
    make: (): Trigger =>
      CronTrigger.fromCrontab(
        `${c.minute.text} ${c.hour.text} ${c.dom.text} ${c.month.text} ${c.dow.text}`,
        {
          timezone: c.zone,
          ...(c.dayMatching !== undefined ? { dayMatching: c.dayMatching } : {}),
        },
      ),
    now: c.now,
    zone: c.zone,
  })),
  intervalCaseArb.map((c) => ({ make: (): Trigger => makeInterval(c), now: c.now, zone: c.zone })),
  calendarCaseArb.map((c) => ({
    make: (): Trigger =>
      new CalendarIntervalTrigger({
        ...c.iv,
        hour: c.hour,
        minute: c.minute,
        second: c.second,
        startDate: `${pad(c.start.year, 4)}-${pad(c.start.month)}-${pad(c.start.day)}`,
        timezone: c.zone,
      }),
    now: c.now,
    zone: c.zone,
  })),
  fc.tuple(zoneAndNowArb, smallCronArb, smallCronArb).map(([{ zone, now }, a, b]) => ({
    make: (): Trigger =>
      new OrTrigger([
        new CronTrigger({ ...a, timezone: zone }),
        new CronTrigger({ ...b, timezone: zone }),
      ]),
    now,
    zone,
  })),
  fc.tuple(zoneAndNowArb, smallCronArb, smallCronArb).map(([{ zone, now }, a, b]) => ({
    make: (): Trigger =>
      new AndTrigger(
        [new CronTrigger({ ...a, timezone: zone }), new CronTrigger({ ...b, timezone: zone })],
        { threshold: 60, maxIterations: 300 },
      ),
    now,
    zone,
  })),
);

function safeChain(trigger: Trigger, now: number): string[] | string {
  try {
    return runChain(trigger, now, 12, now + 3 * YEAR_MS).fires.map(iso);
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

describe('serialization', () => {
  test.prop([anyTriggerArb], { numRuns: runs(150) })(
    '(g) triggerFromJSON(JSON round trip of toJSON) gives the same chain and toString',
    ({ make, now }) => {
      const original = make();
      const json: unknown = JSON.parse(JSON.stringify(original.toJSON()));
      const restored = triggerFromJSON(json);
      expect(restored.toString()).toBe(original.toString());
      // The restored trigger serializes to the same state (checked before any call anchors lazy state).
      expect(JSON.parse(JSON.stringify(restored.toJSON()))).toEqual(json);
      expect(safeChain(restored, now)).toEqual(safeChain(make(), now));
    },
  );

  test.prop([anyTriggerArb, fc.integer({ min: 1, max: 6 })], { numRuns: runs(60) })(
    '(g) a trigger restored mid-chain continues the chain',
    ({ make, now }, k) => {
      const full = safeChain(make(), now);
      if (typeof full === 'string' || full.length <= k) return;
      // Advance a trigger k steps (stateful triggers, e.g. a lazily anchored grid, keep that state), then round trip.
      const t = make();
      let prev = t.getNextFireTime(null, new Date(now));
      for (let i = 1; i < k && prev !== null; i++) prev = t.getNextFireTime(prev, prev);
      const restored = triggerFromJSON(JSON.parse(JSON.stringify(t.toJSON())));
      const rest: string[] = [];
      let next = prev === null ? null : restored.getNextFireTime(prev, prev);
      while (next !== null && rest.length < full.length - k) {
        rest.push(iso(next.getTime()));
        next = restored.getNextFireTime(next, next);
      }
      expect(rest).toEqual(full.slice(k, k + rest.length));
      expect(rest.length).toBe(full.length - k);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// With previousFireTime given: the first fire time strictly after it, whatever `now` is.

describe('CronTrigger with previousFireTime', () => {
  test.prop(
    [
      fc.record({ zn: zoneAndNowArb, given: givenFieldsArb, dst: dstArb }),
      fc.oneof(fc.constant(0), fc.integer({ min: -400 * MS_DAY, max: 400 * MS_DAY })),
    ],
    { numRuns: runs(40) },
  )(
    'getNextFireTime(p, now) is the first matching fire time > p (now ignored)',
    ({ zn, given, dst }, nowDelta) => {
      const c = { zone: zn.zone, given, dst };
      const trigger = new CronTrigger(cronOptions(c));
      const m = buildModel(given, 'and', dst);
      const p = Math.floor(zn.now / MS_SECOND) * MS_SECOND;
      const expected = firstExpectedAfter(m, getZone(c.zone), p, 2 * YEAR_MS);
      if (expected === undefined) return;
      const actual = trigger.getNextFireTime(new Date(p), new Date(p + nowDelta));
      const label = `${trigger.toString()} in ${c.zone} after ${iso(p)}`;
      if (expected === null) {
        holds(
          { label, beyondHorizon: actual === null || actual.getTime() > p + 2 * YEAR_MS },
          'beyondHorizon',
        );
      } else {
        expect({ label, next: actual === null ? null : iso(actual.getTime()) }).toEqual({
          label,
          next: iso(expected),
        });
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Crontab extensions, 6/7 fields, nicknames.

describe('CronTrigger.fromCrontab extensions', () => {
  const extCaseArb = fc
    .record({
      zn: zoneAndNowArb,
      second: fc.option(fieldExprArb('second'), { nil: undefined }),
      minute: fieldExprArb('minute'),
      hour: fieldExprArb('hour'),
      dom: crontabFieldExprArb('day'),
      month: fieldExprArb('month'),
      dow: crontabFieldExprArb('dayOfWeek'),
      dayMatching: fc.constantFrom<'and' | 'or' | undefined>('and', 'or', undefined),
      withYear: fc.boolean(),
    })
    .chain((c) =>
      yearExprArb(fieldsFromWall(c.zn.now).year).map((year) => ({
        ...c,
        year: c.withYear ? year : undefined,
      })),
    );

  test.prop([extCaseArb], { numRuns: runs(100) })(
    'L, LW, nW, xL, x#n, ?, seconds and year fields: crontab ≡ field form ≡ model',
    (c) => {
      const parts = [c.minute.text, c.hour.text, c.dom.text, c.month.text, c.dow.text];
      if (c.second !== undefined) parts.unshift(c.second.text);
      if (c.year !== undefined) {
        if (c.second === undefined) parts.unshift('0');
        parts.push(c.year.text);
      }
      const expr = parts.join(' ');
      const zone = c.zn.zone;
      const matching = c.dayMatching ?? 'or';
      const trigger = CronTrigger.fromCrontab(expr, {
        timezone: zone,
        ...(c.dayMatching !== undefined ? { dayMatching: c.dayMatching } : {}),
      });
      const zeroSecond: FieldExpr = {
        text: '0',
        terms: [{ text: '0', matches: (v) => v === 0 }],
        star: false,
      };
      const given: Partial<Record<FieldName, FieldExpr>> = {
        ...(c.year !== undefined ? { year: c.year } : {}),
        month: c.month,
        day: c.dom,
        dayOfWeek: c.dow,
        hour: c.hour,
        minute: c.minute,
        second: c.second ?? zeroSecond,
      };
      const lo = ceilSecond(c.zn.now);
      const horizon = lo + 2 * YEAR_MS;
      const chain = runChain(trigger, c.zn.now, 20, horizon);
      expectIncreasingWholeSeconds(chain.fires);
      const fieldForm = new CronTrigger({ ...cronOptions({ zone, given }), dayMatching: matching });
      expect({ expr, fires: chain.fires.map(iso) }).toEqual({
        expr,
        fires: runChain(fieldForm, c.zn.now, 20, horizon).fires.map(iso),
      });
      const m = buildModel(given, matching);
      const hi = chain.exhausted ? horizon : (chain.fires[chain.fires.length - 1] as number);
      const expected = expectedFireTimes(m, getZone(zone), lo, hi);
      if (expected !== undefined)
        expect({ expr, zone, fires: chain.fires.map(iso) }).toEqual({
          expr,
          zone,
          fires: expected.map(iso),
        });
    },
  );

  // The forms only a crontab line takes: the field form refuses them, so the model alone checks.
  const crontabOnlyCaseArb = fc
    .record({
      zn: zoneAndNowArb,
      seed: fc.oneof(fc.constantFrom('job-1', 'nightly-report', ''), fc.string({ maxLength: 8 })),
      withSecond: fc.boolean(),
      dayMatching: fc.constantFrom<'and' | 'or' | undefined>('and', 'or', undefined),
    })
    .chain((c) =>
      fc.record({
        c: fc.constant(c),
        second: c.withSecond
          ? crontabOnlyFieldExprArb('second', c.seed)
          : fc.constant<FieldExpr | undefined>(undefined),
        minute: fc.oneof(fieldExprArb('minute'), crontabOnlyFieldExprArb('minute', c.seed)),
        hour: fc.oneof(fieldExprArb('hour'), crontabOnlyFieldExprArb('hour', c.seed)),
        dom: crontabOnlyFieldExprArb('day', c.seed),
        month: fc.oneof(fieldExprArb('month'), crontabOnlyFieldExprArb('month', c.seed)),
        dow: crontabOnlyFieldExprArb('dayOfWeek', c.seed),
      }),
    );

  test.prop([crontabOnlyCaseArb], { numRuns: runs(120) })(
    '?, wide steps, L-n, L-nW, #L, weekday ranges before L/#, weekday a/c to 7 and H: crontab ≡ model; forJob and JSON keep the times',
    ({ c, second, minute, hour, dom, month, dow }) => {
      const parts = [minute.text, hour.text, dom.text, month.text, dow.text];
      if (second !== undefined) parts.unshift(second.text);
      const expr = parts.join(' ');
      const zone = c.zn.zone;
      const matching = c.dayMatching ?? 'or';
      const options = {
        timezone: zone,
        ...(c.dayMatching !== undefined ? { dayMatching: c.dayMatching } : {}),
      };
      const trigger = CronTrigger.fromCrontab(expr, { ...options, seed: c.seed });
      const zeroSecond: FieldExpr = {
        text: '0',
        terms: [{ text: '0', matches: (v) => v === 0 }],
        star: false,
      };
      const given: Partial<Record<FieldName, FieldExpr>> = {
        month,
        day: dom,
        dayOfWeek: dow,
        hour,
        minute,
        second: second ?? zeroSecond,
      };
      const lo = ceilSecond(c.zn.now);
      const horizon = lo + 2 * YEAR_MS;
      const chain = runChain(trigger, c.zn.now, 20, horizon);
      expectIncreasingWholeSeconds(chain.fires);
      const m = buildModel(given, matching);
      const hi = chain.exhausted ? horizon : (chain.fires[chain.fires.length - 1] as number);
      const expected = expectedFireTimes(m, getZone(zone), lo, hi);
      if (expected !== undefined)
        expect({ expr, seed: c.seed, zone, fires: chain.fires.map(iso) }).toEqual({
          expr,
          seed: c.seed,
          zone,
          fires: expected.map(iso),
        });
      // Bound to a job whose id is the seed, an unseeded trigger fires at the same times.
      const bound = CronTrigger.fromCrontab(expr, options).forJob(c.seed);
      expect({ expr, fires: runChain(bound, c.zn.now, 20, horizon).fires.map(iso) }).toEqual({
        expr,
        fires: chain.fires.map(iso),
      });
      const restored = triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON())));
      expect({ expr, fires: runChain(restored, c.zn.now, 20, horizon).fires.map(iso) }).toEqual({
        expr,
        fires: chain.fires.map(iso),
      });
    },
  );

  const NICKNAMES: Record<string, string> = {
    '@yearly': '0 0 1 1 *',
    '@annually': '0 0 1 1 *',
    '@monthly': '0 0 1 * *',
    '@weekly': '0 0 * * 0',
    '@daily': '0 0 * * *',
    '@midnight': '0 0 * * *',
    '@hourly': '0 * * * *',
  };

  test.prop([zoneAndNowArb, fc.constantFrom(...Object.keys(NICKNAMES))], { numRuns: runs(40) })(
    'nicknames equal their expansion',
    ({ zone, now }, nick) => {
      const a = runChain(
        CronTrigger.fromCrontab(nick, { timezone: zone }),
        now,
        10,
        now + 3 * YEAR_MS,
      );
      const b = runChain(
        CronTrigger.fromCrontab(NICKNAMES[nick] as string, { timezone: zone }),
        now,
        10,
        now + 3 * YEAR_MS,
      );
      expect({ nick, fires: a.fires.map(iso) }).toEqual({ nick, fires: b.fires.map(iso) });
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Lazy anchors, DateTrigger, off-grid previous fire times, jitter.

describe('IntervalTrigger and DateTrigger edge semantics', () => {
  test.prop([zoneAndNowArb, intervalArb], { numRuns: runs(60) })(
    'without startDate the grid is anchored at the first call: now + interval (to the millisecond), then every interval',
    ({ zone, now }, iv) => {
      const trigger = new IntervalTrigger({ ...iv, timezone: zone });
      const step = intervalMs(iv);
      const chain = runChain(trigger, now, 10, now + 1000 * YEAR_MS);
      expectIncreasing(chain.fires, 1);
      const first = chain.fires[0] as number;
      holds({ now: iso(now), first: iso(first), anchored: first === now + step }, 'anchored');
      chain.fires.forEach((t, i) => {
        holds({ i, t: iso(t), onGrid: t === first + i * step }, 'onGrid');
      });
    },
  );

  test.prop([intervalCaseArb, fc.integer({ min: -10 * MS_DAY, max: 60 * MS_DAY })], {
    numRuns: runs(100),
  })(
    'with an off-grid previous fire time, the next fire time is the first grid point strictly after it',
    (c, prevOffset) => {
      const trigger = makeInterval(c);
      const step = intervalMs(c.iv);
      const p = c.start + prevOffset;
      const k = Math.max(0, Math.floor((p - c.start) / step) + 1);
      const grid = c.start + k * step;
      const expected = c.end !== undefined && grid > c.end ? null : iso(grid);
      const actual = trigger.getNextFireTime(new Date(p), new Date(p));
      expect({ prev: iso(p), next: actual === null ? null : iso(actual.getTime()) }).toEqual({
        prev: iso(p),
        next: expected,
      });
    },
  );

  test.prop([zoneAndNowArb, fc.integer({ min: -400 * MS_DAY, max: 400 * MS_DAY })], {
    numRuns: runs(60),
  })(
    'DateTrigger fires once at runDate to the millisecond (even in the past), then finishes',
    ({ zone, now }, delta) => {
      const runDate = now + delta;
      const trigger = new DateTrigger({ runDate: new Date(runDate), timezone: zone });
      const first = trigger.getNextFireTime(null, new Date(now));
      expect(first === null ? null : iso(first.getTime())).toBe(iso(runDate));
      expect(trigger.getNextFireTime(first, first ?? new Date(now))).toBeNull();
      const restored = triggerFromJSON(JSON.parse(JSON.stringify(trigger.toJSON())));
      expect(restored.toString()).toBe(trigger.toString());
      expect(restored.getNextFireTime(null, new Date(now))?.getTime()).toBe(runDate);
    },
  );

  test.prop([zoneAndNowArb, fc.integer({ min: 0, max: 400 * MS_DAY })], { numRuns: runs(60) })(
    "DateTrigger without runDate fires at the first call's now exactly, then finishes, whatever now comes later",
    ({ zone, now }, later) => {
      const trigger = new DateTrigger({ timezone: zone });
      const first = trigger.getNextFireTime(null, new Date(now));
      expect(first === null ? null : iso(first.getTime())).toBe(iso(now));
      expect(trigger.getNextFireTime(null, new Date(now + later))?.getTime()).toBe(now);
      expect(trigger.getNextFireTime(first, new Date(now + later))).toBeNull();
    },
  );
});

/**
 * The jittered chain is the plain one, each fire time delayed by [0, jitter]
 * seconds, a whole number of `resolution` ms, strictly increasing, and never
 * past `end` (unless the plain fire time itself is).
 */
function expectJitteredChain(
  plain: readonly number[],
  jittered: readonly number[],
  jitter: number,
  end: number | undefined,
  resolution: number,
): void {
  expectIncreasing(jittered, resolution);
  expect(jittered.length).toBe(plain.length);
  jittered.forEach((t, i) => {
    const base = plain[i] as number;
    holds(
      {
        i,
        base: iso(base),
        t: iso(t),
        inWindow:
          t >= base &&
          t <= base + jitter * MS_SECOND &&
          (end === undefined || t <= Math.max(base, end)),
      },
      'inWindow',
    );
  });
}

describe('jitter', () => {
  const jitterArb = fc.record({
    jitter: fc.oneof(
      fc.integer({ min: 1, max: 120 }),
      fc.double({ min: 0.001, max: 120, noNaN: true }),
    ),
    r: fc.oneof(
      fc.constantFrom(0, 0.5, 0.999999),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    ),
  });

  test.prop([intervalCaseArb, jitterArb], { numRuns: runs(80) })(
    'interval: each fire time is its grid point plus a delay in [0, jitter] (no drift along the chain), never past endDate',
    (c, { jitter, r }) => {
      const step = intervalMs(c.iv);
      fc.pre(jitter * MS_SECOND < step);
      const plain = runChain(makeInterval(c), c.now, 20, c.now + 400 * MS_DAY);
      const jittered = runChain(
        new IntervalTrigger({
          ...c.iv,
          timezone: c.zone,
          startDate: new Date(c.start),
          ...(c.end !== undefined ? { endDate: new Date(c.end) } : {}),
          jitter,
          random: () => r,
        }),
        c.now,
        20,
        c.now + 400 * MS_DAY,
      );
      expectJitteredChain(plain.fires, jittered.fires, jitter, c.end, 1);
    },
  );

  test.prop([cronCaseArb, jitterArb], { numRuns: runs(60) })(
    'cron: each fire time is a regular fire time plus a delay in [0, jitter] (while fire times are further apart than the jitter)',
    (c, { jitter, r }) => {
      const plain = runChain(new CronTrigger(cronOptions(c)), c.now, 15, c.now + 2 * YEAR_MS);
      const gaps = plain.fires.slice(1).map((t, i) => t - (plain.fires[i] as number));
      fc.pre(gaps.every((g) => g > jitter * MS_SECOND));
      const jittered = runChain(
        new CronTrigger({ ...cronOptions(c), jitter, random: () => r }),
        c.now,
        15,
        c.now + 2 * YEAR_MS,
      );
      expectJitteredChain(plain.fires, jittered.fires, jitter, c.end, MS_SECOND);
    },
  );
});

describe('CronTrigger with previousFireTime around gaps and folds', () => {
  test.prop(
    [
      dstCaseArb,
      fc.integer({ min: 0, max: 3 * MS_DAY }),
      fc.integer({ min: -MS_DAY, max: MS_DAY }),
    ],
    { numRuns: runs(120) },
  )(
    'getNextFireTime(p, now) is the first fire time > p under the DST policy, for p anywhere around the transition',
    (c, pOffset, nowDelta) => {
      const trigger = new CronTrigger(cronOptions(c));
      const m = buildModel(c.given, 'and', c.dst);
      const p = Math.floor((c.now + pOffset) / MS_SECOND) * MS_SECOND;
      const expected = firstExpectedAfter(m, getZone(c.zone), p, 2 * MS_DAY);
      if (expected === undefined || expected === null) return;
      const actual = trigger.getNextFireTime(new Date(p), new Date(p + nowDelta));
      const label = `${describeCase(trigger, c.zone, c.now)} after ${iso(p)}`;
      expect({ label, next: actual === null ? null : iso(actual.getTime()) }).toEqual({
        label,
        next: iso(expected),
      });
    },
  );
});
