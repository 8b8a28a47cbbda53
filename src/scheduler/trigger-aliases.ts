/** Building triggers from their aliases (`'cron'`, `'interval'`, …) and constructor arguments. */
import { InvalidJobOptionError } from '../jobs/errors.ts';
import type { TriggerAlias } from '../triggers/aliases.ts';
import {
  CalendarIntervalTrigger,
  type CalendarIntervalTriggerOptions,
} from '../triggers/calendar-interval.ts';
import { AndTrigger, type AndTriggerOptions, OrTrigger } from '../triggers/combining.ts';
import { CronTrigger, type CronTriggerOptions } from '../triggers/cron/cron-trigger.ts';
import { DateTrigger, type DateTriggerOptions } from '../triggers/date.ts';
import { IntervalTrigger, type IntervalTriggerOptions } from '../triggers/interval.ts';
import type { Trigger } from '../triggers/trigger.ts';

export type { TriggerAlias, TriggerArgsByAlias } from '../triggers/aliases.ts';

export const TRIGGER_ALIASES: readonly TriggerAlias[] = [
  'date',
  'interval',
  'cron',
  'calendarinterval',
  'and',
  'or',
];

/** The arguments each alias takes: its trigger's constructor options. */
export const TRIGGER_OPTION_NAMES: Readonly<Record<TriggerAlias, readonly string[]>> = {
  date: DateTrigger.optionNames,
  interval: IntervalTrigger.optionNames,
  cron: CronTrigger.optionNames,
  calendarinterval: CalendarIntervalTrigger.optionNames,
  and: ['triggers', ...AndTrigger.optionNames],
  or: ['triggers', ...OrTrigger.optionNames],
};

/** Aliases whose triggers take a `timezone` (the scheduler's zone by default). */
export const ZONED_ALIASES: ReadonlySet<string> = new Set([
  'date',
  'interval',
  'cron',
  'calendarinterval',
]);

/**
 * A trigger from an alias and its arguments; `timezone` defaults to the
 * scheduler's zone. Trigger argument errors propagate as they are (they name
 * the argument).
 */
export function buildTrigger(
  alias: string,
  args: Record<string, unknown>,
  timezone: string,
): Trigger {
  const withZone = args.timezone === undefined ? { timezone, ...args } : args;
  switch (alias) {
    case 'date':
      return new DateTrigger(withZone as DateTriggerOptions);
    case 'interval':
      return new IntervalTrigger(withZone as IntervalTriggerOptions);
    case 'cron':
      return new CronTrigger(withZone as CronTriggerOptions);
    case 'calendarinterval':
      return new CalendarIntervalTrigger(withZone as CalendarIntervalTriggerOptions);
    case 'and':
    case 'or': {
      const { triggers, ...options } = args as { triggers?: Trigger[] } & AndTriggerOptions;
      return alias === 'and'
        ? new AndTrigger(triggers as Trigger[], options)
        : new OrTrigger(triggers as Trigger[], options);
    }
    default:
      throw new InvalidJobOptionError(
        'trigger',
        `Unknown trigger alias ${JSON.stringify(alias)} (expected one of ${TRIGGER_ALIASES.join(', ')}, or a Trigger)`,
      );
  }
}
