import { afterEach, expect, it } from 'vitest';
import {
  AsyncScheduler,
  EVENT_JOB_ABANDONED,
  JobAbandonedEvent,
  NodeIdInUseError,
  type SchedulerEvent,
  silentLogger,
} from '../../src/index.ts';
import type { ClusterLedger, FireRecord } from '../../src/stores/ledger.ts';
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
  sleep,
  tempRunLog,
  waitFor,
} from '../helpers/durability.ts';
import { BETTER_SQLITE3_SAFE } from '../helpers/sql-backends.ts';
import { storeTestContext } from '../helpers/store-context.ts';

const RUN = `${CLUSTER_JOBS_MODULE}:run`;
const BLOCK = `${CLUSTER_JOBS_MODULE}:block`;
/**
 * The run lease of every node, and how long the blocking job blocks its event
 * loop: 4 leases here; the long form of the blocking case is
 * `CLUSTER_LEASE_SECONDS=5 CLUSTER_BLOCK_SECONDS=60 npx vitest run test/cluster -t blocks`.
 */
const LEASE_S = Number(process.env.CLUSTER_LEASE_SECONDS ?? 1.5);
const BLOCK_MS = Number(process.env.CLUSTER_BLOCK_SECONDS ?? 4 * LEASE_S) * 1000;
const TEST_TIMEOUT = 60_000 + BLOCK_MS;

const backends: DurableBackend[] = [
  ...(BETTER_SQLITE3_SAFE ? [durableBackends.SQLite] : [durableBackends['SQLite (node:sqlite)']]),
  durableBackends.PostgreSQL,
  durableBackends.MariaDB,
  durableBackends.Redis,
];
const reasons = await reachability(backends);

interface Context {
  target: DurableStoreTarget;
  runLog: string;
  nodes: ClusterProcess[];
  schedulers: AsyncScheduler[];
}

function localScheduler(context: Context, nodeId: string): AsyncScheduler {
  const scheduler = new AsyncScheduler({
    jobstores: { default: openStore(context.target) },
    timezone: 'UTC',
    logger: silentLogger,
    storePollInterval: 0.2,
    cluster: { nodeId, runLease: LEASE_S, claimLease: LEASE_S },
  });
  context.schedulers.push(scheduler);
  return scheduler;
}

/** The ledger of a store opened only to read it. */
async function openLedger(target: DurableStoreTarget): Promise<{
  ledger: ClusterLedger;
  close: () => Promise<void>;
}> {
  const store = openStore(target);
  await store.start(storeTestContext('reader'), 'reader');
  const ledger = store.ledger;
  if (ledger === undefined) throw new Error('this store has no ledger');
  return { ledger, close: () => store.shutdown() };
}

async function firesOf(target: DurableStoreTarget, jobId?: string): Promise<FireRecord[]> {
  const { ledger, close } = await openLedger(target);
  try {
    return await ledger.getFires({ ...(jobId === undefined ? {} : { jobId }), limit: 10_000 });
  } finally {
    await close();
  }
}

/** The next whole second at least `aheadMs` away. */
function gridStart(aheadMs = 1500): Date {
  return new Date(Math.ceil((Date.now() + aheadMs) / 1000) * 1000);
}

