/**
 * Parsing cron field expressions into compiled fields.
 *
 * Grammar (comma-separated parts, names case-insensitive):
 * every field: `*`, `*∕a`, `a`, `a-b`, `a-b∕c`, `a∕c`; month names `jan`…`dec`;
 * day: `last`/`L`, `LW`, `15W`, `3rd fri`, `last fri`, `?`;
 * dayOfWeek: names `sun`…`sat`, numbers 0–7 (0 and 7 = Sunday), ranges that wrap
 * (`fri-mon`), `5L`/`friL` (last Friday), `fri#2`, `?`.
 */
import { CronSyntaxError } from '../errors.ts';
import { type CronFieldName, FIELD_BOUNDS, MONTH_NAMES, WEEKDAY_NAMES } from './fields.ts';

/** A day-of-month rule evaluated per month. */
export type DayRule =
  | { kind: 'last' }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number }
  | { kind: 'nth'; n: number; weekday: number }
  | { kind: 'lastOf'; weekday: number };

/** A compiled field: a value table plus, for the day fields, rules that depend on the month. */
export interface CompiledField {
  readonly text: string;
  /** Does the field restrict anything (Vixie cron: it does not begin with `*` or `?`)? */
  readonly restricted: boolean;
  /** `allowed[v]` for plain values (for dayOfWeek, 0–6 with Sunday = 0). */
  readonly allowed: Uint8Array;
  /** `next[v]` = the smallest allowed plain value ≥ v, or -1. Not built for `year`. */
  readonly next: Int16Array;
  /** Month-dependent rules (day and dayOfWeek fields only). */
  readonly rules: readonly DayRule[];
  /** For `year`: the parsed ranges, searched directly instead of a 10,000-entry table. */
  readonly ranges: readonly Range[];
  /** Every value of the field's range is allowed and there are no rules. */
  readonly all: boolean;
}

interface Range {
  from: number;
  to: number;
  step: number;
}

const ORDINALS: Readonly<Record<string, number>> = {
  '1st': 1,
  '2nd': 2,
  '3rd': 3,
  '4th': 4,
  '5th': 5,
};

const NUMBER = '(-?\\d+|[a-z]+)';
const RANGE_PATTERN = new RegExp(`^${NUMBER}(?:-${NUMBER})?(?:/(-?\\d+))?$`);
const STAR_PATTERN = /^[*?](?:\/(-?\d+))?$/;

const compiledCache = new Map<string, CompiledField>();

/** Compiles a field expression; identical expressions share one compiled object. */
export function compileField(field: CronFieldName, value: string | number): CompiledField {
  const original = validateValue(field, value);
  const key = `${field}\u0000${original}`;
  let compiled = compiledCache.get(key);
  if (compiled === undefined) {
    compiled = parseField(field, original);
    if (compiledCache.size > 10_000) compiledCache.clear();
    compiledCache.set(key, compiled);
  }
  return compiled;
}

function validateValue(field: CronFieldName, value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new CronSyntaxError(field, String(value), 'expected a whole number');
    return String(value);
  }
  if (typeof value !== 'string') {
    throw new CronSyntaxError(field, String(value), 'expected a number or an expression string');
  }
  const text = value.trim();
  if (text === '') throw new CronSyntaxError(field, value, 'the expression is empty');
  return text;
}

function parseField(field: CronFieldName, text: string): CompiledField {
  const [min, max] = FIELD_BOUNDS[field];
  const size = field === 'dayOfWeek' ? 7 : field === 'year' ? 0 : max + 1;
  const allowed = new Uint8Array(size);
  const rules: DayRule[] = [];
  const ranges: Range[] = [];
  const parts = text.split(',').map((p) => p.trim());
  for (const part of parts) {
    if (part === '') throw new CronSyntaxError(field, text, 'an item of the comma list is empty');
    if (!parseSpecial(field, part, text, rules)) {
      const range = parseRange(field, part, text, min, max);
      ranges.push(range);
      if (field !== 'year') markRange(field, range, allowed);
    }
  }
  const restricted = !(text.startsWith('*') || text.startsWith('?'));
  const next = new Int16Array(size + 1).fill(-1);
  for (let v = size - 1; v >= 0; v--) next[v] = allowed[v] ? v : (next[v + 1] as number);
  let all = rules.length === 0;
  if (field === 'year') all = ranges.some((r) => r.from <= min && r.to >= max && r.step === 1);
  else for (let v = field === 'dayOfWeek' ? 0 : min; v < size && all; v++) all = allowed[v] === 1;
  return { text, restricted, allowed, next, rules, ranges, all };
}

function markRange(field: CronFieldName, range: Range, allowed: Uint8Array): void {
  if (field === 'dayOfWeek') {
    // Weekday ranges may wrap around the end of the week (fri-mon).
    const span = range.to >= range.from ? range.to - range.from : range.to + 7 - range.from;
    for (let i = 0; i <= span; i += range.step) allowed[(range.from + i) % 7] = 1;
    return;
  }
  for (let v = range.from; v <= range.to; v += range.step) allowed[v] = 1;
}

