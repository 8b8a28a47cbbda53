/**
 * Helpers for the trigger specifications (test/triggers): instants written as
 * ISO 8601 with the offset of a zone, and fire-time chains.
 *
 * Chain convention (what the scheduler does): t0 = getNextFireTime(null, now),
 * t(k+1) = getNextFireTime(t(k), t(k)).
 */
import type { Trigger } from '../../src/index.ts';
import { formatIso } from '../../src/time/format.ts';
import { getZone, type Zone } from '../../src/time/zone.ts';

export const UTC: Zone = getZone('UTC');

/** An instant from its ISO 8601 text (`Z` or an offset), e.g. a test's `now`. */
export const at = (text: string): Date => new Date(text);

/** The instant as ISO 8601 with the offset it has in `zone` (`…+02:00`); null stays null. */
export function iso(date: Date, zone?: Zone): string;
export function iso(date: Date | null, zone?: Zone): string | null;
export function iso(date: Date | null, zone: Zone = UTC): string | null {
  return date === null ? null : formatIso(date.getTime(), zone);
}

/**
 * The fire times of the chain, lazily: t0 = getNextFireTime(previous, now)
 * (`previous` null: the trigger's first call), then t(k+1) =
 * getNextFireTime(t(k), t(k)). Ends when the trigger returns null, which is
 * not yielded. A fire time is asked for only when the consumer takes it.
 */
export function* fireTimes(
  trigger: Trigger,
  now: Date,
  previous: Date | null = null,
): Generator<Date, void, undefined> {
  let next = trigger.getNextFireTime(previous, now);
  while (next !== null) {
    yield next;
    next = trigger.getNextFireTime(next, next);
  }
}

/**
 * The first `count` fire times of the chain starting at `now`, formatted in
 * `zone`; when the trigger finishes first, they end with one null.
 */
export function chain(
  trigger: Trigger,
  now: string,
  count: number,
  zone: Zone = UTC,
): (string | null)[] {
  const out: (string | null)[] = [];
  if (count <= 0) return out;
  for (const next of fireTimes(trigger, at(now))) {
    out.push(iso(next, zone));
    if (out.length >= count) return out;
  }
  out.push(null);
  return out;
}

/** t0 of the chain starting at `now`, formatted in `zone` (null when the trigger never fires). */
export const first = (trigger: Trigger, now: string, zone: Zone = UTC): string | null =>
  iso(trigger.getNextFireTime(null, at(now)), zone);
