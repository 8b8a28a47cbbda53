/** `AnnualCalendar`: days of the year excluded every year. */
import { civilFromDays, daysInMonth } from '../time/civil.ts';
import {
  type CalendarJSON,
  checkCalendarOptions,
  shortList,
  WallClockCalendar,
} from './calendar.ts';
import { dayOfWall, pad, parseMonthDay, requireArray } from './days.ts';
import { includedDayFrom, monthBits } from './month-days.ts';

export interface AnnualCalendarOptions {
  /** The excluded days of every year, `'MM-DD'` (`'02-29'` is excluded in leap years). */
  exclude: readonly string[];
  /** IANA zone; the host's zone when left out. */
  timezone?: string;
}

const OPTIONS = ['exclude', 'timezone'];

/**
 * Excludes whole local days of every year.
 *
 * @example
 * ```ts
 * new AnnualCalendar({ exclude: ['12-25', '01-01'], timezone: 'Europe/Berlin' });
 * ```
 */
export class AnnualCalendar extends WallClockCalendar {
  /** The excluded days, `'MM-DD'`, in calendar order. */
  readonly exclude: readonly string[];
  /** Index month (1–12): bit d set when day d is excluded. */
  readonly #masks = new Int32Array(13);
  readonly #all: boolean;

  constructor(options: AnnualCalendarOptions) {
    const record = checkCalendarOptions('AnnualCalendar', options, OPTIONS);
    super(record.timezone);
    const list = requireArray('exclude', record.exclude, "days of the year 'MM-DD'");
    list.forEach((value, i) => {
      const { month, day } = parseMonthDay(`exclude[${i}]`, value);
      this.#masks[month] = (this.#masks[month] as number) | (1 << day);
    });
    // Every day of a leap year excluded means every day of every year is.
    let all = true;
    const days: string[] = [];
    for (let month = 1; month <= 12; month++) {
      const mask = this.#masks[month] as number;
      if ((monthBits(daysInMonth(2000, month)) & ~mask) !== 0) all = false;
      for (let d = 1; d <= 31; d++)
        if ((mask & (1 << d)) !== 0) days.push(`${pad(month)}-${pad(d)}`);
    }
    this.#all = all;
    this.exclude = Object.freeze(days);
  }

  readonly #mask = (_year: number, month: number): number => this.#masks[month] as number;

  protected excludedWall(wall: number): boolean {
    const { month, day } = civilFromDays(dayOfWall(wall));
    return ((this.#masks[month] as number) & (1 << day)) !== 0;
  }

  protected includedWallFrom(wall: number): number | null {
    return this.#all ? null : includedDayFrom(wall, this.#mask);
  }

  protected reasonAt(wall: number): string {
    const { month, day } = civilFromDays(dayOfWall(wall));
    return `annual ${pad(month)}-${pad(day)}`;
  }

  toJSON(): CalendarJSON {
    return { type: 'annual', version: 1, timezone: this.timezone, exclude: [...this.exclude] };
  }

  toString(): string {
    return `annual[${shortList(this.exclude)}; tz=${this.timezone}]`;
  }
}
