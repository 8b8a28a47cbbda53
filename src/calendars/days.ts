/** Calendar days as the calendars read and write them: `'2026-12-25'`, weekday names, `'12-25'`. */
import { civilFromDays, daysFromCivil, daysInMonth, MS_PER_DAY } from '../time/civil.ts';
import { InvalidCalendarError } from './errors.ts';

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of an ISO calendar date `YYYY-MM-DD`. */
export function parseIsoDay(field: string, value: unknown): number {
  const match = typeof value === 'string' ? ISO_DAY.exec(value) : null;
  if (match === null) {
    throw new InvalidCalendarError(
      field,
      `expected a calendar date 'YYYY-MM-DD' such as '2026-12-25', got ${describe(value)}`,
    );
  }
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new InvalidCalendarError(field, `${JSON.stringify(value)} is not a date of the calendar`);
  }
  return daysFromCivil(year, month, day);
}

export function formatIsoDay(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}`;
}

const MONTH_DAY = /^(\d{2})-(\d{2})$/;

/** Month and day of a `MM-DD` string (February 29 allowed: it is excluded in leap years). */
export function parseMonthDay(field: string, value: unknown): { month: number; day: number } {
  const match = typeof value === 'string' ? MONTH_DAY.exec(value) : null;
  if (match === null) {
    throw new InvalidCalendarError(
      field,
      `expected a day of the year 'MM-DD' such as '12-25', got ${describe(value)}`,
    );
  }
  const month = Number(match[1]);
  const day = Number(match[2]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(2000, month)) {
    throw new InvalidCalendarError(field, `${JSON.stringify(value)} is not a day of any year`);
  }
  return { month, day };
}

export const pad = (n: number): string => String(n).padStart(2, '0');

/** Cron numbering: 0 = Sunday. */
export const WEEKDAYS: readonly string[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
];

/** A weekday: `'mon'`, `'Monday'`, or 0–6 (0 = Sunday, 7 = Sunday too, as in cron). */
export function parseWeekday(field: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 7)
    return value % 7;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    const short = WEEKDAYS.indexOf(lower);
    if (short >= 0) return short;
    const full = FULL_WEEKDAYS.indexOf(lower);
    if (full >= 0) return full;
  }
  throw new InvalidCalendarError(
    field,
    `unknown day of the week ${describe(value)}: expected one of ${WEEKDAYS.join(', ')} (or 0–6, 0 = Sunday)`,
  );
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}

export function requireArray(field: string, value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new InvalidCalendarError(field, `expected an array of ${what}, got ${describe(value)}`);
  }
  return value;
}

export const dayOfWall = (wall: number): number => Math.floor(wall / MS_PER_DAY);
