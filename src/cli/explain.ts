/**
 * Cron expressions in words, for `horarium next`: "at 02:30 every day",
 * "every 15 minutes on Monday through Friday", "at 09:00 on the last day of
 * the month". The description covers the common forms; anything unusual is
 * quoted as it is rather than guessed at. Hashed fields (`H`) are described by
 * the values they resolve to (the caller passes the resolved fields).
 */
import type { CronSyntax } from '../triggers/cron/expressions.ts';
import type { CronFieldName } from '../triggers/cron/fields.ts';

type Fields = Readonly<Record<CronFieldName, string>>;

const BOUNDS: Readonly<Record<CronFieldName, readonly [number, number]>> = {
  year: [1970, 9999],
  month: [1, 12],
  day: [1, 31],
  week: [1, 53],
  dayOfWeek: [0, 6],
  hour: [0, 23],
  minute: [0, 59],
  second: [0, 59],
};
/** Stepped ranges with at most this many values are described as a list of their values. */
const MAX_LISTED = 12;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const SHORT_MONTHS = MONTHS.map((m) => m.slice(0, 3).toLowerCase());
const SHORT_WEEKDAYS = WEEKDAYS.map((d) => d.slice(0, 3).toLowerCase());
const ORDINAL_WORDS: Readonly<Record<string, string>> = {
  '1': 'first',
  '2': 'second',
  '3': 'third',
  '4': 'fourth',
  '5': 'fifth',
  '1st': 'first',
  '2nd': 'second',
  '3rd': 'third',
  '4th': 'fourth',
  '5th': 'fifth',
  last: 'last',
};

const pad = (n: number): string => String(n).padStart(2, '0');
const isNumber = (text: string): boolean => /^\d+$/.test(text);

/** "a", "a and b", "a, b and c". */
export function joinWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

function monthName(value: string): string {
  const index = isNumber(value) ? Number(value) - 1 : SHORT_MONTHS.indexOf(value.toLowerCase());
  return MONTHS[index] ?? value;
}

function weekdayName(value: string): string {
  const index = isNumber(value) ? Number(value) % 7 : SHORT_WEEKDAYS.indexOf(value.toLowerCase());
  return WEEKDAYS[index] ?? value;
}

/** One comma-separated item of a field as words, with `name` turning a value into words. */
function item(part: string, name: (v: string) => string, unit: string): string | null {
  const step = /^(?:\*|\?)\/(\d+)$/.exec(part);
  if (step !== null) return `every ${ordinal(Number(step[1]))} ${unit}`;
  const range = /^([a-z0-9]+)-([a-z0-9]+)(?:\/(\d+))?$/i.exec(part);
  if (range !== null) {
    const span = `${name(range[1] as string)} through ${name(range[2] as string)}`;
    return range[3] === undefined
      ? span
      : `every ${ordinal(Number(range[3]))} ${unit} from ${span}`;
  }
  const from = /^([a-z0-9]+)\/(\d+)$/i.exec(part);
  if (from !== null)
    return `every ${ordinal(Number(from[2]))} ${unit} from ${name(from[1] as string)}`;
  if (/^[a-z0-9]+$/i.test(part)) return name(part);
  return null;
}

/** A whole field as words, or null when it has a form this module does not describe. */
function list(text: string, name: (v: string) => string, unit: string): string | null {
  const parts = text.split(',').map((p) => p.trim());
  const words = parts.map((p) => item(p, name, unit));
  return words.some((w) => w === null) ? null : joinWords(words as string[]);
}

