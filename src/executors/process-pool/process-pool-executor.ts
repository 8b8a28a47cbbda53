/**
 * The `processpool` executor: runs jobs in child processes (tinypool's
 * `child_process` runtime). Jobs must name their function by a textual
 * `'module:export'` reference; the generic runner
 * (src/executors/worker/runner.ts) imports and calls it in the child.
 */
import type { Tinypool, TinypoolChannel, TinypoolWorker } from 'tinypool';
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
  type Envelope,
  encodeThrown,
  isControlMessage,
  poolTarget,
  type RunTask,
  type WarmTask,
} from '../worker/envelope.ts';
import { openEnvelope } from '../worker/error-classes.ts';
import { PoolRun } from '../worker/pool-run.ts';
import { runnerEntry } from '../worker/runner.ts';

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

/** One run handed to the pool, with what stopping a run with a timeout takes. */
class Flight extends PoolRun {
  /** Runs with a timeout: the IPC link to the child running it, and tinypool's signal. */
  child: ChildTask | null = null;
  dequeue: AbortController | null = null;
  /** Grace-period and kill timers (made only when a run is stopped). */
  timers: NodeJS.Timeout[] | null = null;

  addTimer(timer: NodeJS.Timeout): void {
    this.timers ??= [];
    this.timers.push(timer);
  }
}

/** One task handed to tinypool, with the IPC link to whichever child runs it. */
class ChildTask {
  readonly channel: TinypoolChannel;
  /** Sends to the child running the task; set when tinypool hands the task to a child. */
  #send: ((message: unknown) => void) | undefined;
  #pending: unknown[] = [];

  constructor(onMessage: (message: unknown) => void = () => {}) {
    this.channel = {
      onMessage: (send) => {
        this.#send = send;
        for (const message of this.#pending) send(message);
        this.#pending = [];
      },
      postMessage: onMessage,
    };
  }

  /** Has a child taken the task? */
  get dispatched(): boolean {
    return this.#send !== undefined;
  }

  send(message: unknown): void {
    if (this.#send === undefined) this.#pending.push(message);
    else this.#send(message);
  }
}

/**
 * Runs each job in a child process from a tinypool pool of up to
 * `maxWorkers` processes. The job's `currentJob().signal` aborts in the child
 * on timeout or cancellation; a run that has not stopped `abortGracePeriod`
 * seconds later has its process sent SIGTERM, then SIGKILL after
 * `killGracePeriod` seconds. A process that dies (uncaught error,
 * `process.exit`, out of memory, a signal) is replaced and the run reported
 * with a `WorkerCrashedError`.
 */
export class ProcessPoolExecutor extends BaseExecutor {
  readonly maxWorkers: number;
  readonly abortGracePeriod: number;
  readonly killGracePeriod: number;
  readonly idleTimeout: number;
  readonly #preload: string[];
  readonly #execArgv: string[] | undefined;
  #pool: Tinypool | undefined;
  #nextToken = 1;
  /** The runs handed to the pool that have not come back, by task token. */
  readonly #flights = new Map<number, Flight>();
  /** Called when the last run in the pool comes back. */
  readonly #drained: (() => void)[] = [];

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
  }

  /** Rejects plain functions, registered task names and uncloneable arguments at `addJob` time. */
  validateJob(job: Job): void {
    poolTarget(job, 'processpool');
    checkPoolArgs(job, 'processpool');
  }

  override async start(context: ExecutorContext, alias: string): Promise<void> {
    const { Tinypool } = await import('tinypool');
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
      context.logger.error(
        `A child process of executor "${alias}" failed outside of any job`,
        error,
      );
    });
    this.#pool = pool;
    await super.start(context, alias);
    if (this.#preload.length > 0) await this.#warmUp(pool, this.#preload);
  }

