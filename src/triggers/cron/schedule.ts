/**
 * A compiled cron schedule: the eight fields plus the day-matching mode, and
 * the search for the next matching wall-clock time. It works purely on the
 * calendar (wall milliseconds); time zones are the trigger's business.
 */
import {
  daysFromCivil,
  daysInMonth,
  fieldsFromWall,
  isoWeekOfDays,
  MS_PER_DAY,
  wallFromFields,
  weekdayOfDays,
} from '../../time/civil.ts';
import { type CompiledField, type CronSyntax, compileField, nextYear } from './expressions.ts';
import type { CronFieldName } from './fields.ts';

export type DayMatching = 'and' | 'or';

export type CronFieldValues = Readonly<Record<CronFieldName, string>>;

const MASK_CACHE_LIMIT = 256;

export class CronSchedule {
  readonly year: CompiledField;
  readonly month: CompiledField;
  readonly day: CompiledField;
  readonly week: CompiledField;
  readonly dayOfWeek: CompiledField;
  readonly hour: CompiledField;
  readonly minute: CompiledField;
  readonly second: CompiledField;
  readonly dayMatching: DayMatching;
  readonly syntax: CronSyntax;
  /** Day masks per month (bit d set = day d matches), keyed by year·16 + month. */
  readonly #masks = new Map<number, number>();
  /** Do day-of-month and day-of-week combine with OR for this schedule? */
  readonly #orDays: boolean;
  /** The day (days since 1970) of the last match: it is known to match, so later times that day need no calendar work. */
  #lastDayNumber = Number.NaN;
  #lastDayMatches = false;

  constructor(values: CronFieldValues, dayMatching: DayMatching, syntax: CronSyntax = 'fields') {
    this.year = compileField('year', values.year, syntax);
    this.month = compileField('month', values.month, syntax);
    this.day = compileField('day', values.day, syntax);
    this.week = compileField('week', values.week, syntax);
    this.dayOfWeek = compileField('dayOfWeek', values.dayOfWeek, syntax);
    this.hour = compileField('hour', values.hour, syntax);
    this.minute = compileField('minute', values.minute, syntax);
    this.second = compileField('second', values.second, syntax);
    this.dayMatching = dayMatching;
    this.syntax = syntax;
    this.#orDays = dayMatching === 'or' && this.day.restricted && this.dayOfWeek.restricted;
  }

  /** The first wall time ≥ `wall` (rounded up to a whole second) that matches, or null past year 9999. */
  nextMatch(wall: number): number | null {
    const start = Math.ceil(wall / 1000) * 1000;
    // Fast path: a later time on the same (matching) day, without calendar conversions.
    const dayNumber = Math.floor(start / MS_PER_DAY);
    if (dayNumber === this.#lastDayNumber && this.#lastDayMatches) {
      const time = this.#timeOnOrAfter((start - dayNumber * MS_PER_DAY) / 1000);
      if (time >= 0) return dayNumber * MS_PER_DAY + time * 1000;
    }
    const found = this.#search(start);
    if (found !== null) {
      this.#lastDayNumber = Math.floor(found / MS_PER_DAY);
      this.#lastDayMatches = true;
    }
    return found;
  }

