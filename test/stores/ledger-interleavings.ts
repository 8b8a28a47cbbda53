/**
 * Property tests of the cluster ledger (src/stores/ledger.ts) under
 * interleaved steps of three virtual nodes against a real store, with an
 * injected store clock: claim, plan and commit (possibly late, after the
 * claim lease passed), start and finish runs, renew leases, reap, crash (a
 * node forgets everything it held and stops renewing), and time moving on.
 *
 * After every step:
 * - at most one ledger row per (job, scheduled time);
 * - never two nodes that both believe they hold a live lease on one fire
 *   (a node believes it until the lease it was granted or renewed to passes);
 * - a job's next run time never moves back;
 * - a node's commit or update is accepted only while its fence is current.
 *
 * `describeLedgerInterleavings(name, makeStore)` in a store's test file runs it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.ts';
import type { ClusterLedger, FireRecord } from '../../src/stores/ledger.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { runFire } from './ledger-contract.ts';
import { BASE_TIME, makeJob, type StoreUnderTest } from './store-contract.ts';

const NODES = ['node-a', 'node-b', 'node-c'] as const;
/** A node's id: its slot, and how many times that slot crashed (a restarted node is a new node). */
type NodeName = string;
const CLAIM_LEASE = 10_000;
const RUN_LEASE = 10_000;
const STEP = 5_000;
const JOBS = ['j0', 'j1', 'j2', 'j3'];

type Step =
  | { kind: 'pass'; node: number }
  | { kind: 'claim'; node: number }
  | { kind: 'commit'; node: number }
  | { kind: 'start'; node: number }
  | { kind: 'finish'; node: number }
  | { kind: 'renew'; node: number }
  | { kind: 'reap'; node: number }
  | { kind: 'crash'; node: number }
  | { kind: 'tick'; ms: number };

const node = fc.nat(2);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pass' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('claim' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), node }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('start' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('finish' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('renew' as const), node }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reap' as const), node }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      ms: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 9_000, max: 15_000 }) },
      ),
    }),
  },
);

/** What one virtual node believes. */
interface NodeMind {
  /** Claims it has not committed yet: job, fence, when the claim lease ends. */
  claims: { job: Job; fence: number; until: number }[];
  /** Fires it holds, with the lease it believes it has. */
  held: Map<string, { jobId: string; scheduledTime: number; leaseUntil: number; started: boolean }>;
}

function freshMind(): NodeMind {
  return { claims: [], held: new Map() };
}

