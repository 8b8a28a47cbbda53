/**
 * The `horarium:*` diagnostics channels on a real scheduler, on the memory
 * store and on SQLite (a store with a ledger): what each publishes, in which
 * shape, naming the scheduler that published it — and that nothing at all is
 * published, and no context built, while nobody subscribes.
 */
import type { Channel } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  AsyncScheduler,
  type ClaimContext,
  claimChannel,
  type FireContext,
  fireChannel,
  type JobRunContext,
  JobTimeoutError,
  jobRunChannel,
  type LeaseContext,
  leaseChannel,
  MemoryJobStore,
  type StoreOperationContext,
  silentLogger,
  storeChannel,
} from '../../src/index.ts';
import {
  type DurableStoreTarget,
  durableBackends,
  openStore,
  waitFor,
} from '../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../helpers/sql-backends.ts';
import { gate, registerScenarioTasks, runScenario } from './scenario.ts';

const sqlite = BETTER_SQLITE3_SAFE
  ? durableBackends.SQLite
  : durableBackends['SQLite (node:sqlite)'];

interface Setup {
  scheduler: AsyncScheduler;
  release: () => void;
}

const targets: DurableStoreTarget[] = [];
const schedulers: AsyncScheduler[] = [];
afterEach(async () => {
  for (const scheduler of schedulers.splice(0))
    if (scheduler.running) await scheduler.shutdown({ wait: false });
  for (const target of targets.splice(0)) await target.cleanup();
});

async function startScheduler(store: 'memory' | 'sqlite'): Promise<Setup> {
  let jobstore: JobStore = new MemoryJobStore();
  if (store === 'sqlite') {
    const target = await sqlite.create();
    targets.push(target);
    jobstore = openStore(target);
  }
  const scheduler = new AsyncScheduler({
    jobstores: { default: jobstore },
    logger: silentLogger,
    storePollInterval: 0.2,
    ...(store === 'sqlite' ? { cluster: { nodeId: 'observed', runLease: 0.9 } } : {}),
  });
  schedulers.push(scheduler);
  const { promise, open } = gate();
  registerScenarioTasks(scheduler, promise);
  await scheduler.start();
  return { scheduler, release: open };
}

