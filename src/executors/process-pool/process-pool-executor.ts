/**
 * The `processpool` executor: runs jobs in child processes (tinypool's
 * `child_process` runtime). Jobs must name their function by a textual
 * `'module:export'` reference; the generic runner
 * (src/executors/worker/runner.ts) imports and calls it in the child.
 */
import type { Tinypool, TinypoolWorker } from 'tinypool';
import { coerceNumber } from '../../config/coerce.ts';
import { ConfigurationError } from '../../config/errors.ts';
import {
  type AbortMessage,
  encodeThrown,
  isControlMessage,
  type RunTask,
  type WarmTask,
} from '../worker/envelope.ts';
import {
  POOL_OPTION_NAMES,
  PoolExecutor,
  type PoolExecutorOptions,
  poolOptionsFromConfig,
  TIMER_SECONDS,
} from '../worker/pool-executor.ts';
import type { PoolRun } from '../worker/pool-run.ts';
import { runnerEntry } from '../worker/runner.ts';
import { ChildTask } from './child-task.ts';

export interface ProcessPoolExecutorOptions extends PoolExecutorOptions {
  /**
   * Seconds a run whose signal was aborted (timeout, cancellation) may take
   * to stop by itself before its process is sent SIGTERM (default 1).
   */
  abortGracePeriod?: number;
  /** Seconds between SIGTERM and SIGKILL for a process that does not exit (default 5). */
  killGracePeriod?: number;
  /** Node.js flags for the child processes (default: the host's `process.execArgv`). */
  execArgv?: string[];
}

const DEFAULT_KILL_GRACE_PERIOD = 5;
const OPTION_NAMES: readonly string[] = [...POOL_OPTION_NAMES, 'killGracePeriod', 'execArgv'];

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
 *
 * It runs only jobs whose function is a `'module:export'` reference.
 *
 * @example
 * ```ts
 * const scheduler = new AsyncScheduler({
 *   executors: { isolated: new ProcessPoolExecutor({ maxWorkers: 2, killGracePeriod: 10 }) },
 *   // or, in configuration: { isolated: { type: 'processpool', maxWorkers: 2 } }
 * });
 * await scheduler.addJob('./jobs/convert.js:run', 'cron', { hour: 2, executor: 'isolated', timeout: 600 });
 * ```
 */
export class ProcessPoolExecutor extends PoolExecutor<Tinypool, ChildStop> {
  readonly killGracePeriod: number;
  readonly #execArgv: string[] | undefined;
  #Tinypool: TinypoolClass | undefined;

  constructor(options: ProcessPoolExecutorOptions = {}) {
    super('processpool', options, OPTION_NAMES);
    this.killGracePeriod = coerceNumber(
      'killGracePeriod',
      options.killGracePeriod ?? DEFAULT_KILL_GRACE_PERIOD,
      TIMER_SECONDS,
    );
    this.#execArgv = options.execArgv;
  }

  protected async loadPoolLibrary(): Promise<void> {
    this.#Tinypool = (await import('tinypool')).Tinypool;
  }

  protected openPool(): Tinypool {
    const Tinypool = this.#Tinypool as TinypoolClass;
    return new Tinypool({
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
  }

  protected sendStoppable(
    pool: Tinypool,
    task: RunTask,
    flight: PoolRun<ChildStop>,
  ): Promise<unknown> {
    const stop: ChildStop = { child: new ChildTask(), dequeue: new AbortController() };
    flight.stop = stop;
    this.runs.stopWhenAborted(flight, (stopped) => this.#stop(pool, stopped));
    return pool.run(task, { channel: stop.child.channel, signal: stop.dequeue.signal });
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

  protected async closePool(pool: Tinypool): Promise<void> {
    // Every run still in the pool was cancelled (or timed out): tell each to stop.
    this.runs.stopAborted((flight) => this.#stop(pool, flight));
    // They get their grace period; then every process still running one gets
    // SIGTERM, and SIGKILL after killGracePeriod (runs with a timeout have their own sequence).
    await this.runs.drain(this.abortGracePeriod * 1000);
    if (this.runs.size > 0) {
      for (const worker of pool.threads) this.#terminate(worker.threadId, null);
      await this.runs.drain(this.killGracePeriod * 1000 + 1000);
    }
    await pool.destroy();
  }

  protected warmUpTasks(pool: Tinypool, modules: readonly string[]): Promise<unknown>[] {
    const children: ChildTask[] = [];
    let readyCount = 0;
    const onMessage = (message: unknown): void => {
      if (!isControlMessage(message) || message.horarium !== 'ready') return;
      readyCount += 1;
      if (readyCount < children.length) return;
      // Every process is up and holding its task: release them all.
      for (const [index, child] of children.entries()) {
        child.send({
          horarium: 'abort',
          token: index,
          reason: encodeThrown(new Error('warmed up')),
        } satisfies AbortMessage);
      }
    };
    const tasks: Promise<unknown>[] = [];
    for (let index = 0; index < this.maxWorkers; index += 1) {
      const child = new ChildTask(onMessage);
      children.push(child);
      const task: WarmTask = { op: 'warm', token: index, modules };
      tasks.push(pool.run(task, { channel: child.channel }));
    }
    return tasks;
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** A `processpool` executor from a configuration entry's options; `key` names the entry in errors. */
export function processPoolExecutorFromConfig(
  options: Record<string, unknown>,
  key: string,
): ProcessPoolExecutor {
  const checked = poolOptionsFromConfig(options, key, 'processpool', OPTION_NAMES, [
    'maxWorkers',
    'abortGracePeriod',
    'killGracePeriod',
    'idleTimeout',
  ]);
  const { execArgv } = options;
  if (typeof execArgv === 'string') checked.execArgv = execArgv.split(/\s+/).filter(Boolean);
  else if (
    execArgv !== undefined &&
    !(Array.isArray(execArgv) && execArgv.every((arg) => typeof arg === 'string'))
  )
    throw new ConfigurationError(
      `${key}.execArgv`,
      'expected an array of Node.js flags, or one string of flags separated by spaces',
    );
  return new ProcessPoolExecutor(checked as ProcessPoolExecutorOptions);
}
