// One scheduler node of the cluster memory bench (bench/cluster-memory.ts), in a process of its own:
//
//   node --expose-gc --import tsx bench/cluster-memory-node.ts <store-url> <table-or-prefix> <node-id> <role>
//
// Roles: `seed` adds the fixed jobs (40 interval jobs every second, a `recover: true` job) and
// also churns; `churn` only churns; `victim` runs a scheduler and nothing else (the parent kills it
// with SIGKILL while it holds fires). Every few seconds (BENCH_MEMORY_SAMPLE_SECONDS, 5) a churning
// node runs `global.gc()` and prints `MEM <epoch ms> <heapUsed> <rss> <heapTotal> <external>
// <anonymous RSS, from /proc/self/status, or -1>`. Commands on stdin:
// `RESTART` shuts the scheduler down (waiting for its runs) and starts it again in this process;
// `SPACES` prints `SPACES <json>`: the size V8 reserves for each heap space, after a gc;
// `SNAPSHOT <file>` writes a heap snapshot after a gc and prints `SNAPSHOT <file>`; `STOP` shuts it
// down and prints `SUMMARY <json>` (events by name, runs by task, churn operations and failures,
// warnings by their first words), then exits. Prints READY once started.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { AsyncScheduler, eventName, type Logger } from '../src/index.ts';
import { openStore } from './store-targets.ts';

const [url, name, nodeId, role = 'churn'] = process.argv.slice(2);
if (url === undefined || name === undefined || nodeId === undefined) {
  console.error('usage: cluster-memory-node.ts <store-url> <table-or-prefix> <node-id> <role>');
  process.exit(2);
}
const SAMPLE_MS = Number(process.env.BENCH_MEMORY_SAMPLE_SECONDS ?? 5) * 1000;
const LEASE_S = 5;
/** Churn steps per second: each adds a one-shot job, and every few steps more. */
const TICK_MS = 100;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('cluster-memory-node.ts needs --expose-gc');
  process.exit(2);
}

/** Warnings and errors counted by their first words (ids and times differ); the last few kept. */
const logged = new Map<string, number>();
const lastLines: string[] = [];
function note(level: string, message: string): void {
  const key = `${level} ${message.replace(/["'].*$/, '').slice(0, 60)}`;
  logged.set(key, (logged.get(key) ?? 0) + 1);
  lastLines.push(`${level} ${message.slice(0, 300)}`);
  if (lastLines.length > 5) lastLines.shift();
}
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message) => note('warn', message),
  error: (message) => note('error', message),
};

const scheduler = new AsyncScheduler({
  jobstores: { default: openStore(url, name) },
  timezone: 'UTC',
  logger,
  cluster: { nodeId, runLease: LEASE_S, claimLease: LEASE_S },
});

const events = new Map<string, number>();
scheduler.addListener((event) => {
  const key = eventName(event.code);
  events.set(key, (events.get(key) ?? 0) + 1);
});
const runs = new Map<string, number>();
const count = (task: string) => runs.set(task, (runs.get(task) ?? 0) + 1);
scheduler.registerTask('tick', () => count('tick'));
scheduler.registerTask('fail', () => {
  count('fail');
  throw new Error('this job fails on purpose');
});
scheduler.registerTask('slow', async () => {
  count('slow');
  await sleep(1500);
});
scheduler.registerTask('hold', async () => {
  count('hold');
  await sleep(3000);
});
// Registered on the seeding node only: the other nodes cannot restore its jobs (a rolling
// deploy), so their restore-failure bookkeeping sees a stream of new ids.
if (role === 'seed') scheduler.registerTask('seed-only', () => count('seed-only'));

await scheduler.start();

if (role === 'seed') {
  const every = { seconds: 1 };
  const seeds: [string, string, Record<string, unknown>][] = [];
  for (let i = 0; i < 30; i++) seeds.push([`tick-${i}`, 'tick', {}]);
  for (let i = 0; i < 5; i++) seeds.push([`fail-${i}`, 'fail', {}]);
  // maxInstances 1 and a 1.5-s run: every other fire is skipped; with a timeout, runs time out.
  for (let i = 0; i < 3; i++) seeds.push([`slow-${i}`, 'slow', {}]);
  for (let i = 0; i < 2; i++) seeds.push([`slow-timeout-${i}`, 'slow', { timeout: 0.5 }]);
  for (const [id, task, extra] of seeds)
    await scheduler.addJob(task, 'interval', { id, ...every, ...extra, replaceExisting: true });
  // Held for 3 s every 5 s, recovered by a peer when its node dies.
  await scheduler.addJob('hold', 'interval', {
    id: 'hold-recover',
    seconds: 5,
    recover: true,
    replaceExisting: true,
  });
  await scheduler.addJob('hold', 'interval', { id: 'hold', seconds: 4, replaceExisting: true });
}
console.log('READY');

// ------------------------------------------------------------------ churn

const ops = new Map<string, number>();
const failures = new Map<string, number>();
let churning = role !== 'victim';
let seq = 0;
/** Jobs this node will remove, resume or reschedule, by when (epoch ms). */
const removals: { id: string; at: number }[] = [];
const resumes: { id: string; at: number }[] = [];
const intervalJobs: string[] = [];