/** Records what every channel publishes (the tracing channels' five events each). */
function record() {
  const events: { channel: string; event: string; context: object }[] = [];
  const unsubscribers: (() => void)[] = [];
  const listen = (name: string, channel: Channel, event: string) => {
    const listener = (message: unknown) =>
      events.push({ channel: name, event, context: { ...(message as object) } });
    channel.subscribe(listener);
    unsubscribers.push(() => channel.unsubscribe(listener));
  };
  for (const [name, tracing] of [
    ['job', jobRunChannel],
    ['claim', claimChannel],
    ['store', storeChannel],
  ] as const) {
    for (const event of ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const)
      listen(name, tracing[event] as Channel, event);
  }
  listen('fire', fireChannel as Channel, 'publish');
  listen('lease', leaseChannel as Channel, 'publish');
  return {
    events,
    of<C>(channel: string, event?: string): C[] {
      return events
        .filter((e) => e.channel === channel && (event === undefined || e.event === event))
        .map((e) => e.context as C);
    },
    stop() {
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}

describe.each(['memory', 'sqlite'] as const)('the channels on a %s store', (store) => {
  it('publish every run with its outcome, every planned fire and every store call, naming the scheduler', async () => {
    const recording = record();
    try {
      const { scheduler, release } = await startScheduler(store);
      await runScenario(scheduler, release, async () => {
        if (store === 'sqlite')
          await waitFor(
            'a lease renewal',
            () => recording.of<LeaseContext>('lease').length > 0,
            10_000,
          );
      });

      // horarium:job — one start and one asyncEnd per run, with its outcome.
      const ends = recording.of<JobRunContext>('job', 'asyncEnd');
      const outcomes = Object.fromEntries(ends.map((run) => [run.jobId, run.outcome]));
      expect(outcomes).toEqual({
        ok: 'succeeded',
        boom: 'failed',
        hang: 'timed_out',
        catchup: 'succeeded',
        busy: 'succeeded',
      });
      expect(recording.of<JobRunContext>('job', 'start')).toHaveLength(5);
      for (const run of ends) {
        expect(run.scheduler).toBe(scheduler);
        expect(run).toMatchObject({
          executor: 'default',
          jobstore: 'default',
          fireId: expect.any(String),
          fencingToken: expect.any(Number),
          recovering: false,
        });
        expect(run.lagMs).toBeGreaterThanOrEqual(0);
      }
      const ok = ends.find((run) => run.jobId === 'ok');
      expect(ok).toMatchObject({ jobName: 'ok', funcRef: 'ok', result: 'done' });
      const boom = ends.find((run) => run.jobId === 'boom');
      expect(boom?.error).toBeInstanceOf(TypeError);
      expect(ends.find((run) => run.jobId === 'hang')?.error).toBeInstanceOf(JobTimeoutError);
      // Failures publish error; successes do not.
      expect(
        recording
          .of<JobRunContext>('job', 'error')
          .map((run) => run.jobId)
          .sort(),
      ).toEqual(['boom', 'hang']);
      if (store === 'sqlite') for (const run of ends) expect(run.fencingToken).toBeGreaterThan(0);

      // horarium:fire — what became of each planned fire.
      const fires = recording.of<FireContext>('fire');
      for (const fire of fires) expect(fire.scheduler).toBe(scheduler);
      const dispositions = (jobId: string) =>
        fires.filter((fire) => fire.jobId === jobId).map((fire) => fire.disposition);
      expect(dispositions('ok')).toEqual(['submitted']);
      expect(dispositions('late')).toEqual(['submitted', 'missed']);
      expect(dispositions('catchup')).toEqual(['coalesced', 'submitted']);
      expect(dispositions('busy')).toEqual(['submitted', 'skipped_max_instances']);
      const coalesced = fires.find((fire) => fire.disposition === 'coalesced');
      expect(coalesced).toMatchObject({ count: 9, countComplete: true, jobstore: 'default' });
      const submittedCatchUp = fires.find(
        (fire) => fire.jobId === 'catchup' && fire.disposition === 'submitted',
      );
      expect(submittedCatchUp?.scheduledTime.getTime()).toBe(
        (coalesced?.scheduledTime.getTime() ?? 0) + 9000,
      );
      // A submitted fire names its fire record (the ledger, or the memory store's history): the run's fire.
      const submittedOk = fires.find((fire) => fire.jobId === 'ok');
      expect(submittedOk?.fireId).toEqual(expect.any(String));
      expect(submittedOk?.fireId).toBe(ok?.fireId);

      // horarium:store — the loop's and the job API's store calls.
      const calls = recording.of<StoreOperationContext>('store', 'start');
      for (const call of calls) {
        expect(call.scheduler).toBe(scheduler);
        expect(call.jobstore).toBe('default');
      }
      const operations = new Set(calls.map((call) => call.operation));
      expect(operations).toContain('addJob');
      expect(operations).toContain('lookupJob');
      expect(operations).toContain('removeJob');
      expect(calls.find((call) => call.operation === 'lookupJob')?.jobId).toBe('busy');

      if (store === 'memory') {
        expect(operations).toContain('getDueJobs');
        expect(recording.of('claim')).toEqual([]);
        expect(recording.of('lease')).toEqual([]);
        return;
      }
      expect(operations).toContain('claimDueJobs');
      expect(operations).toContain('commitClaims');
      // horarium:claim — claims and commits, with what they found and won.
      const claims = recording.of<ClaimContext>('claim', 'asyncEnd');
      const committed = claims.filter((claim) => claim.operation === 'commit');
      expect(committed.length).toBeGreaterThan(0);
      for (const claim of claims) {
        expect(claim.scheduler).toBe(scheduler);
        expect(claim.jobstore).toBe('default');
      }
      expect(committed.reduce((sum, claim) => sum + (claim.jobs ?? 0), 0)).toBeGreaterThanOrEqual(
        7,
      );
      expect(committed.every((claim) => claim.lostJobs === 0)).toBe(true);
      // Every fire inserted: six runs, the refused one of busy and the record of the fold.
      expect(committed.reduce((sum, claim) => sum + (claim.wonFires ?? 0), 0)).toBe(8);
      const claimed = claims.filter((claim) => claim.operation === 'claim');
      expect(claimed.every((claim) => claim.limit === 100)).toBe(true);
      // horarium:lease — the busy run's lease was renewed while it ran.
      const renewals = recording.of<LeaseContext>('lease');
      expect(renewals[0]).toMatchObject({
        scheduler,
        jobstore: 'default',
        action: 'renewed',
        count: expect.any(Number),
        jobId: null,
      });
    } finally {
      recording.stop();
    }
  }, 60_000);
});

describe('without subscribers', () => {
  it.each(['memory', 'sqlite'] as const)(
    'nothing is published on a %s store, and no run goes through the tracing channel',
    async (store) => {
      const spies = [
        ...[jobRunChannel, claimChannel, storeChannel].flatMap((tracing) => [
          vi.spyOn(tracing, 'tracePromise'),
          vi.spyOn(tracing.start, 'runStores'),
          ...(['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const).map((event) =>
            vi.spyOn(tracing[event], 'publish'),
          ),
        ]),
        vi.spyOn(fireChannel, 'publish'),
        vi.spyOn(leaseChannel, 'publish'),
      ];
      try {
        expect(jobRunChannel.hasSubscribers || fireChannel.hasSubscribers).toBe(false);
        const { scheduler, release } = await startScheduler(store);
        await runScenario(scheduler, release);
        await scheduler.shutdown();
        for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    },
    60_000,
  );
});
