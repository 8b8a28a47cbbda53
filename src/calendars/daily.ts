/** `DailyCalendar`: one range of the local time of day excluded every day (or everything outside it). */
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND } from '../time/civil.ts';
import { type CalendarJSON, checkCalendarOptions, WallClockCalendar } from './calendar.ts';
import { describe, pad } from './days.ts';
import { InvalidCalendarError } from './errors.ts';

export interface DailyCalendarOptions {
  /** Start of the range, local time `'HH:mm'`, `'HH:mm:ss'` or `'HH:mm:ss.SSS'` (inclusive). */
  from: string;
  /** End of the range (exclusive); `'24:00'` is the end of the day. Earlier than `from`: the range crosses midnight. */
  to: string;
  /** Exclude everything outside the range instead of the range. Default false. */
  invert?: boolean;
  /** IANA zone; the host's zone when left out. */
  timezone?: string;
}

const OPTIONS = ['from', 'to', 'invert', 'timezone'];
const TIME_OF_DAY = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{3}))?)?$/;

function parseTimeOfDay(field: 'from' | 'to', value: unknown): number {
  const match = typeof value === 'string' ? TIME_OF_DAY.exec(value) : null;
  const fix = `expected a local time of day 'HH:mm' (or 'HH:mm:ss', 'HH:mm:ss.SSS') such as '22:00'${field === 'to' ? ", or '24:00' for the end of the day" : ''}`;
  if (match === null) throw new InvalidCalendarError(field, `${fix}, got ${describe(value)}`);
  const [h, m, s, ms] = [1, 2, 3, 4].map((i) => Number(match[i] ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  const time = h * MS_PER_HOUR + m * MS_PER_MINUTE + s * MS_PER_SECOND + ms;
  if (m > 59 || s > 59 || time > MS_PER_DAY || (time === MS_PER_DAY && field === 'from'))
    throw new InvalidCalendarError(field, `${JSON.stringify(value)} is not a time of day: ${fix}`);
  return time;
}

function formatTimeOfDay(ms: number): string {
  const h = Math.floor(ms / MS_PER_HOUR);
  const m = Math.floor((ms % MS_PER_HOUR) / MS_PER_MINUTE);
  const s = Math.floor((ms % MS_PER_MINUTE) / MS_PER_SECOND);
  const rest = ms % MS_PER_SECOND;
  return `${pad(h)}:${pad(m)}${s === 0 && rest === 0 ? '' : `:${pad(s)}`}${rest === 0 ? '' : `.${String(rest).padStart(3, '0')}`}`;
}

/**
 * Excludes the local times of day from `from` (inclusive) to `to`
 * (exclusive) every day; a range whose `to` is earlier than its `from`
 * crosses midnight. With `invert: true` it excludes every time outside the
 * range instead. The range is read on the wall clock: an edge that falls in
 * a DST gap takes effect at the first wall time after the gap, and in a fold
 * the repeated hour is judged by its wall reading each time.
 *
 * @example
 * ```ts
 * new DailyCalendar({ from: '22:00', to: '06:00', timezone: 'Europe/Berlin' }); // a night-time blackout
 * ```
 */
export class DailyCalendar extends WallClockCalendar {
  readonly from: string;
  readonly to: string;
  readonly invert: boolean;
  /** Excluded ranges [start, end) of the time of day, sorted, disjoint, not touching. */
  readonly #ranges: readonly (readonly [number, number])[];

  constructor(options: DailyCalendarOptions) {
    const record = checkCalendarOptions('DailyCalendar', options, OPTIONS);
    super(record.timezone);
    const from = parseTimeOfDay('from', record.from);
    const to = parseTimeOfDay('to', record.to);
    if (from === to || (from === 0 && to === MS_PER_DAY)) {
      throw new InvalidCalendarError(
        'to',
        `the range from ${JSON.stringify(record.from)} to ${JSON.stringify(record.to)} is ${from === to ? 'empty' : 'the whole day'}: give two different times (to exclude whole days, use WeeklyCalendar or HolidayCalendar)`,
      );
    }
    const invert = record.invert ?? false;
    if (typeof invert !== 'boolean')
      throw new InvalidCalendarError('invert', `expected true or false, got ${describe(invert)}`);
    this.from = formatTimeOfDay(from);
    this.to = formatTimeOfDay(to);
    this.invert = invert;
    // The range within one day, as one or two pieces; inverted, the pieces in between.
    const inside: [number, number][] =
      from < to
        ? [[from, to]]
        : [
            [0, to],
            [from, MS_PER_DAY],
          ];
    const outside: [number, number][] =
      from < to
        ? [
            [0, from],
            [to, MS_PER_DAY],
          ]
        : [[to, from]];
    this.#ranges = (invert ? outside : inside).filter(([start, end]) => start < end);
  }

  protected excludedWall(wall: number): boolean {
    const time = wall - Math.floor(wall / MS_PER_DAY) * MS_PER_DAY;
    for (const [start, end] of this.#ranges) if (time >= start && time < end) return true;
    return false;
  }

  protected includedWallFrom(wall: number): number | null {
    const dayStart = Math.floor(wall / MS_PER_DAY) * MS_PER_DAY;
    let time = wall - dayStart;
    // The ranges are sorted and never touch, so one pass leaves the time outside all of them,
    // or at midnight when the last range ends there; the next day then starts with a range
    // only if the first range starts at 0, and the time after it is included.
    for (const [start, end] of this.#ranges) if (time >= start && time < end) time = end;
    if (time < MS_PER_DAY) return dayStart + time;
    const [firstStart, firstEnd] = this.#ranges[0] as readonly [number, number];
    return dayStart + MS_PER_DAY + (firstStart === 0 ? firstEnd : 0);
  }

  protected reasonAt(): string {
    return `${this.invert ? 'outside ' : ''}${this.from}–${this.to}`;
  }

  toJSON(): CalendarJSON {
    return {
      type: 'daily',
      version: 1,
      timezone: this.timezone,
      from: this.from,
      to: this.to,
      invert: this.invert,
    };
  }

  toString(): string {
    return `daily[${this.invert ? 'outside ' : ''}${this.from}–${this.to}; tz=${this.timezone}]`;
  }
}
