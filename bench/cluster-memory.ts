// Memory per cluster node under churn: two scheduler processes (bench/cluster-memory-node.ts) on
// one store for BENCH_MEMORY_SECONDS (600) per store, adding and removing jobs all the time (one-shot
// date jobs, interval jobs every second, failing, slow and timed-out jobs, pauses, reschedules,
// jobs one node cannot restore), each restarted once in its process, while two short-lived third
// nodes are killed with SIGKILL holding fires (reaped or recovered by the two). Each node reports
// its heap after a forced gc and its RSS every BENCH_MEMORY_SAMPLE_SECONDS (5). After a warm-up
// (a fifth of the run, at least 20 s), the least-squares slope of each is reported per minute,
// with the growth of the store's own ledger rows or keys.
//
// BENCH_MEMORY_STORES=sqlite,postgres,mariadb,redis picks stores; BENCH_MEMORY_SNAPSHOTS=<dir>
// writes heap snapshots of both nodes at the end of the warm-up and at the end of the run.
import { type ChildProcess, spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { jobChangeKeys } from '../src/stores/redis/redis-job-changes.ts';
import { KEY_NAMES } from '../src/stores/redis/redis-keys.ts';
import { tableNames } from '../src/stores/sql/table-names.ts';
import { storeTargets, type Target } from './store-targets.ts';
import { printTable } from './table.ts';

const NODE = fileURLToPath(new URL('./cluster-memory-node.ts', import.meta.url));
const SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 600);
const WARMUP_S = Math.max(20, SECONDS / 5);
const SNAPSHOTS = process.env.BENCH_MEMORY_SNAPSHOTS;
/**
 * The flatness bound, per node: the heap may grow by at most this many bytes per minute for
 * every job the node added and every run it made in that minute. Any structure that keeps one
 * map entry (a key string and its slot, ~64 bytes and up) per job id or per fire id without
 * pruning it grows faster than this, however large the heap is.
 */
const BYTES_PER_ITEM = 64;
/** A figure of the heap's size: the slope must also stay below this share of the heap per minute. */
const HEAP_SHARE_PER_MIN = 0.005;

interface Sample {
  readonly t: number;
  readonly heap: number;
  readonly rss: number;
  readonly heapTotal: number;
  readonly external: number;
  /** -1 where the platform does not tell. */
  readonly rssAnon: number;
}

interface Summary {
  readonly events: Record<string, number>;
  readonly runs: Record<string, number>;
  readonly ops: Record<string, number>;
  readonly failures: Record<string, number>;
  readonly logged: Record<string, number>;
  readonly lastLines: readonly string[];
}

class MemoryNode {
  readonly child: ChildProcess;
  readonly samples: Sample[] = [];
  summary: Summary | undefined;
  #buffer = '';
  #lines: string[] = [];
  err = '';
  readonly exited: Promise<void>;

  readonly id: string;

  constructor(target: Target, id: string, role: 'seed' | 'churn' | 'victim') {
    this.id = id;
    this.child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', NODE, target.url, target.table, id, role],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString();
      const lines = this.#buffer.split('\n');
      this.#buffer = lines.pop() ?? '';
      for (const line of lines) this.#line(line);
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.err = (this.err + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  #line(line: string): void {
    const mem = /^MEM (\d+) (\d+) (\d+) (\d+) (\d+) (-?\d+)$/.exec(line);
    if (mem !== null) {
      const [t, heap, rss, heapTotal, external, rssAnon] = mem.slice(1).map(Number) as number[];
      this.samples.push({
        t: t as number,
        heap: heap as number,
        rss: rss as number,
        heapTotal: heapTotal as number,
        external: external as number,
        rssAnon: rssAnon as number,
      });
      return;
    }
    if (line.startsWith('SUMMARY ')) this.summary = JSON.parse(line.slice(8)) as Summary;
    else this.#lines.push(line);
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Waits for a line starting with `prefix`, and returns it. */
  async expect(prefix: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.#lines.findIndex((line) => line.startsWith(prefix));
      if (at >= 0) return this.#lines.splice(at, 1)[0] as string;
      if (Date.now() > deadline || this.child.exitCode !== null)
        throw new Error(`node ${this.id} did not print ${prefix}: ${this.err.slice(-1500)}`);
      await sleep(20);
    }
  }

  /** The size V8 reserves for each heap space (bytes), after a gc. */
  async spaces(): Promise<Record<string, number>> {
    this.send('SPACES');
    const line = await this.expect('SPACES ', 60_000);
    return JSON.parse(line.slice('SPACES '.length)) as Record<string, number>;
  }

  async stop(): Promise<Summary | undefined> {
    this.send('STOP');
    // A loaded machine (load 20) took longer than a minute to shut a churning node down.
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 300_000);
    await this.exited;
    clearTimeout(timer);
    return this.summary;
  }
}

