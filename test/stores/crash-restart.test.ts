/**
 * Crash and restart on every persistent store (SQLite through better-sqlite3,
 * except on Node 24, and through node:sqlite where Node has it; PostgreSQL,
 * MariaDB, Redis). A child process (test/fixtures/durability-child.ts) runs a
 * scheduler on the store and is killed with SIGKILL while jobs run; a fresh
 * scheduler in this process then opens the same store and must find every
 * acknowledged job with the right next run time, and — restarted — run no
 * scheduled time twice, with one catch-up run for a coalescing job and every
 * missed run for a non-coalescing one (misfireGraceTime null).
 *
 * Real processes, real timers: the bounds are generous, the orderings exact.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  EVENT_JOB_MISSED,
  EVENT_JOB_RESTORE_FAILED,
  EVENT_JOB_SUBMITTED,
  EVENT_JOBSTORE_ERROR,
  type Job,
  JobSubmissionEvent,
  type SchedulerEvent,
  silentLogger,
} from '../../src/index.ts';
import type { RunRecord } from '../fixtures/durability-jobs.ts';
import {
  type DurableBackend,
  type DurableStoreTarget,
  describeBackend,
  doubledRuns,
  durableBackends,
  openStore,
  reachability,
  readRunLog,
  removeFile,
  sleep,
  tempRunLog,
  waitFor,
} from '../helpers/durability.ts';
import {
  BETTER_SQLITE3_SAFE,
  BETTER_SQLITE3_UNSAFE_REASON,
  HAS_NODE_SQLITE,
} from '../helpers/sql-backends.ts';

const CHILD = fileURLToPath(new URL('../fixtures/durability-child.ts', import.meta.url));
const TEST_TIMEOUT = 60_000;
/** How long the store stays without a scheduler after the kill. */
const DOWNTIME_MS = 3000;
/** How long the restarted scheduler runs. */
const RESTART_RUN_MS = 4000;

const backends: DurableBackend[] = [
  ...(BETTER_SQLITE3_SAFE ? [durableBackends.SQLite] : []),
  ...(HAS_NODE_SQLITE ? [durableBackends['SQLite (node:sqlite)']] : []),
  durableBackends.PostgreSQL,
  durableBackends.MariaDB,
  durableBackends.Redis,
];
const reasons = await reachability(backends);

interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running durability-child.ts and what it printed. */
class DurabilityChild {
  readonly process: ChildProcess;
  /** Acknowledged jobs: id → next run time ISO or 'paused'. */
  readonly acks = new Map<string, string>();
  ready = false;
  exit: ChildExit | null = null;
  readonly exited: Promise<ChildExit>;
  #stdout = '';
  #stderr = '';

  constructor(target: DurableStoreTarget, runLog: string, mode: 'mix' | 'crash-in-job') {
    this.process = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CHILD,
        target.url,
        target.name,
        runLog,
        mode,
        ...(target.sqliteDriver === undefined ? [] : [target.sqliteDriver]),
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#onStdout(chunk));
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.process.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  #onStdout(chunk: string): void {
    this.#stdout += chunk;
    let newline = this.#stdout.indexOf('\n');
    while (newline >= 0) {
      const line = this.#stdout.slice(0, newline);
      this.#stdout = this.#stdout.slice(newline + 1);
      newline = this.#stdout.indexOf('\n');
      if (line === 'READY') this.ready = true;
      const match = /^ACK (\S+) (\S+)$/.exec(line);
      if (match !== null) this.acks.set(match[1] as string, match[2] as string);
    }
  }

  describe(): string {
    return `child exit ${JSON.stringify(this.exit)}, acks ${this.acks.size}, stderr: ${this.#stderr.slice(-2000) || '(empty)'}`;
  }

  async kill(): Promise<ChildExit> {
    if (this.exit === null) this.process.kill('SIGKILL');
    return this.exited;
  }
}

function runsOf(records: readonly RunRecord[], id: string, pid?: number): number[] {
  return records
    .filter((r) => r.id === id && (pid === undefined || r.pid === pid))
    .map((r) => r.scheduled)
    .sort((a, b) => a - b);
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

/** Whole seconds from `first` to `last` inclusive. */
function grid(first: number, last: number): number[] {
  const times: number[] = [];
  for (let t = first; t <= last; t += 1000) times.push(t);
  return times;
}

/** A scheduler on `target` in this process, started paused, recording the events that matter here. */
async function restartedScheduler(
  target: DurableStoreTarget,
): Promise<{ scheduler: AsyncScheduler; events: SchedulerEvent[] }> {
  const scheduler = new AsyncScheduler({
    jobstores: { default: openStore(target) },
    timezone: 'UTC',
    logger: silentLogger,
    storePollInterval: 1,
    jobstoreRetryInterval: 1,
  });
  const events: SchedulerEvent[] = [];
  scheduler.addListener(
    (event) => {
      events.push(event);
    },
    EVENT_JOB_SUBMITTED | EVENT_JOB_MISSED | EVENT_JOB_RESTORE_FAILED | EVENT_JOBSTORE_ERROR,
  );
  await scheduler.start({ paused: true });
  return { scheduler, events };
}

function submissions(events: readonly SchedulerEvent[], id: string): number[][] {
  return events
    .filter((e): e is JobSubmissionEvent => e instanceof JobSubmissionEvent && e.jobId === id)
    .filter((e) => e.code === EVENT_JOB_SUBMITTED)
    .map((e) => e.scheduledRunTimes.map((t) => t.getTime()));
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
});

