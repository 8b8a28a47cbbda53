/**
 * Parsing cron field expressions into compiled fields.
 *
 * Field-form grammar (comma-separated parts, names case-insensitive):
 * every field: `*`, `*∕a`, `a`, `a-b`, `a-b∕c`, `a∕c`; month names `jan`…`dec`;
 * day: `last`/`L`, `LW`, `15W`, `3rd fri`, `last fri`, `?`;
 * dayOfWeek: names `sun`…`sat`, numbers 0–7 (0 and 7 = Sunday), ranges that wrap
 * (`fri-mon`), `5L`/`friL` (last Friday), `fri#2`, `?`.
 * A step may not exceed the range it divides, and dayOfWeek `a∕c` runs to 6.
 *
 * A crontab line's grammar adds what Vixie cron, croner, cron-parser, Quartz
 * and Jenkins users write:
 * - a step at least as large as its range selects the first value (`*∕60` = 0);
 * - `?` is `*` in every field;
 * - dayOfWeek `a∕c` runs to 7 (`1∕2` = Mon, Wed, Fri, Sun; `6∕1` = Sat, Sun);
 * - day `L-n` (n days before the last day, n ≤ 30) and `L-nW` (the weekday nearest it);
 * - dayOfWeek `5#L`/`fri#L` (= `5L`), and weekday ranges before `L`, `#n`, `#L`
 *   (`mon-friL` = the last Monday … the last Friday);
 * - `H` forms, which the trigger resolves to plain values before compiling
 *   (see hashed.ts): this module never sees them in a crontab line.
 */
import { CronSyntaxError } from '../errors.ts';
import { type CronFieldName, FIELD_BOUNDS, MONTH_NAMES, WEEKDAY_NAMES } from './fields.ts';

/**
 * Which grammar a field is read with: the field form's (`new CronTrigger({…})`,
 * APScheduler's) or a crontab line's (`CronTrigger.fromCrontab`, a superset).
 */
export type CronSyntax = 'fields' | 'crontab';

/** A day-of-month rule evaluated per month. */
export type DayRule =
  | { kind: 'last' }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number }
  /** `L-n` (`days` = n) and `L-nW` (`weekday`: the weekday nearest that day). */
  | { kind: 'beforeLast'; days: number; weekday: boolean }
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
const WEEKDAY = '([a-z]+|\\d+)';
/** `L-n` counts back at most 30 days, as in Quartz. */
const MAX_DAYS_BEFORE_LAST = 30;
const RANGE_PATTERN = new RegExp(`^${NUMBER}(?:-${NUMBER})?(?:/(-?\\d+))?$`);
const STAR_PATTERN = /^[*?](?:\/(-?\d+))?$/;

const compiledCache = new Map<string, CompiledField>();

