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
  decodeThrown,
  type Envelope,
  encodeThrown,
  isControlMessage,
  poolFailure,
  poolTarget,
  type RunTask,
  type WarmTask,
} from '../worker/envelope.ts';
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

/** One task handed to tinypool, with the IPC link to whichever child runs it. */
class ChildTask {
  readonly channel: TinypoolChannel;
  /** Sends to the child running the task; set when tinypool hands the task to a child. */
  #send: ((message: unknown) => void) | undefined;
  #pending: unknown[] = [];

  constructor(onMessage: (message: unknown) => void) {
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
  /** Settles when each task handed to the pool has left it (finished, failed or killed). */
  readonly #inflight = new Set<Promise<void>>();

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

  protected runOnce(job: Job, run: JobRun): Promise<unknown> {
    const pool = this.#pool;
    if (pool === undefined) throw new ExecutorNotRunningError(this.alias);
    const { reference, funcRef } = poolTarget(job, 'processpool');
    const token = this.#nextToken++;
    const task: RunTask = {
      op: 'run',
      token,
      reference,
      funcRef,
      jobId: job.id,
      runTime: run.scheduledRunTime.getTime(),
      args: job.args,
    };
    const child = new ChildTask(() => {});
    const dequeue = new AbortController();
    let stopping = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const signal = run.signal;
    const onAbort = (): void => {
      stopping = true;
      if (!child.dispatched) {
        // Still queued: tinypool drops it.
        dequeue.abort();
        return;
      }
      child.send({
        horarium: 'abort',
        token,
        reason: encodeThrown(signal.reason),
      } satisfies AbortMessage);
      timers.push(
        setTimeout(() => {
          if (!settled) this.#kill(pool, child, dequeue, timers, () => settled);
        }, this.abortGracePeriod * 1000),
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const outcome = (
      pool.run(task, { channel: child.channel, signal: dequeue.signal }) as Promise<Envelope>
    ).then(
      (envelope) => {
        if (envelope.ok) return envelope.value;
        throw decodeThrown(envelope.error);
      },
      (error: unknown) => {
        // Stopped on purpose: the run was already reported with its signal's reason.
        if (stopping) throw signal.reason;
        throw poolFailure(job, funcRef, error);
      },
    );
    const left: Promise<void> = outcome
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#inflight.delete(left);
      });
    this.#inflight.add(left);
    return outcome;
  }

  /** SIGTERM to the child running the task, SIGKILL `killGracePeriod` seconds later if it is still there. */
  #kill(
    pool: Tinypool,
    child: ChildTask,
    dequeue: AbortController,
    timers: NodeJS.Timeout[],
    settled: () => boolean,
  ): void {
    const worker = pool.threads.find(
      (candidate: TinypoolWorker) =>
        (candidate as TinypoolWorker & { channel?: unknown }).channel === child.channel,
    );
    if (worker === undefined) {
      // Not found (tinypool internals changed?): tinypool's own stop (SIGTERM, SIGKILL after 1 s).
      dequeue.abort();
      return;
    }
    const pid = worker.threadId;
    signalProcess(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (!settled()) signalProcess(pid, 'SIGKILL');
    }, this.killGracePeriod * 1000);
    timer.unref();
    timers.push(timer);
  }

  protected override onShutdown(wait: boolean): Promise<void> | void {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool === undefined) return;
    // Aborted runs get their grace period (and their kill sequence) first.
    const teardown = Promise.all([...this.#inflight]).then(() => pool.destroy());
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
      if (!result.ok) throw decodeThrown(result.error);
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
