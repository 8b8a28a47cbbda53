/**
 * The chaos harness: several scheduler processes on one store, jobs every
 * second (interval and cron, some with `recover: true`), and for the length
 * of the run, every few seconds, one of: a node killed with SIGKILL and a new
 * one started; a node frozen with SIGSTOP past its run lease, then resumed
 * (its claims were taken over: its commits must fail on the fence); the
 * store's sessions killed (PostgreSQL `pg_terminate_backend`, Redis
 * `CLIENT KILL`), which also drops the wake-up listeners.
 *
 * Every run appends (job, fire time, pid, fencing token) to an audit file.
 * The verdict: no fire time ran twice (a `recover: true` fire runs again only
 * after the run that held it died, with a newer fencing token); every fire
 * time of every job either ran or is in the ledger with the reason it did not
 * (abandoned, missed, cancelled, skipped_max_instances); a job's fencing
 * tokens never go back; nothing is left claimed or
 * running once the nodes are gone and their leases have expired.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { AsyncScheduler, type Job, silentLogger } from '../../src/index.ts';
import type { FireRecord } from '../../src/stores/ledger.ts';
import {
  pgWakeChannelName,
  WAKE_APPLICATION_NAME,
} from '../../src/stores/sql/postgres/pg-wake-channel.ts';
import { CLUSTER_JOBS_MODULE, readClusterRunLog } from '../fixtures/cluster-jobs.ts';
import { ClusterProcess } from '../helpers/cluster-process.ts';
import { type DurableStoreTarget, openStore, REDIS_URL } from '../helpers/durability.ts';
import { POSTGRES_URL } from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';

const RUN = `${CLUSTER_JOBS_MODULE}:run`;
/**
 * The outcomes that account for a fire time that did not run: its node died
 * (abandoned), it came too late (missed), the node shut down before starting
 * it (cancelled), or a run of the same job was still live, possibly on a node
 * that died and whose lease had not expired yet (skipped_max_instances).
 */
const RECORDED_NOT_RUN: ReadonlySet<string> = new Set([
  'abandoned',
  'missed',
  'cancelled',
  'skipped_max_instances',
]);

export interface ChaosOptions {
  readonly target: DurableStoreTarget;
  /** `'postgres'`, `'redis'`, … : which sessions can be killed. */
  readonly kind: 'sqlite' | 'postgres' | 'mysql' | 'redis';
  readonly runLog: string;
  /** How long the chaos lasts, seconds. */
  readonly seconds: number;
  readonly nodes: number;
  readonly jobs: number;
  readonly leaseS: number;
}

export interface ChaosReport {
  readonly expectedFires: number;
  readonly runs: number;
  readonly actions: Readonly<Record<string, number>>;
  readonly states: Readonly<Record<string, number>>;
  /** Fire times that started twice without the first run having died. */
  readonly duplicates: string[];
  /** Fire times that neither ran nor are in the ledger with an outcome that says why. */
  readonly unaccounted: string[];
  /**
   * The ledger against the runs: fire times with more than one ledger row, and
   * runs whose fire has no row or a row that says it never ran. Every fire has
   * exactly one row, and every run is in it.
   */
  readonly ledgerMismatches: string[];
  /** Fires whose fencing token is lower than that of an earlier fire time of the same job. */
  readonly fenceRegressions: string[];
  /** Fires still claimed or running after every node is gone and their leases expired. */
  readonly stuck: string[];
  /** The last lines every node wrote to stderr (for failure messages). */
  readonly stderr: string;
}

interface JobPlan {
  readonly id: string;
  readonly recover: boolean;
  /** Fire times, epoch ms. */
  readonly slots: number[];
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { target, leaseS } = options;
  const tag = `hz-chaos-${randomInt(1e9)}`;
  const env: Record<string, string> = { PGAPPNAME: tag, HORARIUM_REDIS_NAME: tag };
  const listenChannel = options.kind === 'postgres' ? pgListenChannel(target) : '';
  const all: ClusterProcess[] = [];
  let generation = 0;
  const start = async (): Promise<ClusterProcess> => {
    generation += 1;
    const node = new ClusterProcess(target, `chaos-${generation}`, { leaseS, env });
    all.push(node);
    await node.ready(30_000);
    return node;
  };

