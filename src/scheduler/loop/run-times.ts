/**
 * Which run times a due job gets: every fire time from its next run time up to
 * now, or only the latest when coalescing. Pure; the caller passes `now`.
 *
 * APScheduler enumerated every missed time one by one, so a 1-second job after
 * a year of downtime allocated 31 million dates. Times are milliseconds
 * throughout: a 250 ms interval is planned like a 1 s one. Here coalescing finds the
 * latest fire time by probing back from `now` in growing windows, and a
 * non-coalescing batch is capped, its remainder left due for the next pass.
 */
import type { Trigger } from '../../triggers/trigger.ts';

/** Run times submitted in one batch at most when not coalescing; the rest stay due for the next pass. */
export const MAX_BATCH_RUN_TIMES = 1000;
/** Fire times walked one by one before switching to probing back from now. */
const WALK_LIMIT = 16;
/** The first window probed back from now (ms), unless the trigger's step is shorter. */
const FIRST_WINDOW_MS = 1000;

/** The run times of a due job and the fire time that follows the last of them. */
export interface RunPlan {
  runTimes: Date[];
  /** The next fire time after the last run time (> now, unless the batch was capped); null when the trigger finished. */
  next: Date | null;
}

/**
 * Run times for a job due at `nextRunTime` (≤ now), in ascending order, never
 * empty, plus the fire time after them. With `coalesce` it is the single latest
 * fire time ≤ now.
 */
export function planRuns(
  trigger: Trigger,
  nextRunTime: Date,
  now: number,
  coalesce: boolean,
  nowDate: Date = new Date(now),
): RunPlan {
  if (coalesce) {
    let latest = nextRunTime;
    for (let i = 0; i < WALK_LIMIT; i++) {
      const next = trigger.getNextFireTime(latest, nowDate);
      if (next === null || next.getTime() > now) return { runTimes: [latest], next };
      latest = next;
    }
    latest = latestFireTime(trigger, latest, now);
    return { runTimes: [latest], next: trigger.getNextFireTime(latest, nowDate) };
  }
  const runTimes: Date[] = [];
  let t: Date | null = nextRunTime;
  while (t !== null && t.getTime() <= now && runTimes.length < MAX_BATCH_RUN_TIMES) {
    runTimes.push(t);
    t = trigger.getNextFireTime(t, nowDate);
  }
  return { runTimes, next: t };
}

/** The latest fire time of the chain starting at `first` that is ≤ now. */
export function latestFireTime(trigger: Trigger, first: Date, now: number): Date {
  const nowDate = new Date(now);
  let latest = first;
  let step = 0;
  for (let i = 0; i < WALK_LIMIT; i++) {
    const next = trigger.getNextFireTime(latest, nowDate);
    if (next === null || next.getTime() > now) return latest;
    step = next.getTime() - latest.getTime();
    latest = next;
  }
  // A long gap: look for a fire time in (latest, now] in windows that double back from now,
  // from 1 s, or from the last step when it is shorter (250 ms for a 250 ms interval), so
  // that the walk from a probe to now stays short for sub-second triggers too.
  for (
    let window = Math.max(1, Math.min(step, FIRST_WINDOW_MS));
    now - window > latest.getTime();
    window *= 2
  ) {
    const probe = trigger.getNextFireTime(null, new Date(now - window));
    if (probe === null || probe.getTime() > now) continue;
    if (probe.getTime() <= latest.getTime()) break;
    return walkToNow(trigger, probe, now, nowDate);
  }
  // Nothing in the windows: walk on from what we have (the trigger's fire times are sparse).
  return walkToNow(trigger, latest, now, nowDate);
}

function walkToNow(trigger: Trigger, from: Date, now: number, nowDate: Date): Date {
  let latest = from;
  for (;;) {
    const next = trigger.getNextFireTime(latest, nowDate);
    if (next === null || next.getTime() > now) return latest;
    latest = next;
  }
}
