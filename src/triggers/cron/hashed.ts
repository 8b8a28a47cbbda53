/**
 * Hashed cron values (`H`, as in Jenkins and cron-parser): a value derived
 * from a seed, so that jobs written "every hour" spread over the hour while
 * each job keeps its minute on every node and after every restart. A trigger
 * bound to a job takes the job id as its seed; `fromCrontab`'s `seed` option
 * fixes it; without either the seed is {@link DEFAULT_SEED}.
 *
 * The hash is part of the schedule of every stored job that uses `H`, so it
 * must never change (tests pin its values):
 * - h = FNV-1a, 32 bits (offset basis 2166136261, prime 16777619), over the
 *   UTF-8 bytes of the seed, one 0 byte, and the field's name (`second`,
 *   `minute`, `hour`, `day`, `month`, `dayOfWeek`);
 * - u = h / 2^32, a fraction in [0, 1);
 * - a range of n values a…b gives a + ⌊u·n⌋.
 * Every `H` of one field uses the same u: `H(0-29),H(30-59)` are 30 minutes apart.
 *
 * Forms, each a comma-separated item of a crontab field:
 * - `H`: one value in the field's hash range: second and minute 0–59, hour
 *   0–23, day 1–28 (a day every month has, as in Jenkins), month 1–12,
 *   dayOfWeek 0–6;
 * - `H(a-b)`: one value in a…b;
 * - `H/n`, `H(a-b)/n`: every n-th value of the range from a hashed offset
 *   below n (`H/15` in minutes: e.g. 7, 22, 37, 52). A step at least as large
 *   as the range leaves one hashed value in it, as in cron-parser (Jenkins
 *   refuses such a step);
 * - dayOfWeek `H#n`, `H#L`, `HL` (cron-parser): a hashed weekday, then `#n`, `#L` or `L`.
 * Resolved items are plain crontab text (`H/15` → `7-59/15`) for the parser.
 */
import { CronSyntaxError } from '../errors.ts';
import { type CronFieldName, FIELD_BOUNDS, MONTH_NAMES, WEEKDAY_NAMES } from './fields.ts';

/** The seed of an unbound trigger without a `seed` option. */
export const DEFAULT_SEED = '';

/** The range a bare `H` or `H/n` draws from, per field. */
const HASH_RANGE: Readonly<Partial<Record<CronFieldName, readonly [number, number]>>> = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  day: [1, 28],
  month: [1, 12],
  dayOfWeek: [0, 6],
};

const HASHED_ITEM = /^h(?:\(([a-z0-9]+)-([a-z0-9]+)\))?(?:\/(\d+))?(#\d+|#l|l)?$/i;

const encoder = new TextEncoder();

/** FNV-1a (32 bits) of the UTF-8 bytes of `seed`, a 0 byte and `field`, as a fraction in [0, 1). */
export function hashFraction(seed: string, field: CronFieldName): number {
  let h = 2166136261;
  const mix = (bytes: Uint8Array): void => {
    for (const byte of bytes) h = Math.imul(h ^ byte, 16777619) >>> 0;
  };
  mix(encoder.encode(seed));
  mix(Uint8Array.of(0));
  mix(encoder.encode(field));
  return h / 2 ** 32;
}

/** Does a field expression have an `H` item? */
export function isHashed(text: string): boolean {
  return text.split(',').some((item) => /^h/i.test(item.trim()));
}

/** The field expression with every `H` item replaced by the plain values it stands for under `seed`. */
export function resolveHashed(field: CronFieldName, text: string, seed: string): string {
  const u = hashFraction(seed, field);
  return text
    .split(',')
    .map((raw) => {
      const item = raw.trim();
      return /^h/i.test(item) ? resolveItem(field, item, text, u) : item;
    })
    .join(',');
}

function resolveItem(field: CronFieldName, item: string, text: string, u: number): string {
  const range = HASH_RANGE[field];
  if (range === undefined) {
    throw new CronSyntaxError(field, text, `"${item}": H is not supported in the ${field} field`);
  }
  const match = HASHED_ITEM.exec(item);
  if (match === null) {
    throw new CronSyntaxError(
      field,
      text,
      `unrecognized hashed expression "${item}" (expected H, H(a-b), H/n or H(a-b)/n${field === 'dayOfWeek' ? ', or H#n, H#L, HL' : ''})`,
    );
  }
  const [, fromText, toText, stepText, suffix] = match;
  if (suffix !== undefined && field !== 'dayOfWeek') {
    throw new CronSyntaxError(
      field,
      text,
      `"${item}": # and L after H are only allowed in the dayOfWeek field`,
    );
  }
  if (suffix !== undefined && stepText !== undefined) {
    throw new CronSyntaxError(field, text, `"${item}": a hashed weekday takes # or L, not a step`);
  }
  const nth = suffix === undefined ? null : /^#(\d+)$/.exec(suffix);
  if (nth !== null && (Number(nth[1]) < 1 || Number(nth[1]) > 5)) {
    throw new CronSyntaxError(field, text, `"${suffix}" in "${item}" must be between #1 and #5`);
  }
  let [from, to] = range;
  if (fromText !== undefined && toText !== undefined) {
    const [min, max] = FIELD_BOUNDS[field];
    from = boundValue(field, fromText, text, item, min, max);
    to = boundValue(field, toText, text, item, min, max);
    if (from > to) {
      throw new CronSyntaxError(
        field,
        text,
        `the range of "${item}" starts after it ends (${from} > ${to})`,
      );
    }
  }
  const size = to - from + 1;
  if (stepText === undefined) return `${from + Math.floor(u * size)}${suffix ?? ''}`;
  const step = Number(stepText);
  if (step < 1) {
    throw new CronSyntaxError(field, text, `the step of "${item}" must be a positive whole number`);
  }
  const start = from + Math.floor(u * Math.min(step, size));
  return `${start}-${to}/${step}`;
}

function boundValue(
  field: CronFieldName,
  token: string,
  text: string,
  item: string,
  min: number,
  max: number,
): number {
  const lower = token.toLowerCase();
  let value: number;
  if (/^\d+$/.test(lower)) value = Number(lower);
  else if (field === 'month' && MONTH_NAMES.includes(lower)) value = MONTH_NAMES.indexOf(lower) + 1;
  else if (field === 'dayOfWeek' && WEEKDAY_NAMES.includes(lower))
    value = WEEKDAY_NAMES.indexOf(lower);
  else throw new CronSyntaxError(field, text, `"${token}" in "${item}" is not a ${field} value`);
  if (value < min || value > max) {
    throw new CronSyntaxError(
      field,
      text,
      `${value} in "${item}" is outside the allowed range ${min}-${max}`,
    );
  }
  return value;
}
