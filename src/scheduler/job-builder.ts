/**
 * Building jobs from what the job API was given: the options of `addJob`
 * (trigger arguments separated from job options, every value checked, the
 * defaults filled in) and the changes of `modifyJob`. Synchronous, and nothing
 * is stored here: a job that fails a check never reaches a store.
 */
import { randomBytes } from 'node:crypto';
import { firstUnknownKey, unknownOptionProblem } from '../config/suggest.ts';
import type { Executor } from '../executors/executor.ts';
import { InvalidJobOptionError } from '../jobs/errors.ts';
import {
  Job,
  type JobChanges,
  type JobFunction,
  type JobOwner,
  type JobState,
} from '../jobs/job.ts';
import {
  checkJobSetting,
  type DefaultableSetting,
  JOB_SETTING_NAMES,
  JOB_SETTINGS,
  type JobSettingName,
  type JobSettings,
} from '../jobs/job-fields.ts';
import {
  checkArgs,
  checkArity,
  checkBoolean,
  checkNextRunTime,
  checkString,
  checkTrigger,
  JOB_OPTION_KEYS,
} from '../jobs/options.ts';
import type { Zone } from '../time/zone.ts';
import type { TriggerAlias } from '../triggers/aliases.ts';
import { triggerFromJSON } from '../triggers/registry.ts';
import type { Trigger } from '../triggers/trigger.ts';
import { buildTrigger, TRIGGER_OPTION_NAMES, ZONED_ALIASES } from './trigger-aliases.ts';

/** A validated job, not yet in a store. */
export interface PreparedJob {
  state: JobState;
  jobstore: string;
  replaceExisting: boolean;
  /** The job options the caller gave (the others take the job defaults in force when the job is stored). */
  explicit: ReadonlySet<string>;
  /** True when the caller gave `nextRunTime`; otherwise the trigger computes it when the job is stored. */
  nextRunTimeGiven: boolean;
}

/** What building a job needs from its scheduler. */
export interface JobBuildContext {
  readonly owner: JobOwner;
  /** The scheduler's zone: the default of zoned trigger aliases. */
  zone(): Zone;
  /** The settings' defaults in force (`jobDefaults`). */
  jobDefaults(): Readonly<Pick<JobSettings, DefaultableSetting>>;
  /** The name `func` is registered under as a task, or null. */
  taskName(func: JobFunction): string | null;
  /** How a textual reference the application gave is stored (relative to the application root). */
  storedReference(reference: string): string;
  /** Throws UnknownAliasError unless the job may go to this store and run in this executor. */
  checkTargets(jobstore: string, executor: string): void;
  /** Throws UnknownAliasError unless a changed job may run in this executor. */
  checkExecutor(executor: string): void;
  executor(alias: string): Executor | undefined;
}

/** The arguments of every job added without `args`: one shared frozen array rather than one per job. */
const NO_ARGS: unknown[] = Object.freeze([]) as unknown as unknown[];

