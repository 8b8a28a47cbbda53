/**
 * `horarium next "<spec>"`: the next fire times of a trigger, marking those a
 * DST change moved, and the expression in words.
 *
 * Spec grammar (decided for the CLI, documented in docs/cli.md):
 * - a crontab line: 5, 6 or 7 fields, or a nickname (`@daily`), as `CronTrigger.fromCrontab`;
 * - `<type>:<key>=<value>,<key>=<value>…` with type `cron`, `interval`,
 *   `calendarinterval` or `date`; keys are the trigger's options in camelCase
 *   or snake_case (`dayOfWeek`, `day_of_week`); a comma-separated item
 *   without `=` continues the previous value (`cron:hour=1,13,minute=0`);
 *   numbers are numbers; `date:<time>` is short for `date:runDate=<time>`.
 *
 * `--job <id>` previews a stored job instead (its trigger and its calendar), and
 * `--calendar <name>` applies a stored calendar to a spec; `--show-excluded` then
 * lists the fire times the calendar excludes too.
 */
import { CalendarTrigger, type ExcludedFireTimes } from '../../calendars/calendar-trigger.ts';
import { HorariumError } from '../../errors.ts';
import { buildTrigger } from '../../scheduler/trigger-aliases.ts';
import { fieldsFromWall, MS_PER_DAY } from '../../time/civil.ts';
import { formatInstant } from '../../time/format.ts';
import { parseDateInput } from '../../time/parse.ts';
import { getZone, localZoneName, type Zone } from '../../time/zone.ts';
import { CalendarIntervalTrigger } from '../../triggers/calendar-interval.ts';
import { CronTrigger } from '../../triggers/cron/cron-trigger.ts';
import { compileSchedule } from '../../triggers/cron/schedule.ts';
import { DateTrigger } from '../../triggers/date.ts';
import { IntervalTrigger } from '../../triggers/interval.ts';
import type { Trigger } from '../../triggers/trigger.ts';
import { describeCron, joinWords } from '../explain.ts';
import { paint } from '../format.ts';
import { CliError } from '../store.ts';
import { type JobsOptions, withStore } from './jobs.ts';
import { type NamedCalendar, storedCalendar, storedJobSchedule } from './next-source.ts';

export interface NextOptions extends JobsOptions {
  job?: string;
  calendar?: string;
  showExcluded?: boolean;
  seed?: string;
  count: string;
  from?: string;
  json?: boolean;
}

const SPEC_TYPES = ['cron', 'interval', 'calendarinterval', 'date'] as const;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** `day_of_week` → `dayOfWeek`. */
const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Builds the trigger a spec names, in `timezone` unless the spec gives one;
 * `seed` is the seed of hashed cron fields (`H`), as a job's id would be.
 */
export function parseTriggerSpec(spec: string, timezone: string, seed?: string): Trigger {
  const text = spec.trim();
  const typed = /^([a-z_]+):(.*)$/is.exec(text);
  if (typed === null)
    return CronTrigger.fromCrontab(text, seed === undefined ? { timezone } : { timezone, seed });
  const type = (typed[1] as string).toLowerCase();
  const body = (typed[2] as string).trim();
  if (!(SPEC_TYPES as readonly string[]).includes(type)) {
    throw new CliError(
      `unknown trigger type ${JSON.stringify(type)} in ${JSON.stringify(spec)} (expected a crontab line or ${SPEC_TYPES.map((t) => `${t}:key=value,…`).join(', ')})`,
    );
  }
  const args: Record<string, unknown> = {};
  if (type === 'date' && body !== '' && !body.includes('=')) {
    args.runDate = body;
  } else {
    let last: string | null = null;
    for (const raw of body === '' ? [] : body.split(',')) {
      const item = raw.trim();
      const eq = item.indexOf('=');
      if (eq < 0) {
        if (last === null || item === '')
          throw new CliError(
            `cannot read ${JSON.stringify(item)} in ${JSON.stringify(spec)}: expected key=value`,
          );
        args[last] = `${String(args[last])},${item}`;
        continue;
      }
      last = camel(item.slice(0, eq).trim());
      const value = item.slice(eq + 1).trim();
      args[last] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    }
  }
  return buildTrigger(type, args, timezone);
}