function attempt(op: string, call: () => Promise<unknown>): void {
  ops.set(op, (ops.get(op) ?? 0) + 1);
  call().catch((error: unknown) => {
    const key = `${op}: ${error instanceof Error ? error.name : 'NonError'}`;
    failures.set(key, (failures.get(key) ?? 0) + 1);
  });
}

const random = (low: number, high: number) => low + Math.random() * (high - low);
const newId = (kind: string) => `${nodeId}-${kind}-${seq++}`;

function tick(step: number): void {
  const now = Date.now();
  // A one-shot date job due within 3 s (one in ten fails); removed by the scheduler once run.
  attempt('add date', () =>
    scheduler.addJob(Math.random() < 0.1 ? 'fail' : 'tick', 'date', {
      id: newId('date'),
      runDate: new Date(now + random(0, 3000)),
    }),
  );
  if (step % 2 === 0) {
    // An interval job every second, removed after 2–8 s.
    const id = newId('interval');
    attempt('add interval', () => scheduler.addJob('tick', 'interval', { id, seconds: 1 }));
    removals.push({ id, at: now + random(2000, 8000) });
    intervalJobs.push(id);
  }
  if (step % 5 === 0) {
    // A date job an hour away, removed before it fires.
    const id = newId('future');
    attempt('add future', () =>
      scheduler.addJob('tick', 'date', { id, runDate: new Date(now + 3_600_000) }),
    );
    removals.push({ id, at: now + random(1000, 5000) });
  }
  if (step % 5 === 2 && intervalJobs.length > 0) {
    const id = intervalJobs[Math.floor(Math.random() * intervalJobs.length)] as string;
    attempt('pause', () => scheduler.pauseJob(id));
    resumes.push({ id, at: now + random(1000, 3000) });
  }
  if (step % 10 === 7 && intervalJobs.length > 0) {
    const id = intervalJobs[Math.floor(Math.random() * intervalJobs.length)] as string;
    attempt('reschedule', () => scheduler.rescheduleJob(id, 'interval', { seconds: 2 }));
  }
  if (step % 10 === 3 && role === 'seed') {
    const id = newId('seed-only');
    attempt('add seed-only', () => scheduler.addJob('seed-only', 'interval', { id, seconds: 1 }));
    removals.push({ id, at: now + random(2000, 4000) });
  }
  if (step % 100 === 50) attempt('getNodes', () => scheduler.getNodes());
  // The whole scheduler pauses for a second every 30 s.
  if (step % 300 === 150) {
    scheduler.pause();
    setTimeout(() => {
      if (churning) scheduler.resume();
    }, 1000);
  }
  for (let i = removals.length - 1; i >= 0; i--) {
    const removal = removals[i] as { id: string; at: number };
    if (removal.at > now) continue;
    removals.splice(i, 1);
    const at = intervalJobs.indexOf(removal.id);
    if (at >= 0) intervalJobs.splice(at, 1);
    attempt('remove', () => scheduler.removeJob(removal.id));
  }
  for (let i = resumes.length - 1; i >= 0; i--) {
    const resume = resumes[i] as { id: string; at: number };
    if (resume.at > now) continue;
    resumes.splice(i, 1);
    if (intervalJobs.includes(resume.id)) attempt('resume', () => scheduler.resumeJob(resume.id));
  }
}

let step = 0;
const churn = setInterval(() => {
  if (!churning) return;
  try {
    tick(step++);
  } catch (error) {
    note('error', `churn step failed: ${String(error)}`);
  }
}, TICK_MS);

function sample(): void {
  gc?.();
  const { heapUsed, rss, heapTotal, external } = process.memoryUsage();
  console.log(`MEM ${Date.now()} ${heapUsed} ${rss} ${heapTotal} ${external} ${anonymousRss()}`);
}

/** The process's anonymous resident memory (its heaps, not the code it maps), on Linux; else -1. */
function anonymousRss(): number {
  try {
    const match = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match === null ? -1 : Number(match[1]) * 1024;
  } catch {
    return -1;
  }
}
const sampler = role === 'victim' ? undefined : setInterval(sample, SAMPLE_MS);

let busy = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  busy = busy.then(() => command(line)).catch((error: unknown) => note('error', String(error)));
});

async function command(line: string): Promise<void> {
  if (line === 'RESTART') {
    churning = false;
    await scheduler.shutdown({ wait: true });
    await scheduler.start();
    churning = true;
    console.log('RESTARTED');
  } else if (line === 'SPACES') {
    gc?.();
    const spaces = Object.fromEntries(
      getHeapSpaceStatistics().map((space) => [space.space_name, space.space_size]),
    );
    console.log(`SPACES ${JSON.stringify(spaces)}`);
  } else if (line.startsWith('SNAPSHOT ')) {
    gc?.();
    const file = writeHeapSnapshot(line.slice('SNAPSHOT '.length));
    console.log(`SNAPSHOT ${file}`);
  } else if (line === 'STOP') {
    churning = false;
    clearInterval(churn);
    clearInterval(sampler);
    await scheduler.shutdown({ wait: true });
    const summary = {
      events: Object.fromEntries(events),
      runs: Object.fromEntries(runs),
      ops: Object.fromEntries(ops),
      failures: Object.fromEntries(failures),
      logged: Object.fromEntries(logged),
      lastLines,
    };
    process.stdout.write(`SUMMARY ${JSON.stringify(summary)}\n`, () => process.exit(0));
  }
}
