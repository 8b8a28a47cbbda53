/**
 * This scheduler as a node of one shared store: it checks in and measures its
 * clock against the store's, keeps the run leases of the fires it holds
 * (aborting a run whose lease it can no longer be sure of), records their
 * starts and outcomes, reaps the fires of nodes that died, and on a graceful
 * shutdown gives its claims back so that peers take over at once.
 */
import { hostname } from 'node:os';
import {
  EVENT_JOB_ABANDONED,
  EVENT_JOB_LEASE_LOST,
  EVENT_JOB_RETRY,
  JobAbandonedEvent,
  JobExecutionEvent,
  JobRetryEvent,
  type SchedulerEvent,
} from '../../events.ts';
import {
  type Executor,
  type FireChange,
  JobCancelledError,
  LeaseLostError,
  MaxInstancesReachedError,
  type SubmitOptions,
} from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import { retriesLeft, retryDelayMs } from '../../jobs/retry.ts';
import type { Logger } from '../../logging.ts';
import type { ClusterLedger, FireRecord, FireUpdate, NodeRecord } from '../../stores/ledger.ts';
import { leaseChannel, type PublishingScheduler } from '../../tracing/channels.ts';
import { VERSION } from '../../version.ts';
import type { RetentionSettings } from '../history/retention-options.ts';
import { reportLease } from '../tracing/leases.ts';
import type { ClusterSettings } from './cluster-options.ts';
import { NodeIdInUseError } from './errors.ts';
import { FireBook, type HeldFire, hangAllowanceOf } from './fire-book.ts';
import { FirePurger } from './fire-purger.ts';
import { FireWriter } from './fire-writer.ts';
import { LeaseWorkerClient } from './lease-keeper.ts';
import { randomId } from './random-ids.ts';
import { WakeUps } from './wake-ups.ts';

/** A clock skew beyond this is logged as a warning. */
const SKEW_WARNING_MS = 1000;
/** Expired fires reaped per store call, and calls per reaper round at most. */
const REAP_LIMIT = 100;
const REAP_ROUNDS = 10;
/** The wait before looking again at a due job another node holds, first and longest. */
const MIN_CONTENDED_MS = 50;
const MAX_CONTENDED_MS = 2000;
/** Error messages are trimmed to this many characters in the ledger. */
const ERROR_MESSAGE_LENGTH = 1000;
/**
 * The first reaper round after joining comes this soon (ms), so that retries
 * left waiting in the ledger (by this node before a restart, or by a node
 * that stopped) run about when they are due.
 */
const FIRST_REAP_MS = 1000;
/**
 * After a run of a job with `overlap: 'queue'` ends, the reaper looks for its
 * queued fire this soon (ms): once the run's outcome is written (the writer
 * batches for up to 50 ms), the queued fire's turn has come.
 */
const QUEUE_LOOK_MS = 150;
/** How often a run replacing an instance on this node asks its executor again while that instance ends (ms). */
const REPLACE_POLL_MS = 50;

/** What a store node needs from its scheduler and its managed store. */
export interface StoreNodeHost {
  readonly logger: Logger;
  readonly retryIntervalMs: number;
  readonly alias: string;
  /** When this scheduler first joined a store (epoch ms); kept across restarts. */
  readonly startedAt: number;
  executor(alias: string): Executor | undefined;
  /** True while the scheduler runs and is not paused: only then does it run recovered fires. */
  isProcessing(): boolean;
  dispatch(event: SchedulerEvent): void;
  wants(mask: number): boolean;
  withTimeout<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  reportFailure(operation: string, error: unknown, jobId?: string | null): void;
  /** How a log line names a job. */
  describeJob(job: Job): string;
  /** Runs a pass on this store now (a peer's wake-up). */
  wakeup(): void;
  /** The scheduler, as channel contexts name it. */
  readonly scheduler?: PublishingScheduler;
  /** The fire history's retention in force. */
  retention(): RetentionSettings;
}

