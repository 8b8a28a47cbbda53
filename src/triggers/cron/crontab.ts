/** Reading crontab lines (5, 6 or 7 fields, nicknames) into cron field values. */
import { CronSyntaxError } from '../errors.ts';
import type { CronFieldName } from './fields.ts';

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const LAYOUTS: Readonly<Record<number, readonly CronFieldName[]>> = {
  5: ['minute', 'hour', 'day', 'month', 'dayOfWeek'],
  6: ['second', 'minute', 'hour', 'day', 'month', 'dayOfWeek'],
  7: ['second', 'minute', 'hour', 'day', 'month', 'dayOfWeek', 'year'],
};

/** The field values of a crontab expression; fields it does not have take their minimum (seconds) or `*`. */
export function parseCrontab(expression: string): Partial<Record<CronFieldName, string>> {
  if (typeof expression !== 'string') {
    throw new CronSyntaxError(
      'expression',
      String(expression),
      'a crontab expression must be a string',
    );
  }
  let text = expression.trim();
  if (text.startsWith('@')) {
    const expanded = NICKNAMES[text.toLowerCase()];
    if (expanded === undefined) {
      throw new CronSyntaxError(
        'expression',
        expression,
        `unknown nickname "${text}" (expected one of ${Object.keys(NICKNAMES).join(', ')})`,
      );
    }
    text = expanded;
  }
  const parts = text.split(/\s+/).filter((p) => p !== '');
  const layout = LAYOUTS[parts.length];
  if (layout === undefined) {
    throw new CronSyntaxError(
      'expression',
      expression,
      `expected 5 fields (minute hour day month dayOfWeek), 6 (with leading seconds) or 7 (with trailing year), got ${parts.length}`,
    );
  }
  // Five fields leave `second` out: as the least significant field it defaults to 0.
  const values: Partial<Record<CronFieldName, string>> = {};
  layout.forEach((field, i) => {
    values[field] = parts[i] as string;
  });
  return values;
}
