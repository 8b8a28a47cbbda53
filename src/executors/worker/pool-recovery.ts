/**
 * Main side only: keeps the runs queued in a pool from waiting forever.
 *
 * Piscina and tinypool start a worker only when a task is handed to them, and
 * replace a worker that died only up to `minThreads` — 0 in Horarium's pools,
 * so that idle workers can exit. When the last worker goes (it crashed, was
 * terminated at a timeout, or never started), the runs queued behind it wait
 * for the next run to start a worker; when workers cannot start at all (the
 * runner does not load), they wait forever, holding their `maxInstances`
 * slots. After either kind of event this looks at the pool: with runs waiting
 * and no worker left, it starts one (a ping task) — or, when a worker failed
 * to start, has the executor fail the waiting runs and replace the pool.
 */
import type { PingTask } from './envelope.ts';

/** What the recovery needs of a pool (piscina and tinypool both have it). */
export interface RecoverablePool {
  /** The pool's workers, those still starting included. */
  readonly threads: readonly unknown[];
  run(task: PingTask): Promise<unknown>;
}

export interface PoolRecoveryOptions<P extends RecoverablePool> {
  /** The executor's pool now (undefined once it shuts down). */
  pool(): P | undefined;
  /** Are runs (or warm-up tasks) waiting for a worker of this pool? */
  pending(): boolean;
  /** Workers of `pool` failed to start and none is left: fail the waiting runs and replace the pool. */
  startFailed(pool: P, error: unknown): void;
}

const PING: PingTask = { op: 'ping' };

export class PoolRecovery<P extends RecoverablePool> {
  readonly #options: PoolRecoveryOptions<P>;
  #scheduled = false;
  /** A worker of this pool failed outside of any task since the last check. */
  #failedStart: { pool: P; error: unknown } | null = null;

  constructor(options: PoolRecoveryOptions<P>) {
    this.#options = options;
  }

  /**
   * A worker failed outside of any task (pools report it as an `'error'`
   * event). With runs waiting in its pool, that is a worker that never
   * started: a ready worker takes the waiting runs as soon as it is free.
   */
  workerFailed(pool: P, error: unknown): void {
    this.#failedStart = { pool, error };
    this.#schedule();
  }

  /** The pool failed a task itself (its worker died or was stopped): its last worker may be gone. */
  taskFailed(): void {
    this.#schedule();
  }

  /** Checks once the pool has settled: several runs failing together make one check. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#check());
  }

  #check(): void {
    this.#scheduled = false;
    const failedStart = this.#failedStart;
    this.#failedStart = null;
    const pool = this.#options.pool();
    if (pool === undefined || pool.threads.length > 0 || !this.#options.pending()) return;
    if (failedStart !== null && failedStart.pool === pool) {
      this.#options.startFailed(pool, failedStart.error);
      return;
    }
    // Its answer does not matter; a failure to start is reported as a pool error.
    pool.run(PING).catch(() => {});
  }
}
