// Failover: how long after a scheduler dies its running fire is recorded abandoned by another.
// Per store, 20 times: a scheduler process (bench/cluster-node.ts with a job that runs for a
// minute) starts the fire; it is killed with SIGKILL; a scheduler in this process, sharing the
// store, reports the fire abandoned (EVENT_JOB_ABANDONED). Reported: the time from the kill to
// the event, median, p99 and worst, beside the bound runLease + one reaper round (runLease / 2,
// ±10 %) + one poll.
//
// BENCH_FAILOVER_STORES=sqlite,postgres,mariadb,redis picks stores, BENCH_FAILOVER_KILLS the
// count (20), BENCH_FAILOVER_LEASE the run lease in seconds (2).
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AsyncScheduler, EVENT_JOB_ABANDONED, silentLogger } from '../src/index.ts';
import { openStore, storeTargets, type Target } from './store-targets.ts';
import { printTable } from './table.ts';

const NODE = fileURLToPath(new URL('./failover-node.ts', import.meta.url));
const KILLS = Number(process.env.BENCH_FAILOVER_KILLS ?? 20);
const LEASE_S = Number(process.env.BENCH_FAILOVER_LEASE ?? 2);
const POLL_S = 0.2;

function startNode(target: Target, id: string): { child: ChildProcess; out: () => string } {
  let out = '';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', NODE, target.url, target.table, id, String(LEASE_S)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', () => {});
  return { child, out: () => out };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

async function measure(target: Target): Promise<number[]> {
  const abandonedAt = new Map<string, number>();
  const peer = new AsyncScheduler({
    jobstores: { default: openStore(target.url, target.table) },
    timezone: 'UTC',
    logger: silentLogger,
    storePollInterval: POLL_S,
    cluster: { nodeId: 'peer', runLease: LEASE_S, claimLease: LEASE_S },
  });
  peer.registerTask('hold', async () => {
    await sleep(60_000);
  });
  peer.addListener((event) => {
    abandonedAt.set(event.jobId ?? '', Date.now());
  }, EVENT_JOB_ABANDONED);
  // Paused while a victim takes its fire; resumed to reap.
  await peer.start({ paused: true });
  const kills: number[] = [];
  try {
    for (let i = 0; i < KILLS; i++) {
      const victim = startNode(target, `victim-${i}`);
      await until(() => victim.out().includes('READY'), 30_000, 'the victim to start');
      const id = `held-${i}`;
      await peer.addJob('hold', 'date', { id, runDate: new Date(Date.now() + 100) });
      await until(() => victim.out().includes(`STARTED ${id}`), 30_000, 'the victim to run');
      peer.resume();
      const killed = Date.now();
      victim.child.kill('SIGKILL');
      await until(() => abandonedAt.has(id), 60_000, 'the fire to be recorded abandoned');
      kills.push((abandonedAt.get(id) as number) - killed);
      peer.pause();
    }
  } finally {
    await peer.shutdown({ wait: false });
  }
  return kills;
}

export async function run(): Promise<void> {
  const all = storeTargets('failover');
  const chosen = (process.env.BENCH_FAILOVER_STORES ?? 'sqlite,postgres,mariadb,redis').split(',');
  const cpus = os.cpus();
  console.log('Horarium failover benchmark: a node killed while running a fire');
  console.log(
    `node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, load average ${os.loadavg()[0]?.toFixed(2)}`,
  );
  const bound = LEASE_S * 1000 + LEASE_S * 500 * 1.1 + POLL_S * 1000;
  console.log(
    `${KILLS} SIGKILLs per store, runLease ${LEASE_S} s, poll ${POLL_S} s: from the kill to EVENT_JOB_ABANDONED on a peer (ms); bound runLease + a reaper round + a poll = ${Math.round(bound)} ms`,
  );
  const rows: string[][] = [];
  for (const key of chosen) {
    const make = all[key.trim()];
    if (make === undefined) continue;
    const target = make();
    try {
      const kills = await measure(target);
      const sorted = [...kills].sort((a, b) => a - b);
      const p99 = quantile(sorted, 0.99);
      rows.push([
        target.name,
        String(Math.round(quantile(sorted, 0.5))),
        String(Math.round(p99)),
        String(Math.round(sorted.at(-1) ?? Number.NaN)),
        p99 <= bound ? 'PASS' : 'MISS',
      ]);
    } catch (error) {
      rows.push([target.name, 'error', '', '', (error as Error).message.slice(0, 120)]);
    } finally {
      await target.cleanup().catch(() => {});
    }
  }
  printTable(['store', 'median', 'p99', 'worst', 'p99 ≤ bound'], rows);
}