for (const backend of backends) {
  describeBackend(`cluster on ${backend.name}`, backend, reasons.get(backend.name), () => {
    const contexts: Context[] = [];

    async function setUp(): Promise<Context> {
      const context: Context = {
        target: await backend.create(),
        runLog: tempRunLog(`cluster-${backend.name}`),
        nodes: [],
        schedulers: [],
      };
      contexts.push(context);
      return context;
    }

    async function startNode(context: Context, id: string): Promise<ClusterProcess> {
      const node = new ClusterProcess(context.target, id, { leaseS: LEASE_S });
      context.nodes.push(node);
      await node.ready();
      return node;
    }

    afterEach(async () => {
      for (const context of contexts.splice(0)) {
        for (const node of context.nodes) node.kill();
        await Promise.all(context.nodes.map((node) => node.exited));
        for (const scheduler of context.schedulers)
          if (scheduler.running) await scheduler.shutdown({ wait: false });
        await context.target.cleanup();
        removeFile(context.runLog);
      }
    });

    it(
      'runs every fire of 20 jobs exactly once across three schedulers in three processes',
      async () => {
        const context = await setUp();
        const local = localScheduler(context, 'local');
        await local.start();
        await startNode(context, 'child-a');
        await startNode(context, 'child-b');
        const start = gridStart();
        const fires = 5;
        const end = new Date(start.getTime() + (fires - 1) * 1000 + 500);
        const jobIds: string[] = [];
        for (let i = 0; i < 20; i++) {
          const job = await local.addJob(RUN, 'interval', {
            id: `job-${i}`,
            seconds: 1,
            startDate: start,
            endDate: end,
            args: [context.runLog, 50],
            misfireGraceTime: null,
          });
          jobIds.push(job.id);
        }
        const expected = jobIds.length * fires;
        const ends = () => readClusterRunLog(context.runLog).filter((l) => l.kind === 'end');
        await waitFor(
          `${expected} runs`,
          () => ends().length >= expected,
          30_000,
          () =>
            context.nodes
              .map((node) => node.stderr)
              .join('\n')
              .slice(-3000),
        );
        await sleep(1500);
        const starts = readClusterRunLog(context.runLog).filter((l) => l.kind === 'start');
        const slots = starts.map((l) => `${l.id}@${new Date(l.scheduled).toISOString()}`);
        expect(new Set(slots).size).toBe(slots.length);
        const wanted = jobIds.flatMap((id) =>
          Array.from(
            { length: fires },
            (_, k) => `${id}@${new Date(start.getTime() + k * 1000).toISOString()}`,
          ),
        );
        expect(slots.sort()).toEqual(wanted.sort());
        // Fencing tokens never go back for a job, and its fires carry distinct ids.
        for (const id of jobIds) {
          const runs = starts.filter((l) => l.id === id).sort((a, b) => a.scheduled - b.scheduled);
          for (let k = 1; k < runs.length; k++)
            expect(runs[k]?.fence).toBeGreaterThanOrEqual(runs[k - 1]?.fence ?? 0);
          expect(new Set(runs.map((l) => l.fireId)).size).toBe(runs.length);
        }
        // One ledger row per fire, every one succeeded, with the id the run saw.
        let records: FireRecord[] = [];
        for (let attempt = 0; attempt < 20; attempt++) {
          records = await firesOf(context.target);
          if (records.filter((r) => r.state === 'succeeded').length === expected) break;
          await sleep(250);
        }
        expect(records).toHaveLength(expected);
        expect(new Set(records.map((r) => r.state))).toEqual(new Set(['succeeded']));
        expect(new Set(records.map((r) => r.fireId))).toEqual(new Set(starts.map((l) => l.fireId)));
      },
      TEST_TIMEOUT,
    );

    it(
      "records a killed node's running fire abandoned, and runs a recover job's fire again with a newer fencing token",
      async () => {
        const context = await setUp();
        const local = localScheduler(context, 'local');
        const abandoned: JobAbandonedEvent[] = [];
        local.addListener((event: SchedulerEvent) => {
          if (event instanceof JobAbandonedEvent) abandoned.push(event);
        }, EVENT_JOB_ABANDONED);
        // Paused: the child claims and runs the jobs; this scheduler reaps once resumed.
        await local.start({ paused: true });
        const child = await startNode(context, 'doomed');
        const at = gridStart(1000);
        await local.addJob(RUN, 'date', {
          id: 'lost',
          runDate: at,
          args: [context.runLog, 30_000],
        });
        await local.addJob(RUN, 'date', {
          id: 'recovered',
          runDate: at,
          args: [context.runLog, 300],
          recover: true,
        });
        const started = () =>
          readClusterRunLog(context.runLog).filter(
            (l) => l.kind === 'start' && l.node === 'doomed',
          );
        await waitFor(
          'the child to start both runs',
          () => started().length === 2,
          15_000,
          () => child.stderr,
        );
        child.kill();
        await child.exited;
        local.resume();
        await waitFor('the reaper to find both fires', () => abandoned.length === 2, 15_000);
        const lost = abandoned.find((event) => event.jobId === 'lost');
        expect(lost).toMatchObject({ node: 'doomed', recovered: false });
        expect(abandoned.find((event) => event.jobId === 'recovered')).toMatchObject({
          node: 'doomed',
          recovered: true,
        });
        await waitFor(
          'the recovered fire to run again here',
          () =>
            readClusterRunLog(context.runLog).some(
              (l) => l.kind === 'end' && l.id === 'recovered' && l.node === 'test',
            ),
          10_000,
        );
        const lines = readClusterRunLog(context.runLog);
        const first = lines.find((l) => l.id === 'recovered' && l.node === 'doomed');
        const again = lines.find((l) => l.id === 'recovered' && l.node === 'test');
        expect(again).toMatchObject({ recovering: true, fireId: first?.fireId });
        expect(again?.fence).toBeGreaterThan(first?.fence ?? Number.POSITIVE_INFINITY);
        // The lost job's fire never ran again.
        expect(lines.filter((l) => l.id === 'lost' && l.kind === 'start')).toHaveLength(1);
        let records: FireRecord[] = [];
        for (let attempt = 0; attempt < 20; attempt++) {
          records = await firesOf(context.target);
          if (records.some((r) => r.jobId === 'recovered' && r.state === 'succeeded')) break;
          await sleep(250);
        }
        expect(records.find((r) => r.jobId === 'lost')).toMatchObject({ state: 'abandoned' });
        expect(records.find((r) => r.jobId === 'recovered')).toMatchObject({
          state: 'succeeded',
          recovering: true,
          node: 'local',
        });
        // explain tells the operator what happened to the killed node's fire.
        const why = await local.explain('lost', at);
        expect(why.verdict, why.evidence.join('\n')).toBe('abandoned');
        expect(why.evidence.join(' ')).toContain('claimed by scheduler "doomed"');
        expect((await local.explain('recovered', at)).verdict).toBe('ran');
      },
      TEST_TIMEOUT,
    );

    it(
      'holds maxInstances across nodes: runs of one job never overlap, the others are recorded skipped',
      async () => {
        const context = await setUp();
        const local = localScheduler(context, 'local');
        await local.start();
        await startNode(context, 'child-a');
        const start = gridStart();
        await local.addJob(RUN, 'interval', {
          id: 'single',
          seconds: 1,
          startDate: start,
          endDate: new Date(start.getTime() + 5500),
          args: [context.runLog, 2500],
          maxInstances: 1,
          misfireGraceTime: null,
        });
        await sleep(start.getTime() + 9000 - Date.now());
        const lines = readClusterRunLog(context.runLog);
        const starts = lines.filter((l) => l.kind === 'start');
        expect(starts.length).toBeGreaterThanOrEqual(2);
        const spans = starts.map((s) => {
          const end = lines.find((l) => l.kind === 'end' && l.fireId === s.fireId);
          return { from: s.at, to: end?.at ?? Number.POSITIVE_INFINITY, node: s.node };
        });
        spans.sort((a, b) => a.from - b.from);
        for (let k = 1; k < spans.length; k++)
          expect(spans[k]?.from).toBeGreaterThanOrEqual(spans[k - 1]?.to ?? 0);
        const records = await firesOf(context.target, 'single');
        expect(records.filter((r) => r.state === 'skipped_max_instances').length).toBeGreaterThan(
          0,
        );
        expect(records.filter((r) => r.state === 'succeeded')).toHaveLength(starts.length);
      },
      TEST_TIMEOUT,
    );

    it(
      'keeps the lease of a job that blocks its node for longer than the lease (renewed from a worker thread)',
      async () => {
        const context = await setUp();
        const local = localScheduler(context, 'local');
        const abandoned: SchedulerEvent[] = [];
        local.addListener((event) => {
          abandoned.push(event);
        }, EVENT_JOB_ABANDONED);
        await local.start({ paused: true });
        await startNode(context, 'blocker');
        await local.addJob(BLOCK, 'date', {
          id: 'blocking',
          runDate: gridStart(1000),
          args: [context.runLog, BLOCK_MS],
        });
        await waitFor(
          'the child to start blocking',
          () => readClusterRunLog(context.runLog).some((l) => l.kind === 'start'),
          15_000,
        );
        local.resume();
        await waitFor(
          'the blocked run to end',
          () => readClusterRunLog(context.runLog).some((l) => l.kind === 'end'),
          BLOCK_MS + 15_000,
        );
        let records: FireRecord[] = [];
        for (let attempt = 0; attempt < 20; attempt++) {
          records = await firesOf(context.target, 'blocking');
          if (records[0]?.state === 'succeeded') break;
          await sleep(250);
        }
        expect(abandoned).toEqual([]);
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({ state: 'succeeded', node: 'blocker' });
      },
      TEST_TIMEOUT,
    );

    it(
      'a graceful shutdown finishes its runs, records them, and lists the nodes with their clock skew before',
      async () => {
        const context = await setUp();
        const local = localScheduler(context, 'local');
        await local.start({ paused: true });
        const child = await startNode(context, 'leaver');
        const nodes = await local.getNodes();
        expect(nodes.map((node) => node.nodeId).sort()).toEqual(['leaver', 'local']);
        for (const node of nodes) {
          expect(Math.abs(node.clockSkewMs)).toBeLessThan(1000);
          expect(node.lastSeen).toBeInstanceOf(Date);
        }
        await local.addJob(RUN, 'date', {
          id: 'finishing',
          runDate: gridStart(500),
          args: [context.runLog, 1500],
        });
        await waitFor(
          'the run to start',
          () => readClusterRunLog(context.runLog).some((l) => l.kind === 'start'),
          15_000,
        );
        child.signal('SIGTERM');
        await waitFor(
          'the child to shut down',
          () => child.stdout.includes('BYE'),
          15_000,
          () => child.stderr,
        );
        expect(readClusterRunLog(context.runLog).filter((l) => l.kind === 'end')).toMatchObject([
          { outcome: 'ok' },
        ]);
        const records = await firesOf(context.target, 'finishing');
        expect(records).toMatchObject([{ state: 'succeeded', node: 'leaver' }]);
      },
      TEST_TIMEOUT,
    );

    it('refuses to start a second live scheduler with the same node id', async () => {
      const context = await setUp();
      const first = localScheduler(context, 'twin');
      await first.start();
      const second = localScheduler(context, 'twin');
      await expect(second.start()).rejects.toBeInstanceOf(NodeIdInUseError);
      expect(second.running).toBe(false);
      // The first one restarting is itself, not a twin.
      await first.shutdown();
      await first.start();
      expect(first.running).toBe(true);
    });
  });
}
