/**
 * Reading crontab lines (5, 6 or 7 fields, nicknames) into cron field values,
 * and refusing, with what to write instead, the line-level forms of other
 * cron dialects that are not schedules Horarium can express.
 */
import { CronSyntaxError } from '../errors.ts';
import type { CronFieldName } from './fields.ts';

/**
 * Nicknames: Vixie cron's, plus cron-parser's `@minutely`, `@secondly`,
 * `@weekdays` and `@weekends`. They are fixed times, as in Vixie cron and the
 * Node libraries (Jenkins hashes its `@hourly`, `@daily` and `@midnight`: write
 * `H * * * *`, `H H * * *` or `H H(0-2) * * *` for that).
 */
const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
  '@minutely': '* * * * *',
  '@secondly': '* * * * * *',
  '@weekdays': '0 0 * * 1-5',
  '@weekends': '0 0 * * 0,6',
};

const LAYOUTS: Readonly<Record<number, readonly CronFieldName[]>> = {
  5: ['minute', 'hour', 'day', 'month', 'dayOfWeek'],
  6: ['second', 'minute', 'hour', 'day', 'month', 'dayOfWeek'],
  7: ['second', 'minute', 'hour', 'day', 'month', 'dayOfWeek', 'year'],
};

/** What a crontab line says. */
export interface ParsedCrontab {
  /** The field values; fields the line does not have are left out (seconds then default to 0). */
  fields: Partial<Record<CronFieldName, string>>;
  /** `'and'` when the day-of-week field starts with croner's `+` (day AND weekday). */
  dayMatching?: 'and';
}

/** Reads a crontab line into its field values. */
export function parseCrontab(expression: string): ParsedCrontab {
  if (typeof expression !== 'string') {
    throw new CronSyntaxError(
      'expression',
      String(expression),
      'a crontab expression must be a string',
    );
  }
  let text = expression.trim();
  refuseLine(expression, text);
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
      `expected 5 fields (minute hour day month dayOfWeek), 6 (with leading seconds) or 7 (with trailing year), got ${parts.length}${parts.length > 7 ? ' (pass the schedule only, without a command)' : ''}`,
    );
  }
  const command = parts.find((p) => /^\.{0,2}\/[a-z_]/i.test(p));
  if (command !== undefined) {
    throw new CronSyntaxError(
      'expression',
      expression,
      `"${command}" looks like a command: pass only the schedule (the job's function is the command)`,
    );
  }
  const fields: Partial<Record<CronFieldName, string>> = {};
  layout.forEach((field, i) => {
    fields[field] = parts[i] as string;
  });
  const dow = fields.dayOfWeek as string;
  if (!dow.startsWith('+')) return { fields };
  // croner's (OCPS 1.4) AND modifier: "0 12 1 * +MON" runs only when the 1st is a Monday.
  fields.dayOfWeek = dow.slice(1);
  return { fields, dayMatching: 'and' };
}

/** Line-level forms of other dialects, refused with what to write instead. */
function refuseLine(expression: string, text: string): void {
  const lower = text.toLowerCase();
  const refuse = (reason: string): never => {
    throw new CronSyntaxError('expression', expression, reason);
  };
  if (lower === '@reboot') {
    refuse(
      '@reboot (once when the system starts) is not a schedule: add the job without a trigger when your application starts (scheduler.addJob(func) runs it once, now)',
    );
  }
  const every = /^@every\s+(.+)$/.exec(lower);
  if (every !== null) {
    refuse(
      `@every (a fixed interval, as in Go's cron) is not a crontab schedule: use an interval trigger, new IntervalTrigger(${intervalOptions(every[1] as string)})`,
    );
  }
  const zone = /^(?:cron_)?tz=(\S+)/i.exec(text);
  if (zone !== null) {
    refuse(
      `a time zone prefix is not part of the schedule: pass it as an option, { timezone: '${zone[1]}' }`,
    );
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    refuse(
      'a date is not a crontab schedule: use a date trigger for a single run, new DateTrigger({ runDate })',
    );
  }
}

/** `1h30m` → `{ hours: 1, minutes: 30 }`, for the @every message; a placeholder when unreadable. */
function intervalOptions(duration: string): string {
  const units: Readonly<Record<string, string>> = {
    h: 'hours',
    m: 'minutes',
    s: 'seconds',
    ms: 'milliseconds',
  };
  const parts = [...duration.trim().matchAll(/(\d+)(ms|h|m|s)/g)];
  const joined = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || joined !== duration.trim()) return '{ minutes: … }';
  return `{ ${parts.map((p) => `${units[p[2] as string]}: ${Number(p[1])}`).join(', ')} }`;
}
