/** `CalendarIntervalTrigger`: fires at a fixed wall-clock time every so many years, months, weeks and days. */
import {
  daysFromCivil,
  daysInMonth,
  fieldsFromWall,
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  MS_PER_SECOND,
} from '../time/civil.ts';
import { InvalidDateError } from '../time/errors.ts';
import type { DateInput } from '../time/parse.ts';
import type { Zone } from '../time/zone.ts';
import {
  applyJitter,
  checkTriggerOptions,
  parseDateArgument,
  parseJitter,
  requireTimeArgument,
  resolveZone,
} from './common.ts';
import { InvalidTriggerError } from './errors.ts';
import { registerTrigger } from './registry.ts';
import type { RandomSource, Trigger, TriggerJSON } from './trigger.ts';

export interface CalendarIntervalTriggerOptions {
  years?: number;
  months?: number;
  weeks?: number;
  days?: number;
  /** Time of day (wall clock in the trigger's zone). */
  hour?: number;
  minute?: number;
  second?: number;
  /** First date (`'YYYY-MM-DD'`, or any date input, whose date in the zone counts). Omitted: the date of the first call's `now`. */
  startDate?: DateInput | null;
  /** Last date (inclusive). */
  endDate?: DateInput | null;
  timezone?: string;
  jitter?: number | null;
  random?: RandomSource;
}

const OPTION_NAMES: readonly string[] = [
  'years',
  'months',
  'weeks',
  'days',
  'hour',
  'minute',
  'second',
  'startDate',
  'endDate',
  'timezone',
  'jitter',
  'random',
];

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Fires at the same wall-clock time on dates spaced by calendar units. Months
 * and years keep the day of the month; when that day does not exist the
 * addition repeats (Jan 31 + 1 month → Mar 31). A time that a DST switch skips
 * fires shifted forward by the gap; a repeated time fires at its first occurrence.
 *
 * @example
 * ```ts
 * new CalendarIntervalTrigger({ months: 1, hour: 9, startDate: '2025-01-31', timezone: 'Europe/Berlin' });
 * ```
 */
export class CalendarIntervalTrigger implements Trigger {
  /** The options the constructor takes (the `'calendarinterval'` alias's arguments). */
  static readonly optionNames: readonly string[] = OPTION_NAMES;
  readonly timezone: string;
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly jitter: number | null;
  readonly #zone: Zone;
  readonly #endDay: number | undefined;
  readonly #jitterMs: number;
  readonly #random: RandomSource;
  #startDay: number | undefined;