/** Ids are 32 hex digits from a pool of random bytes: cheaper than a UUID per job, and a flat string. */
let idPool: Buffer = Buffer.alloc(0);
let idOffset = 0;
function randomJobId(): string {
  if (idOffset + 16 > idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  const id = idPool.toString('hex', idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

/**
 * Checks the arguments of `addJob` and builds the job. A trigger alias takes
 * the options that are not job options as its arguments.
 *
 * @param reference the textual reference `func` was resolved from, if any
 * @throws InvalidJobOptionError, a trigger's error, or UnknownAliasError
 */
export function prepareJob(
  context: JobBuildContext,
  func: JobFunction,
  triggerArg: Trigger | string | null | undefined,
  options: Record<string, unknown>,
  reference?: string,
): PreparedJob {
  if (typeof options !== 'object' || options === null)
    throw new InvalidJobOptionError('options', 'options must be an object');
  const jobOptions: Record<string, unknown> = {};
  // A zoned alias's trigger takes the scheduler's zone unless the options give one.
  const triggerArgs: Record<string, unknown> =
    typeof triggerArg === 'string' && ZONED_ALIASES.has(triggerArg)
      ? { timezone: context.zone().name }
      : {};
  for (const key of Object.keys(options)) {
    const value = options[key];
    if (value === undefined) continue;
    if (JOB_OPTION_KEYS.has(key)) jobOptions[key] = value;
    else triggerArgs[key] = value;
  }
  const id = jobOptions.id === undefined ? randomJobId() : checkString('id', jobOptions.id);
  const trigger = forJob(triggerOf(context, triggerArg, triggerArgs), id);
  const funcRef = reference ?? context.taskName(func);
  const settings = {} as Record<JobSettingName, unknown>;
  for (const name of JOB_SETTING_NAMES) {
    const given = jobOptions[name];
    settings[name] =
      given === undefined
        ? defaultSetting(context, name, func, funcRef)
        : checkJobSetting(name, given);
  }
  const { name, executor } = settings as JobSettings;
  const args = jobOptions.args === undefined ? NO_ARGS : checkArgs(jobOptions.args);
  checkArity(func, args, () => `Job "${name}" (${id})`);
  const jobstore =
    jobOptions.jobstore === undefined ? 'default' : checkString('jobstore', jobOptions.jobstore);
  context.checkTargets(jobstore, executor);
  const replaceExisting =
    jobOptions.replaceExisting === undefined
      ? false
      : checkBoolean('replaceExisting', jobOptions.replaceExisting);
  const nextRunTimeGiven = jobOptions.nextRunTime !== undefined;
  const state: JobState = {
    id,
    func,
    funcRef,
    args,
    trigger,
    ...(settings as JobSettings),
    nextRunTime: nextRunTimeGiven ? checkNextRunTime(jobOptions.nextRunTime) : null,
  };
  validateForExecutor(context, state);
  return {
    state,
    jobstore,
    replaceExisting,
    explicit: new Set(Object.keys(jobOptions)),
    nextRunTimeGiven,
  };
}

function triggerOf(
  context: JobBuildContext,
  triggerArg: Trigger | string | null | undefined,
  triggerArgs: Record<string, unknown>,
): Trigger {
  if (typeof triggerArg === 'string') {
    checkAliasArguments(triggerArg, triggerArgs);
    return buildTrigger(triggerArg, triggerArgs, context.zone().name);
  }
  const extra = Object.keys(triggerArgs);
  if (extra.length > 0) {
    const name = extra[0] as string;
    throw new InvalidJobOptionError(
      name,
      unknownOptionProblem(
        name,
        [...JOB_OPTION_KEYS],
        `Unknown job option ${JSON.stringify(name)}${triggerArg ? ' (trigger arguments are only accepted with a trigger alias)' : ''}`,
      ),
    );
  }
  return triggerArg === undefined || triggerArg === null
    ? buildTrigger('date', {}, context.zone().name)
    : checkTrigger(triggerArg);
}

/**
 * A job's first run time when the caller gave none: the trigger's first fire
 * time from `now`. A trigger that never fires (`0 0 30 2 *`, a year or an end
 * date in the past) is refused rather than added as a job that silently never
 * runs; whoever wants a paused job says so with `nextRunTime: null`.
 *
 * @throws InvalidJobOptionError naming the trigger
 */
export function firstRunTime(trigger: Trigger, now: number): Date {
  const first = trigger.getNextFireTime(null, new Date(now));
  if (first === null) {
    throw new InvalidJobOptionError(
      'trigger',
      `The trigger never fires: ${String(trigger)} has no fire time after ${new Date(now).toISOString()}; check its fields and dates, or pass nextRunTime: null to add the job paused on purpose`,
    );
  }
  return first;
}

/**
 * {@link firstRunTime}'s refusal for a job whose first run time is computed
 * later (added before `start()`): asked of a copy, since a trigger may fix its
 * state on its first call (an interval's grid, "run once, now"). A trigger that
 * cannot be copied (a custom type that is not registered) is not checked.
 *
 * @throws InvalidJobOptionError naming the trigger
 */
export function checkFiresSometime(trigger: Trigger, now: number): void {
  let copy: Trigger;
  try {
    copy = triggerFromJSON(trigger.toJSON());
  } catch {
    return;
  }
  firstRunTime(copy, now);
}

/** The trigger bound to its job (hashed cron fields take the job id as their seed). */
export function forJob(trigger: Trigger, jobId: string): Trigger {
  return trigger.forJob?.(jobId) ?? trigger;
}

/**
 * An option of `addJob` with a trigger alias that is neither a job option nor
 * an argument of the alias's trigger is reported as an option of the job —
 * with a suggestion from both lists (`misfire_grace_time` → `misfireGraceTime`,
 * `secnds` → `seconds`) — not blamed on the trigger.
 */
function checkAliasArguments(alias: string, triggerArgs: Record<string, unknown>): void {
  if (!Object.hasOwn(TRIGGER_OPTION_NAMES, alias)) return; // buildTrigger names the unknown alias
  const triggerOptions = TRIGGER_OPTION_NAMES[alias as TriggerAlias];
  const name = firstUnknownKey(triggerArgs, triggerOptions);
  if (name === undefined) return;
  throw new InvalidJobOptionError(
    name,
    unknownOptionProblem(
      name,
      [...JOB_OPTION_KEYS, ...triggerOptions.filter((option) => option !== 'random')],
      `Unknown option ${JSON.stringify(name)} for a job with the '${alias}' trigger`,
    ),
  );
}

/** A setting the caller did not give: the name from the function, else `jobDefaults`, else the built-in default. */
function defaultSetting(
  context: JobBuildContext,
  name: JobSettingName,
  func: JobFunction,
  funcRef: string | null,
): unknown {
  if (name === 'name') return func.name || funcRef || JOB_SETTINGS.name.default;
  const defaults = context.jobDefaults();
  if (Object.hasOwn(defaults, name)) return defaults[name as DefaultableSetting];
  return JOB_SETTINGS[name].default;
}

/** A job's state with the job defaults in force now for the settings the caller did not give. */
export function withCurrentDefaults(
  state: JobState,
  explicit: ReadonlySet<string>,
  jobDefaults: Readonly<Pick<JobSettings, DefaultableSetting>>,
): JobState {
  const updated: Record<string, unknown> = { ...state };
  for (const name of Object.keys(jobDefaults) as DefaultableSetting[]) {
    if (!explicit.has(name)) updated[name] = jobDefaults[name];
  }
  return updated as unknown as JobState;
}

/**
 * The state of `job` with `changes` applied, every changed value checked.
 * @param resolvedFunc the function a string `changes.func` resolved to
 */
export function applyChanges(
  context: JobBuildContext,
  job: Job,
  changes: JobChanges,
  resolvedFunc: JobFunction | undefined,
): JobState {
  const state = job.state();
  const settings = state as unknown as Record<JobSettingName, unknown>;
  for (const name of JOB_SETTING_NAMES) {
    if (changes[name] !== undefined) settings[name] = checkJobSetting(name, changes[name]);
  }
  if (changes.func !== undefined) {
    if (resolvedFunc !== undefined) {
      state.func = resolvedFunc;
      state.funcRef = context.storedReference(changes.func as string);
    } else if (typeof changes.func === 'function') {
      state.func = changes.func;
      state.funcRef = context.taskName(changes.func);
    } else {
      throw new InvalidJobOptionError(
        'func',
        'func must be a function, a reference or a task name',
      );
    }
  }
  if (changes.args !== undefined) state.args = checkArgs(changes.args);
  if (changes.func !== undefined || changes.args !== undefined)
    checkArity(state.func, state.args, () => `Job "${state.name}" (${state.id})`);
  if (changes.trigger !== undefined)
    state.trigger = forJob(checkTrigger(changes.trigger), state.id);
  if (changes.executor !== undefined) context.checkExecutor(state.executor);
  if (changes.nextRunTime !== undefined) state.nextRunTime = checkNextRunTime(changes.nextRunTime);
  validateForExecutor(context, state);
  return state;
}

/** Lets the job's executor refuse it (a pool executor needs a textual reference). */
function validateForExecutor(context: JobBuildContext, state: JobState): void {
  const executor = context.executor(state.executor);
  executor?.validateJob?.(new Job(context.owner, state, null));
}
