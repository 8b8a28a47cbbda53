/** `MonthlyCalendar`: days of the month excluded every month. */
import { civilFromDays, daysInMonth } from '../time/civil.ts';
import { type CalendarJSON, checkCalendarOptions, WallClockCalendar } from './calendar.ts';
import { dayOfWall, describe, requireArray } from './days.ts';
import { InvalidCalendarError } from './errors.ts';
import { includedDayFrom, monthBits } from './month-days.ts';

export interface MonthlyCalendarOptions {
  /** The excluded days of every month: 1–31, and `'last'` for the last day whatever the month's length. */
  excludeDays: readonly (number | 'last')[];
  /** IANA zone; the host's zone when left out. */
  timezone?: string;
}

const OPTIONS = ['excludeDays', 'timezone'];

/**
 * Excludes whole local days of every month. Day 31 is only excluded in months
 * that have one: use `'last'` for the last day of each month.
 *
 * @example
 * ```ts
 * new MonthlyCalendar({ excludeDays: [1, 'last'], timezone: 'Europe/Berlin' });
 * ```
 */
export class MonthlyCalendar extends WallClockCalendar {
  readonly excludeDays: readonly (number | 'last')[];
  /** Bit d set when day d is excluded in every month. */
  readonly #days: number;
  readonly #last: boolean;
  readonly #all: boolean;

  constructor(options: MonthlyCalendarOptions) {
    const record = checkCalendarOptions('MonthlyCalendar', options, OPTIONS);
    super(record.timezone);
    const list = requireArray(
      'excludeDays',
      record.excludeDays,
      "days of the month (1–31 or 'last')",
    );
    let days = 0;
    let last = false;
    list.forEach((d, i) => {
      if (d === 'last') last = true;
      else if (typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= 31) days |= 1 << d;
      else {
        throw new InvalidCalendarError(
          `excludeDays[${i}]`,
          `expected a day of the month 1–31 or 'last', got ${describe(d)}`,
        );
      }
    });
    this.#days = days;
    this.#last = last;
    this.#all = [28, 29, 30, 31].every(
      (length) => (monthBits(length) & ~this.#maskFor(length)) === 0,
    );
    const numbers: (number | 'last')[] = [];
    for (let d = 1; d <= 31; d++) if ((days & (1 << d)) !== 0) numbers.push(d);
    if (last) numbers.push('last');
    this.excludeDays = Object.freeze(numbers);
  }

  #maskFor(length: number): number {
    return this.#last ? this.#days | (1 << length) : this.#days;
  }

  readonly #mask = (year: number, month: number): number => this.#maskFor(daysInMonth(year, month));

  protected excludedWall(wall: number): boolean {
    const { year, month, day } = civilFromDays(dayOfWall(wall));
    return (this.#mask(year, month) & (1 << day)) !== 0;
  }

  protected includedWallFrom(wall: number): number | null {
    return this.#all ? null : includedDayFrom(wall, this.#mask);
  }

  protected reasonAt(wall: number): string {
    const { year, month, day } = civilFromDays(dayOfWall(wall));
    return (this.#days & (1 << day)) !== 0 || day !== daysInMonth(year, month)
      ? `day ${day} of the month`
      : 'last day of the month';
  }

  toJSON(): CalendarJSON {
    return {
      type: 'monthly',
      version: 1,
      timezone: this.timezone,
      excludeDays: [...this.excludeDays],
    };
  }

  toString(): string {
    return `monthly[${this.excludeDays.join(', ')}; tz=${this.timezone}]`;
  }
}
