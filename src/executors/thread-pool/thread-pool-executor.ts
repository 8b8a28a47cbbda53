/**
 * The `threadpool` executor: runs jobs in worker threads (piscina). Jobs must
 * name their function by a textual `'module:export'` reference; the generic
 * runner (src/executors/worker/runner.ts) imports and calls it in the worker.
 */
import { randomUUID } from 'node:crypto';
import { BroadcastChannel, type ResourceLimits } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { coerceNumber } from '../../config/coerce.ts';
import { ConfigurationError } from '../../config/errors.ts';
import { isRecord } from '../../config/records.ts';
import { checkOptionNames } from '../../config/suggest.ts';
import type { ExecutorContext } from '../executor.ts';
import {
  type ControlMessage,
  encodeThrown,
  isControlMessage,
  type RunnerWorkerData,
  type RunTask,
  type WarmTask,
} from '../worker/envelope.ts';
import {
  POOL_OPTION_NAMES,
  PoolExecutor,
  type PoolExecutorOptions,
  poolOptionsFromConfig,
} from '../worker/pool-executor.ts';
import type { PoolRun } from '../worker/pool-run.ts';
import { runnerEntry } from '../worker/runner.ts';

export interface ThreadPoolExecutorOptions extends PoolExecutorOptions {
  /**
   * Memory limits per worker thread; a worker that exceeds them is replaced and
   * its run reported as crashed. `maxOldGenerationSizeMb` must be at least 4.
   */
  resourceLimits?: ResourceLimits;
}

/**
 * How a run with a timeout is stopped: aborting this signal has piscina
 * terminate its worker. Runs without a timeout have none (piscina gives
 * abortable tasks special scheduling); shutdown stops them with the pool.
 */
type HardStop = AbortController;

type PiscinaClass = typeof Piscina;

const OPTION_NAMES: readonly string[] = [...POOL_OPTION_NAMES, 'resourceLimits'];
const RESOURCE_LIMIT_NAMES: readonly string[] = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
];

/** The smallest old-generation limit (MB) a worker thread can be given without risking the process. */
const MIN_OLD_GENERATION_MB = 4;

/**
 * Runs each job in a worker thread from a piscina pool of up to `maxWorkers`
 * threads, so CPU-bound jobs do not block the event loop. The job's
 * `currentJob().signal` aborts in the worker on timeout or cancellation; a
 * run that has not stopped `abortGracePeriod` seconds later has its worker
 * terminated (and replaced). A worker that dies (uncaught error,
 * `process.exit`, out of memory) is replaced and the run reported with a
 * `WorkerCrashedError`; when workers cannot start at all, the runs waiting
 * for one are reported with a `WorkerStartError`.
 *
 * It runs only jobs whose function is a `'module:export'` reference.
 *
 * @example
 * ```ts
 * const scheduler = new AsyncScheduler({
 *   executors: { threads: new ThreadPoolExecutor({ maxWorkers: 4 }) },
 *   // or, in configuration: { threads: { type: 'threadpool', maxWorkers: 4 } }
 * });
 * await scheduler.addJob('./jobs/images.js:resize', 'interval', { minutes: 10, executor: 'threads' });
 * ```
 */
export class ThreadPoolExecutor extends PoolExecutor<Piscina, HardStop> {
  readonly #resourceLimits: ResourceLimits | undefined;
  #Piscina: PiscinaClass | undefined;
  /** Control messages to the workers (abort, warm-up release) and back (ready). */
  #channel: BroadcastChannel | undefined;
  #channelName = '';
  /** Warm-up tasks waiting to report that their worker is ready. */
  readonly #warming = new Map<number, () => void>();

  constructor(options: ThreadPoolExecutorOptions = {}) {
    super('threadpool', options, OPTION_NAMES);
    this.#resourceLimits =
      options.resourceLimits === undefined
        ? undefined
        : resourceLimitsOf('resourceLimits', options.resourceLimits);
  }

