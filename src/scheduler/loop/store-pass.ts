/**
 * One pass of the main loop: for every store, the due jobs are planned (their
 * run times and next run time), the next run times (or removals) persisted,
 * and only then the runs submitted — so a crash can lose a run in progress
 * but never run one twice. Stores are processed side by side, each under its
 * own lock: a slow or unreachable store holds up only its own jobs.
 */

import type { ExclusionCalendar } from '../../calendars/calendar.ts';
import {
  EVENT_JOB_CATCH_UP,
  EVENT_JOB_MODIFIED,
  EVENT_JOB_REMOVED,
  JobEvent,
  type SchedulerEvent,
} from '../../events.ts';
import type { Executor, RunFire } from '../../executors/executor.ts';
import type { Job } from '../../jobs/job.ts';
import type { Logger } from '../../logging.ts';
import type { FireRing } from '../../stores/fire-ring.ts';
import type { PublishingScheduler } from '../../tracing/channels.ts';
import { calendarsFor, excludedEvent } from '../calendar-registry.ts';
import { errorSummary, type StoreNode } from '../cluster/store-node.ts';
import type { ManagedStore } from '../managed-store.ts';
import { CatchUpReport } from './catch-up.ts';
import { processLedgerStore } from './cluster-pass.ts';
import { recordExcluded, recordPlannedFires } from './local-fires.ts';
import { nextWake } from './next-wake.ts';
import { type DuePlan, planJob } from './plan-job.ts';
import { submitRuns } from './submit.ts';

/** How long a pass waits for a slow store before going on with the others (the slow one finishes in the background). */
const SLOW_STORE_MS = 1000;
/**
 * Due jobs planned, persisted and submitted together in one step of a pass:
 * the first step takes FIRST_DUE_CHUNK jobs, each next one twice as many, up
 * to DUE_CHUNK. Small first steps start the first runs of a large burst
 * sooner; large later ones keep the number of store writes low.
 */
const FIRST_DUE_CHUNK = 125;
const DUE_CHUNK = 1000;

/** What a pass needs from its scheduler. */
export interface PassHost {
  readonly logger: Logger;
  readonly retryIntervalMs: number;
  /** False once `shutdown()` has begun: nothing more is submitted. */
  isRunning(): boolean;
  stores(): Iterable<ManagedStore>;
  executor(alias: string): Executor | undefined;
  dispatch(event: SchedulerEvent): void;
  wants(mask: number): boolean;
  /** Asks for another pass as soon as possible (a late store finished). */
  wakeup(): void;
  /** When the scheduler last began processing jobs (started, or resumed), epoch ms. */
  processingSince(): number;
  /** This scheduler's node of a shared store, joined now if it is not yet; undefined when joining failed. */
  joinedNode(managed: ManagedStore): Promise<StoreNode | undefined>;
  /**
   * The executor refused a batch of a job of a store kept in the process for
   * `maxInstances`: true when the job's `overlap` took care of it (queued, or
   * replacing the oldest instance), false for 'skip'.
   */
  overlapRefused(
    job: Job,
    runTimes: readonly Date[],
    ring: FireRing | undefined,
    fires: readonly RunFire[] | undefined,
  ): boolean;
  /** This scheduler's node id, which the fires of a store kept in the process name. */
  readonly nodeId: string;
  /** The scheduler, as channel contexts name it. */
  readonly scheduler?: PublishingScheduler;
}

/**
 * One pass over every store that is not still busy with an earlier one.
 * Returns how long to sleep (ms; null = until woken).
 */
export async function processStores(host: PassHost): Promise<number | null> {
  const now = Date.now();
  const started: Promise<void>[] = [];
  const stores = [...host.stores()];
  for (const managed of stores) {
    // A store still busy from an earlier pass (slow or unreachable) is left to finish;
    // one that failed is left alone until its retry time, whatever else wakes the loop.
    if (!managed.available || managed.busy || now < managed.retryAt) continue;
    managed.busy = true;
    const processed = managed.lock
      .run(() => processStore(host, managed, now))
      .then(
        ({ wakeAt, queued }) => {
          managed.wakeAt = wakeAt;
          for (const event of queued) host.dispatch(event);
        },
        (error: unknown) => {
          host.logger.error(
            `Unexpected error while processing job store "${managed.alias}"; retrying`,
            error,
          );
          managed.retryAt = now + host.retryIntervalMs;
          managed.wakeAt = managed.retryAt;
        },
      )
      .finally(() => {
        managed.busy = false;
        if (managed.late) {
          managed.late = false;
          host.wakeup();
        }
      });
    started.push(processed);
  }
  // Wait for the stores, but not for one that hangs: the others must keep running.
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SLOW_STORE_MS);
  });
  await Promise.race([Promise.all(started), slow]);
  clearTimeout(timer);
  let next: number | null = null;
  for (const managed of stores) {
    if (!managed.available) continue;
    if (managed.busy) {
      managed.late = true;
      continue;
    }
    // Nothing of a store waiting for its retry time happens before it.
    const wakeAt = managed.wakeAt === null ? null : Math.max(managed.wakeAt, managed.retryAt);
    if (wakeAt !== null && (next === null || wakeAt < next)) next = wakeAt;
  }
  if (next === null) return null;
  return Math.max(next - Date.now(), 0);
}

