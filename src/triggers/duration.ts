/** Python `timedelta`-style text for durations, as APScheduler prints intervals. */
import { MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, MS_PER_SECOND } from '../time/civil.ts';

/**
 * `0:05:00`, `1 day, 0:00:00`, `3 days, 12:00:00`; a sub-second part in
 * milliseconds, only when there is one: `0:00:00.500`, `0:00:01.250`.
 */
export function formatDuration(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const hours = Math.floor(rest / MS_PER_HOUR);
  rest -= hours * MS_PER_HOUR;
  const minutes = Math.floor(rest / MS_PER_MINUTE);
  rest -= minutes * MS_PER_MINUTE;
  const seconds = Math.floor(rest / MS_PER_SECOND);
  const millis = Math.round(rest - seconds * MS_PER_SECOND);
  const fraction = millis === 0 ? '' : `.${String(millis).padStart(3, '0')}`;
  const clock = `${hours}:${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}${fraction}`;
  if (days === 0) return clock;
  return `${days} day${days === 1 ? '' : 's'}, ${clock}`;
}
