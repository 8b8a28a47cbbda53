/**
 * `scheduler.addCalendar`, `removeCalendar` and `getCalendars`: named
 * calendars saved in a job store, so that every scheduler sharing the store
 * evaluates the same one. Calendars added before `start()` wait here and are
 * saved when their store starts, before the jobs added with them.
 */
import type { ExclusionCalendar } from '../calendars/calendar.ts';
import { CalendarTrigger } from '../calendars/calendar-trigger.ts';
import { InvalidCalendarError } from '../calendars/errors.ts';
import { HorariumError } from '../errors.ts';
import type { Job } from '../jobs/job.ts';
import type { Logger } from '../logging.ts';
import { type CalendarStore, MAX_CALENDAR_NAME_LENGTH } from '../stores/calendars.ts';
import type { JobStore } from '../stores/store.ts';
import { MaxIterationsError } from '../triggers/errors.ts';
import type { Trigger } from '../triggers/trigger.ts';
import { readCalendars } from './calendar-registry.ts';

/** A calendar name that is taken (`addCalendar` without `replaceExisting`), unknown, or still in use. */
export class CalendarConflictError extends HorariumError {
  override name = 'CalendarConflictError';
  readonly calendar: string;
  constructor(calendar: string, message: string) {
    super(message);
    this.calendar = calendar;
  }
}

export interface AddCalendarOptions {
  /** Replace a calendar of the same name (default false: a `CalendarConflictError`). */
  replaceExisting?: boolean;
  /** Recompute the next run time of the jobs using the calendar from now (default false: at their next fire). */
  updateJobs?: boolean;
  /** The job store to save it in (default `'default'`). */
  jobstore?: string;
}

export interface RemoveCalendarOptions {
  /** Remove it although jobs use it: they are paused at their next fire (default false: refused). */
  force?: boolean;
  jobstore?: string;
}

/** What the calendar methods need from their scheduler. */
export interface CalendarHost {
  readonly logger: Logger;
  isStopped(): boolean;
  /** Has the store of this alias started (it may have, while the scheduler is still starting)? */
  storeStarted(alias: string): boolean;
  /** The started store of an alias. @throws UnknownAliasError */
  store(alias: string): JobStore;
  jobs(alias: string): Promise<Job[]>;
  setNextRunTime(job: Job, next: Date | null): Promise<void>;
}

export function checkCalendarName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name.length > MAX_CALENDAR_NAME_LENGTH) {
    throw new InvalidCalendarError(
      'name',
      `a calendar name is a non-empty string of at most ${MAX_CALENDAR_NAME_LENGTH} characters, got ${typeof name === 'string' ? JSON.stringify(name) : typeof name}`,
    );
  }
  return name;
}

function checkCalendar(calendar: unknown): ExclusionCalendar {
  const c = calendar as ExclusionCalendar;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.toJSON !== 'function' ||
    typeof c.nextIncludedTime !== 'function'
  ) {
    throw new InvalidCalendarError(
      'calendar',
      'expected a calendar such as new HolidayCalendar({ dates, timezone })',
    );
  }
  return c;
}

export class SchedulerCalendars {
  readonly #host: CalendarHost;
  /** Added before start(), by store alias then name. */
  readonly #pending = new Map<string, Map<string, { state: string; replace: boolean }>>();

  constructor(host: CalendarHost) {
    this.#host = host;
  }

  async add(
    name: string,
    calendar: ExclusionCalendar,
    options: AddCalendarOptions = {},
  ): Promise<void> {
    checkCalendarName(name);
    const state = JSON.stringify(checkCalendar(calendar).toJSON());
    const alias = options.jobstore ?? 'default';
    const replace = options.replaceExisting === true;
    if (this.#host.isStopped()) {
      const pending =
        this.#pending.get(alias) ?? new Map<string, { state: string; replace: boolean }>();
      this.#pending.set(alias, pending);
      if (!replace && pending.has(name)) throw taken(name, alias);
      pending.set(name, { state, replace });
      return;
    }
    const calendars = this.#calendarsOf(alias);
    if (!(await calendars.putCalendar(name, state, replace))) throw taken(name, alias);
    if (options.updateJobs === true) await this.#updateJobs(alias, name, calendar);
  }

