/**
 * `CronTrigger`: fires when the wall-clock time in its zone matches every
 * field, with the DST policy of the specification.
 */
import { MS_PER_DAY, MS_PER_SECOND } from '../../time/civil.ts';
import { formatIso } from '../../time/format.ts';
import type { DateInput } from '../../time/parse.ts';
import type { Zone } from '../../time/zone.ts';
import {
  applyJitter,
  ceilToSecond,
  checkDateOrder,
  checkTriggerOptions,
  isoOrNull,
  optionalDate,
  parseJitter,
  requireTimeArgument,
  resolveZone,
} from '../common.ts';
import { CronSyntaxError, InvalidTriggerError } from '../errors.ts';
import { registerTrigger } from '../registry.ts';
import type { DstPolicy, RandomSource, Trigger, TriggerJSON } from '../trigger.ts';
import { parseCrontab } from './crontab.ts';
import { type CompiledField, type CronSyntax, compileField } from './expressions.ts';
import { CRON_FIELDS, type CronFieldName, FIELD_DEFAULTS } from './fields.ts';
import { DEFAULT_SEED, isHashed, resolveHashed } from './hashed.ts';
import { type CronSchedule, compileSchedule, type DayMatching } from './schedule.ts';

export type CronFieldValue = number | string;

export interface CronTriggerOptions {
  year?: CronFieldValue;
  month?: CronFieldValue;
  day?: CronFieldValue;
  week?: CronFieldValue;
  dayOfWeek?: CronFieldValue;
  hour?: CronFieldValue;
  minute?: CronFieldValue;
  second?: CronFieldValue;
  startDate?: DateInput | null;
  endDate?: DateInput | null;
  timezone?: string;
  jitter?: number | null;
  /** Override the DST policy derived from the hour field. */
  dst?: DstPolicy;
  /**
   * How a restricted `day` and a restricted `dayOfWeek` combine: `'and'` (both
   * must match; the default for the field form, as in APScheduler) or `'or'`
   * (either; the default of {@link CronTrigger.fromCrontab}, as in Vixie cron).
   */
  dayMatching?: DayMatching;
  /** Random source for jitter (defaults to `Math.random`). */
  random?: RandomSource;
}

export interface CrontabOptions
  extends Pick<
    CronTriggerOptions,
    'timezone' | 'dayMatching' | 'startDate' | 'endDate' | 'jitter' | 'dst' | 'random'
  > {
  /**
   * The seed of the hashed fields (`H`, `H/15`, `H(0-29)`). Without it, a
   * trigger added to a scheduler takes its job's id (see {@link CronTrigger.forJob}),
   * and one used on its own the empty string.
   */
  seed?: string;
}

/**
 * Marks options built by {@link CronTrigger.fromCrontab}: their fields are read
 * with a crontab line's grammar. A symbol, so that it is no public option.
 */
const CRONTAB = Symbol('crontab');

interface InternalOptions extends CronTriggerOptions {
  [CRONTAB]?: { seed: string | null };
}

const CRONTAB_OPTION_KEYS = new Set<string>([
  'seed',
  'timezone',
  'dayMatching',
  'startDate',
  'endDate',
  'jitter',
  'dst',
  'random',
]);

/** Window within which DST transitions can move a wall time's instant (covers the 24-hour jump of Samoa in 2011). */
const DST_WINDOW = 2 * MS_PER_DAY;

const OPTION_NAMES: readonly string[] = [
  ...CRON_FIELDS,
  'startDate',
  'endDate',
  'timezone',
  'jitter',
  'dst',
  'dayMatching',
  'random',
];

/**
 * Fires when the wall-clock time matches every field.
 *
 * @example
 * ```ts
 * new CronTrigger({ dayOfWeek: 'mon-fri', hour: 9, timezone: 'Europe/Berlin' });
 * CronTrigger.fromCrontab('30 2 * * *', { timezone: 'America/New_York' });
 * ```
 */