/** Least-squares slope (per ms) of `y` over `t`, and its standard error. */
function fitSlope(points: readonly { t: number; y: number }[]): { slope: number; se: number } {
  const n = points.length;
  if (n < 3) return { slope: Number.NaN, se: Number.NaN };
  const meanT = points.reduce((sum, p) => sum + p.t, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let stt = 0;
  let sty = 0;
  for (const p of points) {
    stt += (p.t - meanT) ** 2;
    sty += (p.t - meanT) * (p.y - meanY);
  }
  const slope = sty / stt;
  const residuals = points.reduce((sum, p) => sum + (p.y - meanY - slope * (p.t - meanT)) ** 2, 0);
  return { slope, se: Math.sqrt(residuals / (n - 2) / stt) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const kbPerMin = (perMs: number) => `${Math.round((perMs * 60_000) / 1024)}`;

// ------------------------------------------------------------------ the store's own growth

/** Rows (SQL) or entries (Redis) of the store's tables or keys, and its size in bytes where cheap to read. */
async function storeCounts(target: Target): Promise<Record<string, number>> {
  const { url, table } = target;
  if (url.startsWith('redis')) {
    const client = new Redis(url);
    try {
      const counts: Record<string, number> = {};
      for (const name of [...KEY_NAMES, ...jobChangeKeys('')]) {
        const key = `${table}${name}`;
        const type = await client.type(key);
        if (type === 'hash') counts[name] = await client.hlen(key);
        else if (type === 'zset') counts[name] = await client.zcard(key);
        else counts[name] = 0;
        const bytes = await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
        counts.bytes = (counts.bytes ?? 0) + Number(bytes ?? 0);
      }
      return counts;
    } finally {
      client.disconnect();
    }
  }
  const names = tableNames(table);
  const tables = {
    jobs: names.jobs,
    fires: names.fires,
    nodes: names.nodes,
    job_changes: names.jobChanges,
  };
  const counts: Record<string, number> = {};
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      for (const [key, name] of Object.entries(tables))
        counts[key] = (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n;
    } finally {
      db.close();
    }
    let bytes = 0;
    for (const suffix of ['', '-wal'])
      bytes += (await stat(`${file}${suffix}`).catch(() => null))?.size ?? 0;
    counts.bytes = bytes;
    return counts;
  }
  if (url.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const [key, name] of Object.entries(tables)) {
        const { rows } = await client.query<{ n: string; bytes: string }>(
          `select count(*) as n, pg_total_relation_size('"${name}"') as bytes from "${name}"`,
        );
        counts[key] = Number(rows[0]?.n);
        counts.bytes = (counts.bytes ?? 0) + Number(rows[0]?.bytes);
      }
    } finally {
      await client.end();
    }
    return counts;
  }
  const connection = await createConnection(url);
  try {
    for (const [key, name] of Object.entries(tables)) {
      const [rows] = await connection.query(`select count(*) as n from \`${name}\``);
      counts[key] = Number((rows as { n: number }[])[0]?.n);
    }
  } finally {
    await connection.end();
  }
  return counts;
}

