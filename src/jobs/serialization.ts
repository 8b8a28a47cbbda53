/**
 * The job state document of persistent job stores: versioned JSON holding the
 * job's textual function reference, its arguments (through the value codec),
 * its trigger state, its options and its next run time.
 *
 * ```json
 * {
 *   "version": 1,
 *   "id": "nightly-report",
 *   "name": "send",
 *   "funcRef": "./jobs/report.js:send",
 *   "args": ["ops@example.com", {"$t": "Date", "v": "2025-01-01T00:00:00.000Z"}],
 *   "trigger": {"type": "cron", "version": 1, "hour": "3", …},
 *   "executor": "default",
 *   "coalesce": true,
 *   "maxInstances": 1,
 *   "misfireGraceTime": 1,
 *   "timeout": null,
 *   "nextRunTime": "2025-01-02T03:00:00.000Z"
 * }
 * ```
 *
 * Functions are never stored: restoring a job resolves `funcRef` through a
 * resolver the caller injects, so this module imports no user code.
 */

import { triggerFromJSON } from '../triggers/registry.ts';
import type { Trigger, TriggerJSON } from '../triggers/trigger.ts';
// The built-in triggers register their restorers when loaded.
import '../triggers/calendar-interval.ts';
import '../triggers/combining.ts';
import '../triggers/cron/cron-trigger.ts';
import '../triggers/date.ts';
import '../triggers/interval.ts';
import { isoInstant } from '../time/format.ts';
import { decodeValue, encodeValue, encodeValueToJson, type JsonValue } from './codec.ts';
import { DeserializationError, SerializationError } from './errors.ts';
import type { JobFunction, JobState } from './job.ts';
import { JOB_SETTING_NAMES, JOB_SETTINGS, type JobSettings, settingProblem } from './job-fields.ts';
import type { OverlapPolicy, RetryPolicy } from './retry.ts';

/** The newest job state document version this Horarium writes and reads. */
export const JOB_STATE_VERSION = 1;

/** The stored form of a job (version 1). */
export interface JobDocument {
  version: number;
  id: string;
  name: string;
  funcRef: string;
  /** The job's arguments, encoded with `encodeValue`. */
  args: JsonValue;
  trigger: TriggerJSON;
  executor: string;
  coalesce: boolean;
  maxInstances: number;
  misfireGraceTime: number | null;
  timeout: number | null;
  /** Run a fire again when the node running it died; written only when true. */
  recover?: boolean;
  /** The exclusion calendar's name; written only when the job has one. */
  calendar?: string;
  /** Which of its fires the history keeps; written only when not `'all'`. */
  history?: 'failures' | 'off';
  /** Run a failed fire again after a backoff; written only when set. */
  retry?: RetryPolicy | null;
  /** What a fire does at `maxInstances`; written only when not 'skip'. */
  overlap?: OverlapPolicy;
  /** ISO 8601 instant in UTC; null when paused. */
  nextRunTime: string | null;
}

/** A restored job whose function is not resolved yet (for resolvers that are asynchronous). */
export type UnresolvedJobState = Omit<JobState, 'func' | 'funcRef'> & { funcRef: string };

function quoteId(id: string): string {
  return `'${id}'`;
}

/** Throws the error of a job that cannot be stored. */
function cannotStore(id: string, reason: string, path: string | null, cause?: unknown): never {
  throw new SerializationError(
    `job ${quoteId(id)} cannot be stored: ${reason}`,
    { path, jobId: id },
    cause === undefined ? undefined : { cause },
  );
}

function checkFuncRef(job: JobState): string {
  if (typeof job.funcRef !== 'string' || job.funcRef === '') {
    const fn = typeof job.func === 'function' && job.func.name ? ` (${job.func.name})` : '';
    cannotStore(
      job.id,
      `its function${fn} has no textual reference ('module:export' or a registered task name); ` +
        "pass it as a reference such as './tasks.js:send', register it with registerTask(name, fn), or keep the job in a memory job store",
      'funcRef',
    );
  }
  return job.funcRef as string;
}

