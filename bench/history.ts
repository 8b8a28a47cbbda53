// Reading the fire ledger at scale: `getFires` pages and `explain` answers on a ledger of
// 1,000,000 fires (1,000 jobs × 1,000 fire times a minute apart, 1 % failed), on a SQLite file
// and on PostgreSQL. Targets: a page in under 20 ms and an answer in under 50 ms (median).
// The rows are written straight into the store's fires table by one statement, as a year of a
// busy service would have left them; the jobs are added through a paused scheduler.
//
//   npm run bench -- history
//   BENCH_HISTORY_FIRES=100000 BENCH_HISTORY_STORES=sqlite npm run bench -- history
import os from 'node:os';
import pg from 'pg';
import { AsyncScheduler, type FireState, SqlJobStore } from '../src/index.ts';
import { storeTargets, type Target } from './store-targets.ts';
import { printTable } from './table.ts';

const FIRES = Number(process.env.BENCH_HISTORY_FIRES ?? 1_000_000);
const JOBS = 1000;
const STEP_MS = 60_000;
const SAMPLES = 30;
const PAGE_TARGET_MS = 20;
const EXPLAIN_TARGET_MS = 50;
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

async function time(label: string, target: number, call: () => Promise<number>): Promise<Timed> {
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

async function measure(target: Target, dialect: 'sqlite' | 'postgres'): Promise<Timed[]> {
  const scheduler = new AsyncScheduler({
    jobstores: { default: new SqlJobStore({ url: target.url, tableName: target.table }) },
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

    const page = async (options: Parameters<AsyncScheduler['getFires']>[0]) =>
      (await scheduler.getFires(options)).fires.length;
    let deep: string | null = null;
    for (let i = 0; i < 10; i++)
      deep = (await scheduler.getFires({ limit: 1000, cursor: deep })).cursor;
    const middle = BASE - Math.floor(FIRES / JOBS / 2) * STEP_MS;
    const failed: FireState[] = ['failed'];
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
      await time('explain: a fire time in the middle', EXPLAIN_TARGET_MS, async () => {
        const answer = await scheduler.explain('job-500', middle);
        if (answer.verdict !== 'ran') throw new Error(`unexpected verdict ${answer.verdict}`);
        return 1;
      }),
      await time('explain: a time that is no fire time', EXPLAIN_TARGET_MS, async () => {
        const answer = await scheduler.explain('job-500', middle + 30_000);
        if (answer.verdict !== 'not_a_slot')
          throw new Error(`unexpected verdict ${answer.verdict}`);
        return 1;
      }),
    ];
  } finally {
    await scheduler.shutdown({ wait: false });
  }
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
          `${r.medianMs <= r.target ? 'PASS' : 'MISS'} ${target.name}: ${r.label} median ${r.medianMs.toFixed(2)} ms (target < ${r.target} ms)`,
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