// ------------------------------------------------------------------ one store

interface NodeResult {
  readonly id: string;
  readonly samples: readonly Sample[];
  readonly summary: Summary | undefined;
  /** The heap spaces' sizes at the end of the warm-up and at the end. */
  readonly spaces: readonly [Record<string, number>, Record<string, number>];
}

interface StoreResult {
  readonly nodes: readonly NodeResult[];
  readonly start: number;
  readonly warm: number;
  readonly end: number;
  readonly countsWarm: Record<string, number>;
  readonly countsEnd: Record<string, number>;
  readonly load: readonly number[];
}

async function churn(key: string, target: Target): Promise<StoreResult> {
  const start = Date.now();
  const a = new MemoryNode(target, `${key}-a`, 'seed');
  await a.expect('READY', 60_000);
  const b = new MemoryNode(target, `${key}-b`, 'churn');
  const victims: MemoryNode[] = [];
  try {
    await b.expect('READY', 60_000);
    const at = (fraction: number) => start + SECONDS * 1000 * fraction;
    const load: number[] = [];
    const plan: { at: number; what: () => Promise<void> }[] = [
      {
        at: at(0.3),
        what: async () => {
          victims.push(new MemoryNode(target, `${key}-victim-1`, 'victim'));
        },
      },
      { at: at(0.3) + 10_000, what: async () => void victims[0]?.child.kill('SIGKILL') },
      {
        at: at(0.45),
        what: async () => {
          a.send('RESTART');
          await a.expect('RESTARTED', 120_000);
        },
      },
      {
        at: at(0.7),
        what: async () => {
          b.send('RESTART');
          await b.expect('RESTARTED', 120_000);
        },
      },
      {
        at: at(0.8),
        what: async () => {
          victims.push(new MemoryNode(target, `${key}-victim-2`, 'victim'));
        },
      },
      { at: at(0.8) + 10_000, what: async () => void victims[1]?.child.kill('SIGKILL') },
    ];
    const warm = start + WARMUP_S * 1000;
    let countsWarm: Record<string, number> | undefined;
    let spacesWarm: Record<string, number>[] | undefined;
    const end = start + SECONDS * 1000;
    while (Date.now() < end) {
      const now = Date.now();
      if (countsWarm === undefined && now >= warm) {
        countsWarm = await storeCounts(target);
        spacesWarm = await Promise.all([a.spaces(), b.spaces()]);
        load.push(os.loadavg()[0] ?? Number.NaN);
        if (SNAPSHOTS !== undefined) await snapshot([a, b], key, 'warm');
      }
      const next = plan[0];
      if (next !== undefined && now >= next.at) {
        plan.shift();
        await next.what();
        continue;
      }
      await sleep(200);
    }
    const countsEnd = await storeCounts(target);
    const spacesEnd = await Promise.all([a.spaces(), b.spaces()]);
    load.push(os.loadavg()[0] ?? Number.NaN);
    if (SNAPSHOTS !== undefined) await snapshot([a, b], key, 'end');
    const stopped = Date.now();
    const summaries = await Promise.all([a.stop(), b.stop()]);
    return {
      nodes: [a, b].map((node, i) => ({
        id: node.id,
        samples: node.samples,
        summary: summaries[i],
        spaces: [spacesWarm?.[i] ?? {}, spacesEnd[i] ?? {}] as const,
      })),
      start,
      warm,
      end: stopped,
      countsWarm: countsWarm ?? countsEnd,
      countsEnd,
      load,
    };
  } finally {
    for (const node of [a, b, ...victims]) node.child.kill('SIGKILL');
  }
}

