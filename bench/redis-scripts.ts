// The Redis ledger's single script calls: how long one call holds the Redis server, which serves no
// other client while a script runs. Each case works on 10,000 jobs or fires (BENCH_REDIS_FIRES)
// through the ledger of a RedisJobStore, as a scheduler calls it, and reports the script calls the
// operation made, its total time, and its longest script call as the server measured it (SLOWLOG,
// calls slower than 0.1 ms on this store's keys only; see redis-slowlog.ts):
//
// - drain, claim batch 100 and 500: claim due jobs, commit one run fire each, record the fires
//   running, then succeeded (500 updates per call, as the scheduler's fire writer flushes them),
//   until no job is due;
// - renew: one node holds every fire live; one renewFireLeases;
// - reap: every fire's lease has expired; another node reaps them all (limit: all of them);
// - release: one node holds the claims of every job; one releaseClaims.
//
// Server: REDIS_URL (default redis://127.0.0.1:6379). Target: no call longer than a few ms.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import { AsyncScheduler, IntervalTrigger, Job, RedisJobStore, silentLogger } from '../src/index.ts';
import type { ClusterLedger, FireUpdate } from '../src/stores/ledger.ts';
import { type ScriptCalls, ScriptLog } from './redis-slowlog.ts';
import { printTable } from './table.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const FIRES = Number(process.env.BENCH_REDIS_FIRES ?? 10_000);
const LEASE_MS = 30_000;
/** Updates per updateFires call: the scheduler's fire writer flushes at 500. */
const UPDATES_PER_CALL = 500;
/** "A few ms", for the PASS/MISS line. */
const TARGET_MS = 5;
/** The jobs' run time: long past, so that every job is due at once. */
const DUE = Date.UTC(2025, 0, 1);

/** The task of the jobs (never run: nothing is executed here). */
export function benchTask(): void {}
const TASK_REF = `${import.meta.url}:benchTask`;

interface Row {
  readonly operation: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly longest: ScriptCalls | null;
}

/** A store on a fresh key prefix, counting its script calls, under a paused scheduler. */
class BenchStore {
  readonly prefix = `bench.scripts.${randomBytes(4).toString('hex')}.`;
  readonly client = new Redis(REDIS_URL);
  readonly store = new RedisJobStore({ client: this.client, keyPrefix: this.prefix });
  readonly scheduler = new AsyncScheduler({
    jobstores: { default: this.store },
    timezone: 'UTC',
    logger: silentLogger,
    cluster: { wake: 'poll' },
  });
  calls = 0;

  constructor() {
    const call = this.client.call.bind(this.client) as (...args: unknown[]) => Promise<unknown>;
    (this.client as unknown as { call: unknown }).call = (...args: unknown[]) => {
      if (args[0] === 'EVALSHA') this.calls++;
      return call(...args);
    };
  }

  get ledger(): ClusterLedger {
    return this.store.ledger;
  }

  async start(): Promise<void> {
    this.scheduler.registerTask('benchTask', benchTask);
    await this.scheduler.start({ paused: true });
  }

  async addDueJobs(count: number): Promise<void> {
    const trigger = new IntervalTrigger({ hours: 1, startDate: DUE, timezone: 'UTC' });
    for (let i = 0; i < count; i += 1000) {
      const jobs: Job[] = [];
      for (let k = i; k < Math.min(i + 1000, count); k++)
        jobs.push(
          new Job(
            this.scheduler,
            {
              id: `job-${k}`,
              name: 'benchTask',
              func: benchTask,
              funcRef: TASK_REF,
              args: [],
              trigger,
              executor: 'default',
              coalesce: true,
              maxInstances: 1,
              misfireGraceTime: null,
              timeout: null,
              recover: false,
              history: 'all',
              nextRunTime: new Date(DUE),
            },
            'default',
          ),
        );
      await this.store.addJobs(jobs);
    }
  }

  /** Claims every due job for `owner` and commits one fire each (left live); returns the fire ids. */
  async claimAndCommit(owner: string, batch: number): Promise<string[]> {
    const fires: string[] = [];
    for (;;) {
      const claim = await this.ledger.claimDueJobs({ owner, limit: batch, leaseMs: LEASE_MS });
      if (claim.jobs.length === 0) return fires;
      const result = await this.ledger.commitClaims(
        owner,
        claim.jobs.map(({ job, fence }) => {
          const next = job.trigger.getNextFireTime(null, new Date(claim.now));
          return {
            jobId: job.id,
            fence,
            job: job.withNextRunTime(next),
            fires: [
              {
                fireId: randomBytes(16).toString('hex'),
                scheduledTime: job.nextRunTimeMs,
                state: 'claimed' as const,
                batchId: randomBytes(16).toString('hex'),
              },
            ],
          };
        }),
        { runLeaseMs: LEASE_MS },
      );
      fires.push(...result.won);
    }
  }

