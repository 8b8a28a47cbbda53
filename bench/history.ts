// Reading the fire ledger at scale: `getFires` pages and `explain` answers on a ledger of
// 1,000,000 fires (1,000 jobs × 1,000 fire times a minute apart, 1 % failed), on a SQLite file
// and on PostgreSQL. Targets: a page in under 20 ms and an answer in under 50 ms (median).
// Then the retention purge: batches of 1,000 fires looked at (cut-off 12 hours back, the newest
// 20 of each job kept), timed one by one, and the reads again on the purged ledger.
// The rows are written straight into the store's fires table by one statement, as a year of a
// busy service would have left them; the jobs are added through a paused scheduler.
//
//   npm run bench -- history
//   BENCH_HISTORY_FIRES=100000 BENCH_HISTORY_STORES=sqlite npm run bench -- history
import os from 'node:os';
import pg from 'pg';
import { AsyncScheduler, type FireState, SqlJobStore } from '../src/index.ts';
import type { FirePosition } from '../src/stores/ledger.ts';
import { storeTargets, type Target } from './store-targets.ts';
import { printTable } from './table.ts';

const FIRES = Number(process.env.BENCH_HISTORY_FIRES ?? 1_000_000);
const JOBS = 1000;
const STEP_MS = 60_000;
const SAMPLES = 30;
const PAGE_TARGET_MS = 20;
const EXPLAIN_TARGET_MS = 50;
/** A purge batch holds the store (SQLite: its write lock) this long at most, so claims wait little. */
const PURGE_TARGET_MS = 250;
const PURGE_BATCHES = 20;
const WANTED = (process.env.BENCH_HISTORY_STORES ?? 'sqlite,postgres').split(',');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Every fire time lies in the past, on whole minutes. */
const BASE = Math.floor((Date.now() - 86_400_000) / STEP_MS) * STEP_MS;

/** One statement that writes the ledger: fire g is job g mod JOBS at BASE − ⌊g / JOBS⌋ minutes. */
function fillStatement(fires: string, dialect: 'sqlite' | 'postgres'): string {
  const columns =
    'fire_id, job_id, scheduled_time, state, node, fence, batch_id, claimed_at, started_at, finished_at, recovering, attempt, error_name, error_message';
  const time = `${BASE} - (g / ${JOBS}) * ${STEP_MS}`;
  const values = (id: string, job: string) => `${id}, ${job}, ${time},
      case when g % 100 = 7 then 'failed' else 'succeeded' end, 'node-a', g / ${JOBS} + 1, ${id},
      ${time} + 3, ${time} + 5, ${time} + 40, 0, 1,
      case when g % 100 = 7 then 'Error' else null end,
      case when g % 100 = 7 then 'connect ECONNREFUSED' else null end`;
  if (dialect === 'postgres')
    return `insert into ${fires} (${columns})
      select ${values('md5(g::text)', `'job-' || (g % ${JOBS})`)}
      from generate_series(0, ${FIRES - 1}) as s(g)`;
  return `with recursive s(g) as (select 0 union all select g + 1 from s where g < ${FIRES - 1})
    insert into ${fires} (${columns})
    select ${values(`printf('%016x%016x', g, g * 7919)`, `'job-' || (g % ${JOBS})`)} from s`;
}

interface Timed {
  readonly label: string;
  readonly target: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly rows: number;
}

async function timeCall(
  label: string,
  target: number,
  call: () => Promise<number>,
): Promise<Timed> {
  await call();
  const samples: number[] = [];
  let rows = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    rows = await call();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return {
    label,
    target,
    medianMs: samples[Math.floor(SAMPLES / 2)] as number,
    p95Ms: samples[Math.floor(SAMPLES * 0.95)] as number,
    rows,
  };
}

/** Times PURGE_BATCHES batches of one purge pass: every fire older than 12 hours but the newest 20 of each job goes. */
async function timePurge(store: SqlJobStore): Promise<Timed> {
  const cutOff = BASE - 12 * 60 * STEP_MS;
  const samples: number[] = [];
  let removed = 0;
  let after: FirePosition | undefined;
  for (let i = 0; i < PURGE_BATCHES; i++) {
    const started = performance.now();
    const result = await store.ledger.purgeFires({
      succeededBefore: cutOff,
      otherBefore: cutOff,
      keepPerJob: 20,
      limit: 1000,
      ...(after === undefined ? {} : { after }),
    });
    samples.push(performance.now() - started);
    removed += result.removed;
    if (result.next === null) break;
    after = result.next;
  }
  samples.sort((a, b) => a - b);
  return {
    label: `purge: one batch of 1,000 fires (${removed.toLocaleString('en-US')} removed in ${samples.length})`,
    target: PURGE_TARGET_MS,
    medianMs: samples[Math.floor(samples.length / 2)] as number,
    p95Ms: samples[Math.floor(samples.length * 0.95)] as number,
    rows: Math.round(removed / samples.length),
  };
}