async function snapshot(nodes: readonly MemoryNode[], key: string, when: string): Promise<void> {
  for (const node of nodes) {
    node.send(`SNAPSHOT ${join(SNAPSHOTS as string, `${key}-${node.id}-${when}.heapsnapshot`)}`);
    await node.expect('SNAPSHOT', 120_000);
  }
}

// ------------------------------------------------------------------ report

interface NodeFigures {
  readonly cells: string[];
  readonly pass: boolean;
}

function nodeFigures(store: string, result: StoreResult, node: NodeResult): NodeFigures {
  const after = node.samples.filter((s) => s.t >= result.warm);
  const heapFit = fitSlope(after.map((s) => ({ t: s.t, y: s.heap })));
  const rssFit = fitSlope(after.map((s) => ({ t: s.t, y: s.rss })));
  const first = after.slice(0, 3);
  const last = after.slice(-3);
  const heapWarm = median(first.map((s) => s.heap));
  const heapEnd = median(last.map((s) => s.heap));
  const minutes = (result.end - result.warm) / 60_000;
  const summary = node.summary;
  const added = Object.entries(summary?.ops ?? {})
    .filter(([op]) => op.startsWith('add'))
    .reduce((sum, [, n]) => sum + n, 0);
  const ran = Object.values(summary?.runs ?? {}).reduce((sum, n) => sum + n, 0);
  const totalMinutes = (result.end - result.start) / 60_000;
  const itemsPerMin = (added + ran) / totalMinutes;
  const bound = Math.min(BYTES_PER_ITEM * itemsPerMin, HEAP_SHARE_PER_MIN * heapWarm);
  const heapPerMin = heapFit.slope * 60_000;
  const pass = Number.isFinite(heapPerMin) && heapPerMin <= bound;
  return {
    pass,
    cells: [
      store,
      node.id,
      String(after.length),
      mb(heapWarm),
      mb(heapEnd),
      `${kbPerMin(heapFit.slope)} ± ${kbPerMin(2 * heapFit.se)}`,
      `${Math.round(bound / 1024)}`,
      mb(median(first.map((s) => s.rss))),
      mb(median(last.map((s) => s.rss))),
      `${kbPerMin(rssFit.slope)} ± ${kbPerMin(2 * rssFit.se)}`,
      `${Math.round(itemsPerMin)}`,
      pass ? 'PASS' : 'MISS',
    ].concat(minutes > 0 && after.length > 0 ? [] : ['(no samples after warm-up)']),
  };
}

/**
 * Where a node's memory went after the warm-up: the slopes (KB/min) of the V8 heap reserved
 * (heapTotal), of memory outside it (external: buffers), of anonymous RSS (all heaps, the lease
 * worker's included, and malloc) and of the rest of RSS (mapped files), and its heap and RSS minute
 * by minute.
 */
function nodeParts(result: StoreResult, node: NodeResult): string {
  const after = node.samples.filter((s) => s.t >= result.warm);
  const slope = (pick: (s: Sample) => number) =>
    kbPerMin(fitSlope(after.map((s) => ({ t: s.t, y: pick(s) }))).slope);
  const parts = [`heapTotal ${slope((s) => s.heapTotal)}`, `external ${slope((s) => s.external)}`];
  if (after.every((s) => s.rssAnon >= 0))
    parts.push(
      `anonymous RSS ${slope((s) => s.rssAnon)}`,
      `file RSS ${slope((s) => s.rss - s.rssAnon)}`,
    );
  const byMinute = (pick: (s: Sample) => number) => {
    const values: string[] = [];
    for (let t = result.start; t < result.end; t += 60_000) {
      const minute = node.samples.filter((s) => s.t >= t && s.t < t + 60_000);
      if (minute.length > 0) values.push((median(minute.map(pick)) / MB).toFixed(1));
    }
    return values.join(' ');
  };
  const [warm, end] = node.spaces;
  const spaces = Object.keys(end)
    .filter((name) => (warm[name] ?? 0) > 0 || (end[name] ?? 0) > 0)
    .map(
      (name) =>
        `${name} ${((warm[name] ?? 0) / MB).toFixed(1)} → ${((end[name] ?? 0) / MB).toFixed(1)}`,
    );
  return `${node.id}: KB/min ${parts.join(', ')}; heap by minute (MB): ${byMinute((s) => s.heap)}; RSS by minute (MB): ${byMinute((s) => s.rss)}; V8 spaces reserved (MB): ${spaces.join(', ')}`;
}