export class CronTrigger implements Trigger {
  /** The options the constructor takes (the `'cron'` alias's arguments). */
  static readonly optionNames: readonly string[] = OPTION_NAMES;
  readonly timezone: string;
  readonly startDate: Date | null;
  readonly endDate: Date | null;
  readonly jitter: number | null;
  readonly dayMatching: DayMatching;
  /**
   * The grammar the fields are read with: `'crontab'` for {@link CronTrigger.fromCrontab}
   * (steps as large as their range, `?` anywhere, `L-n`, `#L`, …), `'fields'` otherwise.
   */
  readonly syntax: CronSyntax;
  /**
   * The seed of the hashed (`H`) fields: `fromCrontab`'s `seed` option, or the
   * job id once {@link CronTrigger.forJob} bound the trigger to a job; null
   * when neither, and the hash then uses the empty string.
   */
  readonly seed: string | null;
  /** Every field's expression as it is matched: {@link fields} with each `H` replaced by its values. */
  readonly resolvedFields: Readonly<Record<CronFieldName, string>>;
  /** The DST policy in force (derived from the hour field unless overridden). */
  readonly dst: Required<DstPolicy>;
  /** Every field's expression after defaulting. */
  readonly fields: Readonly<Record<CronFieldName, string>>;
  /** The fields given explicitly, for `toString` and serialization. */
  readonly #given: readonly CronFieldName[];
  readonly #dstOverride: DstPolicy | undefined;
  readonly #zone: Zone;
  readonly #schedule: CronSchedule;
  readonly #start: number | undefined;
  readonly #end: number | undefined;
  readonly #jitterMs: number;
  readonly #random: RandomSource;
  /** Does a field use `H`? */
  readonly #hashed: boolean;
  #fieldsEquivalent: boolean | undefined;

  constructor(options: CronTriggerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidTriggerError('options', 'CronTrigger options must be an object');
    }
    checkTriggerOptions('CronTrigger', options as Record<string, unknown>, OPTION_NAMES);
    const given = CRON_FIELDS.filter((f) => options[f] !== undefined && options[f] !== null);
    if (given.length === 0) {
      throw new InvalidTriggerError(
        'fields',
        'A CronTrigger needs at least one field (year, month, day, week, dayOfWeek, hour, minute or second)',
      );
    }
    const leastSignificant = Math.max(...given.map((f) => CRON_FIELDS.indexOf(f)));
    const fields = {} as Record<CronFieldName, string>;
    CRON_FIELDS.forEach((field, index) => {
      const value = options[field];
      if (value !== undefined && value !== null)
        fields[field] = typeof value === 'number' ? String(value) : value;
      else fields[field] = index < leastSignificant ? '*' : FIELD_DEFAULTS[field];
    });
    const dayMatching = options.dayMatching ?? 'and';
    if (dayMatching !== 'and' && dayMatching !== 'or') {
      throw new InvalidTriggerError(
        'dayMatching',
        `dayMatching must be 'and' or 'or', got ${String(dayMatching)}`,
      );
    }
    // Validates every field (CronSyntaxError names the field and text).
    for (const field of CRON_FIELDS) {
      const value = options[field];
      if (
        value !== undefined &&
        value !== null &&
        typeof value !== 'number' &&
        typeof value !== 'string'
      ) {
        throw new InvalidTriggerError(
          field,
          `${field} must be a number or an expression string, got ${typeof value}`,
        );
      }
    }
    const crontab = (options as InternalOptions)[CRONTAB];
    const syntax: CronSyntax = crontab === undefined ? 'fields' : 'crontab';
    this.syntax = syntax;
    this.seed = crontab?.seed ?? null;
    this.#hashed = crontab !== undefined && CRON_FIELDS.some((f) => isHashed(fields[f]));
    const resolved = this.#hashed ? resolveFields(fields, this.seed ?? DEFAULT_SEED) : fields;
    this.#schedule = compileNamingOriginal(fields, resolved, dayMatching, syntax);
    this.fields = Object.freeze(fields);
    this.resolvedFields = resolved === fields ? this.fields : Object.freeze(resolved);
    this.#given = given;
    this.dayMatching = dayMatching;
    this.#zone = resolveZone(options.timezone);
    this.timezone = this.#zone.name;
    this.#start = optionalDate('startDate', options.startDate, this.#zone);
    this.#end = optionalDate('endDate', options.endDate, this.#zone);
    checkDateOrder(this.#start, this.#end, this.#zone);
    this.startDate = this.#start === undefined ? null : new Date(this.#start);
    this.endDate = this.#end === undefined ? null : new Date(this.#end);
    this.#jitterMs = parseJitter(options.jitter);
    this.jitter = this.#jitterMs > 0 ? this.#jitterMs / MS_PER_SECOND : null;
    this.#random = options.random ?? Math.random;
    this.#dstOverride = validateDst(options.dst);
    const hour = fields.hour.trim();
    const wildcardHour = /^[*?](?:\/\d+)?$/.test(hour);
    this.dst = {
      gap: this.#dstOverride?.gap ?? (wildcardHour ? 'skip' : 'shift'),
      fold: this.#dstOverride?.fold ?? (wildcardHour ? 'both' : 'first'),
    };
  }

