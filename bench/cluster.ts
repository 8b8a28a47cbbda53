// Several schedulers on one store: 1, 2 and 4 scheduler processes (bench/cluster-node.ts)
// draining 10,000 one-shot jobs that are all due, per store. Reports runs per second from the
// moment the nodes resume until the last run, and the duplicates (fires run more than once,
// which must be 0). The reference: db-scheduler reports about 11,000 executions/s with 4
// instances on PostgreSQL; Horarium's target is 20,000 runs/s with 4 schedulers, 0 duplicates.
//
// Servers: POSTGRES_URL, MYSQL_URL, REDIS_URL (the usual defaults on 127.0.0.1); SQLite is a
// file in os.tmpdir() shared by the processes. BENCH_CLUSTER_STORES=sqlite,postgres,mariadb,redis
// picks stores; BENCH_CLUSTER_NODES=1,2,4 the node counts; BENCH_CLUSTER_JOBS the job count.
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AsyncScheduler, silentLogger } from '../src/index.ts';
import { type ScriptCalls, ScriptLog } from './redis-slowlog.ts';
import { openStore, storeTargets, type Target } from './store-targets.ts';
import { printTable } from './table.ts';

const NODE = fileURLToPath(new URL('./cluster-node.ts', import.meta.url));
const JOBS = Number(process.env.BENCH_CLUSTER_JOBS ?? 10_000);
const NODE_COUNTS = (process.env.BENCH_CLUSTER_NODES ?? '1,2,4').split(',').map(Number);
const TIMEOUT_MS = 120_000;
const TARGET_4_NODES_PG = 20_000;

class BenchNode {
  readonly child: ChildProcess;
  out = '';
  err = '';
  ran = 0;
  last = 0;
  readonly exited: Promise<void>;

  constructor(target: Target, id: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', NODE, target.url, target.table, id], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.out += chunk.toString();
      for (const match of this.out.matchAll(/^RAN (\d+) (\d+)$/gm)) {
        this.ran = Number(match[1]);
        this.last = Number(match[2]);
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.err += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  async ready(): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!this.out.includes('READY')) {
      if (Date.now() > deadline || this.child.exitCode !== null)
        throw new Error(`a bench node did not start: ${this.err.slice(-1500)}`);
      await sleep(20);
    }
  }

  async dump(): Promise<string[]> {
    this.send('DUMP');
    await this.exited;
    const line = this.out.split('\n').find((entry) => entry.startsWith('IDS '));
    return line === undefined ? [] : (JSON.parse(line.slice(4)) as string[]);
  }
}

interface Result {
  readonly runsPerSecond: number;
  readonly ran: number;
  readonly duplicates: number;
  readonly missing: number;
  /** Redis: the longest single script call on the store's keys while draining (ms, SLOWLOG). */
  readonly longestScript?: ScriptCalls | null;
}

async function drain(target: Target, nodes: number): Promise<Result> {
  const adder = new AsyncScheduler({
    jobstores: { default: openStore(target.url, target.table) },
    timezone: 'UTC',
    logger: silentLogger,
  });
  adder.registerTask('tick', () => {});
  await adder.start({ paused: true });
  const runDate = new Date(Date.now() - 1000);
  for (let i = 0; i < JOBS; i += 100) {
    const batch: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(i + 100, JOBS); k++)
      batch.push(adder.addJob('tick', 'date', { id: `job-${k}`, runDate, misfireGraceTime: null }));
    await Promise.all(batch);
  }
  await adder.shutdown();

  const children = Array.from({ length: nodes }, (_, i) => new BenchNode(target, `bench-${i}`));
  // Redis: the server's own log of slow calls says how long one script held it.
  const log = target.url.startsWith('redis') ? await ScriptLog.open(target.url) : null;
  try {
    await Promise.all(children.map((child) => child.ready()));
    await log?.reset();
    const start = Date.now();
    for (const child of children) child.send('GO');
    const deadline = start + TIMEOUT_MS;
    while (children.reduce((sum, child) => sum + child.ran, 0) < JOBS && Date.now() < deadline)
      await sleep(20);
    // Anything run twice would show up now.
    await sleep(500);
    const end = Math.max(...children.map((child) => child.last));
    const longestScript = log === null ? undefined : await log.longest(target.table);
    const ids = (await Promise.all(children.map((child) => child.dump()))).flat();
    const distinct = new Set(ids).size;
    return {
      runsPerSecond: (distinct / Math.max(end - start, 1)) * 1000,
      ran: ids.length,
      duplicates: ids.length - distinct,
      missing: JOBS - distinct,
      ...(longestScript === undefined ? {} : { longestScript }),
    };
  } finally {
    for (const child of children) child.child.kill('SIGKILL');
    await log?.close();
  }
}

export async function run(): Promise<void> {
  const stores = storeTargets('cluster');
  const chosen = (process.env.BENCH_CLUSTER_STORES ?? 'sqlite,postgres,mariadb,redis').split(',');
  const cpus = os.cpus();
  console.log('Horarium cluster benchmark: schedulers in separate processes draining one store');
  console.log(
    `node ${process.version}, ${os.platform()}-${os.arch()}, ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, load average ${os.loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    `${JOBS.toLocaleString('en-US')} one-shot jobs due now, a no-op task; runs/s from resume to the last run (higher is better)`,
  );
  const rows: string[][] = [];
  for (const key of chosen) {
    const make = stores[key.trim()];
    if (make === undefined) {
      console.log(`unknown store ${key} (known: ${Object.keys(stores).join(', ')})`);
      continue;
    }
    for (const nodes of NODE_COUNTS) {
      const target = make();
      try {
        const result = await drain(target, nodes);
        const target4 = key === 'postgres' && nodes === 4 ? TARGET_4_NODES_PG : null;
        const longest = result.longestScript;
        rows.push([
          target.name,
          String(nodes),
          Math.round(result.runsPerSecond).toLocaleString('en-US'),
          String(result.duplicates),
          String(result.missing),
          longest === undefined
            ? ''
            : longest === null
              ? '< 0.1 ms'
              : `${longest.ms.toFixed(1)} ms (${longest.name}, median ${longest.medianMs.toFixed(1)} ms)`,
          target4 === null
            ? ''
            : `${result.runsPerSecond >= target4 && result.duplicates === 0 ? 'PASS' : 'MISS'} (≥ ${target4.toLocaleString('en-US')}/s, 0 duplicates)`,
        ]);
      } catch (error) {
        rows.push([
          target.name,
          String(nodes),
          'error',
          '',
          '',
          '',
          (error as Error).message.slice(0, 200),
        ]);
      } finally {
        await target.cleanup().catch(() => {});
      }
    }
  }
  printTable(
    ['store', 'schedulers', 'runs/s', 'duplicates', 'missing', 'longest script', 'target'],
    rows,
  );
}