  constructor(options: CalendarIntervalTriggerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidTriggerError('options', 'CalendarIntervalTrigger options must be an object');
    }
    checkTriggerOptions(
      'CalendarIntervalTrigger',
      options as Record<string, unknown>,
      OPTION_NAMES,
    );
    this.years = wholeNumber('years', options.years, 0, Number.MAX_SAFE_INTEGER);
    this.months = wholeNumber('months', options.months, 0, Number.MAX_SAFE_INTEGER);
    this.weeks = wholeNumber('weeks', options.weeks, 0, Number.MAX_SAFE_INTEGER);
    this.days = wholeNumber('days', options.days, 0, Number.MAX_SAFE_INTEGER);
    if (this.years + this.months + this.weeks + this.days === 0) {
      throw new InvalidTriggerError(
        'interval',
        'The interval must be at least 1 day long: give years, months, weeks or days',
      );
    }
    this.hour = wholeNumber('hour', options.hour, 0, 23);
    this.minute = wholeNumber('minute', options.minute, 0, 59);
    this.second = wholeNumber('second', options.second, 0, 59);
    this.#zone = resolveZone(options.timezone);
    this.timezone = this.#zone.name;
    this.#startDay = this.#dayArgument('startDate', options.startDate);
    this.#endDay = this.#dayArgument('endDate', options.endDate);
    if (
      this.#startDay !== undefined &&
      this.#endDay !== undefined &&
      this.#endDay < this.#startDay
    ) {
      throw new InvalidTriggerError(
        'endDate',
        `endDate (${formatDay(this.#endDay)}) cannot be earlier than startDate (${formatDay(this.#startDay)})`,
      );
    }
    this.#jitterMs = parseJitter(options.jitter);
    this.jitter = this.#jitterMs > 0 ? this.#jitterMs / MS_PER_SECOND : null;
    this.#random = options.random ?? Math.random;
  }

  get startDate(): string | null {
    return this.#startDay === undefined ? null : formatDay(this.#startDay);
  }

  get endDate(): string | null {
    return this.#endDay === undefined ? null : formatDay(this.#endDay);
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const previous = requireTimeArgument('previousFireTime', previousFireTime, true);
    const current = requireTimeArgument('now', now, false) as number;
    if (this.#startDay === undefined)
      this.#startDay = Math.floor(this.#zone.wallAt(current) / MS_PER_DAY);
    // The first grid date whose fire time is ≥ now, or > the previous fire time.
    const target = previous === null ? current : previous + 1;
    let day = this.#startDay;
    if (this.years === 0 && this.months === 0) {
      // Only days and weeks: jump close to the target arithmetically.
      const step = this.days + 7 * this.weeks;
      const targetDay = Math.floor(this.#zone.wallAt(target) / MS_PER_DAY);
      if (targetDay - 2 > day) day += Math.floor((targetDay - 2 - day) / step) * step;
    }
    for (;;) {
      if (this.#endDay !== undefined && day > this.#endDay) return null;
      if (day > MAX_DAY) return null;
      const fire = this.#fireTime(day);
      if (fire >= target)
        return new Date(applyJitter(fire, this.#jitterMs, this.#endLimit(), this.#random));
      day = this.#advance(day);
    }
  }

  /** The last instant of the end date (jitter may not pass it), or undefined without an end date. */
  #endLimit(): number | undefined {
    if (this.#endDay === undefined) return undefined;
    return (
      (this.#zone.instantOf((this.#endDay + 1) * MS_PER_DAY, 'compatible') as number) -
      MS_PER_SECOND
    );
  }

  /** The fire instant on a date: the wall time, shifted forward in a gap, first occurrence in a fold. */
  #fireTime(day: number): number {
    const wall =
      day * MS_PER_DAY +
      this.hour * MS_PER_HOUR +
      this.minute * MS_PER_MINUTE +
      this.second * MS_PER_SECOND;
    return this.#zone.instantOf(wall, 'compatible') as number;
  }

  #advance(day: number): number {
    let next = day;
    if (this.years !== 0 || this.months !== 0) {
      const { year, month, day: dayOfMonth } = fieldsFromWall(day * MS_PER_DAY);
      let total = year * 12 + (month - 1);
      do total += this.years * 12 + this.months;
      while (dayOfMonth > daysInMonth(Math.floor(total / 12), (total % 12) + 1));
      next = daysFromCivil(Math.floor(total / 12), (total % 12) + 1, dayOfMonth);
    }
    return next + this.days + 7 * this.weeks;
  }

  #dayArgument(argument: string, value: DateInput | null | undefined): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') {
      const m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value.trim());
      if (m !== null) {
        const year = Number(m[1]);
        const month = Number(m[2]);
        const d = Number(m[3]);
        if (month < 1 || month > 12 || d < 1 || d > daysInMonth(year, month)) {
          throw new InvalidDateError(value, 'no such calendar date', argument);
        }
        return daysFromCivil(year, month, d);
      }
    }
    return Math.floor(
      this.#zone.wallAt(parseDateArgument(argument, value, this.#zone)) / MS_PER_DAY,
    );
  }

  toJSON(): TriggerJSON {
    return {
      type: 'calendarinterval',
      version: 1,
      years: this.years,
      months: this.months,
      weeks: this.weeks,
      days: this.days,
      hour: this.hour,
      minute: this.minute,
      second: this.second,
      startDate: this.startDate,
      endDate: this.endDate,
      timezone: this.timezone,
      jitter: this.jitter,
    };
  }

  toString(): string {
    const parts: string[] = [];
    for (const unit of ['years', 'months', 'weeks', 'days'] as const)
      if (this[unit] !== 0) parts.push(`${unit}=${this[unit]}`);
    parts.push(`time=${pad(this.hour)}:${pad(this.minute)}:${pad(this.second)}`);
    return `calendarinterval[${parts.join(', ')}]`;
  }
}

/** 9999-12-31: the search never runs past the calendar years cron supports either. */
const MAX_DAY = daysFromCivil(9999, 12, 31);

function formatDay(day: number): string {
  const f = fieldsFromWall(day * MS_PER_DAY);
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}`;
}

function wholeNumber(argument: string, value: unknown, min: number, max: number): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidTriggerError(
      argument,
      `${argument} must be a whole number between ${min} and ${max}, got ${String(value)}`,
    );
  }
  return value;
}

registerTrigger('calendarinterval', (state) => {
  if (state.version !== 1) {
    throw new InvalidTriggerError(
      'version',
      `unsupported calendarinterval trigger version ${String(state.version)}`,
    );
  }
  const {
    type: _type,
    version: _version,
    ...options
  } = state as TriggerJSON & CalendarIntervalTriggerOptions;
  return new CalendarIntervalTrigger(options);
});
