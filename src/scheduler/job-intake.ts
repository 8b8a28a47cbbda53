/**
 * How an added job reaches its store: checked and built (`job-builder.ts`),
 * refused at once when its store could never hold it, held in the pending
 * list while the scheduler is stopped or its store has not started, stored
 * with the job defaults in force then, and announced (`EVENT_JOB_ADDED`, a
 * wake-up of the loop for its first run time).
 */
import { EVENT_JOB_ADDED, JobEvent } from '../events.ts';
import { Job, type JobFunction, type JobOwner, type JobState } from '../jobs/job.ts';
import type { DefaultableSetting, JobSettings } from '../jobs/job-fields.ts';
import { debugEnabled, type Logger } from '../logging.ts';
import type { Trigger } from '../triggers/trigger.ts';
import {
  checkFiresSometime,
  firstRunTime,
  type JobBuildContext,
  type PreparedJob,
  prepareJob,
  withCurrentDefaults,
} from './job-builder.ts';
import type { JobLocations } from './job-locations.ts';
import type { Listeners } from './listeners.ts';
import type { ManagedStore } from './managed-store.ts';
import type { PendingJob, PendingJobs } from './pending-jobs.ts';

/** What the intake needs from its scheduler. */
export interface IntakeHost {
  readonly owner: JobOwner;
  readonly build: JobBuildContext;
  readonly stores: ReadonlyMap<string, ManagedStore>;
  readonly locations: JobLocations;
  readonly pending: PendingJobs;
  readonly listeners: Listeners;
  logger(): Logger;
  jobDefaults(): Readonly<Pick<JobSettings, DefaultableSetting>>;
  /** Wakes the loop if a job now runs at `time` (epoch ms), earlier than it planned to wake. */
  wakeFor(time: number): void;
  /** The job's first run time moved to the first its calendar includes (null: paused). */
  includedRunTime(job: Job, jobstore: string, first: Date | null): Promise<Date | null>;
}

export class JobIntake {
  readonly #host: IntakeHost;

  constructor(host: IntakeHost) {
    this.#host = host;
  }

  /** Checks the arguments of `addJob` and builds the job (see `prepareJob`). */
  prepare(
    func: JobFunction,
    trigger: Trigger | string | null | undefined,
    options: object | undefined,
    reference?: string,
  ): PreparedJob {
    return prepareJob(
      this.#host.build,
      func,
      trigger,
      (options ?? {}) as Record<string, unknown>,
      reference,
    );
  }

  /**
   * Lets the target store refuse a job it could never hold (a persistent store
   * and a function without a textual reference, say), before the job is
   * accepted: it fails at addJob, never at start().
   */
  checkStorable(prepared: PreparedJob): void {
    const job = new Job(this.#host.owner, prepared.state, null);
    this.#host.stores.get(prepared.jobstore)?.store.checkJob?.(job);
  }

  /** Holds a job added while the scheduler is stopped. */
  addPending(prepared: PreparedJob): Job {
    this.checkStorable(prepared);
    // Refused now rather than at start(), which computes the first run time.
    if (!prepared.nextRunTimeGiven) checkFiresSometime(prepared.state.trigger, Date.now());
    const job = this.#host.pending.add(prepared, this.#host.owner);
    this.#host
      .logger()
      .info('Adding job tentatively -- it will be properly scheduled when the scheduler starts');
    return job;
  }

  /** Adds a job to its store, under the store's lock. */
  store(prepared: PreparedJob): Promise<Job> {
    return this.#store(
      prepared.state,
      prepared.jobstore,
      prepared.replaceExisting,
      !prepared.nextRunTimeGiven,
    );
  }