/** Parses the day-dependent forms; returns false when `part` is not one of them. */
function parseSpecial(field: CronFieldName, part: string, text: string, rules: DayRule[]): boolean {
  const lower = part.toLowerCase();
  if (field === 'day') {
    if (lower === 'last' || lower === 'l') {
      rules.push({ kind: 'last' });
      return true;
    }
    if (lower === 'lw' || lower === 'wl') {
      rules.push({ kind: 'lastWeekday' });
      return true;
    }
    const nearest = /^(\d+)w$/.exec(lower);
    if (nearest !== null) {
      const day = Number(nearest[1]);
      if (day < 1 || day > 31)
        throw new CronSyntaxError(field, text, `day ${day} in "${part}" is not between 1 and 31`);
      rules.push({ kind: 'nearestWeekday', day });
      return true;
    }
    const nth = /^(1st|2nd|3rd|4th|5th|last)\s+([a-z]+)$/.exec(lower);
    if (nth !== null) {
      const weekday = weekdayByName(field, nth[2] as string, text);
      rules.push(
        nth[1] === 'last'
          ? { kind: 'lastOf', weekday }
          : { kind: 'nth', n: ORDINALS[nth[1] as string] as number, weekday },
      );
      return true;
    }
    return false;
  }
  if (field === 'dayOfWeek') {
    const last = /^([a-z]+|\d+)l$/.exec(lower);
    if (last !== null) {
      rules.push({ kind: 'lastOf', weekday: weekdayValue(field, last[1] as string, text) % 7 });
      return true;
    }
    const hash = /^([a-z]+|\d+)#(-?\d+)$/.exec(lower);
    if (hash !== null) {
      const n = Number(hash[2]);
      if (n < 1 || n > 5)
        throw new CronSyntaxError(
          field,
          text,
          `"#${hash[2]}" in "${part}" must be between #1 and #5`,
        );
      rules.push({ kind: 'nth', n, weekday: weekdayValue(field, hash[1] as string, text) % 7 });
      return true;
    }
    return false;
  }
  if (
    /^\d*[lw#]/.test(lower) ||
    /^(\d+|[a-z]+)#/.test(lower) ||
    lower === 'l' ||
    /\d[lw]$/.test(lower)
  ) {
    throw new CronSyntaxError(
      field,
      text,
      `"${part}" (L, W and # forms) is only allowed in the day and dayOfWeek fields`,
    );
  }
  return false;
}

function parseRange(
  field: CronFieldName,
  part: string,
  text: string,
  min: number,
  max: number,
): Range {
  const star = STAR_PATTERN.exec(part);
  const lower = part.toLowerCase();
  if (star !== null) {
    if (part.startsWith('?') && field !== 'day' && field !== 'dayOfWeek') {
      throw new CronSyntaxError(field, text, '"?" is only allowed in the day and dayOfWeek fields');
    }
    const upper = field === 'dayOfWeek' ? 6 : max;
    const step = star[1] === undefined ? 1 : parseStep(field, star[1], text, upper - min);
    return { from: min, to: upper, step };
  }
  const match = RANGE_PATTERN.exec(lower);
  if (match === null) throw new CronSyntaxError(field, text, `unrecognized expression "${part}"`);
  const from = fieldValue(field, match[1] as string, text);
  const hasEnd = match[2] !== undefined;
  let to = hasEnd ? fieldValue(field, match[2] as string, text) : from;
  if (!hasEnd && match[3] !== undefined) to = field === 'dayOfWeek' ? 6 : max; // "a/c" runs to the maximum
  if (from < min || from > max) throw outOfRange(field, text, from, min, max);
  if (to < min || to > max) throw outOfRange(field, text, to, min, max);
  if (to < from && field !== 'dayOfWeek') {
    throw new CronSyntaxError(
      field,
      text,
      `the range "${part}" starts after it ends (${from} > ${to})`,
    );
  }
  const span = field === 'dayOfWeek' && to < from ? to + 7 - from : to - from;
  const step = match[3] === undefined ? 1 : parseStep(field, match[3], text, span);
  return { from, to, step };
}

function parseStep(field: CronFieldName, raw: string, text: string, span: number): number {
  const step = Number(raw);
  if (!Number.isInteger(step) || step <= 0) {
    throw new CronSyntaxError(field, text, `the step ${raw} must be a positive whole number`);
  }
  if (step > span) {
    throw new CronSyntaxError(
      field,
      text,
      `the step ${step} is larger than the range it divides (${span})`,
    );
  }
  return step;
}

function outOfRange(
  field: CronFieldName,
  text: string,
  value: number,
  min: number,
  max: number,
): CronSyntaxError {
  return new CronSyntaxError(field, text, `${value} is outside the allowed range ${min}-${max}`);
}

function fieldValue(field: CronFieldName, token: string, text: string): number {
  if (/^-?\d+$/.test(token)) return Number(token);
  if (field === 'month') {
    const index = MONTH_NAMES.indexOf(token);
    if (index < 0)
      throw new CronSyntaxError(field, text, `unknown month name "${token}" (expected jan…dec)`);
    return index + 1;
  }
  if (field === 'dayOfWeek') return weekdayByName(field, token, text);
  throw new CronSyntaxError(field, text, `"${token}" is not a number`);
}

function weekdayValue(field: CronFieldName, token: string, text: string): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value > 7) throw outOfRange(field, text, value, 0, 7);
    return value;
  }
  return weekdayByName(field, token, text);
}

function weekdayByName(field: CronFieldName, token: string, text: string): number {
  const index = WEEKDAY_NAMES.indexOf(token);
  if (index < 0)
    throw new CronSyntaxError(field, text, `unknown weekday name "${token}" (expected mon…sun)`);
  return index;
}

/** The smallest year ≥ `year` allowed by a compiled year field, or -1. */
export function nextYear(field: CompiledField, year: number): number {
  if (field.all) return year <= 9999 ? year : -1;
  let best = -1;
  for (const r of field.ranges) {
    if (year > r.to) continue;
    const v = year <= r.from ? r.from : r.from + Math.ceil((year - r.from) / r.step) * r.step;
    if (v > r.to) continue;
    if (best < 0 || v < best) best = v;
  }
  return best;
}