/** A fire time with what DST did to it, if anything. */
export interface PreviewEntry {
  time: Date;
  /** Why this time is not the plain wall time of the expression, or null. */
  note: string | null;
  /** The same as a sentence for the explanation, or null. */
  explanation: string | null;
  /** The rule of the calendar that excluded this fire time (it does not fire), or null. */
  excluded?: string | null;
  /** Excluded fire times left out of the list just before this one (a long excluded stretch). */
  omittedBefore?: number;
}

/** A calendar applied to a preview; `showExcluded` lists the fire times it excludes too. */
export interface PreviewCalendar extends NamedCalendar {
  readonly showExcluded?: boolean;
}

/** Excluded fire times listed at most from the start of one excluded stretch (its last is listed too). */
const EXCLUDED_LISTED = 3;

/** The entries of the fire times a calendar excluded in one stretch: the first few, and the last. */
function excludedEntries(
  trigger: Trigger,
  calendar: PreviewCalendar,
  excluded: ExcludedFireTimes,
  now: Date,
): PreviewEntry[] {
  const entry = (time: Date, omittedBefore = 0): PreviewEntry => ({
    time,
    note: null,
    explanation: null,
    excluded: calendar.calendar.exclusionReason(time) ?? excluded.reason ?? 'excluded',
    ...(omittedBefore > 0 ? { omittedBefore } : {}),
  });
  const entries: PreviewEntry[] = [];
  let t: Date | null = excluded.first;
  while (t !== null && t <= excluded.last && entries.length < EXCLUDED_LISTED) {
    entries.push(entry(t));
    t = trigger.getNextFireTime(t, now);
  }
  const listed = entries.length;
  const lastListed = entries[listed - 1]?.time.getTime();
  if (lastListed !== undefined && lastListed < excluded.last.getTime())
    entries.push(entry(excluded.last, excluded.count - listed - 1));
  return entries;
}

const clock = (wall: number): string => {
  const f = fieldsFromWall(wall);
  return `${pad(f.hour)}:${pad(f.minute)}${f.second === 0 ? '' : `:${pad(f.second)}`}`;
};
const day = (wall: number): string => {
  const f = fieldsFromWall(wall);
  return `${f.year}-${pad(f.month)}-${pad(f.day)}`;
};
/** The UTC offset of the instant in the zone, `+02:00` (the last six characters of its text). */
const offsetText = (zone: Zone, instant: number): string => formatInstant(instant, zone).slice(-6);

/** Does the wall time match the trigger's own wall-clock rule (null: the trigger has none)? */
function wallMatcher(trigger: Trigger): ((wall: number) => boolean) | null {
  if (trigger instanceof CronTrigger) {
    const schedule = compileSchedule(trigger.resolvedFields, trigger.dayMatching, trigger.syntax);
    return (wall) => schedule.nextMatch(wall) === wall;
  }
  if (trigger instanceof CalendarIntervalTrigger) {
    return (wall) => {
      const f = fieldsFromWall(wall);
      return f.hour === trigger.hour && f.minute === trigger.minute && f.second === trigger.second;
    };
  }
  return null;
}

/**
 * The next `count` fire times from `from`, each marked when DST moved it; with
 * a calendar, those it includes (and, with `showExcluded`, those it excludes,
 * marked and not counted).
 */
