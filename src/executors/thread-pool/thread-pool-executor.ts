/**
 * The `threadpool` executor: runs jobs in worker threads (piscina). Jobs must
 * name their function by a textual `'module:export'` reference; the generic
 * runner (src/executors/worker/runner.ts) imports and calls it in the worker.
 */
import { randomUUID } from 'node:crypto';
import { BroadcastChannel, type ResourceLimits } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { JobRun } from '../../jobs/current-job.ts';
import type { Job } from '../../jobs/job.ts';
import { moduleUrl } from '../../jobs/job-ref.ts';
import { coerceNumber } from '../../scheduler/config.ts';
import { registerExecutorType } from '../../scheduler/plugins.ts';
import { BaseExecutor } from '../base.ts';
import { type ExecutorContext, ExecutorNotRunningError } from '../executor.ts';
import {
  type ControlMessage,
  checkPoolArgs,
  encodeThrown,
  isControlMessage,
  poolTarget,
  type RunnerWorkerData,
  type RunTask,
  type WarmTask,
} from '../worker/envelope.ts';
import { PoolRecovery } from '../worker/pool-recovery.ts';
import type { PoolRun } from '../worker/pool-run.ts';
import { runnerEntry } from '../worker/runner.ts';
import { RunsInFlight } from '../worker/runs-in-flight.ts';
import { failWaitingRuns, warmUpFailure } from '../worker/start-failure.ts';

export interface ThreadPoolExecutorOptions {
  /** Most worker threads at once (default 10). Workers start on demand. */
  maxWorkers?: number;
  /**
   * Seconds a run whose signal was aborted (timeout, cancellation) may take
   * to stop by itself before its worker thread is terminated (default 1).
   */
  abortGracePeriod?: number;
  /** Seconds an idle worker is kept before it exits (default 60). */
  idleTimeout?: number;
  /**
   * Modules (specifiers or URLs, as in job references) every worker
   * imports at `start()`, which then resolves only once all `maxWorkers`
   * workers are up with them loaded: the first runs pay no start-up cost.
   */
  preload?: readonly string[];
  /** Memory limits per worker thread; a worker that exceeds them is replaced and its run reported as crashed. */
  resourceLimits?: ResourceLimits;
}

const DEFAULT_MAX_WORKERS = 10;
const DEFAULT_ABORT_GRACE_PERIOD = 1;
const DEFAULT_IDLE_TIMEOUT = 60;

/**
 * How a run with a timeout is stopped: aborting this signal has piscina
 * terminate its worker. Runs without a timeout have none (piscina gives
 * abortable tasks special scheduling); shutdown stops them with the pool.
 */
type HardStop = AbortController;

type PiscinaClass = typeof Piscina;

/**
 * Runs each job in a worker thread from a piscina pool of up to `maxWorkers`
 * threads, so CPU-bound jobs do not block the event loop. The job's
 * `currentJob().signal` aborts in the worker on timeout or cancellation; a
 * run that has not stopped `abortGracePeriod` seconds later has its worker
 * terminated (and replaced). A worker that dies (uncaught error,
 * `process.exit`, out of memory) is replaced and the run reported with a
 * `WorkerCrashedError`; when workers cannot start at all, the runs waiting
 * for one are reported with a `WorkerStartError`.
 */
export class ThreadPoolExecutor extends BaseExecutor {
  readonly maxWorkers: number;
  readonly abortGracePeriod: number;
  readonly idleTimeout: number;
  readonly #preload: string[];
  readonly #resourceLimits: ResourceLimits | undefined;
  #Piscina: PiscinaClass | undefined;
  #pool: Piscina | undefined;
  #channel: BroadcastChannel | undefined;
  #channelName = '';
  /** Why the workers of the last replaced pool could not start (warm-up reports it). */
  #startFailure: unknown;
  readonly #runs: RunsInFlight<HardStop>;
  readonly #recovery: PoolRecovery<Piscina>;
  /** Warm-up tasks waiting to report that their worker is ready. */
  readonly #warming = new Map<number, () => void>();