async function runScenario(
  ledger: ClusterLedger,
  steps: readonly Step[],
  store: StoreUnderTest['store'],
) {
  let now = BASE_TIME;
  const generations = NODES.map(() => 0);
  const names: NodeName[] = NODES.map((slot) => `${slot}-0`);
  const minds = new Map<NodeName, NodeMind>(names.map((name) => [name, freshMind()]));
  const lastNext = new Map<string, number>();

  /** A node claims due jobs (at most two). */
  const claim = async (name: NodeName, mind: NodeMind): Promise<void> => {
    const claim = await ledger.claimDueJobs({
      owner: name,
      limit: 2,
      leaseMs: CLAIM_LEASE,
      now,
    });
    expect(claim.now).toBe(now);
    for (const claimed of claim.jobs)
      mind.claims.push({ job: claimed.job, fence: claimed.fence, until: now + CLAIM_LEASE });
  };
  /** A node commits its claims, one fire each: the job advances by one step. */
  const commit = async (name: NodeName, mind: NodeMind): Promise<void> => {
    // A node commits each job once, with its latest claim of it.
    const latest = new Map<string, NodeMind['claims'][number]>();
    for (const claimed of mind.claims.splice(0)) latest.set(claimed.job.id, claimed);
    const pending = [...latest.values()];
    if (pending.length === 0) return;
    const commits = pending.map(({ job, fence }) => {
      const due = job.nextRunTimeMs as number;
      const fire = runFire(due);
      return {
        jobId: job.id,
        fence,
        job: job.withNextRunTime(new Date(due + STEP)),
        fires: [fire],
      };
    });
    const result = await ledger.commitClaims(name, commits, { runLeaseMs: RUN_LEASE, now });
    for (const commit of commits) {
      const [fire] = commit.fires;
      if (fire !== undefined && result.won.includes(fire.fireId))
        mind.held.set(fire.fireId, {
          jobId: commit.jobId,
          scheduledTime: fire.scheduledTime,
          leaseUntil: now + RUN_LEASE,
          started: false,
        });
    }
    // A commit whose claim lease had passed may have lost; one still within it cannot have:
    // no user writes happen here, and nobody else can claim a job while its claim lease
    // holds. (A reaper taking over a fire of a recover job moves that job's fence on too.)
    for (const { job, until } of pending)
      if (until >= now && !job.recover) expect(result.lost).not.toContain(job.id);
  };

  for (const step of steps) {
    if (step.kind === 'tick') {
      now += step.ms;
      continue;
    }
    const name = names[step.node] as NodeName;
    const mind = minds.get(name) as NodeMind;
    switch (step.kind) {
      case 'pass':
        await claim(name, mind);
        await commit(name, mind);
        break;
      case 'claim':
        await claim(name, mind);
        break;
      case 'commit':
        await commit(name, mind);
        break;
      case 'start':
      case 'finish': {
        const updates = [...mind.held.entries()]
          .filter(([, fire]) => (step.kind === 'start' ? !fire.started : fire.started))
          .map(([fireId]) => ({
            fireId,
            state: step.kind === 'start' ? ('running' as const) : ('succeeded' as const),
            at: now,
          }));
        if (updates.length === 0) break;
        const refused = await ledger.updateFires(name, updates);
        for (const update of updates) {
          const fire = mind.held.get(update.fireId);
          if (fire === undefined) continue;
          // An update the node makes while its lease is live is never refused.
          if (fire.leaseUntil >= now) expect(refused).not.toContain(update.fireId);
          if (refused.includes(update.fireId) || step.kind === 'finish')
            mind.held.delete(update.fireId);
          else fire.started = true;
        }
        break;
      }
      case 'renew': {
        const renewed = await ledger.renewFireLeases(name, RUN_LEASE, now);
        for (const [fireId, fire] of mind.held) {
          if (renewed.includes(fireId)) fire.leaseUntil = now + RUN_LEASE;
          // A live lease is always renewed.
          else if (fire.leaseUntil >= now)
            throw new Error(`${name} held ${fireId} live but it was not renewed`);
          else mind.held.delete(fireId);
        }
        for (const fireId of renewed)
          expect(mind.held.has(fireId), `${name} renewed ${fireId} it does not hold`).toBe(true);
        break;
      }
      case 'reap': {
        const { recovered } = await ledger.reapExpiredFires(name, {
          limit: 10,
          runLeaseMs: RUN_LEASE,
          now,
        });
        for (const { fire } of recovered)
          mind.held.set(fire.fireId, {
            jobId: fire.jobId,
            scheduledTime: fire.scheduledTime,
            leaseUntil: now + RUN_LEASE,
            started: false,
          });
        break;
      }
      case 'crash': {
        // It forgets what it held and stops renewing; it comes back as a new node.
        minds.delete(name);
        generations[step.node] = (generations[step.node] ?? 0) + 1;
        const reborn = `${NODES[step.node]}-${generations[step.node]}`;
        names[step.node] = reborn;
        minds.set(reborn, freshMind());
        break;
      }
    }

    // Invariants.
    const fires: FireRecord[] = await ledger.getFires({ limit: 10_000 });
    const keys = fires.map((fire) => `${fire.jobId}@${fire.scheduledTime}`);
    expect(new Set(keys).size, 'one row per (job, scheduled time)').toBe(keys.length);
    const believers = new Map<string, string[]>();
    for (const [node, nodeMind] of minds)
      for (const [fireId, fire] of nodeMind.held)
        if (fire.leaseUntil >= now) believers.set(fireId, [...(believers.get(fireId) ?? []), node]);
    for (const [fireId, nodes] of believers)
      expect(nodes, `live lease holders of ${fireId}`).toHaveLength(1);
    for (const id of JOBS) {
      const job = await store.lookupJob(id);
      const next = job?.nextRunTimeMs ?? null;
      if (next === null) continue;
      expect(next, `next run time of ${id}`).toBeGreaterThanOrEqual(lastNext.get(id) ?? 0);
      lastNext.set(id, next);
    }
  }
}

export function describeLedgerInterleavings(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
  runs = 12,
): void {
  describe(`${name}: cluster ledger under interleaved nodes`, () => {
    it('keeps one row per fire, one live holder per fire, and next run times that never go back', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 20, maxLength: 80 }), async (steps) => {
          const { store, cleanup } = await makeStore();
          await store.start(storeTestContext(), 'default');
          try {
            const ledger = store.ledger;
            if (ledger === undefined) throw new Error('this store has no cluster ledger');
            for (const [i, id] of JOBS.entries())
              await store.addJob(
                makeJob(id, BASE_TIME + i * 1000, {
                  recover: i % 2 === 0,
                  maxInstances: 3,
                }),
              );
            await runScenario(ledger, steps, store);
          } finally {
            await store.shutdown();
            await cleanup();
          }
        }),
        { numRuns: runs },
      );
    }, 120_000);
  });
}