export function preview(
  trigger: Trigger,
  zone: Zone,
  from: Date,
  count: number,
  calendar?: PreviewCalendar,
): PreviewEntry[] {
  const matches = wallMatcher(trigger);
  const bound =
    calendar === undefined ? null : new CalendarTrigger(trigger, calendar.calendar, calendar.name);
  const entries: PreviewEntry[] = [];
  let previous: Date | null = null;
  let now = from;
  for (let i = 0; i < count; i++) {
    const time: Date | null = (bound ?? trigger).getNextFireTime(previous, now);
    const excluded = bound?.takeExcluded() ?? null;
    if (excluded !== null && calendar?.showExcluded === true)
      entries.push(...excludedEntries(trigger, calendar, excluded, now));
    if (time === null) break;
    const t = time.getTime();
    const wall = zone.wallAt(t);
    let note: string | null = null;
    let explanation: string | null = null;
    const resolved = zone.resolveWall(wall);
    if (matches !== null && !matches(wall)) {
      const gap = zone.offsetAt(t) - zone.offsetAt(t - MS_PER_DAY);
      const original = wall - gap;
      note = `${clock(original)} does not exist (DST gap): moved to ${clock(wall)}`;
      explanation = `on ${day(wall)} at ${clock(wall)} because ${clock(original)} does not exist in ${zone.name}`;
    } else if (resolved.kind === 'fold') {
      const other = t === resolved.earlier ? resolved.later : resolved.earlier;
      if (t === resolved.earlier) {
        note = `${clock(wall)} occurs twice (DST fold): first pass, ${offsetText(zone, t)}`;
        explanation =
          trigger instanceof CronTrigger && trigger.dst.fold === 'both'
            ? null
            : `on ${day(wall)} once, at the first of the two ${clock(wall)}s (${offsetText(zone, t)}, not ${offsetText(zone, other)})`;
      } else {
        note = `${clock(wall)} occurs twice (DST fold): repeated hour, ${offsetText(zone, t)}`;
        explanation = `on ${day(wall)} the repeated hour runs again (${offsetText(zone, t)})`;
      }
    } else if (matches === null && previous !== null) {
      const before = zone.offsetAt(previous.getTime());
      const after = zone.offsetAt(t);
      if (before !== after) {
        note = `UTC offset changed ${offsetText(zone, previous.getTime())} → ${offsetText(zone, t)} (DST): wall-clock time shifted`;
        explanation = `from ${day(wall)} at ${clock(wall)} the wall-clock times shift with the UTC offset (${offsetText(zone, t)})`;
      }
    }
    entries.push({ time, note, explanation });
    previous = time;
    now = time;
  }
  return entries;
}

