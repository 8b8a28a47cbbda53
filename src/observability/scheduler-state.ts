/**
 * What the gauges read at scrape time: the jobs in a scheduler's stores, and
 * the nodes sharing them with their clock skew. Both adapters use it.
 */
import type { BaseScheduler } from '../scheduler/base-scheduler.ts';

export interface JobCount {
  readonly jobstore: string;
  readonly state: 'scheduled' | 'paused' | 'broken';
  readonly count: number;
}

/** The scheduler's jobs counted by store and state; none while it is stopped. */
export async function countJobs(scheduler: BaseScheduler): Promise<JobCount[]> {
  if (!scheduler.running) return [];
  const counts = new Map<string, JobCount>();
  for (const job of await scheduler.getJobs()) {
    const jobstore = job.jobstore ?? '';
    const state = job.broken ? 'broken' : job.nextRunTime === null ? 'paused' : 'scheduled';
    const key = `${jobstore}\u0000${state}`;
    counts.set(key, { jobstore, state, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  return [...counts.values()];
}

export interface StoreNodes {
  readonly jobstore: string;
  /** Nodes whose last check-in is at most `staleAfterMs` old, by the store's clock. */
  readonly liveNodes: number;
  /** This scheduler's clock minus the store's, seconds; null before it has measured it. */
  readonly clockSkewSeconds: number | null;
}

/**
 * The nodes of each store in `jobstores` (stores that cannot answer are left
 * out); none while the scheduler is stopped.
 */
export async function readNodes(
  scheduler: BaseScheduler,
  jobstores: readonly string[],
  staleAfterMs: number,
): Promise<StoreNodes[]> {
  if (!scheduler.running) return [];
  const results = await Promise.allSettled(
    jobstores.map(async (jobstore): Promise<StoreNodes> => {
      const nodes = await scheduler.getNodes(jobstore);
      const self = nodes.find((node) => node.nodeId === scheduler.nodeId);
      const skewMs = self?.clockSkewMs ?? 0;
      const storeNow = Date.now() - skewMs;
      return {
        jobstore,
        liveNodes: nodes.filter((node) => node.lastSeen.getTime() >= storeNow - staleAfterMs)
          .length,
        clockSkewSeconds: self === undefined ? null : skewMs / 1000,
      };
    }),
  );
  return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
}