describe.concurrent('crash and restart (SIGKILL of a scheduler process)', () => {
  if (!BETTER_SQLITE3_SAFE) {
    describe.skip(`${BETTER_SQLITE3_UNSAFE_REASON}: crash and restart on the better-sqlite3 driver skipped`, () => {
      it('needs better-sqlite3', () => {});
    });
  }
  if (!HAS_NODE_SQLITE) {
    describe.skip(`node:sqlite absent in Node ${process.versions.node}: crash and restart on the node:sqlite driver skipped`, () => {
      it('needs node:sqlite (Node ≥ 22.13)', () => {});
    });
  }
  for (const backend of backends) {
    describeBackend(`${backend.name} store`, backend, reasons.get(backend.name), () => {
      it(
        'keeps every acknowledged job, runs no scheduled time twice, catches up by the misfire rules',
        async () => {
          const target = await backend.create();
          const runLog = tempRunLog(`crash-${backend.name}`);
          const child = new DurabilityChild(target, runLog, 'mix');
          cleanups.push(async () => {
            await child.kill();
            await target.cleanup();
            removeFile(runLog);
          });
          const tickRuns = (): number => runsOf(readRunLog(runLog), 'tick').length;

          // Phase 1: the child runs jobs and keeps adding more; kill it right after a run started.
          await waitFor(
            'the child to add its jobs',
            () => child.ready,
            30_000,
            () => child.describe(),
          );
          await waitFor(
            'four runs of "tick" in the child',
            () => tickRuns() >= 4,
            20_000,
            () => child.describe(),
          );
          const seen = tickRuns();
          await waitFor(
            'one more run of "tick"',
            () => tickRuns() > seen,
            5000,
            () => child.describe(),
          );
          const exit = await child.kill();
          expect(exit.signal, child.describe()).toBe('SIGKILL');
          const childRecords = readRunLog(runLog);
          const acks = new Map(child.acks);
          expect(acks.size).toBeGreaterThanOrEqual(6);
          await sleep(DOWNTIME_MS);

          // Phase 2: a fresh scheduler on the same store, paused: what did the store keep?
          const { scheduler, events } = await restartedScheduler(target);
          let jobs: Job[];
          let resumedAt: number;
          try {
            jobs = await scheduler.getJobs();
            const byId = new Map(jobs.map((job) => [job.id, job]));
            expect(jobs.filter((job) => job.broken).map((job) => job.id)).toEqual([]);
            const lost = [...acks.keys()].filter((id) => !byId.has(id));
            expect(lost, 'acknowledged jobs missing after the crash').toEqual([]);
            const changed: string[] = [];
            for (const [id, acked] of acks) {
              if (id === 'tick' || id === 'tick-all') continue;
              const next = byId.get(id)?.nextRunTime ?? null;
              const actual = next === null ? 'paused' : next.toISOString();
              if (actual !== acked) changed.push(`${id}: acknowledged ${acked}, stored ${actual}`);
            }
            expect(changed, 'next run times changed by the crash').toEqual([]);
            // At most the one addJob in flight at the kill can exist without its ACK.
            const unacknowledged = jobs.filter((job) => !acks.has(job.id)).map((job) => job.id);
            expect(unacknowledged.length, unacknowledged.join(', ')).toBeLessThanOrEqual(1);
            for (const id of ['tick', 'tick-all']) {
              const lastRun = Math.max(...runsOf(childRecords, id));
              const next = byId.get(id)?.nextRunTime?.getTime() ?? Number.NaN;
              const context = `${id}: last run in the child ${iso(lastRun)}, stored next run time ${Number.isNaN(next) ? 'none' : iso(next)}`;
              expect(next % 1000, context).toBe(0);
              // Strictly after the last run that started: a started run is never run again.
              expect(next, context).toBeGreaterThan(lastRun);
              // At most one run (the one being submitted at the kill) may be lost.
              expect(next, context).toBeLessThanOrEqual(lastRun + 2000);
            }
            // Resumed early in a second: the catch-up run of "tick" (300 ms) ends before the
            // next grid point, which maxInstances 1 would otherwise skip, as it should.
            await sleep(1050 - (Date.now() % 1000));
            resumedAt = Date.now();
            scheduler.resume();
            await sleep(RESTART_RUN_MS);
          } finally {
            await scheduler.shutdown();
          }
          const stoppedAt = Date.now();
          const storedNext = new Map(
            jobs.map((job) => [job.id, job.nextRunTime?.getTime() ?? null]),
          );

          const records = readRunLog(runLog);
          const context = `run log:\n${records.map((r) => `${r.id} ${iso(r.scheduled)} ${r.pid === child.pid ? 'child' : 'restart'} +${r.at - r.scheduled}ms`).join('\n')}`;
          expect(doubledRuns(records, 'tick'), context).toEqual([]);
          expect(doubledRuns(records, 'tick-all'), context).toEqual([]);
          const others = records.filter((r) => r.id !== 'tick' && r.id !== 'tick-all');
          expect(others, 'future and paused jobs must not run').toEqual([]);
          expect(events.filter((e) => e.code === EVENT_JOB_MISSED)).toEqual([]);
          expect(events.filter((e) => e.code === EVENT_JOB_RESTORE_FAILED)).toEqual([]);

          // Coalescing job: the downtime's missed runs become one catch-up run at the latest
          // missed grid point, then the schedule goes on.
          const tickAfter = runsOf(records, 'tick', process.pid);
          const tickSubmitted = submissions(events, 'tick');
          expect(tickSubmitted.length, context).toBeGreaterThanOrEqual(2);
          expect(
            tickSubmitted.filter((batch) => batch.length !== 1),
            'coalesce: every submission is one run time',
          ).toEqual([]);
          const catchUp = tickAfter[0] as number;
          const tickNext = storedNext.get('tick') as number;
          expect(catchUp, context).toBeGreaterThan(tickNext); // the downtime skipped some points…
          expect(catchUp, context).toBeGreaterThanOrEqual(resumedAt - 1000); // …up to the latest
          expect(
            tickAfter.filter((t) => t < resumedAt).length,
            `one catch-up run: ${context}`,
          ).toBeLessThanOrEqual(1);
          expect(tickAfter, context).toEqual(grid(catchUp, tickAfter.at(-1) as number));
          expect(tickAfter.length).toBeLessThanOrEqual((stoppedAt - resumedAt) / 1000 + 2);

          // Non-coalescing job: every missed run, each once, from the stored next run time on.
          const allNext = storedNext.get('tick-all') as number;
          const allAfter = runsOf(records, 'tick-all', process.pid);
          expect(allAfter, context).toEqual(grid(allNext, allAfter.at(-1) as number));
          expect(allAfter.at(-1), context).toBeGreaterThanOrEqual(resumedAt + 1000);
          const firstBatch = submissions(events, 'tick-all')[0] ?? [];
          expect(firstBatch.length, context).toBeGreaterThanOrEqual(DOWNTIME_MS / 1000);
          const allInChild = runsOf(childRecords, 'tick-all');
          expect(allInChild, context).toEqual(
            grid(allInChild[0] as number, allInChild.at(-1) as number),
          );
        },
        TEST_TIMEOUT,
      );

      it(
        'does not run a scheduled time again after a crash inside that run',
        async () => {
          const target = await backend.create();
          const runLog = tempRunLog(`crash-in-job-${backend.name}`);
          const child = new DurabilityChild(target, runLog, 'crash-in-job');
          cleanups.push(async () => {
            await child.kill();
            await target.cleanup();
            removeFile(runLog);
          });
          // The job kills its process with SIGKILL inside its second run.
          const timeout = setTimeout(() => child.process.kill('SIGKILL'), 40_000);
          const exit = await child.exited;
          clearTimeout(timeout);
          expect(exit.signal, child.describe()).toBe('SIGKILL');
          const crashed = runsOf(readRunLog(runLog), 'crasher');
          expect(crashed.length, child.describe()).toBe(2);
          const crashedRun = crashed[1] as number;

          const { scheduler, events } = await restartedScheduler(target);
          let storedNext: Date | null | undefined;
          try {
            storedNext = (await scheduler.getJob('crasher'))?.nextRunTime;
            scheduler.resume();
            await sleep(2500);
          } finally {
            await scheduler.shutdown();
          }
          const records = readRunLog(runLog);
          const context = `the run at ${iso(crashedRun)} started before the crash; stored next run time ${storedNext?.toISOString() ?? String(storedNext)}; run log:\n${records.map((r) => `${iso(r.scheduled)} ${r.pid === child.pid ? 'child' : 'restart'}`).join('\n')}`;
          expect(storedNext, context).toBeInstanceOf(Date);
          // The next run time was persisted before the run was handed to the executor.
          expect(storedNext?.getTime(), context).toBeGreaterThan(crashedRun);
          expect(doubledRuns(records, 'crasher'), context).toEqual([]);
          expect(runsOf(records, 'crasher', process.pid).length, context).toBeGreaterThanOrEqual(1);
          expect(events.filter((e) => e.code === EVENT_JOB_MISSED)).toEqual([]);
        },
        TEST_TIMEOUT,
      );
    });
  }
});