async function measure(target: Target, dialect: 'sqlite' | 'postgres'): Promise<Timed[]> {
  const store = new SqlJobStore({ url: target.url, tableName: target.table });
  const scheduler = new AsyncScheduler({
    jobstores: { default: store },
    logger: quiet,
    timezone: 'UTC',
  });
  scheduler.registerTask('bench.noop', () => {});
  await scheduler.start({ paused: true });
  try {
    const firstFire = BASE - (FIRES / JOBS - 1) * STEP_MS;
    for (let j = 0; j < JOBS; j++)
      await scheduler.addJob('bench.noop', 'interval', {
        id: `job-${j}`,
        minutes: 1,
        startDate: new Date(firstFire),
      });
    const fires = `${target.table}_fires`;
    const started = performance.now();
    if (dialect === 'postgres') {
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      try {
        await client.query(fillStatement(fires, 'postgres'));
        await client.query(`analyze ${fires}`);
      } finally {
        await client.end();
      }
    } else {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(target.url.slice('sqlite:'.length));
      try {
        db.pragma('busy_timeout = 10000');
        db.exec(fillStatement(fires, 'sqlite'));
        db.exec(`analyze ${fires}`);
      } finally {
        db.close();
      }
    }
    console.log(
      `  ${target.name}: ${FIRES.toLocaleString('en-US')} fires written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const reads = await timeReads(scheduler, '');
    const purge = await timePurge(store);
    return [...reads, purge, ...(await timeReads(scheduler, ', after the purge'))];
  } finally {
    await scheduler.shutdown({ wait: false });
  }
}

/**
 * Explains job-500 at `at`: 1 when the verdict is the one expected, else 0 (the table's rows
 * column shows it, and the verdict is printed once), so that one wrong answer does not hide the
 * other figures.
 */
const wrongVerdicts = new Set<string>();
async function explained(scheduler: AsyncScheduler, at: number, expected: string): Promise<number> {
  const { verdict } = await scheduler.explain('job-500', at);
  if (verdict === expected) return 1;
  const line = `  explain at ${new Date(at).toISOString()}: verdict ${verdict}, expected ${expected}`;
  if (!wrongVerdicts.has(line)) console.log(line);
  wrongVerdicts.add(line);
  return 0;
}

/** The getFires pages and explain answers timed against their targets; `when` labels them. */
async function timeReads(scheduler: AsyncScheduler, when: string): Promise<Timed[]> {
  const page = async (options: Parameters<AsyncScheduler['getFires']>[0]) =>
    (await scheduler.getFires(options)).fires.length;
  const middle = BASE - Math.floor(FIRES / JOBS / 2) * STEP_MS;
  const failed: FireState[] = ['failed'];
  let deep: string | null = null;
  for (let i = 0; i < 10; i++)
    deep = (await scheduler.getFires({ limit: 1000, cursor: deep })).cursor;
  const time = (label: string, target: number, call: () => Promise<number>) =>
    timeCall(`${label}${when}`, target, call);
  return [
    await time('getFires: newest page of every job', PAGE_TARGET_MS, () => page({ limit: 50 })),
    await time('getFires: a page 10,000 fires deep (cursor)', PAGE_TARGET_MS, () =>
      page({ limit: 50, cursor: deep }),
    ),
    await time('getFires: one job, newest page', PAGE_TARGET_MS, () =>
      page({ jobId: 'job-500', limit: 50 }),
    ),
    await time('getFires: failed fires of every job (1 %)', PAGE_TARGET_MS, () =>
      page({ states: failed, limit: 50 }),
    ),
    await time('getFires: one job, one hour', PAGE_TARGET_MS, () =>
      page({ jobId: 'job-500', from: middle - 3_600_000, to: middle, limit: 100 }),
    ),
    await time('explain: a fire time in the middle', EXPLAIN_TARGET_MS, () =>
      explained(scheduler, middle, 'ran'),
    ),
    await time('explain: a time that is no fire time', EXPLAIN_TARGET_MS, () =>
      explained(scheduler, middle + 30_000, 'not_a_slot'),
    ),
  ];
}

export async function run(): Promise<void> {
  console.log(
    `history: ${FIRES.toLocaleString('en-US')} fires, ${JOBS} jobs; Node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const targets = storeTargets('history');
  const verdicts: string[] = [];
  for (const key of ['sqlite', 'postgres'] as const) {
    if (!WANTED.includes(key)) continue;
    const make = targets[key];
    if (make === undefined) continue;
    const target = make();
    try {
      const results = await measure(target, key);
      printTable(
        ['case', 'median ms', 'p95 ms', 'rows', 'target ms'],
        results.map((r) => [
          r.label,
          r.medianMs.toFixed(2),
          r.p95Ms.toFixed(2),
          String(r.rows),
          String(r.target),
        ]),
      );
      for (const r of results)
        verdicts.push(
          `${r.label.startsWith('explain') && r.rows === 0 ? 'WRONG VERDICT' : r.medianMs <= r.target ? 'PASS' : 'MISS'} ${target.name}: ${r.label} median ${r.medianMs.toFixed(2)} ms (target < ${r.target} ms)`,
        );
    } catch (error) {
      console.log(
        `  ${target.name}: skipped (${error instanceof Error ? error.message : String(error)})`,
      );
    } finally {
      await target.cleanup();
    }
  }
  for (const line of verdicts) console.log(line);
}
