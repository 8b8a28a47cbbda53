/**
 * Unknown option names: what the user probably meant. Every option of every
 * store, executor, trigger and job is checked against its known names, and an
 * unknown one is reported with a suggestion — for typos (`secnds` →
 * `seconds`), for APScheduler's snake_case spellings (`misfire_grace_time` →
 * `misfireGraceTime`, `max_workers` → `maxWorkers`) and for APScheduler
 * options that have no counterpart (`kwargs`), so that a configuration ported
 * from Python never has a setting silently ignored.
 */
import { ConfigurationError } from './errors.ts';

/** APScheduler names that do not map to a Horarium option by spelling alone, with what to do instead. */
const FOREIGN_NAMES: Readonly<Record<string, string>> = {
  kwargs: 'Horarium passes positional arguments only: pass the values in "args"',
  trigger_args: "pass the trigger's arguments among the options of addJob, or pass a Trigger",
  pickle_protocol: 'jobs are stored as JSON, not pickled',
  pool_kwargs: 'give the pool options directly in the executor entry',
  engine: 'give a "url", or a Kysely instance as "db"',
  engine_options: 'give a "url", or a Kysely instance as "db"',
  class: 'register the class with a type name and use "type"',
};

/** `misfire_grace_time` → `misfireGraceTime`. */
function camelCase(name: string): string {
  return name.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Lower case without separators, so that `Max_Workers` and `maxWorkers` compare equal. */
function squash(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, '');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known name `name` most likely means: its camelCase form, the same name
 * with other case or separators, or the closest name within two edits.
 */
export function suggestName(name: string, known: readonly string[]): string | undefined {
  const camel = camelCase(name);
  if (known.includes(camel)) return camel;
  const squashed = squash(name);
  let best: string | undefined;
  let bestDistance = 3; // suggest only within two edits
  for (const candidate of known) {
    const distance = editDistance(squashed, squash(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * What to say about an unknown option `name`: `<subject> (did you mean "x"?);
 * known: a, b, c`. `subject` is how the caller names it, e.g. `unknown
 * IntervalTrigger option "secnds"`, or just `unknown job default` where the
 * error already starts with the key.
 */
export function unknownOptionProblem(
  name: string,
  known: readonly string[],
  subject: string,
): string {
  const foreign = Object.hasOwn(FOREIGN_NAMES, name) ? FOREIGN_NAMES[name] : undefined;
  const suggestion = foreign === undefined ? suggestName(name, known) : undefined;
  const advice =
    foreign !== undefined
      ? ` (${foreign})`
      : suggestion !== undefined
        ? ` (did you mean "${suggestion}"?)`
        : '';
  const list = known.length === 0 ? 'it takes no options' : `known: ${known.join(', ')}`;
  return `${subject}${advice}; ${list}`;
}

/** The first key of `options` that is not in `known` (undefined values count as not given), or undefined. */
export function firstUnknownKey(
  options: Readonly<Record<string, unknown>>,
  known: ReadonlySet<string> | readonly string[],
): string | undefined {
  const has = Array.isArray(known)
    ? (key: string) => (known as readonly string[]).includes(key)
    : (key: string) => (known as ReadonlySet<string>).has(key);
  for (const key of Object.keys(options)) {
    if (options[key] !== undefined && !has(key)) return key;
  }
  return undefined;
}

/**
 * Refuses an options object with a name outside `known`: a ConfigurationError
 * whose key is `key.name` (or `name` alone when `key` is empty), whose
 * message suggests the known name closest to it (`did you mean "x"?`) and
 * lists the known names. `what` names the owner's options, e.g.
 * `'threadpool executor option'`.
 *
 * @example
 * ```ts
 * checkOptionNames('jobstores.main', { url: 'file:jobs', tabel: 'jobs' }, ['url', 'table'], 'file job store option');
 * // ConfigurationError: jobstores.main.tabel: unknown file job store option (did you mean "table"?); known: url, table
 * ```
 */
export function checkOptionNames(
  key: string,
  options: Readonly<Record<string, unknown>>,
  known: readonly string[],
  what: string,
): void {
  const name = firstUnknownKey(options, known);
  if (name === undefined) return;
  throw new ConfigurationError(
    key === '' ? name : `${key}.${name}`,
    unknownOptionProblem(name, known, `unknown ${what}`),
  );
}
