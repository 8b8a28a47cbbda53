/**
 * Retries of the fires of a store kept in the process (the memory store): a
 * failed or timed-out run of a job with `retry` is recorded `retried` in the
 * store's fire ring and submitted again after its backoff, as the next
 * attempt of the same fire. Nothing survives the process, as nothing of a
 * memory store does; a shutdown records the retries still waiting as
 * cancelled. (A shared store keeps its pending retries in its ledger:
 * `../cluster/store-node.ts`.)
 */
import { EVENT_JOB_RETRY, JobRetryEvent, type SchedulerEvent } from '../../events.ts';
import {
  type Executor,
  type FireChange,
  MaxInstancesReachedError,
} from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import { retriesLeft, retryDelayMs } from '../../jobs/retry.ts';
import type { Logger } from '../../logging.ts';
import type { FireRing } from '../../stores/fire-ring.ts';
import { errorSummary } from '../cluster/store-node.ts';

/** How long a retry refused for `maxInstances`, or due while the scheduler is paused, waits before it asks again. */
const BUSY_WAIT_MS = 1000;

export interface LocalRetryHost {
  readonly logger: Logger;
  executor(alias: string): Executor | undefined;
  /** True while the scheduler runs and is not paused. */
  isProcessing(): boolean;
  dispatch(event: SchedulerEvent): void;
  wants(mask: number): boolean;
}

interface Pending {
  readonly ring: FireRing;
  readonly job: Job;
  readonly scheduledTime: number;
  timer: NodeJS.Timeout;
}

export class LocalRetries {
  readonly #host: LocalRetryHost;
  /** Retries waiting for their time, by fire id. */
  readonly #pending = new Map<string, Pending>();

  constructor(host: LocalRetryHost) {
    this.#host = host;
  }

  /** How many retries wait now. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * A run of a fire of `ring` ended: when it failed or timed out and its job
   * has retries left, the fire is recorded `retried` and its next attempt
   * timed. Returns false when the change is not a retry's (the caller records it).
   */
  ended(ring: FireRing, alias: string, change: FireChange): boolean {
    const { job, state } = change;
    if (state !== 'failed' && state !== 'timed_out') return false;
    const attempt = change.attempt ?? 1;
    if (!retriesLeft(job.retry, attempt) || job.retry === null) return false;
    const now = Date.now();
    const retryAt = now + retryDelayMs(job.retry, attempt);
    const error = change.error === undefined ? undefined : errorSummary(change.error);
    const scheduledTime = ring.retried(change.fireId, now, retryAt, error);
    if (scheduledTime === undefined) return false;
    this.#arm(change.fireId, { ring, job, scheduledTime }, retryAt - now);
    if (this.#host.wants(EVENT_JOB_RETRY))
      this.#host.dispatch(
        new JobRetryEvent(job.id, alias, {
          scheduledRunTime: new Date(scheduledTime),
          fireId: change.fireId,
          attempt: attempt + 1,
          retryAt: new Date(retryAt),
          exception: change.error,
        }),
      );
    return true;
  }

  /** Shutdown: the retries still waiting are recorded cancelled. */
  stop(): void {
    const now = Date.now();
    for (const [fireId, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.ring.update(fireId, 'cancelled', now);
    }
    this.#pending.clear();
  }

  #arm(fireId: string, pending: Omit<Pending, 'timer'>, delayMs: number): void {
    const timer = setTimeout(() => this.#run(fireId), delayMs);
    // The scheduler keeps the process alive while it runs; a waiting retry does not on its own.
    timer.unref();
    this.#pending.set(fireId, { ...pending, timer });
  }

  #run(fireId: string): void {
    const pending = this.#pending.get(fireId);
    if (pending === undefined) return;
    this.#pending.delete(fireId);
    const { ring, job, scheduledTime } = pending;
    if (!this.#host.isProcessing()) {
      this.#arm(fireId, pending, BUSY_WAIT_MS);
      return;
    }
    const executor = this.#host.executor(job.executor);
    if (executor === undefined) {
      ring.update(fireId, 'cancelled', Date.now());
      this.#host.logger.error(
        `The retry of job "${job.name}" (${job.id}) cannot run: executor "${job.executor}" is gone`,
      );
      return;
    }
    const at = Date.now();
    const attempt = ring.rerun(fireId, at);
    if (attempt === undefined) return;
    try {
      executor.submitJob(job, [new Date(scheduledTime)], {
        fires: [{ fireId, fencingToken: 0, recovering: false, attempt }],
      });
    } catch (error) {
      // A retry counts toward maxInstances: it waits for a running instance to end.
      if (error instanceof MaxInstancesReachedError) {
        ring.rerunRefused(fireId, at + BUSY_WAIT_MS);
        this.#arm(fireId, pending, BUSY_WAIT_MS);
        return;
      }
      ring.update(fireId, 'failed', at, errorSummary(error));
      this.#host.logger.error(`Could not run the retry of job "${job.name}" (${job.id})`, error);
    }
  }
}
