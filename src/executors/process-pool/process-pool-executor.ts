/**
 * The `processpool` executor: runs jobs in child processes (tinypool's
 * `child_process` runtime). Jobs must name their function by a textual
 * `'module:export'` reference; the generic runner
 * (src/executors/worker/runner.ts) imports and calls it in the child.
 */
import type { Tinypool, TinypoolWorker } from 'tinypool';
import type { JobRun } from '../../jobs/current-job.ts';
import type { Job } from '../../jobs/job.ts';
import { moduleUrl } from '../../jobs/job-ref.ts';
import { coerceNumber } from '../../scheduler/config.ts';
import { registerExecutorType } from '../../scheduler/plugins.ts';
import { BaseExecutor } from '../base.ts';
import { type ExecutorContext, ExecutorNotRunningError } from '../executor.ts';
import {
  type AbortMessage,
  checkPoolArgs,
  encodeThrown,
  isControlMessage,
  poolTarget,
  type RunTask,
  type WarmTask,
} from '../worker/envelope.ts';
import { PoolRecovery } from '../worker/pool-recovery.ts';
import type { PoolRun } from '../worker/pool-run.ts';
import { runnerEntry } from '../worker/runner.ts';
import { RunsInFlight } from '../worker/runs-in-flight.ts';
import { failWaitingRuns, warmUpFailure } from '../worker/start-failure.ts';
import { ChildTask } from './child-task.ts';

export interface ProcessPoolExecutorOptions {
  /** Most child processes at once (default 10). Processes start on demand. */
  maxWorkers?: number;
  /**
   * Seconds a run whose signal was aborted (timeout, cancellation) may take
   * to stop by itself before its process is sent SIGTERM (default 1).
   */
  abortGracePeriod?: number;
  /** Seconds between SIGTERM and SIGKILL for a process that does not exit (default 5). */
  killGracePeriod?: number;
  /** Seconds an idle process is kept before it exits (default 60). */
  idleTimeout?: number;
  /**
   * Modules (specifiers or URLs, as in job references) every process imports
   * at `start()`, which then resolves only once all `maxWorkers` processes
   * are up with them loaded: the first runs pay no start-up cost.
   */
  preload?: readonly string[];
  /** Node.js flags for the child processes (default: the host's `process.execArgv`). */
  execArgv?: string[];
}

const DEFAULT_MAX_WORKERS = 10;
const DEFAULT_ABORT_GRACE_PERIOD = 1;
const DEFAULT_KILL_GRACE_PERIOD = 5;
const DEFAULT_IDLE_TIMEOUT = 60;

/** What the pool executor uses of tinypool's `ProcessWorker` beyond its typed interface. */
interface WorkerInternals {
  /** The channel of the task it runs (set when a task with a channel is dispatched to it). */
  channel?: unknown;
  /** Sends a message to the child over IPC. */
  send?: (message: unknown) => void;
}

/**
 * How a run with a timeout is stopped: its own channel reaches the child
 * running it, and aborting `dequeue` has tinypool drop it while it is queued.
 * Runs without a timeout have neither; shutdown stops them with the pool.
 */
interface ChildStop {
  child: ChildTask;
  dequeue: AbortController;
}

type TinypoolClass = typeof Tinypool;

/**
 * Runs each job in a child process from a tinypool pool of up to
 * `maxWorkers` processes. The job's `currentJob().signal` aborts in the child
 * on timeout or cancellation; a run that has not stopped `abortGracePeriod`
 * seconds later has its process sent SIGTERM, then SIGKILL after
 * `killGracePeriod` seconds. A process that dies (uncaught error,
 * `process.exit`, out of memory, a signal) is replaced and the run reported
 * with a `WorkerCrashedError`; when processes cannot start at all, the runs
 * waiting for one are reported with a `WorkerStartError`.
 */
export class ProcessPoolExecutor extends BaseExecutor {
  readonly maxWorkers: number;
  readonly abortGracePeriod: number;
  readonly killGracePeriod: number;
  readonly idleTimeout: number;
  readonly #preload: string[];
  readonly #execArgv: string[] | undefined;
  #Tinypool: TinypoolClass | undefined;
  #pool: Tinypool | undefined;
  /** Why the processes of the last replaced pool could not start (warm-up reports it). */
  #startFailure: unknown;
  /** Warm-up tasks not yet answered. */
  #warming = 0;
  readonly #runs: RunsInFlight<ChildStop>;
  readonly #recovery: PoolRecovery<Tinypool>;

