/**
 * Main side only: one run handed to a pool (thread or process), as the pool
 * executors track it and as `runOnce` returns it.
 *
 * It is a thenable rather than `pool.run(task).then(open)`: `BaseExecutor`
 * calls `then` on what `runOnce` returns, so opening the envelope and handing
 * the outcome over happen in one reaction to the pool's promise — one promise
 * and one microtask fewer per run, which is a measurable part of the executor
 * layer's overhead over the raw pool.
 */
import type { JobRun } from '../../jobs/current-job.ts';
import type { Job } from '../../jobs/job.ts';
import { type Envelope, poolFailure } from './envelope.ts';
import { openEnvelope } from './error-classes.ts';

export class PoolRun implements PromiseLike<unknown> {
  readonly job: Job;
  readonly run: JobRun;
  /** Tells this run's control messages apart from other runs'. */
  readonly token: number;
  readonly funcRef: string;
  /** Its worker was asked to stop it (timeout, cancellation): a failure is then the signal's reason. */
  stopping = false;
  /** What the pool's promise settled with; set by the executor when it hands the task over. */
  sent: Promise<unknown> = Promise.resolve();
  readonly #landed: (run: PoolRun) => void;

  /** `landed` is called once, when the task has left the pool (whatever the outcome). */
  constructor(
    job: Job,
    run: JobRun,
    token: number,
    funcRef: string,
    landed: (run: PoolRun) => void,
  ) {
    this.job = job;
    this.run = run;
    this.token = token;
    this.funcRef = funcRef;
    this.#landed = landed;
  }

  #done = false;

  #land(): void {
    if (this.#done) return;
    this.#done = true;
    this.#landed(this);
  }

  /** The run's value, or throws what it failed with (what the job threw, a crash, the signal's reason). */
  #open(envelope: unknown): unknown {
    this.#land();
    return openEnvelope(envelope as Envelope, this.job.id, this.funcRef);
  }

  #fail(error: unknown): never {
    this.#land();
    // Stopped on purpose: the run was already reported with its signal's reason.
    if (this.stopping) throw this.run.signal.reason;
    throw poolFailure(this.job, this.funcRef, error);
  }

  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose (see the module comment).
  then<A = unknown, B = never>(
    onfulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return this.sent.then(
      (envelope) => {
        let value: unknown;
        try {
          value = this.#open(envelope);
        } catch (error) {
          if (onrejected == null) throw error;
          return onrejected(error);
        }
        return onfulfilled == null ? (value as A) : onfulfilled(value);
      },
      (error: unknown) => {
        let reason: unknown;
        try {
          this.#fail(error);
        } catch (thrown) {
          reason = thrown;
        }
        if (onrejected == null) throw reason;
        return onrejected(reason);
      },
    );
  }
}