/** Compiles a field expression; identical expressions share one compiled object. */
export function compileField(
  field: CronFieldName,
  value: string | number,
  syntax: CronSyntax = 'fields',
): CompiledField {
  const original = validateValue(field, value);
  const key = `${syntax}\u0000${field}\u0000${original}`;
  let compiled = compiledCache.get(key);
  if (compiled === undefined) {
    compiled = parseField(field, original, syntax);
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

function parseField(field: CronFieldName, text: string, syntax: CronSyntax): CompiledField {
  const [min, max] = FIELD_BOUNDS[field];
  const size = field === 'dayOfWeek' ? 7 : field === 'year' ? 0 : max + 1;
  const allowed = new Uint8Array(size);
  const rules: DayRule[] = [];
  const ranges: Range[] = [];
  const parts = text.split(',').map((p) => p.trim());
  for (const part of parts) {
    if (part === '') throw new CronSyntaxError(field, text, 'an item of the comma list is empty');
    refuseForeign(field, part, text, syntax);
    if (!parseSpecial(field, part, text, rules, syntax)) {
      const range = parseRange(field, part, text, min, max, syntax);
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
    for (const weekday of weekdaySpan(range.from, range.to, range.step)) allowed[weekday] = 1;
    return;
  }
  for (let v = range.from; v <= range.to; v += range.step) allowed[v] = 1;
}

/** The weekdays (0–6) of a weekday range, which may wrap around the end of the week (fri-mon). */
function weekdaySpan(from: number, to: number, step = 1): number[] {
  const span = to >= from ? to - from : to + 7 - from;
  const days: number[] = [];
  for (let i = 0; i <= span; i += step) days.push((from + i) % 7);
  return days;
}

/**
 * A crontab form read in the field form: refused with what to write instead
 * (the field form keeps APScheduler's grammar).
 */
function crontabOnly(field: CronFieldName, text: string, part: string, instead: string): never {
  throw new CronSyntaxError(
    field,
    text,
    `"${part}" is crontab syntax, not accepted in the field form: ${instead}`,
  );
}

/** Forms of other cron dialects that Horarium does not take, each with what to write instead. */
function refuseForeign(field: CronFieldName, part: string, text: string, syntax: CronSyntax): void {
  if (part.includes('~')) {
    throw new CronSyntaxError(
      field,
      text,
      `"~" (a random value picked each time cron starts, as in cronie) is not supported: write H(a-b) in a crontab line for a stable value derived from a seed (by default the job id)`,
    );
  }
  if (/^\/\d+$/.test(part)) {
    throw new CronSyntaxError(
      field,
      text,
      `a step needs a start: write "*${part}" (from the field's first value) or "a-b${part}"`,
    );
  }
  if (/^h(?:$|[(/#l])/i.test(part)) {
    if (syntax === 'fields') {
      crontabOnly(
        field,
        text,
        part,
        'H (a hashed value) needs CronTrigger.fromCrontab, which takes a seed (by default the job id)',
      );
    }
    // A crontab line's H forms are resolved before compiling; what is left is malformed.
    throw new CronSyntaxError(
      field,
      text,
      `unrecognized hashed expression "${part}" (expected H, H(a-b), H/n or H(a-b)/n)`,
    );
  }
}

/** Parses the day-dependent forms; returns false when `part` is not one of them. */
function parseSpecial(
  field: CronFieldName,
  part: string,
  text: string,
  rules: DayRule[],
  syntax: CronSyntax,
): boolean {
  const lower = part.toLowerCase();
  if (field === 'day') return parseDaySpecial(part, lower, text, rules, syntax);
  if (field === 'dayOfWeek') return parseWeekdaySpecial(part, lower, text, rules, syntax);
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

function parseDaySpecial(
  part: string,
  lower: string,
  text: string,
  rules: DayRule[],
  syntax: CronSyntax,
): boolean {
  const field = 'day';
  if (lower === 'last' || lower === 'l') {
    rules.push({ kind: 'last' });
    return true;
  }
  if (lower === 'lw' || lower === 'wl') {
    rules.push({ kind: 'lastWeekday' });
    return true;
  }
  const beforeLast = /^l-(\d+)(w?)$/.exec(lower);
  if (beforeLast !== null) {
    if (syntax === 'fields')
      crontabOnly(field, text, part, 'pass the line to CronTrigger.fromCrontab');
    const days = Number(beforeLast[1]);
    if (days > MAX_DAYS_BEFORE_LAST) {
      throw new CronSyntaxError(
        field,
        text,
        `"${part}" counts back ${days} days; L-n counts back at most ${MAX_DAYS_BEFORE_LAST}`,
      );
    }
    rules.push({ kind: 'beforeLast', days, weekday: beforeLast[2] === 'w' });
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
  if (/w$/.test(lower) && /[-/*]/.test(lower)) {
    throw new CronSyntaxError(
      field,
      text,
      `W (the nearest weekday) applies to one day, as in "15W", not to "${part}": list the days ("1W,15W")`,
    );
  }
  if (/^l/.test(lower)) {
    const forms = syntax === 'crontab' ? 'L, LW, L-n or L-nW (n from 0 to 30)' : 'L, LW or last';
    throw new CronSyntaxError(field, text, `unrecognized expression "${part}" (expected ${forms})`);
  }
  if (/#/.test(lower)) {
    throw new CronSyntaxError(
      field,
      text,
      `"${part}": # (the nth weekday) belongs in the dayOfWeek field ("fri#2"); the day field takes "2nd fri"`,
    );
  }
  return false;
}

function parseWeekdaySpecial(
  part: string,
  lower: string,
  text: string,
  rules: DayRule[],
  syntax: CronSyntax,
): boolean {
  const field = 'dayOfWeek';
  if (lower === 'l') {
    throw new CronSyntaxError(
      field,
      text,
      '"L" alone in dayOfWeek (Saturday, the last day of the week in Quartz) is not supported: write SAT for Saturdays, or 5L / FRI#L for the last Friday of the month',
    );
  }
  const last = new RegExp(`^${WEEKDAY}(?:-${WEEKDAY})?(?:#l|l)$`).exec(lower);
  if (last !== null) {
    const days = weekdaysOf(part, last[1] as string, last[2], text, syntax);
    if (lower.endsWith('#l') && syntax === 'fields') {
      crontabOnly(field, text, part, `write "${last[1]}L" (or day: 'last ${weekdayNameOf(days)}')`);
    }
    for (const weekday of days) rules.push({ kind: 'lastOf', weekday });
    return true;
  }
  const hash = new RegExp(`^${WEEKDAY}(?:-${WEEKDAY})?#(-?\\d+)$`).exec(lower);
  if (hash !== null) {
    const days = weekdaysOf(part, hash[1] as string, hash[2], text, syntax);
    const n = Number(hash[3]);
    if (n < 1 || n > 5)
      throw new CronSyntaxError(
        field,
        text,
        `"#${hash[3]}" in "${part}" must be between #1 and #5`,
      );
    for (const weekday of days) rules.push({ kind: 'nth', n, weekday });
    return true;
  }
  if (lower.includes('#')) {
    throw new CronSyntaxError(
      field,
      text,
      `unrecognized expression "${part}" (expected weekday#n with n from 1 to 5${syntax === 'crontab' ? ', or weekday#L' : ''}, e.g. "fri#2")`,
    );
  }
  if (/\dw$|^[a-z]+w$/.test(lower) && !WEEKDAY_NAMES.includes(lower)) {
    throw new CronSyntaxError(
      field,
      text,
      `"${part}": W (the nearest weekday) belongs in the day field ("15W")`,
    );
  }
  return false;
}

/** The weekdays (0–6) before an `L` or `#`: one weekday, or a range (crontab lines only). */
function weekdaysOf(
  part: string,
  from: string,
  to: string | undefined,
  text: string,
  syntax: CronSyntax,
): number[] {
  const field = 'dayOfWeek';
  const first = weekdayValue(field, from, text);
  if (to === undefined) return [first % 7];
  // As in a plain weekday range: 0-7 is the whole week, 5-1 wraps.
  const days = [...new Set(weekdaySpan(first, weekdayValue(field, to, text)))];
  if (syntax === 'fields') {
    const suffix = part.slice(part.search(/#|l$/i));
    const list = days.map((d) => `${WEEKDAY_NAMES[d]}${suffix}`).join(',');
    crontabOnly(field, text, part, `list the weekdays: "${list}"`);
  }
  return days;
}

const weekdayNameOf = (days: readonly number[]): string => WEEKDAY_NAMES[days[0] as number] ?? '';

function parseRange(
  field: CronFieldName,
  part: string,
  text: string,
  min: number,
  max: number,
  syntax: CronSyntax,
): Range {
  const star = STAR_PATTERN.exec(part);
  const lower = part.toLowerCase();
  if (star !== null) {
    if (part.startsWith('?') && field !== 'day' && field !== 'dayOfWeek' && syntax === 'fields') {
      throw new CronSyntaxError(
        field,
        text,
        `"?" is only allowed in the day and dayOfWeek fields: write "*${part.slice(1)}"`,
      );
    }
    const upper = field === 'dayOfWeek' ? 6 : max;
    const step = star[1] === undefined ? 1 : parseStep(field, star[1], text, upper - min, syntax);
    return { from: min, to: upper, step };
  }
  const match = RANGE_PATTERN.exec(lower);
  if (match === null) throw new CronSyntaxError(field, text, `unrecognized expression "${part}"`);
  const from = fieldValue(field, match[1] as string, text);
  const hasEnd = match[2] !== undefined;
  let to = hasEnd ? fieldValue(field, match[2] as string, text) : from;
  // "a/c" runs to the maximum; for weekdays a crontab line's maximum is 7 (Sunday again), as in cron-parser.
  if (!hasEnd && match[3] !== undefined)
    to = field === 'dayOfWeek' ? (syntax === 'crontab' ? 7 : 6) : max;
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
  const step = match[3] === undefined ? 1 : parseStep(field, match[3], text, span, syntax);
  return { from, to, step };
}

/**
 * A step. The field form refuses one larger than the range it divides
 * (APScheduler); a crontab line takes it, selecting only the range's first
 * value (Vixie cron and every Node cron library read `*∕60` as minute 0).
 */
function parseStep(
  field: CronFieldName,
  raw: string,
  text: string,
  span: number,
  syntax: CronSyntax,
): number {
  const step = Number(raw);
  if (!Number.isInteger(step) || step <= 0) {
    throw new CronSyntaxError(field, text, `the step ${raw} must be a positive whole number`);
  }
  if (step > span && syntax === 'fields') {
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
