/**
 * This scheduler's nodes, one per shared store (a store with a ledger): made
 * and joined when the store is first processed (at start, or when a store
 * that could not start comes up), left on shutdown. A node keeps its start
 * time across restarts of the same scheduler, so that a restarted scheduler
 * is not taken for another one using its node id.
 */
import { hostname } from 'node:os';
import { ConfigurationError } from '../../config/errors.ts';
import type { SchedulerEvent } from '../../events.ts';
import type { Executor, FireChange, RunFire } from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import type { Logger } from '../../logging.ts';
import type { FireRing } from '../../stores/fire-ring.ts';
import type { NodeRecord } from '../../stores/ledger.ts';
import type { PublishingScheduler } from '../../tracing/channels.ts';
import { leaseChannel } from '../../tracing/channels.ts';
import { VERSION } from '../../version.ts';
import type { RetentionSettings } from '../history/retention-options.ts';
import { LocalOverlap } from '../loop/local-overlap.ts';
import { LocalRetries } from '../loop/local-retries.ts';
import type { ManagedStore } from '../managed-store.ts';
import { reportLease } from '../tracing/leases.ts';
import { type ClusterOptions, type ClusterSettings, clusterSettings } from './cluster-options.ts';
import { NodeIdInUseError } from './errors.ts';
import { errorSummary, StoreNode } from './store-node.ts';

/** A scheduler sharing a store, as `scheduler.getNodes()` lists it. */
export interface NodeInfo {
  /** Its `cluster.nodeId` (by default `hostname-pid-random`). */
  readonly nodeId: string;
  readonly hostname: string;
  readonly pid: number;
  /** Its Horarium version. */
  readonly version: string;
  /** When it first joined the store. */
  readonly startedAt: Date;
  /** Its last check-in, by the store's clock (every third of `runLease`). */
  readonly lastSeen: Date;
  /** Its clock minus the store's (ms), as it last measured: it goes by the store's clock. */
  readonly clockSkewMs: number;
}

export interface ClusterNodesHost {
  readonly logger: Logger;
  readonly retryIntervalMs: number;
  executor(alias: string): Executor | undefined;
  isProcessing(): boolean;
  dispatch(event: SchedulerEvent): void;
  wants(mask: number): boolean;
  store(alias: string): ManagedStore | undefined;
  /** Runs a pass now (a peer's wake-up). */
  wakeup(): void;
  /** The scheduler, as channel contexts name it. */
  readonly scheduler?: PublishingScheduler;
  /** The fire history's retention in force. */
  retention(): RetentionSettings;
}

export class ClusterNodes {
  readonly #host: ClusterNodesHost;
  #options: ClusterOptions = {};
  #settings: ClusterSettings | undefined;
  /** Were cluster options given? */
  #configured = false;
  /** When this scheduler first joined a store; kept across restarts. */
  #startedAt: number | undefined;
  /** Joins in progress, by store alias. */
  readonly #joining = new Map<string, Promise<StoreNode | undefined>>();
  /** Retries of the fires of stores kept in the process (memory stores). */
  readonly #localRetries: LocalRetries;
  /** The overlap of the jobs of stores kept in the process. */
  readonly #localOverlap: LocalOverlap;

  constructor(host: ClusterNodesHost) {
    this.#host = host;
    const local = {
      get logger() {
        return host.logger;
      },
      executor: (alias: string) => host.executor(alias),
      isProcessing: () => host.isProcessing(),
      dispatch: (event: SchedulerEvent) => host.dispatch(event),
      wants: (mask: number) => host.wants(mask),
    };
    this.#localRetries = new LocalRetries(local);
    this.#localOverlap = new LocalOverlap(local);
  }

  /** Shutdown: the retries and queued runs waiting in the process are recorded cancelled. */
  stopLocalRetries(): void {
    this.#localRetries.stop();
    this.#localOverlap.stop();
  }

  /** See `PassHost.overlapRefused`. */
  overlapRefused(
    job: Job,
    runTimes: readonly Date[],
    ring: FireRing | undefined,
    fires: readonly RunFire[] | undefined,
  ): boolean {
    return this.#localOverlap.refused(job, runTimes, ring, fires);
  }

  /** New cluster options (while stopped): a node id left unset is generated anew. */
  configure(options: ClusterOptions): void {
    this.#options = options;
    this.#configured = true;
    this.#settings = undefined;
  }

