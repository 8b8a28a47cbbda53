/**
 * The search shared by calendars that exclude days by month (monthly, annual):
 * each month's excluded days as a bit mask, and the first included day found
 * month by month with bit operations instead of day by day.
 */
import { civilFromDays, daysFromCivil, daysInMonth, MS_PER_DAY } from '../time/civil.ts';
import { dayOfWall } from './days.ts';

/** Months searched at most: long enough for a day that only leap years include (8 years apart around 1900 and 2100). */
const MAX_MONTHS = 12 * 9;

/** Bits 1–length of a month. */
export const monthBits = (length: number): number =>
  (length === 31 ? -1 : (1 << (length + 1)) - 1) & ~1;

/**
 * The first wall time ≥ `wall` on a day not excluded by `excludedMask(year, month)`
 * (bit d set = day d excluded), or null when none is within {@link MAX_MONTHS}.
 */
export function includedDayFrom(
  wall: number,
  excludedMask: (year: number, month: number) => number,
): number | null {
  const today = dayOfWall(wall);
  let { year, month, day } = civilFromDays(today);
  if ((excludedMask(year, month) & (1 << day)) === 0) return wall;
  for (let i = 0; i < MAX_MONTHS; i++) {
    const length = daysInMonth(year, month);
    const open = monthBits(length) & ~excludedMask(year, month) & ~((1 << day) - 1);
    if (open !== 0) {
      const d = 31 - Math.clz32(open & -open);
      return daysFromCivil(year, month, d) * MS_PER_DAY;
    }
    day = 1;
    if (++month > 12) {
      month = 1;
      year++;
    }
  }
  return null;
}