/** One store's part of a pass; returns when the store wants the next pass, and the events to dispatch. */
async function processStore(
  host: PassHost,
  managed: ManagedStore,
  now: number,
): Promise<{ wakeAt: number | null; queued: SchedulerEvent[] }> {
  const queued: SchedulerEvent[] = [];
  const retryAt = now + host.retryIntervalMs;
  if (managed.store.ledger !== undefined) {
    // A store several schedulers can share is processed by claims, once this scheduler has joined it.
    const node = managed.node ?? (await host.joinedNode(managed));
    if (node !== undefined) return processLedgerStore(host, managed, node, now);
    managed.retryAt = retryAt;
    return { wakeAt: retryAt, queued };
  }
  const { alias, store } = managed;
  // shutdown() may have begun: submit nothing more.
  if (!host.isRunning()) return { wakeAt: null, queued };
  const failed = (): { wakeAt: number; queued: SchedulerEvent[] } => {
    managed.retryAt = retryAt;
    return { wakeAt: retryAt, queued };
  };
  const flushed = await managed.flushPendingWrites((id) =>
    host.dispatch(new JobEvent(EVENT_JOB_REMOVED, id, alias)),
  );
  if (!flushed) return failed();
  let due: Job[];
  try {
    due = await managed.withTimeout('getDueJobs', () => store.getDueJobs(new Date(now)));
  } catch (error) {
    managed.reportFailure('getDueJobs', error);
    return failed();
  }
  const calendars = await calendarsFor(due, store.calendars, host.logger);
  // In chunks, so that the first runs of a large burst start while later jobs are still planned.
  const catchUp = new CatchUpReport();
  let chunk = FIRST_DUE_CHUNK;
  let start = 0;
  while (start < due.length && host.isRunning()) {
    await runDueJobs(
      host,
      managed,
      due.slice(start, start + chunk),
      now,
      queued,
      catchUp,
      calendars,
    );
    start += chunk;
    chunk = Math.min(chunk * 2, DUE_CHUNK);
  }
  const more = catchUp.remainder();
  if (more !== null) host.logger.warn(more);
  const wakeAt = await nextWake(managed, retryAt);
  return { wakeAt, queued };
}

/** Plans, persists and submits one store's due jobs. */
async function runDueJobs(
  host: PassHost,
  managed: ManagedStore,
  due: Job[],
  now: number,
  queued: SchedulerEvent[],
  catchUp: CatchUpReport,
  calendars: ReadonlyMap<string, ExclusionCalendar> | undefined,
): Promise<void> {
  const plans: DuePlan[] = [];
  const updates: Job[] = [];
  const removals: string[] = [];
  const nowDate = new Date(now);
  for (const job of due) {
    const plan = planJob(host, managed.splitBatches, job, now, nowDate, calendars);
    const excluded = excludedEvent(plan, managed.alias);
    if (excluded !== null && host.wants(excluded.code)) queued.push(excluded);
    if (!plan.continuation && plan.runTimes.length > 0) {
      const summary = catchUp.summarize(
        job,
        managed.alias,
        plan.runTimes,
        now,
        host.processingSince(),
      );
      if (summary !== null) {
        const line = catchUp.line(job, summary);
        if (line !== null) host.logger.warn(line);
        if (host.wants(EVENT_JOB_CATCH_UP)) queued.push(summary);
      }
    }
    plans.push(plan);
    if (plan.updated !== null) updates.push(plan.updated);
    else removals.push(job.id);
  }
  const unsaved = await managed.persist(updates, removals);
  const { alias } = managed;
  const ring = managed.store.fireRing;
  for (const plan of plans) {
    if (!host.isRunning()) break;
    const { job } = plan;
    if (ring !== undefined && plan.excluded !== undefined)
      recordExcluded(ring, host.nodeId, plan, now);
    if (plan.executor === undefined || plan.runTimes.length === 0) {
      // Its executor is gone, or its calendar left nothing to run this pass.
    } else if (ring === undefined) {
      submitRuns(
        host,
        alias,
        plan.executor,
        job,
        plan.runTimes,
        plan.continuation ? { continuation: true } : undefined,
        queued,
        (maxedOut) => maxedOut && host.overlapRefused(job, plan.runTimes, undefined, undefined),
      );
    } else {
      const fires = recordPlannedFires(ring, host.nodeId, plan, now, catchUp);
      const options = plan.continuation ? { continuation: true, fires } : { fires };
      submitRuns(
        host,
        alias,
        plan.executor,
        job,
        plan.runTimes,
        options,
        queued,
        (maxedOut, error) => {
          if (maxedOut && host.overlapRefused(job, plan.runTimes, ring, fires)) return true;
          const at = Date.now();
          for (const fire of fires)
            ring.update(
              fire.fireId,
              maxedOut ? 'skipped_max_instances' : 'cancelled',
              at,
              maxedOut ? undefined : errorSummary(error),
            );
          return false;
        },
      );
    }
    if (unsaved.has(job.id)) continue;
    if (plan.updated === null) host.dispatch(new JobEvent(EVENT_JOB_REMOVED, job.id, alias));
    else if (plan.paused) host.dispatch(new JobEvent(EVENT_JOB_MODIFIED, job.id, alias));
  }
}