  /**
   * At start: `cluster` options given to a scheduler none of whose stores can
   * be shared (memory stores only) are a mistake worth naming, not a no-op.
   *
   * @throws ConfigurationError
   */
  checkStores(stores: Iterable<ManagedStore>): void {
    if (!this.#configured) return;
    for (const managed of stores) if (managed.store.ledger !== undefined) return;
    throw new ConfigurationError(
      'cluster',
      'applies to persistent job stores that several schedulers share, and every job store of this scheduler is a memory store, which stays in one process: remove the cluster option, or add a persistent store (sqlite, postgres, mysql, redis, mongodb)',
    );
  }

  /** The settings in force (the node id is generated on first use). */
  get settings(): ClusterSettings {
    this.#settings ??= clusterSettings(this.#options);
    return this.#settings;
  }

  /**
   * The store's node, joined now if it is not yet; undefined when joining
   * failed (reported; the pass retries later).
   *
   * @throws NodeIdInUseError with `rethrow` (at start)
   */
  async joined(managed: ManagedStore, rethrow = false): Promise<StoreNode | undefined> {
    if (managed.node !== undefined) return managed.node;
    const ledger = managed.store.ledger;
    if (ledger === undefined) return undefined;
    let joining = this.#joining.get(managed.alias);
    if (joining === undefined) {
      joining = this.#join(managed).finally(() => this.#joining.delete(managed.alias));
      this.#joining.set(managed.alias, joining);
    }
    try {
      return await joining;
    } catch (error) {
      if (rethrow) throw error;
      if (error instanceof NodeIdInUseError) this.#host.logger.error(error.message);
      else managed.reportFailure('join', error);
      return undefined;
    }
  }

  async #join(managed: ManagedStore): Promise<StoreNode> {
    const ledger = managed.store.ledger;
    if (ledger === undefined) throw new Error(`Job store "${managed.alias}" has no ledger`);
    this.#startedAt ??= Date.now();
    const host = this.#host;
    const node = new StoreNode(ledger, this.settings, {
      get logger() {
        return host.logger;
      },
      get retryIntervalMs() {
        return host.retryIntervalMs;
      },
      alias: managed.alias,
      startedAt: this.#startedAt,
      executor: (alias) => host.executor(alias),
      isProcessing: () => host.isProcessing(),
      dispatch: (event) => host.dispatch(event),
      wants: (mask) => host.wants(mask),
      withTimeout: (operation, fn) => managed.withTimeout(operation, fn),
      reportFailure: (operation, error, jobId) => {
        // Renewals fail here both on the main thread and in the lease worker.
        if (operation === 'renewFireLeases' && leaseChannel.hasSubscribers)
          reportLease(managed, 'renew_failed', { count: 0, error });
        managed.reportFailure(operation, error, jobId);
      },
      describeJob: (job: Job) => `job "${job.name}" (${job.id})`,
      wakeup: () => host.wakeup(),
      retention: () => host.retention(),
      ...(host.scheduler === undefined ? {} : { scheduler: host.scheduler }),
    });
    await node.join();
    managed.node = node;
    return node;
  }

  /** Joins every started shared store (at start). @throws NodeIdInUseError */
  async joinAll(stores: Iterable<ManagedStore>): Promise<void> {
    const joins: Promise<unknown>[] = [];
    for (const managed of stores)
      if (managed.available && managed.store.ledger !== undefined)
        joins.push(
          this.joined(managed, true).catch((error: unknown) => {
            if (error instanceof NodeIdInUseError) throw error;
            managed.reportFailure('join', error);
          }),
        );
    await Promise.all(joins);
  }

  /** Routes a fire's start or outcome to the node of its job's store, or to the store's fire ring. */
  fireChanged(change: FireChange): void {
    const jobstore = change.job.jobstore;
    if (jobstore === null) return;
    const managed = this.#host.store(jobstore);
    if (managed === undefined) return;
    if (managed.node !== undefined) {
      managed.node.fireChanged(change);
      return;
    }
    const ring = managed.store.fireRing;
    this.#localOverlap.changed(change);
    if (ring !== undefined && this.#localRetries.ended(ring, managed.alias, change)) return;
    ring?.update(
      change.fireId,
      change.state,
      Date.now(),
      change.error !== undefined && (change.state === 'failed' || change.state === 'timed_out')
        ? errorSummary(change.error)
        : undefined,
    );
  }

  /** Leaves the store (graceful shutdown, store removed): its node is dropped. */
  async leave(managed: ManagedStore): Promise<void> {
    const node = managed.node;
    if (node === undefined) return;
    managed.node = undefined;
    await node.leave();
  }

  /**
   * The nodes sharing a store, most recent check-in first. A store without a
   * ledger (the memory store) is shared by no other scheduler: its only node
   * is this one.
   */
  async getNodes(managed: ManagedStore): Promise<NodeRecord[]> {
    const ledger = managed.store.ledger;
    if (ledger === undefined) {
      const now = Date.now();
      return [
        {
          nodeId: this.settings.nodeId,
          hostname: hostname(),
          pid: process.pid,
          version: VERSION,
          startedAt: this.#startedAt ?? now,
          lastSeen: now,
          clockSkewMs: 0,
        },
      ];
    }
    managed.requireAvailable();
    return managed.withTimeout('getNodes', () => ledger.getNodes());
  }
}
