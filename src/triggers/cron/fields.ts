/** The cron fields, their bounds, defaults and names. */

/** The name of a cron field, as `CronTrigger` options and `CronTrigger.fields` spell it. */
export type CronFieldName =
  | 'year'
  | 'month'
  | 'day'
  | 'week'
  | 'dayOfWeek'
  | 'hour'
  | 'minute'
  | 'second';

/** Every field, most significant first. */
export const CRON_FIELDS: readonly CronFieldName[] = [
  'year',
  'month',
  'day',
  'week',
  'dayOfWeek',
  'hour',
  'minute',
  'second',
];

/** Inclusive bounds of each field's values (`dayOfWeek` 7 is a second name for Sunday). */
export const FIELD_BOUNDS: Readonly<Record<CronFieldName, readonly [number, number]>> = {
  year: [1970, 9999],
  month: [1, 12],
  day: [1, 31],
  week: [1, 53],
  dayOfWeek: [0, 7],
  hour: [0, 23],
  minute: [0, 59],
  second: [0, 59],
};

/**
 * The value a field takes when it is less significant than the least
 * significant field given (APScheduler's defaulting rule); more significant
 * fields that are not given are `*`.
 */
export const FIELD_DEFAULTS: Readonly<Record<CronFieldName, string>> = {
  year: '*',
  month: '1',
  day: '1',
  week: '*',
  dayOfWeek: '*',
  hour: '0',
  minute: '0',
  second: '0',
};

export const MONTH_NAMES: readonly string[] = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
];
/** Cron numbering: index 0 = Sunday. */
export const WEEKDAY_NAMES: readonly string[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
