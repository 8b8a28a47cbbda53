/**
 * An independent model of cron expressions for property tests: a generator of
 * field expressions (APScheduler grammar and crontab) together with a matcher
 * written from SPEC.md, and a brute-force enumerator of expected fire times
 * under the DST policy. Only the (separately property-tested) zone engine and
 * civil calendar functions are shared with the implementation.
 */
import { fc } from '@fast-check/vitest';
import {
  daysInMonth,
  fieldsFromWall,
  isoWeekOfDays,
  wallFromFields,
  weekdayOfDays,
} from '../../src/time/civil.ts';
import type { Zone } from '../../src/time/zone.ts';
import { MS_DAY, MS_HOUR, MS_MINUTE, MS_SECOND } from './zones.ts';

/** Field order, most significant first. */
export const FIELDS = [
  'year',
  'month',
  'day',
  'week',
  'dayOfWeek',
  'hour',
  'minute',
  'second',
] as const;
export type FieldName = (typeof FIELDS)[number];

const RANGE: Record<FieldName, readonly [number, number]> = {
  year: [1970, 9999],
  month: [1, 12],
  day: [1, 31],
  week: [1, 53],
  dayOfWeek: [0, 6],
  hour: [0, 23],
  minute: [0, 59],
  second: [0, 59],
};

/** Field defaults when no less significant field is given (APScheduler). */
const DEFAULT: Record<FieldName, string> = {
  year: '*',
  month: '1',
  day: '1',
  week: '*',
  dayOfWeek: '*',
  hour: '0',
  minute: '0',
  second: '0',
};

const MONTH_NAMES = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
] as const;
const DOW_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const ORDINALS = ['1st', '2nd', '3rd', '4th', '5th'] as const;

/** The calendar context a term is matched in. */
export interface DateContext {
  year: number;
  month: number;
  day: number;
  weekday: number; // 0 = Sunday
  isoWeek: number;
  monthLength: number;
}

/** One comma-separated term: its text and a predicate over a value (and the date, for day terms). */
export interface Term {
  text: string;
  matches(value: number, ctx: DateContext): boolean;
}

export interface FieldExpr {
  text: string;
  terms: Term[];
  /** `*` (or `?`): unrestricted, for crontab day-of-month/day-of-week OR semantics. */
  star: boolean;
}

const stepTerm = (text: string, from: number, to: number, step: number): Term => ({
  text,
  matches: (v) => v >= from && v <= to && (v - from) % step === 0,
});

function numericTermArb(field: FieldName, allowStarStep: boolean): fc.Arbitrary<Term> {
  const [min, max] = RANGE[field];
  const value = fc.integer({ min, max });
  const choices: fc.Arbitrary<Term>[] = [
    value.map((v) => ({ text: String(v), matches: (x: number) => x === v })),
    fc.tuple(value, value).map(([a, b]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return { text: `${lo}-${hi}`, matches: (x: number) => x >= lo && x <= hi };
    }),
    // Steps never exceed the span they divide (APScheduler rejects "0-0/1" and "19/13").
    fc
      .tuple(value, value)
      .filter(([a, b]) => a !== b)
      .chain(([a, b]) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return fc
          .integer({ min: 1, max: hi - lo })
          .map((s) => stepTerm(`${lo}-${hi}/${s}`, lo, hi, s));
      }),
    fc
      .integer({ min, max: max - 1 })
      .chain((a) =>
        fc.integer({ min: 1, max: max - a }).map((s) => stepTerm(`${a}/${s}`, a, max, s)),
      ),
  ];
  if (allowStarStep) {
    choices.push(
      fc.integer({ min: 1, max: max - min }).map((s) => stepTerm(`*/${s}`, min, max, s)),
    );
  }
  return fc.oneof(...choices);
}

function monthTermArb(): fc.Arbitrary<Term> {
  return fc.oneof(
    numericTermArb('month', true),
    fc
      .integer({ min: 1, max: 12 })
      .map((m) => ({ text: MONTH_NAMES[m - 1] as string, matches: (x: number) => x === m })),
    fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })).map(([a, b]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return {
        text: `${MONTH_NAMES[lo - 1]}-${MONTH_NAMES[hi - 1]}`.toUpperCase(),
        matches: (x: number) => x >= lo && x <= hi,
      };
    }),
  );
}

