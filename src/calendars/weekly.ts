/** `WeeklyCalendar`: days of the week excluded every week. */
import { MS_PER_DAY, weekdayOfDays } from '../time/civil.ts';
import { type CalendarJSON, checkCalendarOptions, WallClockCalendar } from './calendar.ts';
import { dayOfWall, parseWeekday, requireArray, WEEKDAYS } from './days.ts';

export type WeekdayName = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';

export interface WeeklyCalendarOptions {
  /** The excluded days: `'sat'`, `'Sunday'`, or 0–6 (0 = Sunday). Nothing is excluded by default. */
  excludeDays: readonly (WeekdayName | string | number)[];
  /** IANA zone; the host's zone when left out. */
  timezone?: string;
}

const OPTIONS = ['excludeDays', 'timezone'];

/**
 * Excludes whole local days of the week. Unlike Quartz's, it excludes nothing
 * unless told: weekends are `excludeDays: ['sat', 'sun']`.
 *
 * @example
 * ```ts
 * new WeeklyCalendar({ excludeDays: ['sat', 'sun'], timezone: 'Europe/Berlin' });
 * ```
 */
export class WeeklyCalendar extends WallClockCalendar {
  /** The excluded days, Sunday first. */
  readonly excludeDays: readonly WeekdayName[];
  /** Bit d set when weekday d (0 = Sunday) is excluded. */
  readonly #mask: number;

  constructor(options: WeeklyCalendarOptions) {
    const record = checkCalendarOptions('WeeklyCalendar', options, OPTIONS);
    super(record.timezone);
    const list = requireArray(
      'excludeDays',
      record.excludeDays,
      "days of the week ('sat', 'sun', …)",
    );
    let mask = 0;
    list.forEach((d, i) => {
      mask |= 1 << parseWeekday(`excludeDays[${i}]`, d);
    });
    this.#mask = mask;
    this.excludeDays = Object.freeze(
      WEEKDAYS.filter((_, i) => (mask & (1 << i)) !== 0) as WeekdayName[],
    );
  }

  protected excludedWall(wall: number): boolean {
    return (this.#mask & (1 << weekdayOfDays(dayOfWall(wall)))) !== 0;
  }

  protected includedWallFrom(wall: number): number | null {
    if (this.#mask === 0x7f) return null;
    const day = dayOfWall(wall);
    const weekday = weekdayOfDays(day);
    if ((this.#mask & (1 << weekday)) === 0) return wall;
    for (let k = 1; k < 7; k++) {
      if ((this.#mask & (1 << ((weekday + k) % 7))) === 0) return (day + k) * MS_PER_DAY;
    }
    return null;
  }

  protected reasonAt(wall: number): string {
    return `weekday ${WEEKDAYS[weekdayOfDays(dayOfWall(wall))]}`;
  }

  toJSON(): CalendarJSON {
    return {
      type: 'weekly',
      version: 1,
      timezone: this.timezone,
      excludeDays: [...this.excludeDays],
    };
  }

  toString(): string {
    return `weekly[${this.excludeDays.join(', ')}; tz=${this.timezone}]`;
  }
}
