/**
 * `horarium/prometheus` on real schedulers: the scenario's runs, fires and
 * refusals counted on the memory store, on SQLite and on PostgreSQL (where
 * the counts must agree with the store's own ledger), a dead scheduler's fire
 * reaped, the scrape-time gauges, and two schedulers of one process kept
 * apart.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  AsyncScheduler,
  EVENT_JOB_EXECUTED,
  type LeaseContext,
  leaseChannel,
  MemoryJobStore,
  silentLogger,
} from '../../src/index.ts';
import { registerMetrics } from '../../src/prometheus.ts';
import type { FireRecord } from '../../src/stores/ledger.ts';
import { CLUSTER_JOBS_MODULE, readClusterRunLog } from '../fixtures/cluster-jobs.ts';
import { ClusterProcess } from '../helpers/cluster-process.ts';
import {
  type DurableBackend,
  type DurableStoreTarget,
  describeBackend,
  durableBackends,
  openStore,
  reachability,
  removeFile,
  tempRunLog,
  waitFor,
} from '../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { has, parseExposition, type Sample, total } from './exposition.ts';
import { EXPECTED, gate, registerScenarioTasks, runScenario } from './scenario.ts';

const sqlite = BETTER_SQLITE3_SAFE
  ? durableBackends.SQLite
  : durableBackends['SQLite (node:sqlite)'];
const ledgerBackends: DurableBackend[] = [sqlite, durableBackends.PostgreSQL];
const reasons = await reachability(ledgerBackends);

const targets: DurableStoreTarget[] = [];
const schedulers: AsyncScheduler[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const scheduler of schedulers.splice(0))
    if (scheduler.running) await scheduler.shutdown({ wait: false });
  for (const target of targets.splice(0)) await target.cleanup();
});

function newScheduler(jobstore: JobStore, nodeId = 'observed'): AsyncScheduler {
  const scheduler = new AsyncScheduler({
    jobstores: { default: jobstore },
    logger: silentLogger,
    storePollInterval: 0.2,
    ...(jobstore instanceof MemoryJobStore ? {} : { cluster: { nodeId, runLease: 0.9 } }),
  });
  schedulers.push(scheduler);
  return scheduler;
}

async function scrape(registry: Registry): Promise<Sample[]> {
  return parseExposition(await registry.metrics());
}

/** Waits, inside the scenario, for a run lease to be renewed (stores with a ledger). */
function leaseRenewed(): () => Promise<void> {
  let renewed = false;
  const listener = (message: unknown) => {
    if ((message as LeaseContext).action === 'renewed') renewed = true;
  };
  leaseChannel.subscribe(listener);
  cleanups.push(() => leaseChannel.unsubscribe(listener));
  return () => waitFor('a run lease renewal', () => renewed, 10_000);
}

/** The samples of a metric, for the message of an assertion that fails. */
function shown(samples: readonly Sample[], name: string): string {
  const lines = samples
    .filter((sample) => sample.name.startsWith(name))
    .map((sample) => `${sample.name}${JSON.stringify(sample.labels)} ${sample.value}`);
  return `${name}: ${lines.join('; ') || 'no samples'}`;
}

/** The counts of the scenario, as every store must report them. */
function expectScenarioCounts(samples: Sample[]): void {
  for (const [outcome, count] of Object.entries(EXPECTED.runs))
    expect(total(samples, 'horarium_runs_total', { outcome }), outcome).toBe(count);
  expect(total(samples, 'horarium_runs_total'), shown(samples, 'horarium_runs_total')).toBe(5);
  for (const [disposition, count] of Object.entries(EXPECTED.fires))
    expect(total(samples, 'horarium_fires_total', { disposition }), disposition).toBe(count);
  expect(total(samples, 'horarium_fires_total'), shown(samples, 'horarium_fires_total')).toBe(9);
  expect(
    total(samples, 'horarium_coalesced_slots_total', { jobstore: 'default' }),
    shown(samples, 'horarium_coalesced_slots_total'),
  ).toBe(EXPECTED.coalescedSlots);
  expect(
    total(samples, 'horarium_fire_lag_seconds_count', { jobstore: 'default', executor: 'default' }),
  ).toBe(5);
  expect(
    total(samples, 'horarium_run_duration_seconds_count', { outcome: 'timed_out' }),
    shown(samples, 'horarium_run_duration_seconds_count'),
  ).toBe(1);
  expect(
    total(samples, 'horarium_run_duration_seconds_count'),
    shown(samples, 'horarium_run_duration_seconds_count'),
  ).toBe(5);
  expect(
    total(samples, 'horarium_running_runs', { executor: 'default' }),
    shown(samples, 'horarium_running_runs'),
  ).toBe(0);
  expect(
    total(samples, 'horarium_store_errors_total'),
    shown(samples, 'horarium_store_errors_total'),
  ).toBe(0);
  expect(
    total(samples, 'horarium_cluster_nodes', { jobstore: 'default' }),
    shown(samples, 'horarium_cluster_nodes'),
  ).toBe(1);
  expect(has(samples, 'horarium_clock_skew_seconds')).toBe(true);
  expect(
    Math.abs(total(samples, 'horarium_clock_skew_seconds')),
    shown(samples, 'horarium_clock_skew_seconds'),
  ).toBeLessThan(5); // one host: only the measurement's round trip, long on a loaded machine
  expect(has(samples, 'horarium_event_loop_lag_seconds')).toBe(true);
}