  const live: ClusterProcess[] = [];
  try {
    // The nodes first (starting them may take seconds on a loaded machine), then the
    // jobs, added by a scheduler that only writes (paused, then shut down): the chaos
    // lasts from their first fire time to their last.
    await Promise.all(Array.from({ length: options.nodes }, async () => live.push(await start())));
    const firstSlot = Math.ceil((Date.now() + 3000) / 1000) * 1000;
    const lastSlot = firstSlot + options.seconds * 1000;
    const plans = await addJobs(options, firstSlot, lastSlot);
    const actions: Record<string, number> = {};
    const count = (action: string) => {
      actions[action] = (actions[action] ?? 0) + 1;
    };
    let first = true;
    while (Date.now() < lastSlot) {
      // The first action once the first runs are under way, then every 2 to 4 s.
      await sleep(
        first ? Math.max(firstSlot - Date.now(), 0) + randomInt(500, 1500) : randomInt(2000, 4000),
      );
      first = false;
      if (Date.now() >= lastSlot) break;
      const roll = randomInt(100);
      const victim = live[randomInt(live.length)] as ClusterProcess;
      if (roll < 50) {
        victim.kill();
        live.splice(live.indexOf(victim), 1);
        count('SIGKILL and restart');
        await sleep(randomInt(200, 1500));
        live.push(await start());
      } else if (roll < 75) {
        victim.signal('SIGSTOP');
        count('SIGSTOP past the lease');
        await sleep(leaseS * 1000 * 2 + randomInt(500));
        victim.signal('SIGCONT');
      } else if (await killSessions(options.kind, tag, listenChannel)) {
        count('store sessions killed');
      } else {
        victim.kill();
        live.splice(live.indexOf(victim), 1);
        count('SIGKILL and restart');
        live.push(await start());
      }
    }
    // Past the last fire time: let the survivors catch up and reap (a fire held by a node
    // killed at the last slot expires one lease later and is reaped within half a lease
    // more), while a last node starts; then stop the survivors gracefully.
    const [last] = await Promise.all([start(), sleep(leaseS * 1000 * 2 + 2000)]);
    for (const node of live) node.signal('SIGTERM');
    await Promise.race([Promise.all(live.map((node) => node.exited)), sleep(30_000)]);
    // Anything a dead node still held is reaped by the last node, once its leases have expired;
    // on a store without wake-ups (MariaDB, SQLite) its next poll may come a poll interval
    // (5 s) after the survivors stop, so it gets that too before it stops.
    live.length = 0;
    live.push(last);
    await sleep(leaseS * 1000 * 2 + 6000);
    last.signal('SIGTERM');
    await Promise.race([last.exited, sleep(30_000)]);
    const fires = await readFires(target);
    return verdict(options, plans, fires, actions, all);
  } finally {
    for (const node of all) node.kill();
    await Promise.all(all.map((node) => node.exited));
  }
}

async function addJobs(options: ChaosOptions, firstSlot: number, lastSlot: number) {
  const scheduler = new AsyncScheduler({
    jobstores: { default: openStore(options.target) },
    timezone: 'UTC',
    logger: silentLogger,
  });
  await scheduler.start({ paused: true });
  // Added side by side: one after another, twelve adds on a loaded MariaDB took longer
  // than the chaos itself lasts.
  const plans: Promise<JobPlan>[] = [];
  try {
    for (let i = 0; i < options.jobs; i++) {
      const id = `chaos-${i}`;
      const recover = i % 4 === 0;
      const hold = randomInt(0, 400);
      const common = {
        id,
        args: [options.runLog, hold],
        coalesce: false,
        misfireGraceTime: null,
        recover,
        endDate: new Date(lastSlot),
        startDate: new Date(firstSlot),
      };
      plans.push(
        i % 3 === 2
          ? // A cron job every two seconds.
            scheduler.addJob(RUN, 'cron', { ...common, second: '*/2' }).then((job) => ({
              id,
              recover,
              slots: slotsOf(firstOf(job, firstSlot), lastSlot, 2000, true),
            }))
          : scheduler.addJob(RUN, 'interval', { ...common, seconds: 1 }).then((job) => ({
              id,
              recover,
              slots: slotsOf(firstOf(job, firstSlot), lastSlot, 1000, false),
            })),
      );
    }
    const settled = await Promise.allSettled(plans);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return settled.map((result) => (result as PromiseFulfilledResult<JobPlan>).value);
  } finally {
    await scheduler.shutdown({ wait: false });
  }
}

/**
 * A job's first fire time as its add computed it: later than the planned first
 * slot when the add itself came after it (a loaded machine), and then the
 * slots before it were never the job's.
 */
function firstOf(job: Job, plannedFirst: number): number {
  return job.nextRunTime?.getTime() ?? plannedFirst;
}

/** Every `stepMs` from `first` to `last` inclusive; aligned to the step when `aligned` (cron). */
function slotsOf(first: number, last: number, stepMs: number, aligned: boolean): number[] {
  const slots: number[] = [];
  let time = aligned ? Math.ceil(first / stepMs) * stepMs : first;
  for (; time <= last; time += stepMs) slots.push(time);
  return slots;
}

/** Kills the store sessions of the chaos nodes (and their wake-up listeners); false when the store has none to kill. */
/**
 * The PostgreSQL channel the nodes' wake-up connections listen on, named from the store's
 * own identity: the harness kills those connections, and no other test's.
 */
function pgListenChannel(target: DurableStoreTarget): string {
  const identity = openStore(target).ledger?.identity?.();
  return identity === undefined ? '' : pgWakeChannelName(identity);
}