/** Day of week: cron numbers (0 and 7 = Sunday), names, ranges that may wrap by name. */
function dowTermArb(): fc.Arbitrary<Term> {
  const num = fc.integer({ min: 0, max: 7 });
  return fc.oneof(
    num.map((v) => ({ text: String(v), matches: (x: number) => x === v % 7 })),
    fc.tuple(num, num).map(([a, b]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return {
        text: `${lo}-${hi}`,
        matches: (x: number) => (x >= lo && x <= hi) || (x === 0 && hi === 7),
      };
    }),
    // Numeric ranges that wrap (5-1 = fri, sat, sun, mon).
    fc
      .integer({ min: 1, max: 6 })
      .chain((a) =>
        fc
          .integer({ min: 0, max: a - 1 })
          .map((b) => ({ text: `${a}-${b}`, matches: (x: number) => x >= a || x <= b })),
      ),
    fc
      .integer({ min: 0, max: 6 })
      .map((d) => ({ text: DOW_NAMES[d] as string, matches: (x: number) => x === d })),
    // Name ranges, possibly wrapping (fri-mon). Sunday-based names; a wrap is lo > hi in Monday-first order.
    fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })).map(([a, b]) => {
      const mondayFirst = (d: number): number => (d + 6) % 7; // mon = 0 … sun = 6
      const [ma, mb] = [mondayFirst(a), mondayFirst(b)];
      const matches = (x: number): boolean => {
        const mx = mondayFirst(x);
        return ma <= mb ? mx >= ma && mx <= mb : mx >= ma || mx <= mb;
      };
      return { text: `${DOW_NAMES[a]}-${DOW_NAMES[b]}`, matches };
    }),
  );
}

/** Day of month: numbers, ranges, steps, and the APScheduler day terms `last`, `xth y`, `last y`. */
function dayTermArb(allowStarStep: boolean, allowSpecial: boolean): fc.Arbitrary<Term> {
  const base = numericTermArb('day', allowStarStep);
  if (!allowSpecial) return base;
  return fc.oneof(
    { weight: 3, arbitrary: base },
    {
      weight: 1,
      arbitrary: fc.constant<Term>({ text: 'last', matches: (x, c) => x === c.monthLength }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 6 }))
        .map(([n, d]) => ({
          text: `${ORDINALS[n - 1]} ${DOW_NAMES[d]}`,
          matches: (x: number, c: DateContext) =>
            c.weekday === d && Math.floor((x - 1) / 7) === n - 1,
        })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: 6 }).map((d) => ({
        text: `last ${DOW_NAMES[d]}`,
        matches: (x: number, c: DateContext) => c.weekday === d && x + 7 > c.monthLength,
      })),
    },
  );
}

/** Weekday (0 = Sunday) of day `n` of the context's month. */
const weekdayOfDay = (n: number, c: DateContext): number => (((c.weekday + n - c.day) % 7) + 7) % 7;

/** Quartz/croner `nW`: the weekday (Mon–Fri) nearest to day n, without leaving the month. */
function nearestWeekday(n: number, c: DateContext): number {
  const wd = weekdayOfDay(n, c);
  if (wd === 6) return n === 1 ? 3 : n - 1;
  if (wd === 0) return n === c.monthLength ? n - 2 : n + 1;
  return n;
}

/** Crontab extensions for the day-of-month field: L, LW, nW (and '?' as a star elsewhere). */
export function crontabDayExtensionArb(): fc.Arbitrary<Term> {
  return fc.oneof(
    fc.constant<Term>({ text: 'L', matches: (x, c) => x === c.monthLength }),
    fc.constant<Term>({ text: 'LW', matches: (x, c) => x === nearestWeekday(c.monthLength, c) }),
    fc.integer({ min: 1, max: 28 }).map((n) => ({
      text: `${n}W`,
      matches: (x: number, c: DateContext) => x === nearestWeekday(n, c),
    })),
  );
}

