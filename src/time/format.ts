/** Printing instants the way APScheduler prints datetimes, in a given zone. */
import { civilFromDays, fieldsFromWall } from './civil.ts';
import type { Zone } from './zone.ts';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * `2024-03-31 03:30:00+02:00`; milliseconds only when there are any
 * (`2024-03-31 03:30:00.250+02:00`), as Python prints a datetime's microseconds.
 */
export function formatInstant(instant: number, zone: Zone): string {
  const offset = zone.offsetAt(instant);
  const f = fieldsFromWall(instant + offset);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  const ms = Math.floor(f.millisecond);
  const millis = ms === 0 ? '' : `.${pad(ms, 3)}`;
  return (
    `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${millis}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** `2024-03-31T03:30:00+02:00` (`…:00.250+02:00` with milliseconds), the form the trigger vectors and ISO 8601 use. */
export function formatIso(instant: number, zone: Zone): string {
  return formatInstant(instant, zone).replace(' ', 'T');
}

const MS_PER_DAY = 86_400_000;
/** The last day {@link isoInstant} formatted, and its `YYYY-MM-DDT` text: run times of a batch often share a day. */
let isoDay = Number.NaN;
let isoDayText = '';

/**
 * `new Date(ms).toISOString()` for the time value of a valid Date
 * (`2025-01-01T03:00:00.000Z`), several times faster for years 0 to 9999;
 * other years take `toISOString`.
 */
export function isoInstant(ms: number): string {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / MS_PER_DAY);
  if (day !== isoDay) {
    const date = civilFromDays(day);
    if (date.year < 0 || date.year > 9999) return new Date(ms).toISOString();
    isoDay = day;
    isoDayText = `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}T`;
  }
  let rest = ms - day * MS_PER_DAY;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${isoDayText}${pad(hours)}:${pad(minutes)}:${pad(seconds)}.${pad(millis, 3)}Z`;
}