  /**
   * {@link store} done synchronously, when the store can take the job at once
   * (see `ManagedStore.addNow`); undefined (nothing done) otherwise.
   */
  storeNow(prepared: PreparedJob): Job | undefined {
    const { jobstore } = prepared;
    const managed = this.#host.stores.get(jobstore);
    if (managed === undefined || !managed.canAddNow(prepared.replaceExisting)) return undefined;
    const added = this.#jobToStore(prepared.state, jobstore, !prepared.nextRunTimeGiven);
    managed.addNow(added, prepared.replaceExisting);
    this.#added(added, jobstore);
    return added;
  }

  /**
   * Stores the jobs added before `start()` whose store has started; the others
   * wait for theirs. All or nothing: when one fails, every one is held again.
   */
  async storePendingOfStartedStores(): Promise<void> {
    const { pending, stores } = this.#host;
    const entries = pending.takeAll();
    const waiting: PendingJob[] = [];
    try {
      for (const entry of entries) {
        if (stores.get(entry.jobstore)?.available === true) await this.#storePending(entry);
        else waiting.push(entry);
      }
    } catch (error) {
      pending.putBack(entries);
      throw error;
    }
    pending.putBack(waiting);
  }

  /** A store has started late (it was retried): the jobs waiting for it are stored. */
  async storePendingOf(managed: ManagedStore): Promise<void> {
    for (const entry of this.#host.pending.takeFor(managed.alias)) {
      try {
        await this.#storePending(entry);
      } catch (error) {
        this.#host
          .logger()
          .error(
            `Job "${entry.job.id}" added before start() could not be added to job store "${managed.alias}"`,
            error,
          );
      }
    }
  }

  /**
   * Stores a job added before `start()`, with the job defaults in force now
   * for what it did not give. A trigger that has finished since the job was
   * added (an end date passed while waiting) adds it paused, with a warning:
   * start() never fails for a job it accepted.
   */
  #storePending(entry: PendingJob): Promise<Job> {
    const state = withCurrentDefaults(entry.job.state(), entry.explicit, this.#host.jobDefaults());
    if (!entry.explicit.has('nextRunTime')) {
      state.nextRunTime = state.trigger.getNextFireTime(null, new Date(Date.now()));
      if (state.nextRunTime === null)
        this.#host
          .logger()
          .warn(
            `Job "${state.name}" (${state.id}) is added paused: its trigger ${String(state.trigger)} has no fire time left`,
          );
    }
    return this.#store(
      state,
      entry.jobstore,
      entry.replaceExisting,
      false,
      !entry.explicit.has('nextRunTime'),
    );
  }

  /**
   * Stores a job under its store's lock. A first run time computed here (not
   * given by the caller) skips the fire times the job's calendar excludes.
   */
  async #store(
    state: JobState,
    jobstore: string,
    replaceExisting: boolean,
    computeNextRunTime: boolean,
    computed: boolean = computeNextRunTime,
  ): Promise<Job> {
    const managed = this.#host.locations.store(jobstore);
    let added = this.#jobToStore(state, jobstore, computeNextRunTime);
    if (computed && added.calendar !== null) {
      const next = await this.#host.includedRunTime(added, jobstore, added.nextRunTime);
      if (next?.getTime() !== added.nextRunTime?.getTime()) added = added.withNextRunTime(next);
    }
    await managed.add(added, replaceExisting);
    this.#added(added, jobstore);
    return added;
  }

  /** The job to store. Without an explicit `nextRunTime` the trigger gives the first run time now. */
  #jobToStore(state: JobState, jobstore: string, computeNextRunTime: boolean): Job {
    if (computeNextRunTime) state.nextRunTime = firstRunTime(state.trigger, Date.now());
    return new Job(this.#host.owner, state, jobstore);
  }

  #added(added: Job, jobstore: string): void {
    const { listeners } = this.#host;
    const logger = this.#host.logger();
    if (debugEnabled(logger)) logger.info(`Added job "${added.name}" to job store "${jobstore}"`);
    if (listeners.wants(EVENT_JOB_ADDED))
      listeners.dispatch(new JobEvent(EVENT_JOB_ADDED, added.id, jobstore));
    this.#host.wakeFor(added.nextRunTimeMs);
  }
}
