/**
 * Main side only: what the two pool executors share. A subclass says how to
 * load its pool library and open a pool, how to hand a run with a timeout to
 * it and stop that run, how to warm workers up and how to shut down; this
 * class owns the options common to both, the runs in flight, the recovery of
 * a pool whose last worker is gone, and the replacement of a pool whose
 * workers cannot start.
 */
import { type CoerceNumberOptions, coerceNumber } from '../../config/coerce.ts';
import { checkOptionNames } from '../../config/suggest.ts';
import type { JobRun } from '../../jobs/current-job.ts';
import type { Job } from '../../jobs/job.ts';
import { moduleUrl } from '../../jobs/job-ref.ts';
import { BaseExecutor } from '../base.ts';
import { type ExecutorContext, ExecutorNotRunningError } from '../executor.ts';
import { checkPoolArgs, poolTarget, type RunTask } from './envelope.ts';
import { PoolRecovery, type RecoverablePool } from './pool-recovery.ts';
import type { PoolRun } from './pool-run.ts';
import { RunsInFlight } from './runs-in-flight.ts';
import { failWaitingRuns, warmUpFailure } from './start-failure.ts';

/** What a pool executor needs of a pool (piscina and tinypool both have it). */
export interface WorkerPool extends RecoverablePool {
  run(task: unknown, options?: object): Promise<unknown>;
  destroy(): Promise<void>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** The names of the options both pool executors take. */
export const POOL_OPTION_NAMES = [
  'maxWorkers',
  'abortGracePeriod',
  'idleTimeout',
  'preload',
] as const;

/** The options both pool executors take. */
export interface PoolExecutorOptions {
  /** Most workers at once (default 10). Workers start on demand. */
  maxWorkers?: number;
  /**
   * Seconds a run whose signal was aborted (timeout, cancellation) may take
   * to stop by itself before its worker is stopped (default 1).
   */
  abortGracePeriod?: number;
  /** Seconds an idle worker is kept before it exits (default 60). */
  idleTimeout?: number;
  /**
   * Modules (specifiers or URLs, as in job references) every worker imports
   * at `start()`, which then resolves only once all `maxWorkers` workers are
   * up with them loaded: the first runs pay no start-up cost.
   */
  preload?: readonly string[];
}

export type PoolKind = 'threadpool' | 'processpool';

const DEFAULT_MAX_WORKERS = 10;
/**
 * The seconds a timer option may take: from 0 to what a timer can wait
 * (setTimeout fires at once for anything beyond 2³¹ − 1 ms).
 */
export const TIMER_SECONDS: CoerceNumberOptions = { min: 0, max: 2_147_483 };
const DEFAULT_ABORT_GRACE_PERIOD = 1;
const DEFAULT_IDLE_TIMEOUT = 60;

/** How the log names a pool kind's workers and pools. */
const WORDING: Record<PoolKind, { worker: string; pool: string }> = {
  threadpool: { worker: 'A worker', pool: 'thread pool' },
  processpool: { worker: 'A child process', pool: 'process pool' },
};

/**
 * A pool executor. `Pool` is the pool library's pool; `Stop` is what a run
 * with a timeout carries so that it can be stopped early (runs without one
 * carry nothing: they are only stopped by shutdown, with the pool).
 */
export abstract class PoolExecutor<Pool extends WorkerPool, Stop> extends BaseExecutor {
  readonly maxWorkers: number;
  readonly abortGracePeriod: number;
  readonly idleTimeout: number;
  /** Preloaded module URLs. */
  protected readonly preload: readonly string[];
  protected readonly runs: RunsInFlight<Stop>;
  readonly #kind: PoolKind;
  #pool: Pool | undefined;
  /** Why the workers of the last replaced pool could not start (warm-up reports it). */
  #startFailure: unknown;
  /** Warm-up tasks not yet answered. */
  #warming = 0;
  readonly #recovery: PoolRecovery<Pool>;
  /** Where workers load a reference's module from (the scheduler's reference rules). */
  #resolveModule: (specifier: string) => string = moduleUrl;