  async remove(name: string, options: RemoveCalendarOptions = {}): Promise<void> {
    const alias = options.jobstore ?? 'default';
    if (this.#host.isStopped()) {
      if (this.#pending.get(alias)?.delete(name) !== true)
        throw new CalendarConflictError(
          name,
          `No calendar "${name}" was added to job store "${alias}"`,
        );
      return;
    }
    if (options.force !== true) {
      const users = (await this.#host.jobs(alias)).filter((job) => job.calendar === name);
      if (users.length > 0) {
        throw new CalendarConflictError(
          name,
          `Calendar "${name}" is used by ${users.length} job${users.length === 1 ? '' : 's'} (${users
            .slice(0, 3)
            .map((job) => JSON.stringify(job.id))
            .join(
              ', ',
            )}${users.length > 3 ? ', …' : ''}); change their calendar first, or pass { force: true } (they are then paused at their next fire)`,
        );
      }
    }
    if (!(await this.#calendarsOf(alias).removeCalendar(name)))
      throw new CalendarConflictError(name, `No calendar "${name}" in job store "${alias}"`);
  }

  async list(jobstore = 'default'): Promise<Map<string, ExclusionCalendar>> {
    if (this.#host.isStopped() && !this.#host.storeStarted(jobstore)) {
      const { calendarFromJSON } = await import('../calendars/restore.ts');
      const result = new Map<string, ExclusionCalendar>();
      for (const [name, { state }] of this.#pending.get(jobstore) ?? [])
        result.set(name, calendarFromJSON(JSON.parse(state)));
      return result;
    }
    return readCalendars(this.#calendarsOf(jobstore), this.#host.logger);
  }

  /**
   * A job's run time `first` (its trigger's first fire time from now) moved on
   * to the first one its calendar includes; null (the job is to be paused, with
   * the reason logged) when the calendar excludes every fire time left. A job
   * without a calendar, or whose calendar is not in the store, keeps `first`.
   */
  async includedRunTime(
    job: CalendarJob,
    jobstore: string,
    first: Date | null,
  ): Promise<Date | null> {
    if (job.calendar === null || first === null) return first;
    const calendar = (await this.list(jobstore)).get(job.calendar);
    if (calendar === undefined) return first;
    return includedFrom(job, calendar, job.calendar, first, new Date(), this.#host.logger);
  }

  /** Refuses a job option `calendar` naming no calendar of the job's store. */
  async checkJobCalendar(name: string | null | undefined, jobstore: string): Promise<void> {
    if (name === null || name === undefined) return;
    const known = await this.list(jobstore);
    if (!known.has(name)) {
      throw new InvalidCalendarError(
        'calendar',
        `no calendar "${name}" in job store "${jobstore}"${known.size === 0 ? '' : ` (it has ${[...known.keys()].map((n) => JSON.stringify(n)).join(', ')})`}: add it first with scheduler.addCalendar("${name}", calendar)`,
      );
    }
  }

  /** Saves the calendars added before start() into their store, now started. */
  async savePending(alias: string): Promise<void> {
    const pending = this.#pending.get(alias);
    if (pending === undefined) return;
    const calendars = this.#calendarsOf(alias);
    for (const [name, { state, replace }] of pending) {
      if (!(await calendars.putCalendar(name, state, replace)))
        this.#host.logger.warn(
          `Calendar "${name}" added before start() was not saved: job store "${alias}" has one of that name already (pass replaceExisting: true to replace it)`,
        );
    }
    this.#pending.delete(alias);
  }

  #calendarsOf(alias: string): CalendarStore {
    const calendars = this.#host.store(alias).calendars;
    if (calendars === undefined)
      throw new CalendarConflictError('', `Job store "${alias}" cannot keep calendars`);
    return calendars;
  }

  async #updateJobs(alias: string, name: string, calendar: ExclusionCalendar): Promise<void> {
    const now = new Date();
    for (const job of await this.#host.jobs(alias)) {
      if (job.calendar !== name || job.nextRunTime === null) continue;
      const first = job.trigger.getNextFireTime(null, now);
      const next =
        first === null ? null : includedFrom(job, calendar, name, first, now, this.#host.logger);
      await this.#host.setNextRunTime(job, next);
    }
  }
}

/** What a job's included run time is computed from. */
export interface CalendarJob {
  readonly id: string;
  readonly name: string;
  readonly trigger: Trigger;
  readonly calendar: string | null;
}

/**
 * `first` when the calendar includes it, else the trigger's next fire time it
 * includes; null, with the reason logged, when the bounded search finds none.
 */
function includedFrom(
  job: CalendarJob,
  calendar: ExclusionCalendar,
  name: string,
  first: Date,
  now: Date,
  logger: Logger,
): Date | null {
  try {
    return new CalendarTrigger(job.trigger, calendar, name).includedFrom(first, now);
  } catch (error) {
    if (!(error instanceof MaxIterationsError)) throw error;
    logger.error(`Job "${job.name}" (${job.id}) is paused: ${error.message}`);
    return null;
  }
}

function taken(name: string, alias: string): CalendarConflictError {
  return new CalendarConflictError(
    name,
    `Job store "${alias}" has a calendar "${name}" already: pass { replaceExisting: true } to replace it`,
  );
}