/** A fire a commit won or the reaper took over, to submit with its batch. */
export interface WonFire {
  readonly fireId: string;
  readonly scheduledTime: number;
  readonly fencingToken: number;
  readonly recovering: boolean;
  /** Which run of the fire this is (absent: 1). */
  readonly attempt?: number;
}

export class StoreNode {
  readonly ledger: ClusterLedger;
  readonly settings: ClusterSettings;
  readonly #host: StoreNodeHost;
  readonly #book = new FireBook();
  readonly #writer: FireWriter;
  readonly #purger: FirePurger;
  /** This node's clock minus the store's, as last measured. */
  #skewMs = 0;
  #skewWarned = false;
  #keeperTimer: NodeJS.Timeout | undefined;
  #reaperTimer: NodeJS.Timeout | undefined;
  /** A reaper round at the time the next waiting retry is due, and that time (local epoch ms). */
  #retryTimer: { timer: NodeJS.Timeout; at: number } | undefined;
  #keeping: Promise<void> | undefined;
  #reaping: Promise<void> | undefined;
  #stopped = false;
  #leaseWorker: LeaseWorkerClient | undefined;
  /** The last beat sent, and to which worker. */
  #lastBeat: { worker: LeaseWorkerClient; holding: boolean; allowedUntil: number } | undefined;
  #wakeUps: WakeUps | undefined;
  readonly #startedAt: number;
  #contendedMs = 0;
  /** Jobs whose catch-up batch was split, with the batch id the next part continues. */
  readonly #splitBatchIds = new Map<string, string>();