/** Crontab extensions for the day-of-week field: 5L / FRIL (last Friday), FRI#2 / 5#2. */
export function crontabDowExtensionArb(): fc.Arbitrary<Term> {
  const wd = fc.integer({ min: 0, max: 6 });
  const name = (d: number, upper: boolean): string =>
    upper ? (DOW_NAMES[d] as string).toUpperCase() : String(d);
  return fc.oneof(
    fc.tuple(wd, fc.boolean()).map(([d, byName]) => ({
      text: `${name(d, byName)}L`,
      matches: (x: number, c: DateContext) => x === d && c.day + 7 > c.monthLength,
    })),
    fc.tuple(wd, fc.boolean(), fc.integer({ min: 1, max: 5 })).map(([d, byName, n]) => ({
      text: `${name(d, byName)}#${n}`,
      matches: (x: number, c: DateContext) => x === d && Math.floor((c.day - 1) / 7) === n - 1,
    })),
  );
}

/** A field expression with crontab extensions mixed in (one extension term, possibly with plain terms). */
export function crontabFieldExprArb(field: 'day' | 'dayOfWeek'): fc.Arbitrary<FieldExpr> {
  const ext = field === 'day' ? crontabDayExtensionArb() : crontabDowExtensionArb();
  const plain = field === 'day' ? dayTermArb(false, false) : dowTermArb();
  return fc.oneof(
    fieldExprArb(field, { starStep: false, special: false }),
    fc.constant<FieldExpr>({ text: '?', terms: [{ text: '?', matches: () => true }], star: true }),
    fc.tuple(ext, fc.array(plain, { maxLength: 1 })).map(([e, rest]) => {
      const terms = [e, ...rest];
      return { text: terms.map((t) => t.text).join(','), terms, star: false };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Crontab-only forms (CronTrigger.fromCrontab; the field form refuses them).

/**
 * The documented hash of hashed fields, written independently of the implementation:
 * FNV-1a (32 bits, in BigInt arithmetic) over the UTF-8 seed, a 0 byte and the field name,
 * as a fraction of 2^32.
 */
export function modelHash(seed: string, field: FieldName): number {
  let h = 0x811c9dc5n;
  for (const byte of [...Buffer.from(seed, 'utf8'), 0, ...Buffer.from(field, 'utf8')]) {
    h = ((h ^ BigInt(byte)) * 0x01000193n) % 0x100000000n;
  }
  return Number(h) / 2 ** 32;
}

/** The range a bare `H` draws from (day 1–28 and weekday 0–6, as in Jenkins). */
const HASH_RANGE: Partial<Record<FieldName, readonly [number, number]>> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  day: [1, 28],
  month: [1, 12],
  dayOfWeek: [0, 6],
};

/** `H`, `H(a-b)`, `H/s`, `H(a-b)/s` for a field and seed, with what they match. */
function hashedTermArb(field: FieldName, seed: string): fc.Arbitrary<Term> {
  const [lo, hi] = HASH_RANGE[field] as readonly [number, number];
  const [min, max] = field === 'dayOfWeek' ? [0, 6] : RANGE[field];
  const u = modelHash(seed, field);
  const range = fc.oneof(
    fc.constant<[number, number, string]>([lo, hi, '']),
    fc
      .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
      .map(([a, b]): [number, number, string] => {
        const [x, y] = a <= b ? [a, b] : [b, a];
        return [x, y, `(${x}-${y})`];
      }),
  );
  return fc
    .tuple(range, fc.option(fc.integer({ min: 1, max: max - min + 5 }), { nil: undefined }))
    .map(([[a, b, text], step]) => {
      const size = b - a + 1;
      if (step === undefined) {
        const v = a + Math.floor(u * size);
        return { text: `H${text}`, matches: (x: number) => x === v };
      }
      const start = a + Math.floor(u * Math.min(step, size));
      return stepTerm(`H${text}/${step}`, start, b, step);
    });
}

/** Day-of-week `H#n`, `H#L`, `HL`: a hashed weekday, then its nth or last occurrence. */
function hashedWeekdayTermArb(seed: string): fc.Arbitrary<Term> {
  const d = Math.floor(modelHash(seed, 'dayOfWeek') * 7);
  return fc.oneof(
    fc.integer({ min: 1, max: 5 }).map((n) => ({
      text: `H#${n}`,
      matches: (x: number, c: DateContext) => x === d && Math.floor((c.day - 1) / 7) === n - 1,
    })),
    fc.constantFrom('HL', 'H#L').map((text) => ({
      text,
      matches: (x: number, c: DateContext) => x === d && c.day + 7 > c.monthLength,
    })),
  );
}

/** Steps at least as large as their range (the first value only), and `?` with a step. */
function wideStepTermArb(field: FieldName): fc.Arbitrary<Term> {
  const [min, max] = field === 'dayOfWeek' ? [0, 6] : RANGE[field];
  const value = fc.integer({ min, max });
  return fc.oneof(
    fc
      .integer({ min: max - min, max: 2 * (max - min) + 2 })
      .map((s) => stepTerm(`*/${s}`, min, max, s)),
    fc.tuple(value, value).chain(([a, b]) => {
      const [x, y] = a <= b ? [a, b] : [b, a];
      return fc
        .integer({ min: Math.max(1, y - x), max: y - x + 10 })
        .map((s) => stepTerm(`${x}-${y}/${s}`, x, y, s));
    }),
  );
}

/** Day `L-n` and `L-nW`. */
function beforeLastTermArb(): fc.Arbitrary<Term> {
  return fc.tuple(fc.integer({ min: 0, max: 30 }), fc.boolean()).map(([n, weekday]) => ({
    text: `L-${n}${weekday ? 'W' : ''}`,
    matches: (x: number, c: DateContext) => {
      const d = c.monthLength - n;
      if (d < 1) return false;
      return x === (weekday ? nearestWeekday(d, c) : d);
    },
  }));
}

/** Weekday terms of a crontab line: `a/c` up to 7, `x#L`, and weekday ranges before `L`, `#n`, `#L`. */
function crontabWeekdayTermArb(): fc.Arbitrary<Term> {
  const wd = fc.integer({ min: 0, max: 7 });
  // As a plain weekday range: 0-7 is the whole week, a > b wraps (7-1 = Sunday, Monday).
  const inRange = (a: number, b: number, x: number): boolean =>
    a <= b ? (x >= a && x <= b) || (x === 0 && b === 7) : x >= a || x <= b;
  return fc.oneof(
    fc.tuple(wd, fc.integer({ min: 1, max: 8 })).map(([a, s]) => ({
      text: `${a}/${s}`,
      matches: (x: number) => {
        for (let v = a; v <= 7; v += s) if (v % 7 === x) return true;
        return false;
      },
    })),
    fc.tuple(wd, fc.boolean()).map(([d, byName]) => ({
      text: `${byName ? (DOW_NAMES[d % 7] as string).toUpperCase() : d}#L`,
      matches: (x: number, c: DateContext) => x === d % 7 && c.day + 7 > c.monthLength,
    })),
    fc
      .tuple(wd, wd, fc.constantFrom('L', '#L', '#1', '#2', '#3', '#4', '#5'))
      .map(([a, b, suffix]) => ({
        text: `${a}-${b}${suffix}`,
        matches: (x: number, c: DateContext) => {
          if (!inRange(a, b, x)) return false;
          if (suffix === 'L' || suffix === '#L') return c.day + 7 > c.monthLength;
          return Math.floor((c.day - 1) / 7) === Number(suffix.slice(1)) - 1;
        },
      })),
  );
}

/**
 * A field expression of a crontab line using the crontab-only forms (`?` anywhere, wide
 * steps, `L-n`, `L-nW`, `#L`, weekday ranges before L or #, weekday `a/c` to 7, `H` hashed
 * from `seed`), possibly beside plain terms. `star` follows Vixie's rule, as the
 * implementation documents it: a field starting with `*` or `?` does not restrict.
 */
export function crontabOnlyFieldExprArb(field: FieldName, seed: string): fc.Arbitrary<FieldExpr> {
  const special: fc.Arbitrary<Term>[] = [wideStepTermArb(field)];
  if (field !== 'year' && field !== 'week') special.push(hashedTermArb(field, seed));
  if (field === 'day') special.push(beforeLastTermArb());
  if (field === 'dayOfWeek') {
    special.push(crontabWeekdayTermArb(), hashedWeekdayTermArb(seed));
  }
  const plain =
    field === 'day'
      ? dayTermArb(false, false)
      : field === 'dayOfWeek'
        ? dowTermArb()
        : field === 'month'
          ? monthTermArb()
          : numericTermArb(field, false);
  return fc.oneof(
    {
      weight: 1,
      arbitrary: fc.constant<FieldExpr>({
        text: '?',
        terms: [{ text: '?', matches: () => true }],
        star: true,
      }),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.oneof(...special), fc.array(plain, { maxLength: 1 }), fc.boolean())
        .map(([term, rest, first]) => {
          const terms = first ? [term, ...rest] : [...rest, term];
          const text = terms.map((t) => t.text).join(',');
          return { text, terms, star: text.startsWith('*') || text.startsWith('?') };
        }),
    },
  );
}

/** A year expression near a given year: 'y', 'y1-y2' or 'y1,y2'. */
export function yearExprArb(near: number): fc.Arbitrary<FieldExpr> {
  // APScheduler's year range starts at 1970.
  const y = fc.integer({ min: Math.max(1970, near - 1), max: Math.max(1971, near + 2) });
  return fc.oneof(
    y.map((v) => ({
      text: String(v),
      terms: [{ text: String(v), matches: (x: number) => x === v }],
      star: false,
    })),
    fc.tuple(y, y).map(([a, b]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return {
        text: `${lo}-${hi}`,
        terms: [{ text: `${lo}-${hi}`, matches: (x: number) => x >= lo && x <= hi }],
        star: false,
      };
    }),
  );
}

function termArb(
  field: FieldName,
  opts: { starStep: boolean; special: boolean },
): fc.Arbitrary<Term> {
  switch (field) {
    case 'month':
      return monthTermArb();
    case 'day':
      return dayTermArb(opts.starStep, opts.special);
    case 'dayOfWeek':
      return dowTermArb();
    case 'year':
      throw new Error('use yearExprArb for the year field');
    default:
      return numericTermArb(field, opts.starStep);
  }
}

const STAR: FieldExpr = { text: '*', terms: [{ text: '*', matches: () => true }], star: true };

export function fieldExprArb(
  field: FieldName,
  opts: { starStep: boolean; special: boolean } = { starStep: true, special: true },
): fc.Arbitrary<FieldExpr> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(STAR) },
    {
      weight: 4,
      arbitrary: fc.array(termArb(field, opts), { minLength: 1, maxLength: 3 }).map((terms) => ({
        text: terms.map((t) => t.text).join(','),
        terms,
        star: false,
      })),
    },
  );
}