/** The fire records of the scenario, state by state, agree with the counts scraped. */
function expectLedgerCounts(samples: Sample[], fires: readonly FireRecord[]): void {
  const states = (state: string) => fires.filter((fire) => fire.state === state).length;
  expect(
    Object.fromEntries(Object.keys(EXPECTED.ledger).map((state) => [state, states(state)])),
  ).toEqual(EXPECTED.ledger);
  expect(fires).toHaveLength(8);
  for (const outcome of ['succeeded', 'failed', 'timed_out'])
    expect(total(samples, 'horarium_runs_total', { outcome }), outcome).toBe(states(outcome));
  for (const disposition of ['missed', 'coalesced', 'skipped_max_instances'])
    expect(total(samples, 'horarium_fires_total', { disposition }), disposition).toBe(
      states(disposition),
    );
  // What ran is what was submitted and not missed.
  expect(
    total(samples, 'horarium_fires_total', { disposition: 'submitted' }) -
      total(samples, 'horarium_fires_total', { disposition: 'missed' }),
  ).toBe(states('succeeded') + states('failed') + states('timed_out'));
}

/** Adds a scheduled and a paused job, which the jobs gauge counts. */
async function addIdleJobs(scheduler: AsyncScheduler): Promise<void> {
  await scheduler.addJob('ok', 'interval', { id: 'hourly', hours: 1 });
  await scheduler.addJob('ok', 'interval', { id: 'held', hours: 1, nextRunTime: null });
}

describe('registerMetrics on a memory store', () => {
  it('counts the runs, fires and folded slots of the scenario; the gauges read the scheduler at scrape time', async () => {
    const registry = new Registry();
    const scheduler = newScheduler(new MemoryJobStore());
    const metrics = registerMetrics(scheduler, { registry });
    const { promise, open } = gate();
    registerScenarioTasks(scheduler, promise);
    await scheduler.start();
    await runScenario(scheduler, open);
    await addIdleJobs(scheduler);
    const samples = await scrape(registry);
    expectScenarioCounts(samples);
    // The memory store's fire history records the same.
    expectLedgerCounts(samples, (await scheduler.getFires({ limit: 1000 })).fires);
    expect(
      total(samples, 'horarium_jobs', { jobstore: 'default', state: 'scheduled' }),
      shown(samples, 'horarium_jobs'),
    ).toBe(1);
    expect(
      total(samples, 'horarium_jobs', { jobstore: 'default', state: 'paused' }),
      shown(samples, 'horarium_jobs'),
    ).toBe(1);
    expect(total(samples, 'horarium_claims_total'), shown(samples, 'horarium_claims_total')).toBe(
      0,
    );
    // The store calls of the loop and of the job API were timed.
    expect(
      total(samples, 'horarium_store_operation_duration_seconds_count', {
        operation: 'getDueJobs',
      }),
    ).toBeGreaterThan(0);
    expect(
      total(samples, 'horarium_store_operation_duration_seconds_count', { operation: 'addJob' }),
    ).toBe(8);
    // Per-job series only when asked for.
    expect(samples.some((sample) => 'job_id' in sample.labels)).toBe(false);

    metrics.unregister();
    expect(registry.getMetricsAsArray()).toEqual([]);
  }, 60_000);

  it('labels the per-job metrics with job ids when asked to', async () => {
    const registry = new Registry();
    const scheduler = newScheduler(new MemoryJobStore());
    registerMetrics(scheduler, { registry, labelJobIds: true, prefix: 'jobs_' });
    const { promise, open } = gate();
    registerScenarioTasks(scheduler, promise);
    await scheduler.start();
    await runScenario(scheduler, open);
    const samples = await scrape(registry);
    expect(
      total(samples, 'jobs_runs_total', { job_id: 'boom', outcome: 'failed' }),
      shown(samples, 'jobs_runs_total'),
    ).toBe(1);
    expect(
      total(samples, 'jobs_fires_total', { job_id: 'late', disposition: 'missed' }),
      shown(samples, 'jobs_fires_total'),
    ).toBe(1);
    expect(
      total(samples, 'jobs_coalesced_slots_total', { job_id: 'catchup' }),
      shown(samples, 'jobs_coalesced_slots_total'),
    ).toBe(9);
    expect(
      total(samples, 'jobs_fire_lag_seconds_count', { job_id: 'busy' }),
      shown(samples, 'jobs_fire_lag_seconds_count'),
    ).toBe(1);
    // Not on the metrics that are not about one job.
    expect(
      samples.some((sample) => sample.name === 'jobs_running_runs' && 'job_id' in sample.labels),
    ).toBe(false);
  }, 60_000);
});