  /** Seconds into the day of the first matching time at or after `seconds`, or -1. */
  #timeOnOrAfter(seconds: number): number {
    let hour = Math.floor(seconds / 3600);
    let minute = Math.floor((seconds - hour * 3600) / 60);
    let second = seconds - hour * 3600 - minute * 60;
    for (;;) {
      const h = this.hour.next[hour] as number;
      if (h < 0) return -1;
      if (h !== hour) {
        hour = h;
        minute = second = 0;
      }
      const m = this.minute.next[minute] as number;
      if (m < 0) {
        hour++;
        minute = second = 0;
        continue;
      }
      if (m !== minute) {
        minute = m;
        second = 0;
      }
      const s = this.second.next[second] as number;
      if (s < 0) {
        minute++;
        second = 0;
        if (minute > 59) {
          hour++;
          minute = 0;
        }
        continue;
      }
      return hour * 3600 + minute * 60 + s;
    }
  }

  #search(start: number): number | null {
    const f = fieldsFromWall(start);
    let year = f.year;
    let month = f.month;
    let day = f.day;
    let hour = f.hour;
    let minute = f.minute;
    let second = f.second;
    const months = this.month.next;
    const hours = this.hour.next;
    const minutes = this.minute.next;
    const seconds = this.second.next;
    for (;;) {
      const y = nextYear(this.year, year);
      if (y < 0) return null;
      if (y !== year) {
        year = y;
        month = 1;
        day = 1;
        hour = minute = second = 0;
      }
      const m = months[month] as number;
      if (m < 0) {
        year++;
        month = 1;
        day = 1;
        hour = minute = second = 0;
        continue;
      }
      if (m !== month) {
        month = m;
        day = 1;
        hour = minute = second = 0;
      }
      const candidates = this.dayMask(year, month) & ~((1 << day) - 1);
      if (candidates === 0) {
        if (++month > 12) {
          month = 1;
          year++;
        }
        day = 1;
        hour = minute = second = 0;
        continue;
      }
      const d = 31 - Math.clz32(candidates & -candidates);
      if (d !== day) {
        day = d;
        hour = minute = second = 0;
      }
      const h = hours[hour] as number;
      if (h < 0) {
        day++;
        hour = minute = second = 0;
        if (day > daysInMonth(year, month)) {
          day = 1;
          if (++month > 12) {
            month = 1;
            year++;
          }
        }
        continue;
      }
      if (h !== hour) {
        hour = h;
        minute = second = 0;
      }
      const mi = minutes[minute] as number;
      if (mi < 0) {
        hour++;
        minute = second = 0;
        if (hour > 23) {
          hour = 0;
          day++;
          if (day > daysInMonth(year, month)) {
            day = 1;
            if (++month > 12) {
              month = 1;
              year++;
            }
          }
        }
        continue;
      }
      if (mi !== minute) {
        minute = mi;
        second = 0;
      }
      const s = seconds[second] as number;
      if (s < 0) {
        // Carry into the next minute through the general path.
        return this.#search(wallFromFields(year, month, day, hour, minute) + 60_000);
      }
      return wallFromFields(year, month, day, hour, minute, s);
    }
  }

  /** Does a wall time's date and time match the schedule (ignoring sub-second parts)? */
  matches(wall: number): boolean {
    const f = fieldsFromWall(wall);
    return (
      nextYear(this.year, f.year) === f.year &&
      this.month.allowed[f.month] === 1 &&
      (this.dayMask(f.year, f.month) & (1 << f.day)) !== 0 &&
      this.hour.allowed[f.hour] === 1 &&
      this.minute.allowed[f.minute] === 1 &&
      this.second.allowed[f.second] === 1
    );
  }

  /** Bit d (1–31) set when day d of the month matches the day, week and dayOfWeek fields. */
  dayMask(year: number, month: number): number {
    const key = year * 16 + month;
    let mask = this.#masks.get(key);
    if (mask === undefined) {
      mask = this.#computeDayMask(year, month);
      if (this.#masks.size >= MASK_CACHE_LIMIT) this.#masks.clear();
      this.#masks.set(key, mask);
    }
    return mask;
  }

  #computeDayMask(year: number, month: number): number {
    const length = daysInMonth(year, month);
    const firstDay = daysFromCivil(year, month, 1);
    const firstWeekday = weekdayOfDays(firstDay);
    const monthMask = (length === 31 ? -1 : (1 << (length + 1)) - 1) & ~1;
    const dom = fieldDays(this.day, length, firstWeekday, false) & monthMask;
    const dow = fieldDays(this.dayOfWeek, length, firstWeekday, true) & monthMask;
    let days = this.#orDays ? dom | dow : dom & dow;
    if (!this.week.all) {
      for (let d = 1; d <= length; d++) {
        if ((days & (1 << d)) !== 0 && this.week.allowed[isoWeekOfDays(firstDay + d - 1)] !== 1)
          days &= ~(1 << d);
      }
    }
    return days;
  }
}

/** The days of one month selected by a day or dayOfWeek field. */
function fieldDays(
  field: CompiledField,
  length: number,
  firstWeekday: number,
  weekdays: boolean,
): number {
  let mask = 0;
  if (weekdays) {
    for (let d = 1; d <= length; d++)
      if (field.allowed[(firstWeekday + d - 1) % 7] === 1) mask |= 1 << d;
  } else {
    for (let d = 1; d <= length; d++) if (field.allowed[d] === 1) mask |= 1 << d;
  }
  for (const rule of field.rules) {
    const day = ruleDay(rule, length, firstWeekday);
    if (day > 0) mask |= 1 << day;
  }
  return mask;
}

/** The day a month-dependent rule selects in a month, or 0 when it selects none. */
function ruleDay(
  rule: CompiledField['rules'][number],
  length: number,
  firstWeekday: number,
): number {
  switch (rule.kind) {
    case 'last':
      return length;
    case 'lastWeekday':
      return nearestWeekday(length, length, firstWeekday);
    case 'nearestWeekday':
      return rule.day > length ? 0 : nearestWeekday(rule.day, length, firstWeekday);
    case 'beforeLast': {
      const d = length - rule.days;
      if (d < 1) return 0;
      return rule.weekday ? nearestWeekday(d, length, firstWeekday) : d;
    }
    case 'nth': {
      const d = 1 + ((rule.weekday - firstWeekday + 7) % 7) + 7 * (rule.n - 1);
      return d <= length ? d : 0;
    }
    case 'lastOf': {
      const first = 1 + ((rule.weekday - firstWeekday + 7) % 7);
      return first + 7 * Math.floor((length - first) / 7);
    }
  }
}

/** The weekday (Monday–Friday) nearest day `d`, never leaving the month (Quartz's `W`). */
function nearestWeekday(d: number, length: number, firstWeekday: number): number {
  const weekday = (firstWeekday + d - 1) % 7;
  if (weekday === 6) return d > 1 ? d - 1 : d + 2; // Saturday: the Friday before, unless that leaves the month
  if (weekday === 0) return d < length ? d + 1 : d - 2; // Sunday: the Monday after, unless that leaves the month
  return d;
}

const scheduleCache = new Map<string, CronSchedule>();

/** Identical expressions share one compiled schedule (and its caches). */
export function compileSchedule(
  values: CronFieldValues,
  dayMatching: DayMatching,
  syntax: CronSyntax = 'fields',
): CronSchedule {
  const key = `${syntax}|${dayMatching}|${values.year}|${values.month}|${values.day}|${values.week}|${values.dayOfWeek}|${values.hour}|${values.minute}|${values.second}`;
  let schedule = scheduleCache.get(key);
  if (schedule === undefined) {
    schedule = new CronSchedule(values, dayMatching, syntax);
    if (scheduleCache.size > 10_000) scheduleCache.clear();
    scheduleCache.set(key, schedule);
  }
  return schedule;
}
