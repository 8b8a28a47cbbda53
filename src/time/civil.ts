/**
 * Proleptic Gregorian calendar arithmetic on "wall milliseconds": a wall-clock
 * date and time encoded as if it were a UTC instant. All functions are pure and
 * allocation-free where it matters, because trigger searches call them in loops.
 */

/**
 * The last (and, negated, the first) instant a `Date` can hold: 8.64e15 ms
 * from the epoch, 100,000,000 days (years −271821 to 275760). Anything beyond
 * is not a time at all.
 */
export const MAX_INSTANT_MS = 8.64e15;
export const MS_PER_SECOND = 1000;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a calendar date (month 1–12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Calendar fields of a wall time. */
export interface WallFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

export function wallFromFields(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  millisecond = 0,
): number {
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    hour * MS_PER_HOUR +
    minute * MS_PER_MINUTE +
    second * MS_PER_SECOND +
    millisecond
  );
}

/** The proleptic Gregorian date of a day count since 1970-01-01 (days counted in 400-year eras from 0000-03-01). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function fieldsFromWall(wall: number): WallFields {
  const days = Math.floor(wall / MS_PER_DAY);
  let rest = wall - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(rest / MS_PER_HOUR);
  rest -= hour * MS_PER_HOUR;
  const minute = Math.floor(rest / MS_PER_MINUTE);
  rest -= minute * MS_PER_MINUTE;
  const second = Math.floor(rest / MS_PER_SECOND);
  return { year, month, day, hour, minute, second, millisecond: rest - second * MS_PER_SECOND };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (MONTH_DAYS[month - 1] as number);
}

/** Day of week of a day number, cron numbering: 0 = Sunday … 6 = Saturday. */
export function weekdayOfDays(days: number): number {
  // 1970-01-01 was a Thursday (4).
  return (((days + 4) % 7) + 7) % 7;
}

/** ISO 8601 week number (1–53) of a day number. */
export function isoWeekOfDays(days: number): number {
  const isoWeekday = weekdayOfDays(days) || 7; // Monday = 1 … Sunday = 7
  const thursday = days + 4 - isoWeekday; // the Thursday of the same ISO week
  const { year } = fieldsFromWall(thursday * MS_PER_DAY);
  const firstDay = daysFromCivil(year, 1, 1);
  return Math.floor((thursday - firstDay) / 7) + 1;
}