/** `90061500` (ms) → `1 day, 1 hour, 1 minute, 1 second and 500 milliseconds`. */
function duration(ms: number): string {
  const units: [number, string][] = [
    [604_800_000, 'week'],
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
    [1, 'millisecond'],
  ];
  const parts: [number, string][] = [];
  let rest = ms;
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push([n, unit]);
  }
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only !== undefined && only[0] === 1) return only[1];
  return joinWords(parts.map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`));
}

/** The trigger in words, without DST notes. */
export function describeTrigger(trigger: Trigger): string {
  if (trigger instanceof CronTrigger) {
    const words = describeCron(trigger.resolvedFields, trigger.dayMatching, trigger.syntax);
    if (trigger.resolvedFields === trigger.fields) return words;
    const seed =
      trigger.seed === null
        ? 'the empty seed; a job hashes its id, see --seed'
        : `seed ${JSON.stringify(trigger.seed)}`;
    return `${words} (H hashed from ${seed})`;
  }
  if (trigger instanceof DateTrigger) return 'once';
  if (trigger instanceof IntervalTrigger) return `every ${duration(trigger.interval)}`;
  if (trigger instanceof CalendarIntervalTrigger) {
    const parts: [number, string][] = [
      [trigger.years, 'year'],
      [trigger.months, 'month'],
      [trigger.weeks, 'week'],
      [trigger.days, 'day'],
    ];
    const given = parts.filter(([n]) => n > 0);
    const every =
      given.length === 1 && given[0]?.[0] === 1
        ? [given[0][1]]
        : given.map(([n, unit]) => `${n} ${unit}${n === 1 ? '' : 's'}`);
    const at = `${pad(trigger.hour)}:${pad(trigger.minute)}${trigger.second === 0 ? '' : `:${pad(trigger.second)}`}`;
    return `every ${joinWords(every)} at ${at}`;
  }
  return String(trigger);
}

function formatEntry(entry: PreviewEntry, zone: Zone): string {
  const t = entry.time.getTime();
  const weekday = WEEKDAYS[new Date(zone.wallAt(t)).getUTCDay()] ?? '';
  const text = formatInstant(t, zone).replace(' ', ` ${weekday} `);
  const omitted =
    entry.omittedBefore === undefined
      ? ''
      : `${paint('dim', `  … ${entry.omittedBefore.toLocaleString('en-US')} more excluded`)}\n`;
  if (entry.excluded != null)
    return `${omitted}${paint('dim', `  ${text}  ✗ excluded (${entry.excluded})`)}`;
  return entry.note === null ? `  ${text}` : `  ${text}  ${paint('yellow', `← ${entry.note}`)}`;
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 1000)
    throw new CliError(`-n must be a whole number from 1 to 1000, got ${JSON.stringify(text)}`);
  return n;
}

/** The trigger (and calendar) to preview: a spec, or a stored job with `--job`. */
async function scheduleToPreview(
  spec: string | undefined,
  options: NextOptions,
  timezone: string,
): Promise<{ label: string; trigger: Trigger; calendar: NamedCalendar | null }> {
  if (options.job !== undefined) {
    if (spec !== undefined)
      throw new CliError('give either a spec or --job <id>, not both (a job has its trigger)');
    if (options.calendar !== undefined)
      throw new CliError('--calendar applies to a spec; a job previewed with --job has its own');
    const id = options.job;
    const found = await withStore(options, (open) => storedJobSchedule(open, id));
    return { label: `job ${id}`, ...found };
  }
  if (spec === undefined)
    throw new CliError(
      'give a crontab line or trigger spec, or --job <id> to preview a stored job',
    );
  const trigger = parseTriggerSpec(spec, timezone, options.seed);
  const name = options.calendar;
  const calendar =
    name === undefined ? null : await withStore(options, (open) => storedCalendar(open, name));
  return { label: spec.trim(), trigger, calendar };
}

export async function nextCommand(spec: string | undefined, options: NextOptions): Promise<void> {
  const timezone = options.timezone ?? localZoneName();
  const zone = getZone(timezone);
  const count = parseCount(options.count);
  let from: Date;
  try {
    from = options.from === undefined ? new Date() : new Date(parseDateInput(options.from, zone));
  } catch (error) {
    if (error instanceof HorariumError) throw new CliError(`--from: ${error.message}`);
    throw error;
  }
  if (options.showExcluded === true && options.job === undefined && options.calendar === undefined)
    throw new CliError(
      '--show-excluded needs a calendar: --job <id> (of a job with one) or --calendar <name>',
    );
  const { label, trigger, calendar } = await scheduleToPreview(spec, options, timezone);
  const entries = preview(
    trigger,
    zone,
    from,
    count,
    calendar === null ? undefined : { ...calendar, showExcluded: options.showExcluded === true },
  );
  const notes = [...new Set(entries.map((e) => e.explanation).filter((e) => e !== null))];
  const excluding =
    calendar === null ? '' : `; excluding calendar ${JSON.stringify(calendar.name)}`;
  const description = `${describeTrigger(trigger)}${excluding}${notes.length > 0 ? `; ${joinWords(notes)}` : ''}`;
  if (options.json === true) {
    const document = {
      spec: label,
      trigger: String(trigger),
      ...(calendar === null
        ? {}
        : { calendar: calendar.name, calendarRules: String(calendar.calendar) }),
      timezone: zone.name,
      description,
      times: entries.map((e) => ({
        time: formatInstant(e.time.getTime(), zone).replace(' ', 'T'),
        utc: e.time.toISOString(),
        note: e.note,
        ...(e.excluded == null ? {} : { excluded: e.excluded }),
        ...(e.omittedBefore === undefined ? {} : { omittedBefore: e.omittedBefore }),
      })),
    };
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  const lines = [`${paint('bold', label)} (${zone.name}): ${description}`, ''];
  if (entries.length === 0) lines.push('  (no more fire times)');
  for (const entry of entries) lines.push(formatEntry(entry, zone));
  process.stdout.write(`${lines.join('\n')}\n`);
}