async function killSessions(
  kind: ChaosOptions['kind'],
  tag: string,
  listenChannel: string,
): Promise<boolean> {
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    try {
      await client.connect();
      await client.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where application_name = $1 or (application_name = $2 and query = $3)`,
        [tag, WAKE_APPLICATION_NAME, `listen ${listenChannel}`],
      );
    } finally {
      await client.end().catch(() => {});
    }
    return true;
  }
  if (kind === 'redis') {
    const client = new Redis(REDIS_URL, { lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      const list = (await client.call('CLIENT', 'LIST')) as string;
      for (const line of list.split('\n')) {
        const id = /\bid=(\d+)/.exec(line)?.[1];
        if (id !== undefined && line.includes(` name=${tag} `))
          await client.call('CLIENT', 'KILL', 'ID', id).catch(() => {});
      }
    } finally {
      client.disconnect();
    }
    return true;
  }
  return false;
}

async function readFires(target: DurableStoreTarget): Promise<FireRecord[]> {
  const store = openStore(target);
  await store.start(storeTestContext('chaos-reader'), 'chaos-reader');
  try {
    const ledger = store.ledger;
    if (ledger === undefined) throw new Error('this store has no cluster ledger');
    return await ledger.getFires({ limit: 1_000_000 });
  } finally {
    await store.shutdown();
  }
}

function verdict(
  options: ChaosOptions,
  plans: readonly JobPlan[],
  fires: readonly FireRecord[],
  actions: Record<string, number>,
  nodes: readonly ClusterProcess[],
): ChaosReport {
  const lines = readClusterRunLog(options.runLog);
  const starts = lines.filter((line) => line.kind === 'start');
  const key = (id: string, time: number) => `${id}@${new Date(time).toISOString()}`;

  const duplicates: string[] = [];
  const startsBySlot = new Map<string, typeof starts>();
  for (const start of starts) {
    const slot = key(start.id, start.scheduled);
    const list = startsBySlot.get(slot) ?? [];
    list.push(start);
    startsBySlot.set(slot, list);
  }
  const recoverable = new Set(plans.filter((plan) => plan.recover).map((plan) => plan.id));
  for (const [slot, list] of startsBySlot) {
    if (list.length === 1) continue;
    const ordered = [...list].sort((a, b) => a.at - b.at);
    const allowed = ordered.every(
      (run, i) =>
        i === 0 ||
        (recoverable.has(run.id) && run.recovering && run.fence > (ordered[i - 1]?.fence ?? 0)),
    );
    if (!allowed)
      duplicates.push(
        `${slot}: ${ordered.map((run) => `pid ${run.pid} fence ${run.fence}${run.recovering ? ' recovering' : ''}`).join(', ')}`,
      );
  }

  const recorded = new Map<string, FireRecord>();
  const ledgerMismatches: string[] = [];
  for (const fire of fires) {
    const name = key(fire.jobId, fire.scheduledTime);
    const earlier = recorded.get(name);
    if (earlier !== undefined)
      ledgerMismatches.push(
        `${name}: two ledger rows (${earlier.fireId} ${earlier.state}, ${fire.fireId} ${fire.state})`,
      );
    recorded.set(name, fire);
  }
  for (const [name, list] of startsBySlot) {
    const fire = recorded.get(name);
    if (fire === undefined)
      ledgerMismatches.push(`${name}: ran (pid ${list[0]?.pid}) without a ledger row`);
    // Decided when planned: such a fire never started.
    else if (fire.state === 'missed' || fire.state === 'skipped_max_instances')
      ledgerMismatches.push(`${name}: ran, yet the ledger says ${fire.state}`);
  }
  const unaccounted: string[] = [];
  let expectedFires = 0;
  for (const plan of plans)
    for (const slot of plan.slots) {
      expectedFires += 1;
      const name = key(plan.id, slot);
      if (startsBySlot.has(name)) continue;
      const fire = recorded.get(name);
      if (fire !== undefined && RECORDED_NOT_RUN.has(fire.state)) continue;
      unaccounted.push(
        `${name}: ${fire === undefined ? 'no ledger row' : `ledger says ${fire.state}`}`,
      );
    }

  const fenceRegressions: string[] = [];
  for (const plan of plans) {
    const own = fires
      .filter((fire) => fire.jobId === plan.id && !fire.recovering)
      .sort((a, b) => a.scheduledTime - b.scheduledTime);
    for (let i = 1; i < own.length; i++) {
      const [before, after] = [own[i - 1] as FireRecord, own[i] as FireRecord];
      if (after.fence < before.fence)
        fenceRegressions.push(
          `${key(plan.id, after.scheduledTime)} fence ${after.fence} after ${before.fence}`,
        );
    }
  }

  const states: Record<string, number> = {};
  for (const fire of fires) states[fire.state] = (states[fire.state] ?? 0) + 1;
  const stuck = fires
    .filter((fire) => fire.state === 'claimed' || fire.state === 'running')
    .map((fire) => `${key(fire.jobId, fire.scheduledTime)} ${fire.state} on ${fire.node}`);

  return {
    expectedFires,
    runs: starts.length,
    actions,
    states,
    duplicates,
    unaccounted,
    ledgerMismatches,
    fenceRegressions,
    stuck,
    stderr: nodes
      .map((node) => `--- ${node.id}\n${node.stderr.slice(-1500)}`)
      .join('\n')
      .slice(-8000),
  };
}
