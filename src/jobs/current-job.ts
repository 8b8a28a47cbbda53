/** `currentJob()`: what a running job can know about its own run. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export interface CurrentJob {
  /** The job's id. */
  readonly id: string;
  /** The run time this run was scheduled for. */
  readonly scheduledRunTime: Date;
  /**
   * Aborted when the run times out, the scheduler shuts down without waiting,
   * or (shared stores) the scheduler lost the run's lease; `signal.reason` says why.
   */
  readonly signal: AbortSignal;
  /** The id of the fire this run carries out: the row of the store's ledger that records it. */
  readonly fireId: string;
  /**
   * The job's fencing token for this run: strictly increasing per job, so a
   * system the job writes to can refuse the writes of a stale holder (a run
   * whose lease another scheduler has taken over). 0 for a job in the memory
   * store, which no other scheduler shares.
   */
  readonly fencingToken: number;
  /** True when this run takes over the fire of a scheduler that died while running it (`recover: true`). */
  readonly recovering: boolean;
  /** Which run of its fire this is: 1, then 2 for its first retry (`retry`), and so on. */
  readonly attempt: number;
}

/** The fire a run carries out, as the scheduler's ledger records it. */
export interface RunFireInfo {
  readonly fireId: string;
  readonly fencingToken: number;
  readonly recovering: boolean;
  /** Which run of the fire this is (absent: 1). */
  readonly attempt?: number;
}

const storage = new AsyncLocalStorage<CurrentJob>();

/**
 * One run of a job as `currentJob()` shows it. Its AbortController is created
 * only when someone reads `signal`: most jobs never do, and a controller per
 * run is a measurable part of the cost of a run.
 */
export class JobRun implements CurrentJob {
  readonly id: string;
  readonly scheduledRunTime: Date;
  /** The ledger fire, when the job's store keeps one for it. */
  readonly fire: RunFireInfo | undefined;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  /** A run without a ledger fire gets an id only when asked for one. */
  #localFireId: string | undefined;

  constructor(id: string, scheduledRunTime: Date, fire?: RunFireInfo) {
    this.id = id;
    this.scheduledRunTime = scheduledRunTime;
    this.fire = fire;
  }

  get fireId(): string {
    if (this.fire !== undefined) return this.fire.fireId;
    this.#localFireId ??= randomBytes(16).toString('hex');
    return this.#localFireId;
  }

  get fencingToken(): number {
    return this.fire?.fencingToken ?? 0;
  }

  get recovering(): boolean {
    return this.fire?.recovering ?? false;
  }

  get attempt(): number {
    return this.fire?.attempt ?? 1;
  }

  /** Has the run's signal been aborted? */
  get aborted(): boolean {
    return this.#aborted;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts the run's signal (now, or as soon as it is read). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/**
 * In a pool worker, the run in progress when it started without
 * AsyncLocalStorage (see {@link runAsWorkerJob}): what `currentJob()` returns
 * to code that has no store.
 */
let unscopedRun: CurrentJob | undefined;
/** Has any code in this thread asked for its current job? */
let asked = false;

/**
 * The job whose function is running in the current async context, or
 * undefined outside a job.
 *
 * @example
 * ```ts
 * async function report() {
 *   const { id, signal } = currentJob()!;
 *   await fetch(url, { signal });
 * }
 * ```
 */
export function currentJob(): CurrentJob | undefined {
  asked = true;
  return storage.getStore() ?? unscopedRun;
}

/**
 * Runs `fn` with `job` as the current job: what `currentJob()` returns inside
 * `fn` and in the async calls it starts. An executor calls a job's function
 * through it (`BaseExecutor.runOnce` gets the run to pass).
 *
 * @example
 * ```ts
 * protected runOnce(job: Job, run: JobRun): unknown {
 *   return runAsCurrentJob(run, () => job.func(...job.args));
 * }
 * ```
 */
export function runAsCurrentJob<T>(job: CurrentJob, fn: () => T): T {
  return storage.run(job, fn);
}

/**
 * Calls `fn(...args)` as `job` in a pool worker, which runs one job at a time; call
 * {@link endWorkerJob} once the run has settled.
 *
 * In Node 20, using AsyncLocalStorage at all puts hooks on every promise the
 * thread creates, the pool's own included — a large part of a tiny job's
 * cost in a worker. So until some code in this thread has called
 * `currentJob()`, runs skip it, and `currentJob()` returns the run in
 * progress: right for the job itself, synchronous or not. The first call
 * switches the following runs to AsyncLocalStorage, so that work a run
 * leaves behind keeps seeing its own run. (While that first asking run is in
 * progress, code outside of it would see it too.)
 */
export function runAsWorkerJob<A extends unknown[], T>(
  job: CurrentJob,
  fn: (...args: A) => T,
  args: A,
): T {
  if (asked) return storage.run(job, () => fn(...args));
  unscopedRun = job;
  return fn(...args);
}

/** The run started by {@link runAsWorkerJob} has settled. */
export function endWorkerJob(job: CurrentJob): void {
  if (unscopedRun === job) unscopedRun = undefined;
}
