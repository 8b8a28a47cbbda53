/**
 * Main side only: one run handed to a pool (thread or process), as the pool
 * executors track it and as `runOnce` returns it.
 *
 * It is a thenable rather than `pool.run(task).then(open)`: `BaseExecutor`
 * calls `then` on what `runOnce` returns, so telling the outcome apart and
 * handing it over happen in one reaction to the pool's promise — one promise
 * and one microtask fewer per run, which is a measurable part of the executor
 * layer's overhead over the raw pool.
 */
import type { JobRun } from '../../jobs/current-job.ts';
import type { Job } from '../../jobs/job.ts';
import { isRunFailure, poolFailure } from './envelope.ts';
import { failureError } from './error-classes.ts';

/** Told when a run leaves its pool, whatever the outcome. */
export interface RunLandings<Stop> {
  /** `poolFailed`: the pool failed the task itself (its worker died or was stopped, the task could not be sent). */
  land(run: PoolRun<Stop>, poolFailed: boolean): void;
}

/** What a run's `sent` is until the executor hands its task over: never settles. */
const NOT_SENT: Promise<unknown> = new Promise(() => {});

/**
 * One run in a pool. `Stop` is what its executor needs to stop it early; only
 * runs with a timeout have one, so the common run pays for none.
 */
export class PoolRun<Stop = unknown> implements PromiseLike<unknown> {
  readonly job: Job;
  readonly run: JobRun;
  /** Tells this run's control messages apart from other runs'. */
  readonly token: number;
  readonly funcRef: string;
  /** The pool's promise for the task; set by the executor when it hands the task over. */
  sent: Promise<unknown> = NOT_SENT;
  /** Its worker was asked to stop it (timeout, cancellation): a failure is then the signal's reason. */
  stopping = false;
  /** Set when the run can no longer reach a worker, before its pool is torn down: what it fails with. */
  failure: Error | null = null;
  /** How its executor stops it early (runs with a timeout only). */
  stop: Stop | null = null;
  /** Timers of its stop sequence; cleared when it lands. */
  timers: NodeJS.Timeout[] | null = null;
  /** Has it left the pool? */
  landed = false;
  /** Neighbours in the executor's list of runs in flight. */
  previous: PoolRun<Stop> | null = null;
  next: PoolRun<Stop> | null = null;
  readonly #landings: RunLandings<Stop>;

  constructor(job: Job, run: JobRun, token: number, funcRef: string, landings: RunLandings<Stop>) {
    this.job = job;
    this.run = run;
    this.token = token;
    this.funcRef = funcRef;
    this.#landings = landings;
  }

  /** Calls `action` in `seconds` unless the run has landed by then; the timer is cleared when it lands. */
  after(seconds: number, action: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      if (!this.landed) action();
    }, seconds * 1000);
    this.timers ??= [];
    this.timers.push(timer);
    return timer;
  }

  /** What the run failed with: what the job threw, a failure to start, the signal's reason, a crash. */
  #failureOf(reason: unknown): unknown {
    if (isRunFailure(reason)) {
      this.#landings.land(this, false);
      return failureError(reason.horariumFailure, this.job.id, this.funcRef);
    }
    this.#landings.land(this, true);
    if (this.failure !== null) return this.failure;
    // Stopped on purpose: the run was already reported with its signal's reason.
    if (this.stopping) return this.run.signal.reason;
    return poolFailure(this.job, this.funcRef, reason);
  }

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose (see the module comment).
  then<A = unknown, B = never>(
    onfulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return this.sent.then(
      (value) => {
        this.#landings.land(this, false);
        return onfulfilled == null ? (value as A) : onfulfilled(value);
      },
      (reason: unknown) => {
        const error = this.#failureOf(reason);
        if (onrejected == null) throw error;
        return onrejected(error);
      },
    );
  }
}