for (const backend of ledgerBackends) {
  describeBackend(`registerMetrics on ${backend.name}`, backend, reasons.get(backend.name), () => {
    it('counts what the store ledger records, fire for fire', async () => {
      const target = await backend.create();
      targets.push(target);
      const registry = new Registry();
      const scheduler = newScheduler(openStore(target));
      registerMetrics(scheduler, { registry });
      const { promise, open } = gate();
      registerScenarioTasks(scheduler, promise);
      await scheduler.start();
      await runScenario(scheduler, open, leaseRenewed());
      await addIdleJobs(scheduler);
      const samples = await scrape(registry);
      expectScenarioCounts(samples);
      expect(
        total(samples, 'horarium_jobs', { state: 'scheduled' }),
        shown(samples, 'horarium_jobs'),
      ).toBe(1);
      expect(
        total(samples, 'horarium_jobs', { state: 'paused' }),
        shown(samples, 'horarium_jobs'),
      ).toBe(1);
      expect(
        total(samples, 'horarium_lease_renewals_total', { result: 'ok' }),
        shown(samples, 'horarium_lease_renewals_total'),
      ).toBeGreaterThan(0);
      expect(
        total(samples, 'horarium_lease_renewals_total', { result: 'lost' }),
        shown(samples, 'horarium_lease_renewals_total'),
      ).toBe(0);
      expect(
        total(samples, 'horarium_claims_total', { result: 'lost' }),
        shown(samples, 'horarium_claims_total'),
      ).toBe(0);
      // Each of the seven jobs was claimed and committed once per fire time it ran; busy twice.
      expect(
        total(samples, 'horarium_claims_total', { result: 'won' }),
        shown(samples, 'horarium_claims_total'),
      ).toBe(7);
      expect(
        total(samples, 'horarium_claim_duration_seconds_count', { operation: 'commit' }),
        shown(samples, 'horarium_claim_duration_seconds_count'),
      ).toBe(
        total(samples, 'horarium_claim_duration_seconds_count', { operation: 'claim' }) -
          total(samples, 'horarium_claims_total', { result: 'empty' }),
      );
      await scheduler.shutdown();

      // The ledger, read by a store of its own after the scheduler wrote its last outcomes.
      const reader = openStore(target);
      await reader.start(storeTestContext('reader'), 'reader');
      let fires: FireRecord[];
      try {
        fires = (await reader.ledger?.getFires({ limit: 1000 })) ?? [];
      } finally {
        await reader.shutdown();
      }
      expectLedgerCounts(samples, fires);
    }, 60_000);
  });
}