  constructor(options: ThreadPoolExecutorOptions = {}) {
    super();
    this.maxWorkers = coerceNumber('maxWorkers', options.maxWorkers ?? DEFAULT_MAX_WORKERS, {
      integer: true,
      min: 1,
    });
    this.abortGracePeriod = coerceNumber(
      'abortGracePeriod',
      options.abortGracePeriod ?? DEFAULT_ABORT_GRACE_PERIOD,
      { min: 0 },
    );
    this.idleTimeout = coerceNumber('idleTimeout', options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT, {
      min: 0,
    });
    this.#preload = (options.preload ?? []).map((specifier) => moduleUrl(specifier));
    this.#resourceLimits = options.resourceLimits;
    this.#recovery = new PoolRecovery<Piscina>({
      pool: () => this.#pool,
      pending: () => this.#runs.size > 0 || this.#warming.size > 0,
      startFailed: (pool, error) => this.#replacePool(pool, error),
    });
    this.#runs = new RunsInFlight<HardStop>(() => this.#recovery.taskFailed());
  }

  /** Rejects plain functions, registered task names and uncloneable arguments at `addJob` time. */
  validateJob(job: Job): void {
    poolTarget(job, 'threadpool');
    checkPoolArgs(job, 'threadpool');
  }

  override async start(context: ExecutorContext, alias: string): Promise<void> {
    const { Piscina } = await import('piscina');
    this.#Piscina = Piscina;
    this.#channelName = `horarium:threadpool:${randomUUID()}`;
    const channel = new BroadcastChannel(this.#channelName);
    channel.onmessage = (event) => this.#onControl((event as { data?: unknown }).data);
    channel.unref();
    this.#channel = channel;
    const pool = this.#createPool(Piscina);
    this.#pool = pool;
    await super.start(context, alias);
    if (this.#preload.length > 0) await this.#warmUp(pool, this.#preload);
  }

  #createPool(Piscina: PiscinaClass): Piscina {
    const pool = new Piscina({
      filename: runnerEntry(),
      maxThreads: this.maxWorkers,
      minThreads: 0,
      idleTimeout: this.idleTimeout * 1000,
      // The runner listens for control messages on this channel.
      workerData: { horariumChannel: this.#channelName } satisfies RunnerWorkerData,
      ...(this.#resourceLimits === undefined ? {} : { resourceLimits: this.#resourceLimits }),
    });
    pool.on('error', (error: unknown) => {
      this.context.logger.error(
        `A worker of executor "${this.alias}" failed outside of any job`,
        error,
      );
      this.#recovery.workerFailed(pool, error);
    });
    return pool;
  }

  /** The workers of `failed` could not start: its waiting runs fail, later runs go to a new pool. */
  #replacePool(failed: Piscina, error: unknown): void {
    failWaitingRuns(this.#runs, error);
    this.#startFailure = error;
    if (this.#Piscina !== undefined) this.#pool = this.#createPool(this.#Piscina);
    // Rejects the waiting tasks; their runs report the failure set above.
    failed.destroy().catch((destroyError: unknown) => {
      this.context.logger.error(
        `Could not tear a thread pool of "${this.alias}" down`,
        destroyError,
      );
    });
  }

  protected runOnce(job: Job, run: JobRun): PromiseLike<unknown> {
    const pool = this.#pool;
    if (pool === undefined) throw new ExecutorNotRunningError(this.alias);
    const { reference, funcRef } = poolTarget(job, 'threadpool');
    const flight = this.#runs.start(job, run, funcRef);
    const task: RunTask = [
      flight.token,
      reference,
      job.id,
      run.scheduledRunTime.getTime(),
      job.args,
    ];
    if (job.timeout === null) {
      // The common case pays for no AbortController, listener or piscina abort handling:
      // such a run is only ever cancelled by shutdown, which stops it (see onShutdown).
      flight.sent = pool.run(task);
    } else {
      const hardStop = new AbortController();
      flight.stop = hardStop;
      this.#runs.stopWhenAborted(flight, this.#stop);
      flight.sent = pool.run(task, { signal: hardStop.signal });
    }
    return flight;
  }

  /** Asks the worker to abort the run's signal; terminates it `abortGracePeriod` seconds later if it still runs. */
  readonly #stop = (flight: PoolRun<HardStop>): void => {
    this.#post({
      horarium: 'abort',
      token: flight.token,
      reason: encodeThrown(flight.run.signal.reason),
    });
    const hardStop = flight.stop;
    // Without its own AbortSignal in piscina, a run is terminated with the pool (shutdown).
    if (hardStop !== null) flight.after(this.abortGracePeriod, () => hardStop.abort());
  };

  protected override onShutdown(wait: boolean): Promise<void> | void {
    const pool = this.#pool;
    const channel = this.#channel;
    if (pool === undefined) return;
    // Every run still in the pool was cancelled (or timed out): tell each to stop.
    this.#runs.stopAborted(this.#stop);
    this.#pool = undefined;
    this.#channel = undefined;
    // They get their grace period, then the pool terminates whichever workers still run.
    const teardown = this.#runs
      .drain(this.abortGracePeriod * 1000)
      .then(() => pool.destroy())
      .finally(() => channel?.close());
    const logged = teardown.catch((error: unknown) => {
      this.context.logger.error(`Could not shut the thread pool of "${this.alias}" down`, error);
    });
    return wait ? logged : undefined;
  }

  #post(message: ControlMessage): void {
    this.#channel?.postMessage(message);
  }

  #onControl(message: unknown): void {
    if (isControlMessage(message) && message.horarium === 'ready') {
      this.#warming.get(message.token)?.();
    }
  }

  /** Occupies every worker at once with a warm-up task, so each one starts and loads `modules`. */
  async #warmUp(pool: Piscina, modules: string[]): Promise<void> {
    const tokens = Array.from({ length: this.maxWorkers }, () => this.#runs.token());
    const release = (): void => {
      for (const token of tokens) {
        this.#post({ horarium: 'abort', token, reason: encodeThrown(new Error('warmed up')) });
      }
    };
    let readyCount = 0;
    for (const token of tokens) {
      this.#warming.set(token, () => {
        this.#warming.delete(token);
        readyCount += 1;
        if (readyCount === tokens.length) release();
      });
    }
    try {
      await Promise.all(
        tokens.map((token) => {
          const task: WarmTask = { op: 'warm', token, modules };
          return pool.run(task);
        }),
      );
    } catch (error) {
      throw warmUpFailure(error, this.#startFailure);
    } finally {
      for (const token of tokens) this.#warming.delete(token);
    }
  }
}

registerExecutorType('threadpool', (options, { key }) => {
  const maxWorkers =
    options.maxWorkers === undefined
      ? undefined
      : coerceNumber(`${key}.maxWorkers`, options.maxWorkers, { integer: true, min: 1 });
  const abortGracePeriod =
    options.abortGracePeriod === undefined
      ? undefined
      : coerceNumber(`${key}.abortGracePeriod`, options.abortGracePeriod, { min: 0 });
  const idleTimeout =
    options.idleTimeout === undefined
      ? undefined
      : coerceNumber(`${key}.idleTimeout`, options.idleTimeout, { min: 0 });
  return new ThreadPoolExecutor({
    ...options,
    ...(maxWorkers === undefined ? {} : { maxWorkers }),
    ...(abortGracePeriod === undefined ? {} : { abortGracePeriod }),
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
  } as ThreadPoolExecutorOptions);
});