/** A compiled expression: the effective (defaulted) field expressions and the DST policy. */
export interface CronModel {
  fields: Record<FieldName, FieldExpr>;
  dayMatching: 'and' | 'or';
  gap: 'shift' | 'skip';
  fold: 'first' | 'both';
}

/** Parses the plain default strings ('0', '1', '*') into field expressions. */
function defaultExpr(field: FieldName): FieldExpr {
  const text = DEFAULT[field];
  if (text === '*') return STAR;
  const v = Number(text);
  return { text, terms: [{ text, matches: (x) => x === v }], star: false };
}

/** SPEC: `*` and `*∕n` (and a crontab line's `?`, `?∕n`) are wildcard hours; anything else is fixed. */
const isWildcardHour = (text: string): boolean => /^[*?](?:\/\d+)?$/.test(text);

/** APScheduler field defaulting plus the SPEC DST policy derived from the (effective) hour field. */
export function buildModel(
  given: Partial<Record<FieldName, FieldExpr>>,
  dayMatching: 'and' | 'or',
  dst?: { gap?: 'shift' | 'skip'; fold?: 'first' | 'both' },
): CronModel {
  const least = Math.max(...FIELDS.map((f, i) => (given[f] !== undefined ? i : -1)));
  const fields = {} as Record<FieldName, FieldExpr>;
  FIELDS.forEach((f, i) => {
    fields[f] = given[f] ?? (i < least ? STAR : defaultExpr(f));
  });
  const wildcard = isWildcardHour(fields.hour.text);
  return {
    fields,
    dayMatching,
    gap: dst?.gap ?? (wildcard ? 'skip' : 'shift'),
    fold: dst?.fold ?? (wildcard ? 'both' : 'first'),
  };
}

