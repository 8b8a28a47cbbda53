/**
 * The option types of the job API: what `addJob`, `scheduledJob` and
 * `start()` take. Their checks live in `job-builder.ts` and `jobs/job-fields.ts`.
 */
import type { JobFunction } from '../jobs/job.ts';
import type { FireHistory } from '../jobs/job-fields.ts';
import type { OverlapPolicy, RetryOptions } from '../jobs/retry.ts';
import type { Trigger } from '../triggers/trigger.ts';
import type { TriggerAlias, TriggerArgsByAlias } from './trigger-aliases.ts';

/** Job options of `addJob` other than the trigger's arguments. */
export interface BaseJobOptions {
  /** Explicit id (default: 32 random hex digits). Persistent stores need explicit ids for jobs created at start-up. */
  id?: string;
  /** Human-readable name (default: the function's name or the reference). */
  name?: string;
  /** Seconds after its scheduled time a run may still start; null = no limit (the default). */
  misfireGraceTime?: number | null;
  /** Run missed runs once instead of once each (default true). */
  coalesce?: boolean;
  /** Concurrent runs of this job allowed (default 1). */
  maxInstances?: number;
  /** First run time; null adds the job paused; omitted: computed from the trigger. */
  nextRunTime?: Date | number | string | null;
  /** Alias of the store to add to (default `'default'`). */
  jobstore?: string;
  /** Alias of the executor that runs it (default `'default'`). */
  executor?: string;
  /** Replace a job with the same id instead of failing with ConflictingIdError. */
  replaceExisting?: boolean;
  /** Seconds a run may take before its signal aborts and it is reported as an error (default: no limit). */
  timeout?: number | null;
  /**
   * With several schedulers on one store: when the node running a fire dies,
   * another node runs it again (`currentJob().recovering` is true) instead of
   * recording it abandoned (default false: at most once).
   */
  recover?: boolean;
  /**
   * The name of an exclusion calendar added with `scheduler.addCalendar`: fire
   * times it excludes are skipped (recorded `excluded`), and the job fires at
   * the next time of its trigger the calendar includes.
   */
  calendar?: string;
  /**
   * Which of this job's fires the history (`getFires`, `explain`) keeps:
   * `'all'` (default), `'failures'` (a succeeded fire is purged at the next
   * purge) or `'off'` (every fire is purged once it has ended). How long the
   * others stay is the scheduler's `history` option.
   */
  history?: FireHistory;
  /**
   * Run a failed or timed-out fire again after a backoff, up to `attempts`
   * more times: `{ attempts, delay = 1, factor = 2, maxDelay = 300, jitter = false }`
   * (seconds). `currentJob().attempt` counts the runs of a fire from 1.
   */
  retry?: RetryOptions | null;
  /**
   * When the job already runs `maxInstances` times: 'skip' the new fire (the
   * default), 'queue' it to run as soon as an instance ends, or 'replace' the
   * oldest running instance (its signal is aborted).
   */
  overlap?: OverlapPolicy;
}

/**
 * `args` may be left out only for a function without parameters. (At run time
 * every declared parameter without a default value counts as required, and a
 * TypeScript optional parameter compiles to exactly that.)
 */
export type ArgsOption<A extends unknown[]> =
  ArgsRequired<A> extends true ? { args: A } : { args?: A };

/** True for a parameter list with at least one positional parameter (rest-only lists such as `any[]` need none). */
export type ArgsRequired<A extends unknown[]> = number extends A['length']
  ? false
  : A extends []
    ? false
    : true;

export type JobOptions<A extends unknown[] = unknown[]> = BaseJobOptions & ArgsOption<A>;

/** The options argument: optional unless the function needs `args`. */
export type OptionsArgument<F extends JobFunction, Extra> =
  ArgsRequired<Parameters<F>> extends true
    ? [options: JobOptions<Parameters<F>> & Extra]
    : [options?: JobOptions<Parameters<F>> & Extra];

/** What `addJob` accepts as its trigger: an alias, a Trigger, or nothing (run once, now). */
export type TriggerArgument = TriggerAlias | Trigger | null | undefined;

/** The trigger arguments `options` takes beside the job options: an alias's, none for a Trigger or no trigger. */
export type TriggerArgs<T extends TriggerArgument> = T extends TriggerAlias
  ? TriggerArgsByAlias[T]
  : Record<never, never>;

/**
 * The options argument of `addJob(func, trigger, options)`: the job options
 * for `func` (`args` typed by its parameters, untyped for a textual
 * reference) and the arguments of `trigger` when it is an alias.
 *
 * `addJob` has one signature computing this rather than one overload per
 * kind of `func` and `trigger`: for a call no overload accepts, TypeScript
 * reports only the last overload's error, which named none of the mistakes
 * (a misspelled option, wrong `args`) but "not assignable to type 'string'".
 */
export type AddJobOptionsArgument<
  F extends JobFunction | string,
  T extends TriggerArgument,
> = F extends JobFunction
  ? OptionsArgument<F, TriggerArgs<T>>
  : [options?: JobOptions<unknown[]> & TriggerArgs<T>];

export interface StartOptions {
  /** Start paused: no job runs until `resume()`. */
  paused?: boolean;
}