  constructor(options: ProcessPoolExecutorOptions = {}) {
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
    this.killGracePeriod = coerceNumber(
      'killGracePeriod',
      options.killGracePeriod ?? DEFAULT_KILL_GRACE_PERIOD,
      { min: 0 },
    );
    this.idleTimeout = coerceNumber('idleTimeout', options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT, {
      min: 0,
    });
    this.#preload = (options.preload ?? []).map((specifier) => moduleUrl(specifier));
    this.#execArgv = options.execArgv;
    this.#recovery = new PoolRecovery<Tinypool>({
      pool: () => this.#pool,
      pending: () => this.#runs.size > 0 || this.#warming > 0,
      startFailed: (pool, error) => this.#replacePool(pool, error),
    });
    this.#runs = new RunsInFlight<ChildStop>(() => this.#recovery.taskFailed());
  }

  /** Rejects plain functions, registered task names and uncloneable arguments at `addJob` time. */
  validateJob(job: Job): void {
    poolTarget(job, 'processpool');
    checkPoolArgs(job, 'processpool');
  }

  override async start(context: ExecutorContext, alias: string): Promise<void> {
    const { Tinypool } = await import('tinypool');
    this.#Tinypool = Tinypool;
    const pool = this.#createPool(Tinypool);
    this.#pool = pool;
    await super.start(context, alias);
    if (this.#preload.length > 0) await this.#warmUp(pool, this.#preload);
  }

  #createPool(Tinypool: TinypoolClass): Tinypool {
    const pool = new Tinypool({
      filename: runnerEntry(),
      runtime: 'child_process',
      maxThreads: this.maxWorkers,
      minThreads: 0,
      idleTimeout: this.idleTimeout * 1000,
      // tinypool gives the child only the variables listed here.
      env: Object.fromEntries(
        Object.entries(process.env).filter(
          (entry): entry is [string, string] => entry[1] !== undefined,
        ),
      ),
      serialization: 'advanced',
      ...(this.#execArgv === undefined ? {} : { execArgv: this.#execArgv }),
    });
    pool.on('error', (error: unknown) => {
      this.context.logger.error(
        `A child process of executor "${this.alias}" failed outside of any job`,
        error,
      );
      this.#recovery.workerFailed(pool, error);
    });
    return pool;
  }

  /** The processes of `failed` could not start: its waiting runs fail, later runs go to a new pool. */
  #replacePool(failed: Tinypool, error: unknown): void {
    failWaitingRuns(this.#runs, error);
    this.#startFailure = error;
    if (this.#Tinypool !== undefined) this.#pool = this.#createPool(this.#Tinypool);
    // Rejects the waiting tasks; their runs report the failure set above.
    failed.destroy().catch((destroyError: unknown) => {
      this.context.logger.error(
        `Could not tear a process pool of "${this.alias}" down`,
        destroyError,
      );
    });
  }

  protected runOnce(job: Job, run: JobRun): PromiseLike<unknown> {
    const pool = this.#pool;
    if (pool === undefined) throw new ExecutorNotRunningError(this.alias);
    const { reference, funcRef } = poolTarget(job, 'processpool');
    const flight = this.#runs.start(job, run, funcRef);
    const task: RunTask = [
      flight.token,
      reference,
      job.id,
      run.scheduledRunTime.getTime(),
      job.args,
    ];
    if (job.timeout === null) {
      // The common case pays for no channel, AbortController or listener: such a run
      // is only ever cancelled by shutdown, which stops it (see onShutdown).
      flight.sent = pool.run(task);
    } else {
      const stop: ChildStop = { child: new ChildTask(), dequeue: new AbortController() };
      flight.stop = stop;
      this.#runs.stopWhenAborted(flight, (stopped) => this.#stop(pool, stopped));
      flight.sent = pool.run(task, { channel: stop.child.channel, signal: stop.dequeue.signal });
    }
    return flight;
  }

  /**
   * Asks the child to abort the run's signal; a run with its own channel (a
   * timeout) has its process sent SIGTERM `abortGracePeriod` seconds later if
   * it still runs, SIGKILL after `killGracePeriod` more. Other runs are only
   * stopped by shutdown, which does the same to every process.
   */
  #stop(pool: Tinypool, flight: PoolRun<ChildStop>): void {
    const message: AbortMessage = {
      horarium: 'abort',
      token: flight.token,
      reason: encodeThrown(flight.run.signal.reason),
    };
    const stop = flight.stop;
    if (stop === null) {
      // No channel of its own: every child hears it, the one running the task acts on it.
      for (const worker of pool.threads)
        (worker as TinypoolWorker & WorkerInternals).send?.(message);
      return;
    }
    if (!stop.child.dispatched) {
      // Still queued: tinypool drops it.
      stop.dequeue.abort();
      return;
    }
    stop.child.send(message);
    flight.after(this.abortGracePeriod, () => this.#kill(pool, flight, stop));
  }

  /** SIGTERM to the child running the task, SIGKILL `killGracePeriod` seconds later if it is still there. */
  #kill(pool: Tinypool, flight: PoolRun<ChildStop>, { child, dequeue }: ChildStop): void {
    const worker = pool.threads.find(
      (candidate: TinypoolWorker) =>
        (candidate as TinypoolWorker & WorkerInternals).channel === child.channel,
    );
    if (worker === undefined) {
      // Not found (tinypool internals changed?): tinypool's own stop (SIGTERM, SIGKILL after 1 s).
      dequeue.abort();
      return;
    }
    this.#terminate(worker.threadId, flight);
  }

  /** SIGTERM now, SIGKILL `killGracePeriod` seconds later while the run (if any) is still in the pool. */
  #terminate(pid: number, flight: PoolRun<ChildStop> | null): void {
    signalProcess(pid, 'SIGTERM');
    const kill = (): void => signalProcess(pid, 'SIGKILL');
    const timer =
      flight === null
        ? setTimeout(kill, this.killGracePeriod * 1000)
        : flight.after(this.killGracePeriod, kill);
    timer.unref();
  }

  protected override onShutdown(wait: boolean): Promise<void> | void {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool === undefined) return;
    // Every run still in the pool was cancelled (or timed out): tell each to stop.
    this.#runs.stopAborted((flight) => this.#stop(pool, flight));
    const teardown = (async () => {
      // They get their grace period; then every process still running one gets
      // SIGTERM, and SIGKILL after killGracePeriod (runs with a timeout have their own sequence).
      await this.#runs.drain(this.abortGracePeriod * 1000);
      if (this.#runs.size > 0) {
        for (const worker of pool.threads) this.#terminate(worker.threadId, null);
        await this.#runs.drain(this.killGracePeriod * 1000 + 1000);
      }
      await pool.destroy();
    })();
    const logged = teardown.catch((error: unknown) => {
      this.context.logger.error(`Could not shut the process pool of "${this.alias}" down`, error);
    });
    return wait ? logged : undefined;
  }

  /** Occupies every process at once with a warm-up task, so each one starts and loads `modules`. */
  async #warmUp(pool: Tinypool, modules: string[]): Promise<void> {
    const children: ChildTask[] = [];
    let readyCount = 0;
    const onMessage = (message: unknown): void => {
      if (!isControlMessage(message) || message.horarium !== 'ready') return;
      readyCount += 1;
      if (readyCount < children.length) return;
      for (const [index, child] of children.entries()) {
        child.send({
          horarium: 'abort',
          token: index,
          reason: encodeThrown(new Error('warmed up')),
        } satisfies AbortMessage);
      }
    };
    const runs: Promise<unknown>[] = [];
    for (let index = 0; index < this.maxWorkers; index += 1) {
      const child = new ChildTask(onMessage);
      children.push(child);
      const task: WarmTask = { op: 'warm', token: index, modules };
      runs.push(pool.run(task, { channel: child.channel }));
    }
    this.#warming += runs.length;
    try {
      await Promise.all(runs);
    } catch (error) {
      throw warmUpFailure(error, this.#startFailure);
    } finally {
      this.#warming -= runs.length;
    }
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

registerExecutorType('processpool', (options, { key }) => {
  const numeric = (name: string, integer: boolean): Record<string, number> => {
    const value = options[name];
    if (value === undefined) return {};
    return {
      [name]: coerceNumber(
        `${key}.${name}`,
        value,
        integer ? { integer: true, min: 1 } : { min: 0 },
      ),
    };
  };
  return new ProcessPoolExecutor({
    ...options,
    ...numeric('maxWorkers', true),
    ...numeric('abortGracePeriod', false),
    ...numeric('killGracePeriod', false),
    ...numeric('idleTimeout', false),
  } as ProcessPoolExecutorOptions);
});