/** The time of day: "at 02:30", "every 15 minutes", "at minute 5 past every hour". */
function describeTime(f: Fields): string {
  const { hour, minute, second } = f;
  const sec = isNumber(second) ? Number(second) : null;
  const clock = (h: number, m: number): string =>
    `${pad(h)}:${pad(m)}${sec !== null && sec !== 0 ? `:${pad(sec)}` : ''}`;
  const hours = hour.split(',');
  if (sec !== null && isNumber(minute) && hours.every(isNumber) && hours.length <= 6) {
    return `at ${joinWords(hours.map((h) => clock(Number(h), Number(minute))))}`;
  }
  let minuteWords: string;
  if (minute === '*') minuteWords = 'every minute';
  else if (/^\*\/\d+$/.test(minute)) minuteWords = `every ${Number(minute.slice(2))} minutes`;
  else if (isNumber(minute)) minuteWords = `at minute ${Number(minute)}`;
  else
    minuteWords = `at minutes ${list(minute, (m) => String(Number(m)), 'minute') ?? `'${minute}'`}`;
  let secondWords = '';
  if (second === '*') secondWords = 'every second';
  else if (/^\*\/\d+$/.test(second)) secondWords = `every ${Number(second.slice(2))} seconds`;
  else if (sec === null) secondWords = `at seconds '${second}'`;
  else if (sec !== 0) secondWords = `at second ${sec}`;
  if (secondWords !== '' && minute === '*') minuteWords = '';
  const every = (secondWords || minuteWords).startsWith('every');
  const range = /^(\d+)-(\d+)$/.exec(hour);
  let hourWords: string;
  if (hour === '*') hourWords = every ? '' : 'past every hour';
  else if (/^\*\/\d+$/.test(hour)) {
    const n = Number(hour.slice(2));
    hourWords = `${every ? 'in' : 'past'} every ${n === 2 ? 'other' : ordinal(n)} hour`;
  } else if (isNumber(hour)) hourWords = `from ${pad(Number(hour))}:00 to ${pad(Number(hour))}:59`;
  else if (range !== null)
    hourWords = `from ${pad(Number(range[1]))}:00 to ${pad(Number(range[2]))}:59`;
  else hourWords = `during hours ${list(hour, (h) => String(Number(h)), 'hour') ?? `'${hour}'`}`;
  return [secondWords, minuteWords, hourWords].filter((w) => w !== '').join(' ');
}

/** The day of month part, or null when unrestricted. */
function describeDay(day: string): string | null {
  if (day === '*' || day === '?') return null;
  const parts = day.split(',').map((p) => p.trim());
  const words = parts.map((part) => {
    const lower = part.toLowerCase();
    if (lower === 'last' || lower === 'l') return 'the last day of the month';
    if (lower === 'lw' || lower === 'wl') return 'the last weekday of the month';
    const beforeLast = /^l-(\d+)(w?)$/.exec(lower);
    if (beforeLast !== null) {
      const n = Number(beforeLast[1]);
      const day =
        n === 0 ? 'the last day' : `the day ${n === 1 ? '' : `${n} days `}before the last day`;
      return `${beforeLast[2] === 'w' ? 'the weekday nearest ' : ''}${day} of the month`;
    }
    const nearest = /^(\d+)w$/.exec(lower);
    if (nearest !== null) return `the weekday nearest the ${ordinal(Number(nearest[1]))}`;
    const nth = /^(1st|2nd|3rd|4th|5th|last)\s+([a-z]+)$/.exec(lower);
    if (nth !== null)
      return `the ${ORDINAL_WORDS[nth[1] as string]} ${weekdayName(nth[2] as string)} of the month`;
    const plain = item(part, (v) => ordinal(Number(v)), 'day');
    return plain === null ? null : `the ${plain}`;
  });
  if (words.some((w) => w === null)) return `days '${day}'`;
  const text = joinWords(words as string[]);
  return text.endsWith('of the month') ? text : `${text} of the month`;
}

