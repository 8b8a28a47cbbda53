/**
 * The fire times of a trigger around a moment: the last at or before it and
 * the first after it, found without walking every fire time in between (a
 * one-second job questioned about last year is not 31 million steps).
 */
import type { Trigger } from '../../triggers/trigger.ts';
import { latestFireTime } from '../loop/run-times.ts';

export interface SlotsAround {
  /** The last fire time at or before the moment, or null. */
  readonly previous: number | null;
  /** The first fire time after the moment (or at it, when nothing came before), or null when the trigger has finished. */
  readonly next: number | null;
}

/**
 * Fire times of `trigger` around `at`, counting from the first fire time at
 * or after `since` (when the trigger came into force).
 */
export function slotsAround(trigger: Trigger, at: number, since: number): SlotsAround {
  const first = trigger.getNextFireTime(null, new Date(since));
  if (first === null) return { previous: null, next: null };
  if (first.getTime() > at) return { previous: null, next: first.getTime() };
  const previous = latestFireTime(trigger, first, at);
  const next = trigger.getNextFireTime(previous, new Date(at));
  return { previous: previous.getTime(), next: next === null ? null : next.getTime() };
}