  override async start(context: ExecutorContext, alias: string): Promise<void> {
    this.#channelName = `horarium:threadpool:${randomUUID()}`;
    const channel = new BroadcastChannel(this.#channelName);
    channel.onmessage = (event) => this.#onControl((event as { data?: unknown }).data);
    channel.unref();
    this.#channel = channel;
    await super.start(context, alias);
  }

  protected async loadPoolLibrary(): Promise<void> {
    this.#Piscina = (await import('piscina')).Piscina;
  }

  protected openPool(): Piscina {
    const Piscina = this.#Piscina as PiscinaClass;
    return new Piscina({
      filename: runnerEntry(),
      maxThreads: this.maxWorkers,
      minThreads: 0,
      idleTimeout: this.idleTimeout * 1000,
      // The runner listens for control messages on this channel.
      workerData: { horariumChannel: this.#channelName } satisfies RunnerWorkerData,
      ...(this.#resourceLimits === undefined ? {} : { resourceLimits: this.#resourceLimits }),
    });
  }

  protected sendStoppable(
    pool: Piscina,
    task: RunTask,
    flight: PoolRun<HardStop>,
  ): Promise<unknown> {
    const hardStop = new AbortController();
    flight.stop = hardStop;
    this.runs.stopWhenAborted(flight, this.#stop);
    return pool.run(task, { signal: hardStop.signal });
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

  protected async closePool(pool: Piscina): Promise<void> {
    // Every run still in the pool was cancelled (or timed out): tell each to stop.
    this.runs.stopAborted(this.#stop);
    try {
      // They get their grace period, then the pool terminates whichever workers still run.
      await this.runs.drain(this.abortGracePeriod * 1000);
      await pool.destroy();
    } finally {
      this.#channel?.close();
      this.#channel = undefined;
    }
  }

  #post(message: ControlMessage): void {
    this.#channel?.postMessage(message);
  }

  #onControl(message: unknown): void {
    if (isControlMessage(message) && message.horarium === 'ready') {
      this.#warming.get(message.token)?.();
    }
  }

  protected warmUpTasks(pool: Piscina, modules: readonly string[]): Promise<unknown>[] {
    const tokens = Array.from({ length: this.maxWorkers }, () => this.runs.token());
    let readyCount = 0;
    for (const token of tokens) {
      this.#warming.set(token, () => {
        this.#warming.delete(token);
        readyCount += 1;
        if (readyCount < tokens.length) return;
        // Every worker is up and holding its task: release them all.
        for (const held of tokens) {
          this.#post({
            horarium: 'abort',
            token: held,
            reason: encodeThrown(new Error('warmed up')),
          });
        }
      });
    }
    const tasks = tokens.map((token) => {
      const task: WarmTask = { op: 'warm', token, modules };
      return pool.run(task);
    });
    void Promise.allSettled(tasks).then(() => {
      for (const token of tokens) this.#warming.delete(token);
    });
    return tasks;
  }
}

/**
 * Memory limits per worker, checked: known names only, numbers (coerced from
 * strings in configuration), and an old-generation limit of at least 4 MB —
 * below that, from Node 22 on, V8 cannot even set a worker's isolate up and
 * aborts the whole process instead of failing the worker.
 */
function resourceLimitsOf(key: string, value: unknown): ResourceLimits {
  if (!isRecord(value))
    throw new ConfigurationError(key, 'expected an object of memory limits in MB');
  checkOptionNames(key, value, RESOURCE_LIMIT_NAMES, 'resource limit');
  const limits: Record<string, number> = {};
  for (const name of RESOURCE_LIMIT_NAMES) {
    if (value[name] === undefined) continue;
    limits[name] = coerceNumber(`${key}.${name}`, value[name], {
      min: name === 'maxOldGenerationSizeMb' ? MIN_OLD_GENERATION_MB : 0,
    });
  }
  return limits;
}

/** A `threadpool` executor from a configuration entry's options; `key` names the entry in errors. */
export function threadPoolExecutorFromConfig(
  options: Record<string, unknown>,
  key: string,
): ThreadPoolExecutor {
  const checked = poolOptionsFromConfig(options, key, 'threadpool', OPTION_NAMES, [
    'maxWorkers',
    'abortGracePeriod',
    'idleTimeout',
  ]);
  if (options.resourceLimits !== undefined)
    checked.resourceLimits = resourceLimitsOf(`${key}.resourceLimits`, options.resourceLimits);
  return new ThreadPoolExecutor(checked as ThreadPoolExecutorOptions);
}