const fieldMatches = (e: FieldExpr, v: number, c: DateContext): boolean =>
  e.terms.some((t) => t.matches(v, c));

function dateContext(days: number): DateContext {
  const { year, month, day } = fieldsFromWall(days * MS_DAY);
  return {
    year,
    month,
    day,
    weekday: weekdayOfDays(days),
    isoWeek: isoWeekOfDays(days),
    monthLength: daysInMonth(year, month),
  };
}

export function dateMatches(m: CronModel, days: number): boolean {
  const c = dateContext(days);
  const f = m.fields;
  if (
    !fieldMatches(f.year, c.year, c) ||
    !fieldMatches(f.month, c.month, c) ||
    !fieldMatches(f.week, c.isoWeek, c)
  )
    return false;
  const dom = fieldMatches(f.day, c.day, c);
  const dow = fieldMatches(f.dayOfWeek, c.weekday, c);
  if (m.dayMatching === 'or' && !f.day.star && !f.dayOfWeek.star) return dom || dow;
  return dom && dow;
}

/** Does a wall time (wall ms) match every field? */
export function wallMatches(m: CronModel, wall: number): boolean {
  const days = Math.floor(wall / MS_DAY);
  if (!dateMatches(m, days)) return false;
  const w = fieldsFromWall(wall);
  const c = dateContext(days);
  return (
    w.millisecond === 0 &&
    fieldMatches(m.fields.hour, w.hour, c) &&
    fieldMatches(m.fields.minute, w.minute, c) &&
    fieldMatches(m.fields.second, w.second, c)
  );
}

