/** Printing instants the way APScheduler prints datetimes, in a given zone. */
import { fieldsFromWall } from './civil.ts';
import type { Zone } from './zone.ts';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2024-03-31 03:30:00+02:00` */
export function formatInstant(instant: number, zone: Zone): string {
  const offset = zone.offsetAt(instant);
  const f = fieldsFromWall(instant + offset);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  return (
    `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** `2024-03-31T03:30:00+02:00`, the form the trigger vectors and ISO 8601 use. */
export function formatIso(instant: number, zone: Zone): string {
  return formatInstant(instant, zone).replace(' ', 'T');
}
