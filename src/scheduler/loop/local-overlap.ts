/**
 * The `overlap` option on a store kept in the process (the memory store):
 * what a batch the executor refused for `maxInstances` does. `'queue'`: the
 * latest refused run waits (one per job; a later one takes its place) and is
 * submitted as soon as an instance of the job ends. `'replace'`: the oldest
 * running instance is aborted through its signal, and the new run waits as a
 * queued one until that instance has ended. (Shared stores do this in their
 * ledger: `cluster-pass.ts`.)
 */
import {
  type FireChange,
  JobCancelledError,
  MaxInstancesReachedError,
  type RunFire,
} from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import type { FireRing } from '../../stores/fire-ring.ts';
import type { LocalRetryHost } from './local-retries.ts';

/** How often a queued run asks its executor again when no fire of its job reports its end. */
const POLL_MS = 250;

/** What the overlap of local jobs needs of its scheduler (as local retries do). */
export type LocalOverlapHost = Pick<LocalRetryHost, 'logger' | 'executor' | 'isProcessing'>;

interface Queued {
  readonly job: Job;
  readonly runTime: Date;
  readonly ring: FireRing | undefined;
  readonly fire: RunFire | undefined;
}

export class LocalOverlap {
  readonly #host: LocalOverlapHost;
  /** The run waiting per job id. */
  readonly #queued = new Map<string, Queued>();
  /** The running fires per job id, oldest first (jobs whose store keeps fires). */
  readonly #running = new Map<string, string[]>();
  #timer: NodeJS.Timeout | undefined;

  constructor(host: LocalOverlapHost) {
    this.#host = host;
  }

  /**
   * The executor refused `job`'s batch for `maxInstances`: true when its
   * overlap option took care of it (queued; for 'replace', the oldest
   * instance aborted too), false for 'skip' (the caller records it skipped).
   */
  refused(
    job: Job,
    runTimes: readonly Date[],
    ring: FireRing | undefined,
    fires: readonly RunFire[] | undefined,
  ): boolean {
    if (job.overlap === 'skip') return false;
    const now = Date.now();
    const last = runTimes.length - 1;
    // One run waits: the latest refused time; the others (and an earlier waiting one) are skipped.
    fires?.forEach((fire, i) => {
      if (i !== last) ring?.update(fire.fireId, 'skipped_max_instances', now);
    });
    const before = this.#queued.get(job.id);
    if (before?.fire !== undefined)
      before.ring?.update(before.fire.fireId, 'skipped_max_instances', now);
    const fire = fires?.[last];
    if (fire !== undefined) ring?.update(fire.fireId, 'queued', now);
    this.#queued.set(job.id, { job, runTime: runTimes[last] as Date, ring, fire });
    if (job.overlap === 'replace') this.#abortOldest(job);
    this.#arm();
    return true;
  }

  /** A fire's start or end (stores that keep fires): an end gives a queued run of its job its turn. */
  changed(change: FireChange): void {
    const { job, fireId, state } = change;
    if (job.overlap === 'skip') return;
    const running = this.#running.get(job.id) ?? [];
    if (state === 'running') {
      running.push(fireId);
      this.#running.set(job.id, running);
      return;
    }
    const at = running.indexOf(fireId);
    if (at >= 0) running.splice(at, 1);
    if (running.length === 0) this.#running.delete(job.id);
    if (this.#queued.has(job.id)) queueMicrotask(() => this.#submit(job.id));
  }

  /** Shutdown: the waiting runs are recorded cancelled. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = Date.now();
    for (const { ring, fire } of this.#queued.values())
      if (fire !== undefined) ring?.update(fire.fireId, 'cancelled', now);
    this.#queued.clear();
    this.#running.clear();
  }

  #abortOldest(job: Job): void {
    const oldest = this.#running.get(job.id)?.[0];
    if (oldest === undefined) {
      this.#host.logger.warn(
        `Job "${job.name}" (${job.id}) cannot replace its running instance (its store keeps no fire history): the new run waits for it to end`,
      );
      return;
    }
    const reason = new JobCancelledError(
      job.id,
      'a newer fire of the job replaced this run (overlap: replace)',
    );
    this.#host.executor(job.executor)?.abortFire?.(job.id, oldest, reason);
  }

  /** Polls while runs wait: a store without fire history reports no ends. */
  #arm(): void {
    if (this.#timer !== undefined || this.#queued.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      for (const jobId of [...this.#queued.keys()]) this.#submit(jobId);
      this.#arm();
    }, POLL_MS);
    this.#timer.unref();
  }

  #submit(jobId: string): void {
    const queued = this.#queued.get(jobId);
    if (queued === undefined || !this.#host.isProcessing()) return;
    const { job, runTime, ring, fire } = queued;
    const executor = this.#host.executor(job.executor);
    if (executor === undefined) return;
    try {
      executor.submitJob(job, [runTime], fire === undefined ? undefined : { fires: [fire] });
      this.#queued.delete(jobId);
    } catch (error) {
      if (error instanceof MaxInstancesReachedError) return; // still busy: the next end or poll
      this.#queued.delete(jobId);
      if (fire !== undefined) ring?.update(fire.fireId, 'cancelled', Date.now());
      this.#host.logger.error(
        `Could not run the queued run of job "${job.name}" (${job.id})`,
        error,
      );
    }
  }
}