function storeGrowth(result: StoreResult): string {
  const minutes = (result.end - result.warm) / 60_000;
  const parts: string[] = [];
  for (const [name, end] of Object.entries(result.countsEnd)) {
    const warm = result.countsWarm[name] ?? 0;
    if (end === 0 && warm === 0) continue;
    const rate = (end - warm) / minutes;
    parts.push(
      name === 'bytes'
        ? `${mb(end)} (${rate >= 0 ? '+' : ''}${Math.round(rate / 1024)} KB/min)`
        : `${name} ${end.toLocaleString('en-US')} (${rate >= 0 ? '+' : ''}${Math.round(rate).toLocaleString('en-US')}/min)`,
    );
  }
  return parts.join(', ');
}

export async function run(): Promise<void> {
  const all = storeTargets('memory');
  const chosen = (process.env.BENCH_MEMORY_STORES ?? 'sqlite,postgres,mariadb,redis').split(',');
  const cpus = os.cpus();
  console.log('Horarium cluster memory benchmark: two schedulers on one store under churn');
  console.log(
    `node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, load average ${os.loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    `${SECONDS} s per store, warm-up ${Math.round(WARMUP_S)} s; heap after gc() and RSS per node, slopes in KB/min (least squares after the warm-up, ± 2 standard errors)`,
  );
  console.log(
    `bound per node: the heap slope ≤ ${BYTES_PER_ITEM} B × (jobs added + runs) per minute, and ≤ ${HEAP_SHARE_PER_MIN * 100} % of the heap per minute`,
  );
  const verdicts: string[] = [];
  for (const key of chosen) {
    const make = all[key.trim()];
    if (make === undefined) {
      console.log(`unknown store ${key} (known: ${Object.keys(all).join(', ')})`);
      continue;
    }
    const target = make();
    // Each store's figures as soon as it is done: a run of every store takes some 40 minutes.
    console.log();
    try {
      const result = await churn(key.trim(), target);
      const figures = result.nodes.map((node) => nodeFigures(key.trim(), result, node));
      printTable(
        HEADER,
        figures.map((figure) => figure.cells),
      );
      const pass = figures.every((figure) => figure.pass);
      verdicts.push(
        `${pass ? 'PASS' : 'MISS'} ${target.name}: heap flat on both nodes (load average ${result.load.map((l) => l.toFixed(2)).join(' → ')})`,
      );
      console.log(verdicts.at(-1));
      console.log(`the store after the warm-up → at the end: ${storeGrowth(result)}`);
      for (const node of result.nodes) console.log(`  ${nodeParts(result, node)}`);
      for (const node of result.nodes)
        console.log(
          `  ${node.id}: ${node.summary === undefined ? 'no summary (the node was killed before it printed one: its bound is 0)' : JSON.stringify(node.summary)}`,
        );
    } catch (error) {
      verdicts.push(`MISS ${target.name}: ${(error as Error).message.slice(0, 200)}`);
      console.log(verdicts.at(-1));
    } finally {
      await target.cleanup().catch(() => {});
    }
  }
  console.log();
  for (const verdict of verdicts) console.log(verdict);
}

const HEADER = [
  'store',
  'node',
  'samples',
  'heap warm',
  'heap end',
  'heap KB/min',
  'bound',
  'RSS warm',
  'RSS end',
  'RSS KB/min',
  'items/min',
  'flat',
];
