// The dashboard at scale: 100,000 jobs and 1,000,000 fires in PostgreSQL (a schema of their own),
// read by `createDashboard(url)` as `horarium dashboard --store <url>` serves it.
// Server time (the fetch handler, median of 20): the jobs page's first page, a search, a deep page,
// a job's page (its 1,000 fires, the next 10 fire times) and the overview; target < 300 ms for the
// jobs page and a job's page. Browser time (Debian's Chromium, median of 5): from navigation to the
// jobs page's `load` event, over HTTP on loopback; target < 2 s.
// Jobs are written by one statement from a template row a paused scheduler stored, the fires by
// another, as bench/history.ts writes them.
//
//   npm run bench -- dashboard
//   BENCH_DASHBOARD_JOBS=10000 BENCH_DASHBOARD_FIRES=100000 npm run bench -- dashboard
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { createDashboard, type Dashboard } from '../src/dashboard.ts';
import { AsyncScheduler, SqlJobStore } from '../src/index.ts';
import { printTable } from './table.ts';

const JOBS = Number(process.env.BENCH_DASHBOARD_JOBS ?? 100_000);
const FIRES = Number(process.env.BENCH_DASHBOARD_FIRES ?? 1_000_000);
/** Jobs that have fires (fire g belongs to job g mod FIRED_JOBS). */
const FIRED_JOBS = 1000;
const STEP_MS = 60_000;
const SERVER_SAMPLES = 20;
const BROWSER_SAMPLES = 5;
const SERVER_TARGET_MS = 300;
const BROWSER_TARGET_MS = 2000;
const POSTGRES_URL = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const BASE = Math.floor((Date.now() - 86_400_000) / STEP_MS) * STEP_MS;

async function seed(url: string, schema: string): Promise<void> {
  const scheduler = new AsyncScheduler({
    jobstores: { default: new SqlJobStore({ url }) },
    logger: quiet,
    timezone: 'UTC',
  });
  await scheduler.start({ paused: true });
  try {
    await scheduler.addJob('./test/fixtures/dashboard-jobs.ts:noop', 'interval', {
      id: 'job-template',
      name: 'Report job-template',
      minutes: 1,
      startDate: new Date(BASE - 1000 * STEP_MS),
    });
  } finally {
    await scheduler.shutdown();
  }
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`set search_path = ${schema}`);
    const started = performance.now();
    // Every job a copy of the template with its own id and name; next run times a second apart.
    await client.query(
      `insert into horarium_jobs (id, next_run_time, job_state)
       select 'job-' || g, ${Date.now() + 60_000} + g * 1000,
         replace(t.job_state, 'job-template', 'job-' || g)
       from horarium_jobs t, generate_series(0, ${JOBS - 1}) as s(g)
       where t.id = 'job-template'`,
    );
    await client.query(`delete from horarium_jobs where id = 'job-template'`);
    const columns =
      'fire_id, job_id, scheduled_time, state, node, fence, batch_id, claimed_at, started_at, finished_at, recovering, attempt, error_name, error_message';
    const time = `${BASE} - (g / ${FIRED_JOBS}) * ${STEP_MS}`;
    await client.query(`insert into horarium_jobs_fires (${columns})
      select md5(g::text), 'job-' || (g % ${FIRED_JOBS}), ${time},
        case when g % 100 = 7 then 'failed' else 'succeeded' end, 'node-a', g / ${FIRED_JOBS} + 1, md5(g::text),
        ${time} + 3, ${time} + 5, ${time} + 40, 0, 1,
        case when g % 100 = 7 then 'Error' else null end,
        case when g % 100 = 7 then 'connect ECONNREFUSED' else null end
      from generate_series(0, ${FIRES - 1}) as s(g)`);
    await client.query('analyze horarium_jobs');
    await client.query('analyze horarium_jobs_fires');
    console.log(
      `  ${JOBS.toLocaleString('en-US')} jobs and ${FIRES.toLocaleString('en-US')} fires written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    await client.end();
  }
}

interface Timed {
  readonly label: string;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly target: number | null;
}

function summarize(label: string, samples: number[], target: number | null): Timed {
  samples.sort((a, b) => a - b);
  return {
    label,
    medianMs: samples[Math.floor(samples.length / 2)] as number,
    p95Ms: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.95))] as number,
    target,
  };
}

async function serverTime(
  dashboard: Dashboard,
  label: string,
  path: string,
  target: number | null,
): Promise<Timed> {
  const request = async () => {
    const response = await dashboard.fetch(new Request(`http://bench.local${path}`));
    const body = await response.text();
    if (response.status !== 200)
      throw new Error(`${path}: ${response.status} ${body.slice(0, 300)}`);
  };
  await request();
  const samples: number[] = [];
  for (let i = 0; i < SERVER_SAMPLES; i++) {
    const started = performance.now();
    await request();
    samples.push(performance.now() - started);
  }
  return summarize(label, samples, target);
}

async function browserTime(dashboard: Dashboard): Promise<Timed | string> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
  const server = createServer(dashboard.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
  });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/jobs`);
    const samples: number[] = [];
    for (let i = 0; i < BROWSER_SAMPLES; i++) {
      const started = performance.now();
      await page.goto(`http://127.0.0.1:${port}/jobs?i=${i}`, { waitUntil: 'load' });
      samples.push(performance.now() - started);
      if ((await page.locator('table.jobs tbody tr').count()) !== 50)
        throw new Error('the jobs page does not show 50 jobs');
    }
    return summarize('browser: jobs page shown (navigation to load)', samples, BROWSER_TARGET_MS);
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
  }
}

export async function run(): Promise<void> {
  console.log(
    `dashboard: ${JOBS.toLocaleString('en-US')} jobs, ${FIRES.toLocaleString('en-US')} fires in PostgreSQL; Node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const schema = `bench_dashboard_${process.pid}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`  skipped: PostgreSQL is not reachable (${(error as Error).message})`);
    return;
  }
  await admin.query(`create schema ${schema}`);
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const dashboard = createDashboard(url, { timezone: 'UTC' });
  try {
    await seed(url, schema);
    const results: Timed[] = [
      await serverTime(dashboard, 'server: jobs page, first page', '/jobs', SERVER_TARGET_MS),
      await serverTime(
        dashboard,
        'server: a job’s page (1,000 fires)',
        '/job?id=job-500',
        SERVER_TARGET_MS,
      ),
      await serverTime(dashboard, 'server: jobs API, first page', '/api/jobs', SERVER_TARGET_MS),
      await serverTime(
        dashboard,
        'server: jobs page, search by name',
        '/jobs?q=report%20job-99999',
        null,
      ),
      await serverTime(dashboard, 'server: jobs page, status paused', '/jobs?status=paused', null),
      await serverTime(dashboard, 'server: overview', '/', null),
      await serverTime(dashboard, 'server: history, newest page', '/history', null),
    ];
    const browser = await browserTime(dashboard);
    if (typeof browser === 'string') console.log(`  browser: skipped (${browser})`);
    else results.push(browser);
    printTable(
      ['case', 'median ms', 'p95 ms', 'target ms'],
      results.map((r) => [
        r.label,
        r.medianMs.toFixed(1),
        r.p95Ms.toFixed(1),
        r.target === null ? '-' : String(r.target),
      ]),
    );
    for (const r of results)
      if (r.target !== null)
        console.log(
          `${r.medianMs <= r.target ? 'PASS' : 'MISS'} ${r.label}: median ${r.medianMs.toFixed(1)} ms (target < ${r.target} ms, ${(r.medianMs / r.target).toFixed(2)} of it)`,
        );
  } finally {
    await dashboard.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}