/** The day of week part, or null when unrestricted. */
function describeWeekday(dow: string): string | null {
  if (dow === '*' || dow === '?') return null;
  const parts = dow.split(',').map((p) => p.trim());
  const words = parts.map((part) => {
    const lower = part.toLowerCase();
    const nth = /^([a-z]+|\d+)(?:-([a-z]+|\d+))?(#\d|#l|l)$/.exec(lower);
    if (nth !== null) {
      const which = nth[3] === 'l' || nth[3] === '#l' ? 'last' : (nth[3] as string).slice(1);
      const names = weekdayRange(nth[1] as string, nth[2]);
      return `the ${ORDINAL_WORDS[which] ?? which} ${joinWords(names)} of the month`;
    }
    return item(part, weekdayName, 'weekday');
  });
  if (words.some((w) => w === null)) return `weekdays '${dow}'`;
  return joinWords(words as string[]);
}

/** The weekday names of `from` or of the range from…to, which may wrap (fri-mon). */
function weekdayRange(from: string, to: string | undefined): string[] {
  const index = (v: string): number =>
    isNumber(v) ? Number(v) % 7 : SHORT_WEEKDAYS.indexOf(v.toLowerCase());
  const first = index(from);
  if (to === undefined || first < 0) return [weekdayName(from)];
  const last = index(to);
  if (last < 0) return [weekdayName(from), weekdayName(to)];
  const names: string[] = [];
  for (let d = first; ; d = (d + 1) % 7) {
    names.push(WEEKDAYS[d] as string);
    if (d === last || names.length === 7) break;
  }
  return names;
}

/** The days: "every day", "on Monday through Friday", "on the 1st and 15th". */
function describeDays(f: Fields, dayMatching: 'and' | 'or'): string {
  const day = describeDay(f.day);
  const dow = describeWeekday(f.dayOfWeek);
  let days: string;
  if (day === null && dow === null) days = 'every day';
  else if (day === null) days = `on ${dow}`;
  else if (dow === null) days = `on ${day}`;
  else days = dayMatching === 'or' ? `on ${day} or on ${dow}` : `on ${day} if it is ${dow}`;
  const extra: string[] = [];
  if (f.week !== '*') extra.push(`in ISO week ${list(f.week, (w) => w, 'week') ?? `'${f.week}'`}`);
  if (f.month !== '*') {
    const months = list(f.month, monthName, 'month') ?? `'${f.month}'`;
    extra.push(`in ${months}`);
  }
  if (f.year !== '*') extra.push(`in ${list(f.year, (y) => y, 'year') ?? `'${f.year}'`}`);
  return [days, ...extra].join(' ');
}

/** A cron trigger's fields (after defaulting, with `H` resolved) in words. */
export function describeCron(
  fields: Fields,
  dayMatching: 'and' | 'or',
  syntax: CronSyntax = 'fields',
): string {
  const plain = normalize(fields, syntax);
  const days = describeDays(plain, dayMatching);
  // "every 15 minutes", not "every 15 minutes every day".
  if (days === 'every day' && plain.hour.includes('*')) return describeTime(plain);
  return `${describeTime(plain)} ${days}`;
}

/**
 * The fields in the describer's plainest terms: `?` as `*`; a stepped item
 * that does not start with `*` (or one whose step leaves a single value, as
 * `*∕60`) as the list of its values, when short: `10-59/15` → `10,25,40,55`,
 * crontab weekdays `1/2` → `1,3,5,7`.
 */
function normalize(fields: Fields, syntax: CronSyntax): Fields {
  const out = { ...fields };
  for (const field of Object.keys(out) as CronFieldName[]) {
    out[field] = out[field]
      .split(',')
      .map((raw) => {
        const item = raw.trim().replace(/^\?/, '*');
        return field === 'year' || field === 'week' ? item : listStep(field, item, syntax);
      })
      .join(',');
  }
  return out;
}

function listStep(field: CronFieldName, item: string, syntax: CronSyntax): string {
  const step = /^(\*|\d+|[a-z]+)(?:-(\d+|[a-z]+))?\/(\d+)$/i.exec(item);
  if (step === null) return item;
  const [min, max] = BOUNDS[field];
  const value = (token: string): number => {
    if (isNumber(token)) return Number(token);
    if (field === 'month') return SHORT_MONTHS.indexOf(token.toLowerCase()) + 1;
    if (field === 'dayOfWeek') return SHORT_WEEKDAYS.indexOf(token.toLowerCase());
    return Number.NaN;
  };
  const star = step[1] === '*';
  const from = star ? min : value(step[1] as string);
  let to = max;
  if (step[2] !== undefined) to = value(step[2]);
  else if (!star && field === 'dayOfWeek' && syntax === 'crontab') to = 7;
  const by = Number(step[3]);
  if (Number.isNaN(from) || Number.isNaN(to) || by < 1) return item;
  const span = field === 'dayOfWeek' && to < from ? to + 7 - from : to - from;
  if (star && by <= span) return item; // "every 15 minutes"
  const values: number[] = [];
  for (let i = 0; i <= span; i += by) {
    const v = field === 'dayOfWeek' && from + i > 7 ? (from + i) % 7 : from + i;
    if (!values.includes(v)) values.push(v);
  }
  return values.length <= MAX_LISTED ? values.join(',') : item;
}