describeBackend('registerMetrics on a failover', sqlite, reasons.get(sqlite.name), () => {
  it("counts a dead scheduler's fires this one reaped, abandoned or recovered", async () => {
    const target = await sqlite.create();
    targets.push(target);
    const runLog = tempRunLog('prometheus-failover');
    cleanups.push(() => removeFile(runLog));
    const registry = new Registry();
    const local = newScheduler(openStore(target), 'local');
    registerMetrics(local, { registry });
    // Paused: the child claims and runs both fires; this scheduler reaps once resumed.
    await local.start({ paused: true });
    const child = new ClusterProcess(target, 'doomed', { leaseS: 0.9 });
    cleanups.push(() => child.kill());
    await child.ready();
    const runDate = new Date(Date.now() + 300);
    const run = `${CLUSTER_JOBS_MODULE}:run`;
    await local.addJob(run, 'date', { id: 'lost', runDate, args: [runLog, 30_000] });
    await local.addJob(run, 'date', { id: 'again', runDate, args: [runLog, 0], recover: true });
    await waitFor(
      'the child to start both runs',
      () => readClusterRunLog(runLog).filter((line) => line.kind === 'start').length === 2,
      15_000,
      () => child.stderr,
    );
    child.kill();
    await child.exited;
    local.resume();
    await waitFor(
      'the recovered fire to run here',
      () => readClusterRunLog(runLog).some((line) => line.kind === 'end' && line.node === 'test'),
      15_000,
    );
    const samples = await scrape(registry);
    expect(
      total(samples, 'horarium_failovers_total', { action: 'abandoned' }),
      shown(samples, 'horarium_failovers_total'),
    ).toBe(1);
    expect(
      total(samples, 'horarium_failovers_total', { action: 'recovered' }),
      shown(samples, 'horarium_failovers_total'),
    ).toBe(1);
    expect(
      total(samples, 'horarium_runs_total', { outcome: 'abandoned' }),
      shown(samples, 'horarium_runs_total'),
    ).toBe(1);
    // The dead node still counts until its check-in is older than staleNodeAfter.
    expect(
      total(samples, 'horarium_cluster_nodes', { jobstore: 'default' }),
      shown(samples, 'horarium_cluster_nodes'),
    ).toBe(2);
  }, 60_000);
});

describe('several schedulers in one process', () => {
  it('each counts only its own runs, on registries or prefixes of their own', async () => {
    const registry = new Registry();
    const first = newScheduler(new MemoryJobStore(), 'first');
    const second = newScheduler(new MemoryJobStore(), 'second');
    registerMetrics(first, { registry, prefix: 'first_' });
    registerMetrics(second, { registry, prefix: 'second_' });
    for (const scheduler of [first, second]) {
      scheduler.registerTask('ok', () => 'done');
      await scheduler.start();
    }
    const ran = (scheduler: AsyncScheduler, count: number) =>
      new Promise<void>((resolve) => {
        let seen = 0;
        scheduler.addListener(() => {
          if (++seen === count) resolve();
        }, EVENT_JOB_EXECUTED);
      });
    const firstRan = ran(first, 2);
    const secondRan = ran(second, 1);
    await first.addJob('ok', 'date', { id: 'a', runDate: new Date() });
    await first.addJob('ok', 'date', { id: 'b', runDate: new Date() });
    await second.addJob('ok', 'date', { id: 'c', runDate: new Date() });
    await Promise.all([firstRan, secondRan]);
    const samples = await scrape(registry);
    expect(
      total(samples, 'first_runs_total', { outcome: 'succeeded' }),
      shown(samples, 'first_runs_total'),
    ).toBe(2);
    expect(
      total(samples, 'second_runs_total', { outcome: 'succeeded' }),
      shown(samples, 'second_runs_total'),
    ).toBe(1);
    expect(
      total(samples, 'first_fires_total', { disposition: 'submitted' }),
      shown(samples, 'first_fires_total'),
    ).toBe(2);
    expect(
      total(samples, 'second_fires_total', { disposition: 'submitted' }),
      shown(samples, 'second_fires_total'),
    ).toBe(1);
  }, 30_000);

  it('refuses a second registration under the same names, leaving the first one whole', async () => {
    const registry = new Registry();
    const first = newScheduler(new MemoryJobStore(), 'first');
    const second = newScheduler(new MemoryJobStore(), 'second');
    registerMetrics(first, { registry });
    expect(() => registerMetrics(second, { registry })).toThrow(
      /horarium_fire_lag_seconds is already registered on this registry: give each scheduler a prefix of its own/,
    );
    expect(has(await scrape(registry), 'horarium_event_loop_lag_seconds')).toBe(true);
    expect(registry.getSingleMetric('horarium_runs_total')).toBeDefined();
  });
});
