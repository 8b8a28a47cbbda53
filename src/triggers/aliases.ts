/**
 * The trigger aliases of the job API (`addJob(fn, 'cron', { hour: 3 })`) and
 * the constructor arguments each takes. Types only: the scheduler builds the
 * triggers (`scheduler/trigger-aliases.ts`).
 */
import type { CalendarIntervalTriggerOptions } from './calendar-interval.ts';
import type { AndTriggerOptions, OrTriggerOptions } from './combining.ts';
import type { CronTriggerOptions } from './cron/cron-trigger.ts';
import type { DateTriggerOptions } from './date.ts';
import type { IntervalTriggerOptions } from './interval.ts';
import type { Trigger } from './trigger.ts';

/** The constructor arguments of each trigger alias. */
export interface TriggerArgsByAlias {
  date: DateTriggerOptions;
  interval: IntervalTriggerOptions;
  cron: CronTriggerOptions;
  calendarinterval: CalendarIntervalTriggerOptions;
  and: AndTriggerOptions & { triggers: Trigger[] };
  or: OrTriggerOptions & { triggers: Trigger[] };
}

export type TriggerAlias = keyof TriggerArgsByAlias;