  constructor(ledger: ClusterLedger, settings: ClusterSettings, host: StoreNodeHost) {
    this.ledger = ledger;
    this.settings = settings;
    this.#host = host;
    this.#writer = new FireWriter(ledger, settings.nodeId, host);
    this.#startedAt = host.startedAt;
    this.#purger = new FirePurger(ledger, {
      get logger() {
        return host.logger;
      },
      alias: host.alias,
      nodeId: settings.nodeId,
      scheduler: host.scheduler ?? null,
      // As the join tells a live node: one that checked in within a run lease.
      aliveMs: settings.runLeaseMs,
      retention: () => host.retention(),
      storeNow: () => this.#storeNow(),
      withTimeout: (operation, fn) => host.withTimeout(operation, fn),
      reportFailure: (operation, error) => host.reportFailure(operation, error),
    });
  }

  /** One purge pass of the fire history now, when this node is the one that purges (see `fire-purger.ts`). */
  purgeHistory(): Promise<number | null> {
    return this.#purger.purge();
  }

  get nodeId(): string {
    return this.settings.nodeId;
  }

  /** This node's clock minus the store's (ms), as last measured. */
  get skewMs(): number {
    return this.#skewMs;
  }

  /** The fires this node holds now. */
  get heldFires(): number {
    return this.#book.size;
  }

  /**
   * The batch id of a job's runs: a continuation keeps the id of the batch it
   * continues (so that it counts once toward `maxInstances` on every node).
   */
  batchIdFor(jobId: string, continuation: boolean, capped: boolean): string {
    const batchId = (continuation ? this.#splitBatchIds.get(jobId) : undefined) ?? randomId();
    if (capped) this.#splitBatchIds.set(jobId, batchId);
    else this.#splitBatchIds.delete(jobId);
    return batchId;
  }

  /**
   * A claim or commit failed: whether it reached the store is unknown, so this
   * node may still hold claims that nobody would commit before their lease ends.
   */
  claimsInDoubt = false;

  /**
   * Writes the fire outcomes this node already knows, before it claims: its
   * runs that have ended then no longer count toward `maxInstances` (the
   * writer batches them for up to 50 ms). Skipped while the writer pauses
   * after a failed write.
   */
  async flushFireUpdates(): Promise<void> {
    if (this.#writer.due) await this.#writer.flush();
  }

  /** A pass claimed jobs: the next contended wait starts short again. */
  claimed(): void {
    this.#contendedMs = 0;
  }

  /**
   * How long to wait before looking again at a job that is due but that this
   * pass did not claim (another node holds its claim for a moment): 50 ms,
   * doubling up to 2 s while it stays so.
   */
  contendedDelay(): number {
    this.#contendedMs = Math.min(
      Math.max(this.#contendedMs * 2, MIN_CONTENDED_MS),
      MAX_CONTENDED_MS,
    );
    return this.#contendedMs;
  }

  /** Local epoch ms of a store time. */
  localTime(storeTime: number): number {
    return storeTime + this.#skewMs;
  }

  /**
   * Joins the store: refuses a node id a live node uses, checks in, measures
   * the clock skew, and starts keeping leases and reaping.
   *
   * @throws NodeIdInUseError
   */
  async join(): Promise<void> {
    this.#stopped = false;
    this.#writer.start();
    const storeNow = await this.#measureSkew();
    const nodes = await this.#host.withTimeout('getNodes', () => this.ledger.getNodes());
    const same = nodes.find((node) => node.nodeId === this.nodeId);
    if (
      same !== undefined &&
      same.lastSeen >= storeNow - this.settings.runLeaseMs &&
      !(
        same.pid === process.pid &&
        same.hostname === hostname() &&
        same.startedAt === this.#startedAt
      )
    ) {
      throw new NodeIdInUseError(
        this.nodeId,
        this.#host.alias,
        `pid ${same.pid} on ${same.hostname}, last seen ${Math.round((storeNow - same.lastSeen) / 1000)} s ago`,
      );
    }
    await this.#checkIn();
    // Check-ins go on while the lease worker starts (it may take a second or
    // more): a peer starting meanwhile must see this node alive.
    this.#scheduleKeeper();
    this.#scheduleReaper();
    this.#purger.start();
    this.#reapAt(Date.now() + FIRST_REAP_MS);
    // Two connections of their own, opened side by side.
    await Promise.all([this.#startLeaseWorker(), this.#openWakeUps()]);
  }

  async #openWakeUps(): Promise<void> {
    if (this.#wakeUps !== undefined) return;
    const host = this.#host;
    this.#wakeUps = new WakeUps(this.ledger, this.settings.wake, {
      get logger() {
        return host.logger;
      },
      alias: host.alias,
      nodeId: this.nodeId,
      wakeup: () => host.wakeup(),
    });
    await this.#wakeUps.open();
  }

  /** Tells the peers that a job of this store was added or changed (a hint: they look now). */
  announce(): void {
    this.#wakeUps?.announce();
  }

  /**
   * Renewals from a worker thread with a connection of its own, when the
   * store can open one; otherwise (a store given a client instance) from the
   * main thread, where a job blocking the event loop can hold them up.
   */
  async #startLeaseWorker(): Promise<void> {
    if (this.#leaseWorker !== undefined) return;
    const connection = this.ledger.leaseConnection?.();
    if (connection === undefined) {
      this.#host.logger.info(
        `Job store "${this.#host.alias}" renews run leases on the main thread (it was given a client, not connection options): a job that blocks the event loop for longer than the run lease (${this.settings.runLeaseMs / 1000} s) can lose its lease`,
      );
      return;
    }
    try {
      this.#leaseWorker = await LeaseWorkerClient.open(
        connection,
        this.nodeId,
        this.settings.runLeaseMs,
        {
          renewed: (startedAt, ids) => this.#renewed(startedAt, ids),
          failed: (message) => this.#host.reportFailure('renewFireLeases', new Error(message)),
        },
      );
    } catch (error) {
      this.#host.logger.warn(
        `Job store "${this.#host.alias}": run leases are renewed on the main thread, as the lease worker could not connect`,
        error,
      );
    }
  }

  /** Tells the lease worker whether fires are held and how long it may renew without hearing from this thread. */
  #beat(): void {
    const worker = this.#leaseWorker;
    if (worker === undefined) return;
    const allowance = this.#book.hangAllowance(this.settings.runLeaseMs);
    const holding = allowance > 0;
    const allowedUntil = Date.now() + allowance;
    // A beat that would change nothing is not sent: none held, as before, or no later
    // allowance (runs without a timeout allow renewals forever).
    const last = this.#lastBeat;
    const same =
      last?.worker === worker &&
      last.holding === holding &&
      (!holding || last.allowedUntil >= allowedUntil);
    if (!same) this.#send(worker, holding, allowedUntil);
  }

  #send(worker: LeaseWorkerClient, holding: boolean, allowedUntil: number): void {
    this.#lastBeat = { worker, holding, allowedUntil };
    worker.beat(holding, allowedUntil);
  }

  /**
   * Tells the lease worker that a run of `job` is held, before the run
   * starts (a run may block the event loop from its first line). The beats
   * sent promise renewals until some time: only a run that needs longer
   * sends one, which extends the promise to its need. Runs without a timeout
   * need forever, so only the first one held while none was sends a beat,
   * not one per job: a beat is a message to the worker thread.
   */
  #beatFor(job: Job): void {
    const worker = this.#leaseWorker;
    if (worker === undefined) return;
    const last = this.#lastBeat;
    if (last?.worker !== worker || !last.holding) {
      this.#beat();
      return;
    }
    const needed = Date.now() + hangAllowanceOf(job, this.settings.runLeaseMs);
    if (last.allowedUntil < needed) this.#send(worker, true, needed);
  }

  #renewed(startedAt: number, ids: readonly string[]): void {
    if (leaseChannel.hasSubscribers) reportLease(this.#host, 'renewed', { count: ids.length });
    for (const fire of this.#book.renewed(ids, startedAt, this.settings.runLeaseMs))
      this.#leaseLost(
        fire,
        'another scheduler took the fire over, recorded it abandoned, or cancelled it to run a newer fire of the job in its place (overlap: replace)',
      );
  }

  /** Fires a commit won: held, their leases kept from now on. `since` is the local time the commit began. */
  hold(job: Job, fires: readonly WonFire[], since: number): void {
    this.#book.hold(job, fires, since, this.settings.runLeaseMs);
    this.#beatFor(job);
  }

  /** Records a fire's start or outcome, as its executor reports it. */
  fireChanged(change: FireChange): void {
    const held = this.#book.get(change.fireId);
    if (held === undefined) return;
    if (change.state !== 'running') this.#book.release(change.fireId);
    if (change.state !== 'running' && change.job.overlap === 'queue')
      this.#reapAt(Date.now() + QUEUE_LOOK_MS);
    if (this.#retried(change, held.scheduledTime)) return;
    const update: FireUpdate =
      change.error !== undefined && (change.state === 'failed' || change.state === 'timed_out')
        ? {
            fireId: change.fireId,
            state: change.state,
            at: this.#storeNow(),
            error: errorSummary(change.error),
          }
        : { fireId: change.fireId, state: change.state, at: this.#storeNow() };
    this.#writer.push(update, () => this.#label(held.job, held.scheduledTime, change.fireId));
  }

  /**
   * A failed or timed-out run of a job with retries left: the fire is
   * recorded `retried`, due again after the backoff, when any node may take
   * it (the reaper); this node looks then. False for any other change.
   */
  #retried(change: FireChange, scheduledTime: number): boolean {
    const { job, state } = change;
    if (state !== 'failed' && state !== 'timed_out') return false;
    const attempt = change.attempt ?? 1;
    if (job.retry === null || !retriesLeft(job.retry, attempt)) return false;
    const delay = retryDelayMs(job.retry, attempt);
    const retryAt = this.#storeNow() + delay;
    const update: FireUpdate = {
      fireId: change.fireId,
      state: 'retried',
      at: this.#storeNow(),
      retryAt,
      ...(change.error === undefined ? {} : { error: errorSummary(change.error) }),
    };
    this.#writer.push(update, () => this.#label(job, scheduledTime, change.fireId));
    this.#reapAt(Date.now() + delay);
    if (this.#host.wants(EVENT_JOB_RETRY))
      this.#host.dispatch(
        new JobRetryEvent(job.id, this.#host.alias, {
          scheduledRunTime: new Date(scheduledTime),
          fireId: change.fireId,
          attempt: attempt + 1,
          retryAt: new Date(this.localTime(retryAt)),
          exception: change.error,
        }),
      );
    return true;
  }

  /** A reaper round at local time `at` (or earlier, when one is set for earlier): a retry is due then. */
  #reapAt(at: number): void {
    if (this.#stopped) return;
    const current = this.#retryTimer;
    if (current !== undefined && current.at <= at) return;
    clearTimeout(current?.timer);
    const timer = setTimeout(
      () => {
        this.#retryTimer = undefined;
        // A round in progress finishes first; then this one runs.
        const previous = this.#reaping ?? Promise.resolve();
        const round = previous.then(() => this.reap());
        this.#reaping = round.finally(() => {
          if (this.#reaping === round) this.#reaping = undefined;
        });
      },
      Math.max(at - Date.now(), 0),
    );
    timer.unref();
    this.#retryTimer = { timer, at };
  }

  /**
   * Fires a commit cancelled to make room for a newer fire of their job
   * (`overlap: 'replace'`): those this node runs are aborted now, through
   * their signal. (A peer running one finds its lease gone at its next
   * renewal, within a third of the run lease, and aborts it then.)
   */
  replaced(fireIds: readonly string[]): void {
    for (const fireId of fireIds) {
      const fire = this.#book.release(fireId);
      if (fire === undefined) continue;
      const reason = new JobCancelledError(
        fire.job.id,
        'a newer fire of the job replaced this run (overlap: replace)',
      );
      this.#host.logger.info(reason.message);
      this.#host.executor(fire.job.executor)?.abortFire?.(fire.job.id, fireId, reason);
    }
  }

  /**
   * Submits a replacing batch once the instance it replaces on this node has
   * ended: the executor counts that instance until its run settles. Gives up
   * (the fires recorded skipped) after half a run lease.
   */
  submitWhenFree(
    job: Job,
    executor: Executor,
    fires: readonly WonFire[],
    options: SubmitOptions,
    startedAt: number = Date.now(),
  ): void {
    const timer = setTimeout(() => {
      try {
        executor.submitJob(
          job,
          fires.map((fire) => new Date(fire.scheduledTime)),
          options,
        );
      } catch (error) {
        const waited = Date.now() - startedAt;
        if (error instanceof MaxInstancesReachedError && waited < this.settings.runLeaseMs / 2) {
          this.submitWhenFree(job, executor, fires, options, startedAt);
          return;
        }
        for (const fire of fires)
          this.giveUp(
            job,
            fire.fireId,
            fire.scheduledTime,
            error instanceof MaxInstancesReachedError ? 'skipped_max_instances' : 'failed',
            error instanceof MaxInstancesReachedError ? undefined : error,
          );
      }
    }, REPLACE_POLL_MS);
    timer.unref();
  }

  /**
   * A fire this node committed but did not submit (the executor refused the
   * batch, or is gone): recorded with `state`, and no longer held.
   */
  giveUp(
    job: Job,
    fireId: string,
    scheduledTime: number,
    state: FireUpdate['state'],
    error?: unknown,
  ): void {
    this.#book.release(fireId);
    const at = this.#storeNow();
    const update: FireUpdate =
      error === undefined
        ? { fireId, state, at }
        : { fireId, state, at, error: errorSummary(error) };
    this.#writer.push(update, () => this.#label(job, scheduledTime, fireId));
  }

  /**
   * The run fires of a commit that failed. It may have landed all the same, or
   * land later (a client resends a command once its connection is back):
   * those fires would then be this node's, renewed but never run. They are
   * recorded cancelled once the store answers; a fire the commit did not
   * insert refuses the update, quietly.
   */
  cancelUncommitted(job: Job, fires: readonly { fireId: string; scheduledTime: number }[]): void {
    for (const { fireId, scheduledTime } of fires)
      this.#writer.push(
        { fireId, state: 'cancelled', at: this.#storeNow() },
        () => this.#label(job, scheduledTime, fireId),
        true,
      );
  }

  /** The nodes sharing the store, most recent check-in first. */
  getNodes(): Promise<NodeRecord[]> {
    return this.#host.withTimeout('getNodes', () => this.ledger.getNodes());
  }

  /**
   * Leaves the store after the executors have finished (graceful shutdown):
   * writes the outstanding fire updates, records fires still held as
   * cancelled, gives back its claims, and stops its timers.
   */
  async leave(): Promise<void> {
    this.#stopped = true;
    this.#clearTimers();
    await this.#keeping;
    await this.#reaping;
    await this.#purger.stop();
    for (const fire of this.#book.all())
      this.giveUp(fire.job, fire.fireId, fire.scheduledTime, 'cancelled');
    const flushed = await this.#writer.flush();
    if (!flushed)
      this.#host.logger.warn(
        `${this.#writer.pending} fire updates for job store "${this.#host.alias}" could not be written before shutdown; their fires are recorded abandoned by the next scheduler to find their leases expired`,
      );
    this.#writer.stop();
    const worker = this.#leaseWorker;
    this.#leaseWorker = undefined;
    await worker?.close();
    let released = false;
    try {
      await this.#host.withTimeout('releaseClaims', () => this.ledger.releaseClaims(this.nodeId));
      released = true;
    } catch (error) {
      this.#host.reportFailure('releaseClaims', error);
    }
    // Peers may take over this node's claims now: tell them.
    const wakeUps = this.#wakeUps;
    this.#wakeUps = undefined;
    await wakeUps?.close(released);
  }

  // ------------------------------------------------------------------ leases

  #scheduleKeeper(): void {
    if (this.#stopped) return;
    this.#keeperTimer = setTimeout(() => {
      this.#keeping = this.#keep().finally(() => {
        this.#keeping = undefined;
        this.#scheduleKeeper();
      });
    }, this.settings.runLeaseMs / 3);
    this.#keeperTimer.unref();
  }

  /** Renews the leases of the fires held, aborts the runs of those it lost, checks in. */
  async #keep(): Promise<void> {
    if (this.#leaseWorker !== undefined) this.#beat();
    else if (this.#book.size > 0) {
      const startedAt = Date.now();
      try {
        const renewed = await this.#host.withTimeout('renewFireLeases', () =>
          this.ledger.renewFireLeases(this.nodeId, this.settings.runLeaseMs),
        );
        this.#renewed(startedAt, renewed);
      } catch (error) {
        this.#host.reportFailure('renewFireLeases', error);
      }
    }
    for (const fire of this.#book.expired(Date.now()))
      this.#leaseLost(
        fire,
        `its lease could not be renewed within the run lease of ${this.settings.runLeaseMs / 1000} s, so another scheduler may record it abandoned or run it again`,
      );
    try {
      await this.#measureSkew();
      await this.#checkIn();
    } catch (error) {
      this.#host.reportFailure('checkIn', error);
    }
  }

  #leaseLost(fire: HeldFire, why: string): void {
    const { job, fireId } = fire;
    this.#book.release(fireId);
    if (leaseChannel.hasSubscribers) reportLease(this.#host, 'lost', { ...fire, jobId: job.id });
    const reason = new LeaseLostError(job.id, fireId, why);
    const executor = this.#host.executor(job.executor);
    if (executor?.abortFire?.(job.id, fireId, reason) === true) return;
    if (executor?.abortFire !== undefined) return; // the run had just ended
    // An executor that cannot abort a fire: the run goes on, but it is no longer this node's.
    this.#host.logger.warn(
      `${reason.message} (executor "${job.executor}" cannot abort it: the run goes on)`,
    );
    if (this.#host.wants(EVENT_JOB_LEASE_LOST))
      this.#host.dispatch(
        new JobExecutionEvent(
          EVENT_JOB_LEASE_LOST,
          job.id,
          this.#host.alias,
          new Date(fire.scheduledTime),
          {
            exception: reason,
            fireId,
          },
        ),
      );
  }

  // ------------------------------------------------------------------ reaper

  #scheduleReaper(): void {
    if (this.#stopped) return;
    // ±10 %, so that the nodes of a cluster started together do not reap in step.
    const delay = (this.settings.runLeaseMs / 2) * (0.9 + Math.random() * 0.2);
    this.#reaperTimer = setTimeout(() => {
      this.#reaping = this.reap().finally(() => {
        this.#reaping = undefined;
        this.#scheduleReaper();
      });
    }, delay);
    this.#reaperTimer.unref();
  }

  /** One reaper round: the fires of dead nodes are recorded abandoned, or run again for `recover: true` jobs. */
  async reap(): Promise<void> {
    // A paused scheduler runs nothing, recovered fires included: a running peer reaps them.
    if (!this.#host.isProcessing()) return;
    for (let round = 0; round < REAP_ROUNDS && !this.#stopped; round++) {
      const since = Date.now();
      let result: Awaited<ReturnType<ClusterLedger['reapExpiredFires']>>;
      try {
        result = await this.#host.withTimeout('reapExpiredFires', () =>
          this.ledger.reapExpiredFires(this.nodeId, {
            limit: REAP_LIMIT,
            runLeaseMs: this.settings.runLeaseMs,
          }),
        );
      } catch (error) {
        this.#host.reportFailure('reapExpiredFires', error);
        return;
      }
      for (const fire of result.abandoned) this.#abandoned(fire);
      for (const { fire, job, previousNode } of result.recovered)
        this.#recover(fire, job, previousNode ?? fire.node, since);
      const retries = result.retries ?? [];
      for (const { fire, job } of retries) this.#runAgain(fire, job, since, false);
      if (result.nextRetryAt !== undefined && result.nextRetryAt !== null)
        this.#reapAt(this.localTime(result.nextRetryAt));
      if (result.abandoned.length + result.recovered.length + retries.length < REAP_LIMIT) return;
    }
  }

  #abandoned(fire: FireRecord): void {
    if (leaseChannel.hasSubscribers) reportLease(this.#host, 'abandoned', fire);
    const time = new Date(fire.scheduledTime);
    this.#host.logger.warn(
      `The run of job ${JSON.stringify(fire.jobId)} scheduled at ${time.toISOString()} was abandoned: scheduler ${JSON.stringify(fire.node)} stopped renewing its lease (it died, or lost its store); recorded as abandoned (fire ${fire.fireId})`,
    );
    if (this.#host.wants(EVENT_JOB_ABANDONED))
      this.#host.dispatch(
        new JobAbandonedEvent(fire.jobId, this.#host.alias, {
          scheduledRunTime: time,
          fireId: fire.fireId,
          node: fire.node,
          recovered: false,
        }),
      );
  }

  #recover(fire: FireRecord, job: Job, previousNode: string | null, since: number): void {
    if (leaseChannel.hasSubscribers)
      reportLease(this.#host, 'recovered', { ...fire, node: previousNode });
    const time = new Date(fire.scheduledTime);
    this.#host.logger.warn(
      `The run of ${this.#host.describeJob(job)} scheduled at ${time.toISOString()} was abandoned by scheduler ${JSON.stringify(previousNode)}; running it again here (recover: true, fire ${fire.fireId})`,
    );
    if (this.#host.wants(EVENT_JOB_ABANDONED))
      this.#host.dispatch(
        new JobAbandonedEvent(job.id, this.#host.alias, {
          scheduledRunTime: time,
          fireId: fire.fireId,
          node: previousNode,
          recovered: true,
        }),
      );
    this.#runAgain(fire, job, since, true);
  }

  /** Runs a fire the reaper took: a recovered one, or the next attempt of a retried one. */
  #runAgain(fire: FireRecord, job: Job, since: number, recovering: boolean): void {
    const time = new Date(fire.scheduledTime);
    if (!recovering)
      this.#host.logger.debug(
        `Running attempt ${fire.attempt} of ${this.#host.describeJob(job)} scheduled at ${time.toISOString()} (fire ${fire.fireId})`,
      );
    const won: WonFire = {
      fireId: fire.fireId,
      scheduledTime: fire.scheduledTime,
      fencingToken: fire.fence,
      recovering,
      ...(fire.attempt > 1 ? { attempt: fire.attempt } : {}),
    };
    this.hold(job, [won], since);
    const executor = this.#host.executor(job.executor);
    if (executor === undefined) {
      this.giveUp(
        job,
        fire.fireId,
        fire.scheduledTime,
        'failed',
        new Error(`executor "${job.executor}" is not configured on scheduler ${this.nodeId}`),
      );
      return;
    }
    try {
      executor.submitJob(job, [time], { fires: [won] });
    } catch (error) {
      const state = error instanceof MaxInstancesReachedError ? 'skipped_max_instances' : 'failed';
      this.giveUp(
        job,
        fire.fireId,
        fire.scheduledTime,
        state,
        state === 'failed' ? error : undefined,
      );
      this.#host.logger.error(
        `Could not run the ${recovering ? 'recovered fire' : 'retry of fire'} ${fire.fireId} of ${this.#host.describeJob(job)}`,
        error,
      );
    }
  }

  // ------------------------------------------------------------------ clock and check-ins

  /** The store's clock as this node estimates it. */
  #storeNow(): number {
    return Date.now() - this.#skewMs;
  }

  /** Measures this node's clock against the store's (halfway through the round trip); returns the store's now. */
  async #measureSkew(): Promise<number> {
    const before = Date.now();
    const storeNow = await this.#host.withTimeout('now', () => this.ledger.now());
    const after = Date.now();
    this.#skewMs = Math.round((before + after) / 2 - storeNow);
    const large = Math.abs(this.#skewMs) > SKEW_WARNING_MS;
    if (large && !this.#skewWarned) {
      this.#host.logger.warn(
        `This host's clock is ${Math.abs(this.#skewMs)} ms ${this.#skewMs > 0 ? 'ahead of' : 'behind'} job store "${this.#host.alias}"; the scheduler goes by the store's clock, but check the host's time synchronisation (NTP)`,
      );
    }
    this.#skewWarned = large;
    return storeNow;
  }

  async #checkIn(): Promise<void> {
    await this.#host.withTimeout('checkIn', () =>
      this.ledger.checkIn({
        nodeId: this.nodeId,
        hostname: hostname(),
        pid: process.pid,
        version: VERSION,
        startedAt: this.#startedAt,
        clockSkewMs: this.#skewMs,
      }),
    );
  }

  #label(job: Job, scheduledTime: number, fireId: string): string {
    return `fire ${fireId} of ${this.#host.describeJob(job)} scheduled at ${new Date(scheduledTime).toISOString()}`;
  }

  #clearTimers(): void {
    clearTimeout(this.#keeperTimer);
    clearTimeout(this.#reaperTimer);
    clearTimeout(this.#retryTimer?.timer);
    this.#retryTimer = undefined;
    this.#keeperTimer = undefined;
    this.#reaperTimer = undefined;
  }
}

/** An error as the ledger keeps it: its name and its message, trimmed. */
export function errorSummary(error: unknown): { name: string; message: string } {
  if (error instanceof Error) {
    const message =
      error.message.length > ERROR_MESSAGE_LENGTH
        ? `${error.message.slice(0, ERROR_MESSAGE_LENGTH - 1)}…`
        : error.message;
    return { name: error.name.slice(0, 191), message };
  }
  const text = String(error);
  return { name: 'NonError', message: text.slice(0, ERROR_MESSAGE_LENGTH) };
}