/** Runs `encode` on the job's arguments, naming the job in its error. */
function encodeArgs<T>(job: JobState, encode: (value: unknown, path: string) => T): T {
  try {
    return encode(job.args, 'args');
  } catch (error) {
    if (error instanceof SerializationError)
      return cannotStore(job.id, error.message, error.path, error);
    throw error;
  }
}

/** Runs `read` on the job's trigger, naming the job in the error of a state that cannot be serialized. */
function readTrigger<T>(job: JobState, read: (trigger: Trigger) => T): T {
  try {
    return read(job.trigger);
  } catch (error) {
    return cannotStore(
      job.id,
      `its trigger state cannot be serialized: ${error instanceof Error ? error.message : String(error)}`,
      'trigger',
      error,
    );
  }
}

/** The trigger's state, proven to survive JSON (no BigInts, no cycles). */
function triggerState(trigger: Trigger): TriggerJSON {
  const state = trigger.toJSON();
  JSON.stringify(state);
  return state;
}

/** The JSON text of the trigger's state (undefined when `toJSON` returns nothing JSON can hold). */
function triggerText(trigger: Trigger): string | undefined {
  return JSON.stringify(trigger.toJSON());
}

function nextRunTimeText(job: JobState): string | null {
  const next = job.nextRunTime;
  if (next === null) return null;
  const time = next instanceof Date ? next.getTime() : Number.NaN;
  if (Number.isNaN(time)) cannotStore(job.id, 'its nextRunTime is not a valid Date', 'nextRunTime');
  return isoInstant(time);
}

/**
 * The document of a job.
 *
 * @throws SerializationError when the job has no textual function reference,
 *   when its arguments hold a value the codec cannot represent, or when its
 *   trigger state or next run time is not serializable.
 *
 * @example
 * ```ts
 * jobToDocument(job);
 * // { version: 1, id: 'nightly-report', name: 'send', funcRef: 'send',
 * //   args: ['ops@example.com', { $t: 'Date', v: '1970-01-01T00:00:00.000Z' }],
 * //   trigger: { type: 'cron', version: 1, … }, executor: 'default', …, nextRunTime: null }
 * ```
 */
export function jobToDocument(job: JobState): JobDocument {
  const funcRef = checkFuncRef(job);
  const args = encodeArgs(job, encodeValue);
  const trigger = readTrigger(job, triggerState);
  const document: Record<string, unknown> = { version: JOB_STATE_VERSION, id: job.id };
  // The settings in their declared order, between the structural fields, as serializeJob writes them.
  document.name = job.name;
  document.funcRef = funcRef;
  document.args = args;
  document.trigger = trigger;
  for (const name of JOB_SETTING_NAMES) {
    if (name === 'name') continue;
    const spec = JOB_SETTINGS[name];
    // A setting added after the first format is written only when it differs from its default,
    // so that a job that does not use it is stored exactly as before.
    if (spec.optionalInDocument === true && (job[name] ?? spec.default) === spec.default) continue;
    document[name] = job[name];
  }
  document.nextRunTime = nextRunTimeText(job);
  return document as unknown as JobDocument;
}