function valuesOf(m: CronModel, field: 'hour' | 'minute' | 'second', c: DateContext): number[] {
  const [min, max] = RANGE[field];
  const out: number[] = [];
  for (let v = min; v <= max; v++) if (fieldMatches(m.fields[field], v, c)) out.push(v);
  return out;
}

/** The instants a matching wall time fires at, under the model's DST policy. */
export function instantsOfWall(m: CronModel, zone: Zone, wall: number): number[] {
  const r = zone.resolveWall(wall);
  if (r.kind === 'unique') return [r.instant];
  if (r.kind === 'gap') return m.gap === 'shift' ? [r.later] : [];
  return m.fold === 'both' ? [r.earlier, r.later] : [r.earlier];
}

/**
 * Every expected fire time in the closed instant window [lo, hi], sorted and
 * distinct, by brute-force enumeration of matching wall times. Returns
 * undefined when the enumeration would exceed `limit` wall times.
 */
export function expectedFireTimes(
  m: CronModel,
  zone: Zone,
  lo: number,
  hi: number,
  limit = 200_000,
): number[] | undefined {
  const [minOff, maxOff] = zone.offsetRange(lo + (hi - lo) / 2, (hi - lo) / 2 + 2 * MS_DAY);
  // Every instant t in [lo, hi] that a wall time w fires at (directly, shifted, or either fold pass)
  // satisfies w = t + (an offset in force near t), so w lies within [lo + minOff, hi + maxOff].
  const wallLo = lo + minOff - MS_MINUTE;
  const wallHi = hi + maxOff + MS_MINUTE;
  const out = new Set<number>();
  let count = 0;
  for (let days = Math.floor(wallLo / MS_DAY); days * MS_DAY <= wallHi; days++) {
    if (!dateMatches(m, days)) continue;
    const c = dateContext(days);
    const hours = valuesOf(m, 'hour', c);
    const minutes = valuesOf(m, 'minute', c);
    const seconds = valuesOf(m, 'second', c);
    for (const h of hours) {
      const hourStart = wallFromFields(c.year, c.month, c.day, h);
      if (hourStart + MS_HOUR <= wallLo) continue;
      if (hourStart > wallHi) break;
      for (const mi of minutes) {
        const minuteStart = hourStart + mi * MS_MINUTE;
        if (minuteStart + MS_MINUTE <= wallLo) continue;
        if (minuteStart > wallHi) break;
        for (const s of seconds) {
          const wall = minuteStart + s * MS_SECOND;
          if (++count > limit) return undefined;
          for (const t of instantsOfWall(m, zone, wall)) if (t >= lo && t <= hi) out.add(t);
        }
      }
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** The first expected fire time strictly after `after` (searching up to `maxSpan`), or null. */
export function firstExpectedAfter(
  m: CronModel,
  zone: Zone,
  after: number,
  maxSpan: number,
): number | null | undefined {
  const lo = Math.floor(after / MS_SECOND) * MS_SECOND + MS_SECOND;
  for (let span = MS_HOUR; ; span *= 8) {
    const hi = lo + Math.min(span, maxSpan);
    const found = expectedFireTimes(m, zone, lo, hi);
    if (found === undefined) return undefined;
    if (found.length > 0) return found[0] as number;
    if (span >= maxSpan) return null;
  }
}
