/** `CronCalendar`: the times a cron expression matches are excluded. */
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  MS_PER_DAY,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  MS_PER_SECOND,
} from '../time/civil.ts';
import { parseCrontab } from '../triggers/cron/crontab.ts';
import type { CompiledField } from '../triggers/cron/expressions.ts';
import type { CronFieldName } from '../triggers/cron/fields.ts';
import { isHashed } from '../triggers/cron/hashed.ts';
import { type CronSchedule, compileSchedule } from '../triggers/cron/schedule.ts';
import { CronSyntaxError } from '../triggers/errors.ts';
import { type CalendarJSON, checkCalendarOptions, WallClockCalendar } from './calendar.ts';
import { dayOfWall } from './days.ts';
import { InvalidCalendarError } from './errors.ts';
import { monthBits } from './month-days.ts';

export interface CronCalendarOptions {
  /** IANA zone; the host's zone when left out. */
  timezone?: string;
}

const OPTIONS = ['timezone'];
/** Steps searched at most (a step is a second, minute, hour, day or month boundary). */
const MAX_STEPS = 12 * 1000;

/**
 * Excludes every second a cron expression matches, read on the calendar's
 * wall clock: `'* * 0-6 * * *'` (six fields, seconds first) excludes 00:00:00
 * to 06:59:59 every day. A five-field line has no seconds field and excludes
 * whole minutes: `'* 0-6 * * *'` is the same calendar.
 *
 * @example
 * ```ts
 * new CronCalendar('* * 0-6 * * mon-fri', { timezone: 'Europe/Berlin' }); // weekday nights
 * ```
 */
export class CronCalendar extends WallClockCalendar {
  readonly expression: string;
  readonly #schedule: CronSchedule;
  readonly #excludesAll: boolean;

  constructor(expression: string, options: CronCalendarOptions = {}) {
    const record = checkCalendarOptions('CronCalendar', options, OPTIONS);
    super(record.timezone);
    if (typeof expression !== 'string')
      throw new InvalidCalendarError(
        'expression',
        `expected a cron expression string, got ${typeof expression}`,
      );
    try {
      const parsed = parseCrontab(expression);
      const fields = parsed.fields;
      const hashed = Object.values(fields).find((v) => v !== undefined && isHashed(v));
      if (hashed !== undefined)
        throw new InvalidCalendarError(
          'expression',
          `hashed fields (${hashed}) pick a time per job and mean nothing in a calendar: write the times`,
        );
      const values: Record<CronFieldName, string> = {
        year: fields.year ?? '*',
        month: fields.month ?? '*',
        day: fields.day ?? '*',
        week: '*',
        dayOfWeek: fields.dayOfWeek ?? '*',
        hour: fields.hour ?? '*',
        minute: fields.minute ?? '*',
        second: fields.second ?? '*',
      };
      this.#schedule = compileSchedule(values, parsed.dayMatching ?? 'or', 'crontab');
    } catch (error) {
      if (error instanceof CronSyntaxError)
        throw new InvalidCalendarError('expression', error.message, { cause: error });
      throw error;
    }
    this.expression = expression.trim();
    const s = this.#schedule;
    this.#excludesAll = [s.year, s.month, s.day, s.dayOfWeek, s.hour, s.minute, s.second].every(
      (f) => f.all,
    );
  }

  protected excludedWall(wall: number): boolean {
    return this.#schedule.matches(wall);
  }

  protected includedWallFrom(wall: number): number | null {
    const schedule = this.#schedule;
    if (!schedule.matches(wall)) return wall;
    if (this.#excludesAll) return null;
    // `current` is a matched second; each step finds an unmatched value of the smallest field
    // that has one left in its parent, or moves to the start of the parent's next value.
    let current = Math.floor(wall / MS_PER_SECOND) * MS_PER_SECOND;
    for (let i = 0; i < MAX_STEPS; i++) {
      if (!schedule.matches(current)) return current;
      const days = dayOfWall(current);
      const dayStart = days * MS_PER_DAY;
      let rest = current - dayStart;
      const hour = Math.floor(rest / MS_PER_HOUR);
      rest -= hour * MS_PER_HOUR;
      const minute = Math.floor(rest / MS_PER_MINUTE);
      const second = Math.floor((rest - minute * MS_PER_MINUTE) / MS_PER_SECOND);
      const hourStart = dayStart + hour * MS_PER_HOUR;
      const minuteStart = hourStart + minute * MS_PER_MINUTE;
      const s = firstUnmatched(schedule.second, second + 1, 59);
      if (s >= 0) return minuteStart + s * MS_PER_SECOND;
      if (!schedule.second.all) {
        current = minuteStart + MS_PER_MINUTE;
        continue;
      }
      const m = firstUnmatched(schedule.minute, minute + 1, 59);
      if (m >= 0) return hourStart + m * MS_PER_MINUTE;
      if (!schedule.minute.all) {
        current = hourStart + MS_PER_HOUR;
        continue;
      }
      const h = firstUnmatched(schedule.hour, hour + 1, 23);
      if (h >= 0) return dayStart + h * MS_PER_HOUR;
      if (!schedule.hour.all) {
        current = dayStart + MS_PER_DAY;
        continue;
      }
      // Every time of the day matches: the next day the day fields do not match, this month.
      const { year, month, day } = civilFromDays(days);
      const open =
        monthBits(daysInMonth(year, month)) &
        ~schedule.dayMask(year, month) &
        (day >= 31 ? 0 : ~((1 << (day + 1)) - 1));
      if (open !== 0) return daysFromCivil(year, month, 31 - Math.clz32(open & -open)) * MS_PER_DAY;
      current =
        (month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1)) *
        MS_PER_DAY;
    }
    return null;
  }

  protected reasonAt(): string {
    return `cron '${this.expression}'`;
  }

  toJSON(): CalendarJSON {
    return { type: 'cron', version: 1, timezone: this.timezone, expression: this.expression };
  }

  toString(): string {
    return `cron['${this.expression}'; tz=${this.timezone}]`;
  }
}

/** The first value in [from, to] the field does not allow, or -1. */
function firstUnmatched(field: CompiledField, from: number, to: number): number {
  if (field.all) return -1;
  for (let v = from; v <= to; v++) if (field.allowed[v] !== 1) return v;
  return -1;
}