/** The JSON text of a number option or null, as `JSON.stringify` writes it inside the document. */
function numberOrNullJson(value: number | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/**
 * `JSON.stringify(text)`, remembering the last text: most jobs share their
 * function reference, name and executor with the job stored before them.
 */
class JsonStringMemo {
  #text = '';
  #json = '""';

  of(text: string): string {
    if (text !== this.#text) {
      this.#json = JSON.stringify(text);
      this.#text = text;
    }
    return this.#json;
  }
}

const funcRefJson = new JsonStringMemo();
const nameJson = new JsonStringMemo();
const executorJson = new JsonStringMemo();

/**
 * The job state document as JSON text: `JSON.stringify(jobToDocument(job))`,
 * the same text, written field by field (the trigger state is made JSON once,
 * and flat argument lists skip the codec's tree). Call it when a job is added,
 * so that a job that cannot be stored fails at `addJob`.
 *
 * @throws SerializationError as {@link jobToDocument}.
 *
 * @example
 * ```ts
 * // In a store's addJob: the text to store beside the job's next run time.
 * await db.insert({ id: job.id, nextRunTime: job.nextRunTimeMs, state: serializeJob(job) });
 * ```
 */
export function serializeJob(job: JobState): string {
  const {
    id,
    name,
    executor,
    coalesce,
    maxInstances,
    misfireGraceTime,
    timeout,
    recover,
    history,
  } = job;
  const retry = job.retry ?? null;
  const overlap = job.overlap ?? 'skip';
  const funcRef = checkFuncRef(job);
  const args = encodeArgs(job, encodeValueToJson);
  const trigger = readTrigger(job, triggerText);
  const nextRunTime = nextRunTimeText(job);
  if (
    typeof id !== 'string' ||
    typeof name !== 'string' ||
    typeof executor !== 'string' ||
    typeof coalesce !== 'boolean' ||
    typeof maxInstances !== 'number' ||
    (misfireGraceTime !== null && typeof misfireGraceTime !== 'number') ||
    (timeout !== null && typeof timeout !== 'number') ||
    typeof recover !== 'boolean' ||
    (history !== 'all' && history !== 'failures' && history !== 'off') ||
    (retry !== null && typeof retry !== 'object') ||
    typeof overlap !== 'string' ||
    trigger === undefined
  ) {
    // Fields of other types (possible only from untyped code) are left to JSON.stringify.
    return JSON.stringify(jobToDocument(job));
  }
  return (
    `{"version":${JOB_STATE_VERSION},"id":${JSON.stringify(id)},"name":${nameJson.of(name)}` +
    `,"funcRef":${funcRefJson.of(funcRef)},"args":${args},"trigger":${trigger}` +
    `,"executor":${executorJson.of(executor)},"coalesce":${coalesce ? 'true' : 'false'}` +
    `,"maxInstances":${JSON.stringify(maxInstances)}` +
    `,"misfireGraceTime":${numberOrNullJson(misfireGraceTime)},"timeout":${numberOrNullJson(timeout)}` +
    (recover ? ',"recover":true' : '') +
    (typeof job.calendar === 'string' ? `,"calendar":${JSON.stringify(job.calendar)}` : '') +
    (history === 'all' ? '' : `,"history":"${history}"`) +
    (retry === null ? '' : `,"retry":${JSON.stringify(retry)}`) +
    (overlap === 'skip' ? '' : `,"overlap":${JSON.stringify(overlap)}`) +
    `,"nextRunTime":${nextRunTime === null ? 'null' : `"${nextRunTime}"`}}`
  );
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * Validates a parsed job state document and restores everything but the
 * function: the arguments, the trigger, the options and the next run time.
 *
 * @throws DeserializationError naming the job and the field at fault.
 *
 * @example
 * ```ts
 * const state = readJobDocument(JSON.parse(text));
 * state.funcRef; // 'send': a store never imports it; the scheduler resolves it (`context.restoreJob`)
 * ```
 */
export function readJobDocument(document: unknown): UnresolvedJobState {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    throw new DeserializationError(
      `a stored job state must be a JSON object, not ${kindOf(document)}`,
    );
  const doc = document as Record<string, unknown>;
  const field = (key: string): unknown => (Object.hasOwn(doc, key) ? doc[key] : undefined);

  const id = field('id');
  if (typeof id !== 'string')
    throw new DeserializationError(
      `a stored job state has no valid id: field "id" is ${kindOf(id)}, not a string`,
      { path: 'id' },
    );
  const fail = (path: string, reason: string, cause?: unknown): never => {
    throw new DeserializationError(
      `job ${quoteId(id)} cannot be restored: ${reason}`,
      { path, jobId: id },
      cause === undefined ? undefined : { cause },
    );
  };
  const wrongType = (key: string, expected: string, value: unknown): never =>
    fail(key, `field "${key}" must be ${expected}, not ${kindOf(value)}`);

  const version = field('version');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    wrongType('version', 'a positive integer', version);
  if ((version as number) > JOB_STATE_VERSION)
    fail(
      'version',
      `it was stored in job state version ${String(version)} by a newer Horarium; this version reads up to version ${JOB_STATE_VERSION}`,
    );

  const str = (key: string): string => {
    const value = field(key);
    if (typeof value !== 'string' || value === '')
      return wrongType(key, 'a non-empty string', value);
    return value;
  };
  const funcRef = str('funcRef');
  const settings: Record<string, unknown> = {};
  for (const name of JOB_SETTING_NAMES) {
    const value = field(name);
    const problem = settingProblem(name, value);
    if (problem !== undefined) fail(name, `${problem}, not ${kindOf(value)}`);
    // A setting that is absent and null by default (a job without a calendar) stays absent.
    const spec = JOB_SETTINGS[name];
    if (value === undefined && spec.optionalInDocument === true && spec.default === null) continue;
    settings[name] = value === undefined ? JOB_SETTINGS[name].default : value;
  }

  const rawNext = field('nextRunTime');
  let nextRunTime: Date | null = null;
  if (rawNext !== null) {
    if (typeof rawNext !== 'string')
      return wrongType('nextRunTime', 'an ISO 8601 string or null', rawNext);
    nextRunTime = new Date(rawNext);
    if (Number.isNaN(nextRunTime.getTime()) || !/(?:Z|[+-]\d{2}:\d{2})$/.test(rawNext))
      fail(
        'nextRunTime',
        `field "nextRunTime" is not an ISO 8601 instant with an offset: ${JSON.stringify(rawNext)}`,
      );
  }

  const rawArgs = field('args');
  if (!Array.isArray(rawArgs)) return wrongType('args', 'an array', rawArgs);
  let args: unknown[];
  try {
    args = decodeValue(rawArgs, 'args') as unknown[];
  } catch (error) {
    if (error instanceof DeserializationError)
      return fail(error.path ?? 'args', error.message, error);
    throw error;
  }

  const rawTrigger = field('trigger');
  if (typeof rawTrigger !== 'object' || rawTrigger === null || Array.isArray(rawTrigger))
    return wrongType('trigger', 'an object', rawTrigger);
  let trigger: Trigger;
  try {
    trigger = triggerFromJSON(rawTrigger);
  } catch (error) {
    return fail(
      'trigger',
      `field "trigger": ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }

  return { id, funcRef, args, trigger, nextRunTime, ...(settings as JobSettings) };
}

/**
 * Parses job state text and restores everything but the function.
 *
 * @throws DeserializationError when the text is not JSON or the document is invalid.
 *
 * @example
 * ```ts
 * parseJobState(serializeJob(job)).args; // ['ops@example.com', new Date(0)]
 * ```
 */
export function parseJobState(text: string): UnresolvedJobState {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new DeserializationError(
      `a stored job state is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      {},
      { cause: error },
    );
  }
  return readJobDocument(document);
}

/**
 * Restores a job state from its JSON text, resolving its function reference
 * with `resolve` (which may throw, e.g. a `JobReferenceError`).
 *
 * @throws DeserializationError when the text or document is invalid or the
 *   function reference cannot be resolved (the resolver's error is the `cause`).
 */
export function deserializeJob(text: string, resolve: (funcRef: string) => JobFunction): JobState {
  const state = parseJobState(text);
  let func: JobFunction;
  try {
    func = resolve(state.funcRef);
  } catch (error) {
    throw new DeserializationError(
      `job ${quoteId(state.id)} cannot be restored: its function reference ${JSON.stringify(state.funcRef)} cannot be resolved: ${error instanceof Error ? error.message : String(error)}`,
      { path: 'funcRef', jobId: state.id },
      { cause: error },
    );
  }
  if (typeof func !== 'function')
    throw new DeserializationError(
      `job ${quoteId(state.id)} cannot be restored: its function reference ${JSON.stringify(state.funcRef)} resolved to ${kindOf(func)}, not a function`,
      { path: 'funcRef', jobId: state.id },
    );
  return { ...state, func };
}