  protected runOnce(job: Job, run: JobRun): PromiseLike<unknown> {
    const pool = this.#pool;
    if (pool === undefined) throw new ExecutorNotRunningError(this.alias);
    const { reference, funcRef } = poolTarget(job, 'processpool');
    const token = this.#nextToken++;
    const task: RunTask = [token, reference, job.id, run.scheduledRunTime.getTime(), job.args];
    const flight = new Flight(job, run, token, funcRef, this.#land);
    this.#flights.set(token, flight);
    if (job.timeout === null) {
      // The common case pays for no channel, AbortController or listener: such a run
      // is only ever cancelled by shutdown, which stops it (see onShutdown).
      flight.sent = pool.run(task);
    } else {
      const child = new ChildTask();
      const dequeue = new AbortController();
      flight.child = child;
      flight.dequeue = dequeue;
      run.signal.addEventListener('abort', () => this.#stop(pool, flight), { once: true });
      flight.sent = pool.run(task, { channel: child.channel, signal: dequeue.signal });
    }
    return flight;
  }

  /**
   * Asks the child to abort the run's signal; a run with its own channel (a
   * timeout) has its process sent SIGTERM `abortGracePeriod` seconds later if
   * it still runs, SIGKILL after `killGracePeriod` more. Other runs are only
   * stopped by shutdown, which does the same to every process.
   */
  #stop(pool: Tinypool, flight: Flight): void {
    if (flight.stopping || !this.#flights.has(flight.token)) return;
    flight.stopping = true;
    const message: AbortMessage = {
      horarium: 'abort',
      token: flight.token,
      reason: encodeThrown(flight.run.signal.reason),
    };
    const { child, dequeue } = flight;
    if (child === null || dequeue === null) {
      // No channel of its own: every child hears it, the one running the task acts on it.
      for (const worker of pool.threads)
        (worker as TinypoolWorker & WorkerInternals).send?.(message);
      return;
    }
    if (!child.dispatched) {
      // Still queued: tinypool drops it.
      dequeue.abort();
      return;
    }
    child.send(message);
    flight.addTimer(
      setTimeout(() => {
        if (this.#flights.has(flight.token)) this.#kill(pool, flight, child, dequeue);
      }, this.abortGracePeriod * 1000),
    );
  }

  /** SIGTERM to the child running the task, SIGKILL `killGracePeriod` seconds later if it is still there. */
  #kill(pool: Tinypool, flight: Flight, child: ChildTask, dequeue: AbortController): void {
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

  /** SIGTERM now, SIGKILL `killGracePeriod` seconds later while the flight is still in the pool. */
  #terminate(pid: number, flight: Flight | null): void {
    signalProcess(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (flight === null || this.#flights.has(flight.token)) signalProcess(pid, 'SIGKILL');
    }, this.killGracePeriod * 1000);
    timer.unref();
    flight?.addTimer(timer);
  }

  /** A task has left the pool. */
  readonly #land = (run: PoolRun): void => {
    const flight = run as Flight;
    if (flight.timers !== null) for (const timer of flight.timers) clearTimeout(timer);
    this.#flights.delete(flight.token);
    if (this.#flights.size === 0 && this.#drained.length > 0) {
      for (const resolve of this.#drained.splice(0)) resolve();
    }
  };

  /** Resolves once no task is in the pool, or after `ms` milliseconds. */
  #drain(ms: number): Promise<void> {
    if (this.#flights.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#drained.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  protected override onShutdown(wait: boolean): Promise<void> | void {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool === undefined) return;
    // Every run still in the pool was cancelled (or timed out): tell each to stop.
    for (const flight of this.#flights.values()) {
      if (flight.run.signal.aborted) this.#stop(pool, flight);
    }
    const teardown = (async () => {
      // They get their grace period; then every process still running one gets
      // SIGTERM, and SIGKILL after killGracePeriod (runs with a timeout have their own sequence).
      await this.#drain(this.abortGracePeriod * 1000);
      if (this.#flights.size > 0) {
        for (const worker of pool.threads) this.#terminate(worker.threadId, null);
        await this.#drain(this.killGracePeriod * 1000 + 1000);
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
    const runs: Promise<Envelope>[] = [];
    for (let index = 0; index < this.maxWorkers; index += 1) {
      const child = new ChildTask(onMessage);
      children.push(child);
      const task: WarmTask = { op: 'warm', token: index, modules };
      runs.push(pool.run(task, { channel: child.channel }) as Promise<Envelope>);
    }
    for (const result of await Promise.all(runs)) {
      if (!Array.isArray(result)) openEnvelope(result, '(warm-up)', '(warm-up)');
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
