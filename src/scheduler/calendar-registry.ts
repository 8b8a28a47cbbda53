/**
 * The named calendars of a store, as the scheduler reads them: restored from
 * their stored JSON with `calendarFromJSON` (which trusts nothing in it), and
 * kept restored while their stored text is unchanged, so that a pass re-reads
 * the store (every node sees a changed calendar at its next pass) without
 * rebuilding holiday lists.
 */
import type { ExclusionCalendar } from '../calendars/calendar.ts';
import { calendarFromJSON } from '../calendars/restore.ts';
import { JobExcludedEvent } from '../events.ts';
import type { Job } from '../jobs/job.ts';
import type { Logger } from '../logging.ts';
import type { CalendarStore } from '../stores/calendars.ts';
import { excludedDetail as describeExcluded } from './history/excluded.ts';
import type { DuePlan } from './loop/plan-job.ts';

interface Restored {
  readonly state: string;
  readonly calendar: ExclusionCalendar | null;
}

const restoredByStore = new WeakMap<CalendarStore, Map<string, Restored>>();

/**
 * The calendars of a store by name. A stored calendar that cannot be restored
 * is logged and left out: the jobs using it are paused, never run unfiltered.
 */
export async function readCalendars(
  calendars: CalendarStore,
  logger: Logger,
): Promise<Map<string, ExclusionCalendar>> {
  const stored = await calendars.getCalendars();
  const previous = restoredByStore.get(calendars);
  const restored = new Map<string, Restored>();
  const result = new Map<string, ExclusionCalendar>();
  for (const { name, state } of stored) {
    let entry = previous?.get(name);
    if (entry === undefined || entry.state !== state) {
      try {
        entry = { state, calendar: calendarFromJSON(JSON.parse(state)) };
      } catch (error) {
        logger.error(
          `Calendar "${name}" in the job store cannot be restored; the jobs using it are paused`,
          error,
        );
        entry = { state, calendar: null };
      }
    }
    restored.set(name, entry);
    if (entry.calendar !== null) result.set(name, entry.calendar);
  }
  restoredByStore.set(calendars, restored);
  return result;
}

/** The calendars a pass over these jobs needs (undefined when none of them has one, or the store keeps none). */
export async function calendarsFor(
  jobs: readonly { job: Job }[] | readonly Job[],
  calendars: CalendarStore | undefined,
  logger: Logger,
): Promise<Map<string, ExclusionCalendar> | undefined> {
  if (calendars === undefined) return undefined;
  const any = jobs.some((entry) => ('job' in entry ? entry.job : entry).calendar !== null);
  return any ? readCalendars(calendars, logger) : undefined;
}

/** The event of a plan's excluded fire times. */
export function excludedEvent(plan: DuePlan, alias: string): JobExcludedEvent | null {
  const excluded = plan.excluded;
  if (excluded === undefined) return null;
  return new JobExcludedEvent(plan.job.id, alias, {
    calendar: excluded.calendar,
    excludedRunTimes: excluded.count,
    countComplete: excluded.complete,
    first: excluded.first,
    last: excluded.last,
    reason: excluded.reason,
  });
}

/** The `detail` of a plan's `excluded` fire record. */
export function excludedDetail(plan: DuePlan): string | null {
  return plan.excluded === undefined ? null : describeExcluded(plan.excluded);
}