  /** @param optionNames every option the subclass takes; any other name is refused */
  constructor(kind: PoolKind, options: PoolExecutorOptions, optionNames: readonly string[]) {
    super();
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`The ${kind} executor's options must be an object`);
    checkOptionNames(
      '',
      options as Record<string, unknown>,
      optionNames,
      `${kind} executor option`,
    );
    this.#kind = kind;
    this.maxWorkers = coerceNumber('maxWorkers', options.maxWorkers ?? DEFAULT_MAX_WORKERS, {
      integer: true,
      min: 1,
    });
    this.abortGracePeriod = coerceNumber(
      'abortGracePeriod',
      options.abortGracePeriod ?? DEFAULT_ABORT_GRACE_PERIOD,
      TIMER_SECONDS,
    );
    this.idleTimeout = coerceNumber(
      'idleTimeout',
      options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT,
      TIMER_SECONDS,
    );
    this.preload = (options.preload ?? []).map((specifier) => moduleUrl(specifier));
    this.#recovery = new PoolRecovery<Pool>({
      pool: () => this.#pool,
      pending: () => this.runs.size > 0 || this.#warming > 0,
      startFailed: (pool, error) => this.#replacePool(pool, error),
    });
    this.runs = new RunsInFlight<Stop>(() => this.#recovery.taskFailed());
  }

  /** Loads the pool library (at `start()`, so that an unused executor costs no import). */
  protected abstract loadPoolLibrary(): Promise<void>;

  /** A new pool, with nothing running yet. */
  protected abstract openPool(): Pool;

  /**
   * Hands the task of a run with a timeout to `pool`, with what stopping it
   * early needs (`flight.stop`, a listener on the run's signal).
   */
  protected abstract sendStoppable(
    pool: Pool,
    task: RunTask,
    flight: PoolRun<Stop>,
  ): Promise<unknown>;

  /** Occupies every worker of `pool` at once with a warm-up task loading `modules`; resolves when all are released. */
  protected abstract warmUpTasks(pool: Pool, modules: readonly string[]): Promise<unknown>[];

  /** Stops `pool`, already detached from the executor, and its workers (see `BaseExecutor.onShutdown`). */
  protected abstract closePool(pool: Pool): Promise<void>;

  /** Rejects plain functions, registered task names and uncloneable arguments at `addJob` time. */
  validateJob(job: Job): void {
    poolTarget(job, this.#kind);
    checkPoolArgs(job, this.#kind);
  }

  override async start(context: ExecutorContext, alias: string): Promise<void> {
    // Bound once, so that the per-resolver target cache keeps one entry per scheduler.
    this.#resolveModule =
      context.moduleUrl === undefined ? moduleUrl : context.moduleUrl.bind(context);
    await this.loadPoolLibrary();
    const pool = this.#newPool();
    this.#pool = pool;
    await super.start(context, alias);
    if (this.preload.length > 0) await this.#warmUp(pool);
  }

  protected runOnce(job: Job, run: JobRun): PromiseLike<unknown> {
    const pool = this.#pool;
    if (pool === undefined) throw new ExecutorNotRunningError(this.alias);
    const { reference, funcRef } = poolTarget(job, this.#kind, this.#resolveModule);
    const flight = this.runs.start(job, run, funcRef);
    const task: RunTask = [
      flight.token,
      reference,
      job.id,
      run.scheduledRunTime.getTime(),
      job.args,
    ];
    const { fire } = run;
    if (fire !== undefined)
      task.push([fire.fireId, fire.fencingToken, fire.recovering, fire.attempt ?? 1]);
    // The common run (no timeout, no lease to lose) pays for no channel, AbortController
    // or listener: it is only ever cancelled by shutdown, which stops it with the pool.
    flight.sent =
      job.timeout === null && fire === undefined
        ? pool.run(task)
        : this.sendStoppable(pool, task, flight);
    return flight;
  }

  protected override onShutdown(wait: boolean): Promise<void> | void {
    const pool = this.#pool;
    if (pool === undefined) return;
    this.#pool = undefined;
    const logged = this.closePool(pool).catch((error: unknown) => {
      this.context.logger.error(
        `Could not shut the ${WORDING[this.#kind].pool} of "${this.alias}" down`,
        error,
      );
    });
    return wait ? logged : undefined;
  }

  #newPool(): Pool {
    const pool = this.openPool();
    pool.on('error', (error: unknown) => {
      this.context.logger.error(
        `${WORDING[this.#kind].worker} of executor "${this.alias}" failed outside of any job`,
        error,
      );
      this.#recovery.workerFailed(pool, error);
    });
    return pool;
  }

  /** The workers of `failed` could not start: its waiting runs fail, later runs go to a new pool. */
  #replacePool(failed: Pool, error: unknown): void {
    failWaitingRuns(this.runs, error);
    this.#startFailure = error;
    this.#pool = this.#newPool();
    // Rejects the waiting tasks; their runs report the failure set above.
    failed.destroy().catch((destroyError: unknown) => {
      this.context.logger.error(
        `Could not tear a ${WORDING[this.#kind].pool} of "${this.alias}" down`,
        destroyError,
      );
    });
  }

  async #warmUp(pool: Pool): Promise<void> {
    const tasks = this.warmUpTasks(pool, this.preload);
    this.#warming += tasks.length;
    try {
      await Promise.all(tasks);
    } catch (error) {
      throw warmUpFailure(error, this.#startFailure);
    } finally {
      this.#warming -= tasks.length;
    }
  }
}

/**
 * A pool executor's options as a configuration entry gives them (`key` names
 * the entry in errors): unknown names refused with a suggestion (APScheduler's
 * `max_workers` → `maxWorkers`), numbers coerced from strings (`maxWorkers` a
 * positive integer, the `numeric` others seconds ≥ 0), and a `preload` string
 * split at commas.
 */
export function poolOptionsFromConfig(
  options: Record<string, unknown>,
  key: string,
  kind: PoolKind,
  optionNames: readonly string[],
  numeric: readonly string[],
): Record<string, unknown> {
  checkOptionNames(key, options, optionNames, `${kind} executor option`);
  const result: Record<string, unknown> = { ...options };
  for (const name of numeric) {
    const value = options[name];
    if (value === undefined) continue;
    result[name] = coerceNumber(
      `${key}.${name}`,
      value,
      name === 'maxWorkers' ? { integer: true, min: 1 } : TIMER_SECONDS,
    );
  }
  if (typeof options.preload === 'string') result.preload = splitList(options.preload);
  return result;
}

/** `'a, b'` → `['a', 'b']`: how the flat configuration form writes a list. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
