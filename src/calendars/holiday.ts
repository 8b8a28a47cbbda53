/** `HolidayCalendar`: whole local days excluded, listed by date. */
import { MS_PER_DAY } from '../time/civil.ts';
import {
  type CalendarJSON,
  checkCalendarOptions,
  shortList,
  WallClockCalendar,
} from './calendar.ts';
import { dayOfWall, formatIsoDay, parseIsoDay, requireArray } from './days.ts';

export interface HolidayCalendarOptions {
  /** The excluded days, `'YYYY-MM-DD'`, read in the calendar's zone (each from local midnight to the next). */
  dates: readonly string[];
  /** IANA zone; the host's zone when left out. */
  timezone?: string;
}

const OPTIONS = ['dates', 'timezone'];

/**
 * Excludes whole local days: a day is its local midnight to the next, 23 or
 * 25 hours long on a DST switch.
 *
 * @example
 * ```ts
 * new HolidayCalendar({ dates: ['2026-12-25', '2026-12-26'], timezone: 'Europe/Berlin' });
 * ```
 */
export class HolidayCalendar extends WallClockCalendar {
  /** The excluded days, sorted, without repeats. */
  readonly dates: readonly string[];
  /** Day numbers, sorted. */
  readonly #days: Int32Array;
  readonly #set: ReadonlySet<number>;
  /** For each excluded day, the first day after the run of consecutive excluded days it is in. */
  readonly #runEnds: Int32Array;

  constructor(options: HolidayCalendarOptions) {
    const record = checkCalendarOptions('HolidayCalendar', options, OPTIONS);
    super(record.timezone);
    const list = requireArray('dates', record.dates, "dates 'YYYY-MM-DD'");
    const days = [...new Set(list.map((d, i) => parseIsoDay(`dates[${i}]`, d)))].sort(
      (a, b) => a - b,
    );
    this.#days = Int32Array.from(days);
    this.#set = new Set(days);
    this.#runEnds = new Int32Array(days.length);
    for (let i = days.length - 1; i >= 0; i--) {
      const day = days[i] as number;
      this.#runEnds[i] =
        i + 1 < days.length && days[i + 1] === day + 1 ? (this.#runEnds[i + 1] as number) : day + 1;
    }
    this.dates = Object.freeze(days.map(formatIsoDay));
  }

  protected excludedWall(wall: number): boolean {
    return this.#set.has(dayOfWall(wall));
  }

  protected includedWallFrom(wall: number): number | null {
    const day = dayOfWall(wall);
    if (!this.#set.has(day)) return wall;
    return (this.#runEnds[this.#indexOf(day)] as number) * MS_PER_DAY;
  }

  protected reasonAt(wall: number): string {
    return `holiday ${formatIsoDay(dayOfWall(wall))}`;
  }

  #indexOf(day: number): number {
    const days = this.#days;
    let lo = 0;
    let hi = days.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((days[mid] as number) < day) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  toJSON(): CalendarJSON {
    return { type: 'holiday', version: 1, timezone: this.timezone, dates: [...this.dates] };
  }

  toString(): string {
    return `holiday[${shortList(this.dates)}; tz=${this.timezone}]`;
  }
}