  async close(): Promise<void> {
    await this.scheduler.shutdown();
    const keys = await this.client.keys(`${this.prefix}*`);
    if (keys.length > 0) await this.client.del(...keys);
    this.client.disconnect();
  }
}

/** Runs `operation` and measures it: its script calls, its time, its longest call. */
async function measure(
  log: ScriptLog | null,
  bench: BenchStore,
  operation: string,
  body: () => Promise<unknown>,
): Promise<Row> {
  await log?.reset();
  const calls = bench.calls;
  const start = performance.now();
  await body();
  const totalMs = performance.now() - start;
  return {
    operation,
    calls: bench.calls - calls,
    totalMs,
    longest: log === null ? null : await log.longest(bench.prefix),
  };
}

async function drain(log: ScriptLog | null, batch: number): Promise<Row> {
  const bench = new BenchStore();
  try {
    await bench.start();
    await bench.addDueJobs(FIRES);
    return await measure(log, bench, `drain, claim batch ${batch}`, async () => {
      const fires = await bench.claimAndCommit('drainer', batch);
      for (const state of ['running', 'succeeded'] as const)
        for (let i = 0; i < fires.length; i += UPDATES_PER_CALL) {
          const updates: FireUpdate[] = fires
            .slice(i, i + UPDATES_PER_CALL)
            .map((fireId) => ({ fireId, state, at: Date.now() }));
          await bench.ledger.updateFires('drainer', updates);
        }
    });
  } finally {
    await bench.close();
  }
}

async function heldFires(log: ScriptLog | null): Promise<Row[]> {
  const bench = new BenchStore();
  try {
    await bench.start();
    await bench.addDueJobs(FIRES);
    await bench.claimAndCommit('holder', 500);
    const renew = await measure(log, bench, 'renew', () =>
      bench.ledger.renewFireLeases('holder', LEASE_MS),
    );
    const now = await bench.ledger.now();
    const reap = await measure(log, bench, 'reap', () =>
      bench.ledger.reapExpiredFires('reaper', {
        limit: FIRES,
        runLeaseMs: LEASE_MS,
        now: now + 2 * LEASE_MS,
      }),
    );
    return [renew, reap, await release(log, bench)];
  } finally {
    await bench.close();
  }
}

/** Holds the claims of every job for one node, then measures releasing them. */
async function release(log: ScriptLog | null, bench: BenchStore): Promise<Row> {
  // A week on, every job is due again (the commits moved them an hour on).
  const later = Date.now() + 7 * 24 * 3_600_000;
  for (;;) {
    const claim = await bench.ledger.claimDueJobs({
      owner: 'claimer',
      limit: 1000,
      leaseMs: LEASE_MS,
      now: later,
    });
    if (claim.jobs.length === 0) break;
  }
  return measure(log, bench, 'release', () => bench.ledger.releaseClaims('claimer'));
}

export async function run(): Promise<void> {
  const cpus = os.cpus();
  console.log(
    'Horarium Redis ledger: the longest single script call of each operation (lower is better)',
  );
  console.log(
    `node ${process.version}, ${os.platform()}-${os.arch()}, ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, load average ${os.loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    `${FIRES.toLocaleString('en-US')} jobs or fires per case; a script holds the server alone: its longest call is what other clients waited`,
  );
  const log = await ScriptLog.open(REDIS_URL);
  if (log === null) console.log('note: the server refused CONFIG SET: no server-side durations');
  const rows: Row[] = [];
  try {
    rows.push(await drain(log, 100));
    rows.push(await drain(log, 500));
    rows.push(...(await heldFires(log)));
  } finally {
    await log?.close();
  }
  printTable(
    ['operation', 'script calls', 'total', 'longest call', 'script', 'its median call'],
    rows.map((row) => [
      row.operation,
      row.calls.toLocaleString('en-US'),
      `${row.totalMs.toFixed(0)} ms`,
      row.longest === null ? '< 0.1 ms' : `${row.longest.ms.toFixed(1)} ms`,
      row.longest?.name ?? '',
      row.longest === null ? '' : `${row.longest.medianMs.toFixed(1)} ms`,
    ]),
  );
  const worst = Math.max(0, ...rows.map((row) => row.longest?.ms ?? 0));
  if (log !== null)
    console.log(
      `\n${worst <= TARGET_MS ? 'PASS' : 'MISS'}  no single script call longer than ${TARGET_MS} ms (longest: ${worst.toFixed(1)} ms)`,
    );
}
