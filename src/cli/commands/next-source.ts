/**
 * What `horarium next --job <id>` and `--calendar <name>` read from a store:
 * a stored job's trigger and calendar, and a stored calendar restored with
 * `calendarFromJSON` (which trusts nothing in it).
 */
import type { ExclusionCalendar } from '../../calendars/calendar.ts';
import { calendarFromJSON } from '../../calendars/restore.ts';
import type { Trigger } from '../../triggers/trigger.ts';
import { CliError, type OpenStore, reasonOf } from '../store.ts';
import { findHealthy } from './jobs.ts';

/** A calendar as a job names it. */
export interface NamedCalendar {
  readonly name: string;
  readonly calendar: ExclusionCalendar;
}

/** The stored calendar of that name. @throws CliError when there is none, or it cannot be restored. */
export async function storedCalendar(open: OpenStore, name: string): Promise<NamedCalendar> {
  const stored = await open.store.calendars?.getCalendars();
  const found = stored?.find((c) => c.name === name);
  if (found === undefined) {
    const names = (stored ?? []).map((c) => JSON.stringify(c.name));
    throw new CliError(
      `no calendar ${JSON.stringify(name)} in the store${names.length === 0 ? '' : ` (it has ${names.join(', ')})`}`,
    );
  }
  try {
    return { name, calendar: calendarFromJSON(JSON.parse(found.state)) };
  } catch (error) {
    throw new CliError(
      `calendar ${JSON.stringify(name)} in the store cannot be restored: ${reasonOf(error)}`,
      { cause: error },
    );
  }
}

/** A stored job's trigger, and its calendar when it has one. */
export async function storedJobSchedule(
  open: OpenStore,
  id: string,
): Promise<{ trigger: Trigger; calendar: NamedCalendar | null }> {
  const job = await findHealthy(open, id, 'previewed');
  const calendar = job.calendar === null ? null : await storedCalendar(open, job.calendar);
  return { trigger: job.trigger, calendar };
}