  /**
   * A trigger from a crontab line: `min hour dom mon dow`, with an optional
   * leading seconds field and trailing year field, or a nickname such as
   * `@daily`. Day of month and day of week combine with OR when both are
   * restricted, as in Vixie cron (`dayMatching: 'and'`, or croner's `+` before
   * the day of week, for APScheduler's AND).
   */
  static fromCrontab(expression: string, options: CrontabOptions = {}): CronTrigger {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidTriggerError('options', 'fromCrontab options must be an object');
    }
    for (const key of Object.keys(options)) {
      if (!CRONTAB_OPTION_KEYS.has(key)) {
        throw new InvalidTriggerError(
          key,
          `Unknown fromCrontab option ${JSON.stringify(key)} (expected ${[...CRONTAB_OPTION_KEYS].join(', ')}; the schedule itself goes in the expression)`,
        );
      }
    }
    const { seed, ...rest } = options;
    if (seed !== undefined && typeof seed !== 'string') {
      throw new InvalidTriggerError('seed', `seed must be a string, got ${typeof seed}`);
    }
    const parsed = parseCrontab(expression);
    if (parsed.dayMatching === 'and' && options.dayMatching === 'or') {
      throw new InvalidTriggerError(
        'dayMatching',
        `"+" before the day of week in ${JSON.stringify(expression)} asks for day AND weekday, but dayMatching: 'or' was given`,
      );
    }
    const internal: InternalOptions = {
      ...parsed.fields,
      dayMatching: parsed.dayMatching ?? 'or',
      ...rest,
      [CRONTAB]: { seed: seed ?? null },
    };
    return new CronTrigger(internal);
  }

  /**
   * This trigger bound to a job: hashed fields (`H`) without a `seed` take the
   * job id as their seed, so that each job keeps its own time on every node
   * and after every restart. The trigger itself when nothing depends on the
   * job (no `H`, or a seed already given).
   */
  forJob(jobId: string): CronTrigger {
    if (typeof jobId !== 'string')
      throw new InvalidTriggerError('jobId', `jobId must be a string, got ${typeof jobId}`);
    if (!this.#hashed || this.seed !== null) return this;
    const options: InternalOptions = {
      dayMatching: this.dayMatching,
      timezone: this.timezone,
      jitter: this.jitter,
      random: this.#random,
      [CRONTAB]: { seed: jobId },
    };
    for (const field of this.#given) options[field] = this.fields[field];
    if (this.#start !== undefined) options.startDate = this.#start;
    if (this.#end !== undefined) options.endDate = this.#end;
    if (this.#dstOverride !== undefined) options.dst = this.#dstOverride;
    return new CronTrigger(options);
  }

  getNextFireTime(previousFireTime: Date | null, now: Date): Date | null {
    const previous = requireTimeArgument('previousFireTime', previousFireTime, true);
    const current = requireTimeArgument('now', now, false) as number;
    let start = previous === null ? current : previous + 1;
    if (this.#start !== undefined && start < this.#start) start = this.#start;
    start = ceilToSecond(start);
    if (this.#end !== undefined && start > this.#end) return null;
    const next = this.#search(start);
    if (next === null || (this.#end !== undefined && next > this.#end)) return null;
    return new Date(applyJitter(next, this.#jitterMs, this.#end, this.#random));
  }

  /**
   * The earliest instant ≥ `start` at which the schedule fires under the DST
   * policy. Wall times are enumerated in calendar order from the earliest wall
   * time that could map to an instant ≥ `start` (a fold's second pass or a
   * gap shift can map an earlier wall time to a later instant), until no later
   * wall time can map to an earlier instant than the best found.
   */
  #search(start: number): number | null {
    const zone = this.#zone;
    const schedule = this.#schedule;
    // Fast path, away from transitions: when the first matching wall time lies
    // in a stretch with the same offset as `start`, it is the answer.
    const steady = zone.steadyOffset(start, DST_WINDOW);
    if (!Number.isNaN(steady)) {
      const wall = schedule.nextMatch(start + steady);
      if (wall === null) return null;
      if (zone.steadyOffset(wall - steady, DST_WINDOW) === steady) return wall - steady;
    }
    const [minOffset] = zone.offsetRange(start, DST_WINDOW);
    let wall = schedule.nextMatch(start + minOffset);
    let best: number | null = null;
    while (wall !== null) {
      const resolved = zone.resolveWall(wall);
      if (resolved.kind === 'unique') {
        if (resolved.instant >= start && (best === null || resolved.instant < best))
          best = resolved.instant;
      } else if (resolved.kind === 'gap') {
        if (
          this.dst.gap === 'shift' &&
          resolved.later >= start &&
          (best === null || resolved.later < best)
        ) {
          best = resolved.later;
        }
      } else {
        if (resolved.earlier >= start && (best === null || resolved.earlier < best))
          best = resolved.earlier;
        else if (
          this.dst.fold === 'both' &&
          resolved.later >= start &&
          (best === null || resolved.later < best)
        ) {
          best = resolved.later;
        }
      }
      if (best !== null) {
        const [, maxOffset] = zone.offsetRange(best, DST_WINDOW);
        // A later wall time w maps to an instant ≥ w − maxOffset; none can beat `best` past this point.
        if (wall + MS_PER_SECOND >= best + maxOffset) break;
      }
      wall = schedule.nextMatch(wall + MS_PER_SECOND);
    }
    return best;
  }

  /**
   * Version 1 is the field form's state. A crontab line whose fields mean the
   * same in the field form's grammar is stored as version 1 too, so that
   * ordinary lines stay readable by earlier releases; any other is version 2,
   * with `syntax: 'crontab'`, which an earlier release refuses instead of
   * reading it with the other grammar.
   */
  toJSON(): TriggerJSON {
    const fields: Partial<Record<CronFieldName, string>> = {};
    for (const f of this.#given) fields[f] = this.fields[f];
    const common = {
      dayMatching: this.dayMatching,
      timezone: this.timezone,
      startDate: isoOrNull(this.#start),
      endDate: isoOrNull(this.#end),
      jitter: this.jitter,
      dst: this.#dstOverride ?? null,
    };
    if (this.syntax === 'fields' || this.#readsAsFields())
      return { type: 'cron', version: 1, fields, ...common };
    // The seed rather than the resolved values: the fields stay as written, and the hash is fixed.
    return { type: 'cron', version: 2, syntax: 'crontab', fields, seed: this.seed, ...common };
  }

  /** Do the given fields compile to the same schedule in the field form's grammar? */
  #readsAsFields(): boolean {
    if (this.#hashed) return false;
    if (this.#fieldsEquivalent === undefined) {
      this.#fieldsEquivalent = this.#given.every((field) => {
        let asFields: CompiledField;
        try {
          asFields = compileField(field, this.fields[field], 'fields');
        } catch {
          return false;
        }
        return sameCompiled(asFields, compileField(field, this.fields[field], 'crontab'));
      });
    }
    return this.#fieldsEquivalent;
  }

  toString(): string {
    const parts = this.#given.map((f) => `${f}='${this.fields[f]}'`);
    return `cron[${parts.join(', ')}]`;
  }

  /** Describes an instant in this trigger's zone, e.g. for logs: `2024-03-31T03:30:00+02:00`. */
  format(instant: Date): string {
    return formatIso(instant.getTime(), this.#zone);
  }
}

/** The fields with their `H` items resolved under `seed`. */
function resolveFields(
  fields: Record<CronFieldName, string>,
  seed: string,
): Record<CronFieldName, string> {
  const resolved = { ...fields };
  for (const field of CRON_FIELDS) {
    if (isHashed(fields[field])) resolved[field] = resolveHashed(field, fields[field], seed);
  }
  return resolved;
}

/** Compiles the resolved fields; an error in a hashed field quotes the field as written. */
function compileNamingOriginal(
  fields: Record<CronFieldName, string>,
  resolved: Record<CronFieldName, string>,
  dayMatching: DayMatching,
  syntax: CronSyntax,
): CronSchedule {
  try {
    return compileSchedule(resolved, dayMatching, syntax);
  } catch (error) {
    const field = error instanceof CronSyntaxError ? (error.field as CronFieldName) : undefined;
    if (field !== undefined && resolved[field] !== fields[field])
      throw new CronSyntaxError(field, fields[field], (error as CronSyntaxError).reason);
    throw error;
  }
}

function sameCompiled(a: CompiledField, b: CompiledField): boolean {
  return (
    a.restricted === b.restricted &&
    a.allowed.length === b.allowed.length &&
    a.allowed.every((v, i) => b.allowed[i] === v) &&
    JSON.stringify(a.rules) === JSON.stringify(b.rules) &&
    JSON.stringify(a.ranges) === JSON.stringify(b.ranges)
  );
}

function validateDst(dst: DstPolicy | undefined): DstPolicy | undefined {
  if (dst === undefined || dst === null) return undefined;
  if (typeof dst !== 'object')
    throw new InvalidTriggerError('dst', 'dst must be an object { gap?, fold? }');
  if (dst.gap !== undefined && dst.gap !== 'shift' && dst.gap !== 'skip') {
    throw new InvalidTriggerError(
      'dst',
      `dst.gap must be 'shift' or 'skip', got ${String(dst.gap)}`,
    );
  }
  if (dst.fold !== undefined && dst.fold !== 'first' && dst.fold !== 'both') {
    throw new InvalidTriggerError(
      'dst',
      `dst.fold must be 'first' or 'both', got ${String(dst.fold)}`,
    );
  }
  const policy: DstPolicy = {};
  if (dst.gap !== undefined) policy.gap = dst.gap;
  if (dst.fold !== undefined) policy.fold = dst.fold;
  return policy;
}

registerTrigger('cron', (state) => {
  if (state.version !== 1 && state.version !== 2)
    throw new InvalidTriggerError(
      'version',
      `unsupported cron trigger version ${String(state.version)}`,
    );
  const s = state as TriggerJSON & {
    fields: Partial<Record<CronFieldName, string>>;
    syntax?: CronSyntax;
    dayMatching: DayMatching;
    timezone: string;
    startDate: string | null;
    endDate: string | null;
    jitter: number | null;
    dst: DstPolicy | null;
    seed?: string | null;
  };
  if (state.version === 2 && s.syntax !== 'crontab')
    throw new InvalidTriggerError('syntax', `unknown cron syntax ${JSON.stringify(s.syntax)}`);
  const seed = s.seed ?? null;
  if (seed !== null && typeof seed !== 'string')
    throw new InvalidTriggerError('seed', `seed must be a string or null, got ${typeof seed}`);
  const options: InternalOptions = {
    ...s.fields,
    dayMatching: s.dayMatching,
    timezone: s.timezone,
    startDate: s.startDate,
    endDate: s.endDate,
    jitter: s.jitter,
  };
  if (s.dst !== null && s.dst !== undefined) options.dst = s.dst;
  if (state.version === 2) options[CRONTAB] = { seed };
  return new CronTrigger(options);
});
