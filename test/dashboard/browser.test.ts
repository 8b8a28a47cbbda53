/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core,
 * one launch for the file): the overview of a SQLite store and of a
 * PostgreSQL one, a pause clicked on a job's page that a running scheduler
 * honours, the running table updated over server-sent events and a run
 * cancelled from it, read-only mode, the standalone command's refusal to
 * listen on a public address without credentials, and hostile job data shown
 * as text. Every page is saved as a screenshot for review.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDashboard } from '../../src/dashboard.ts';
import {
  AsyncScheduler,
  EVENT_JOB_EXECUTED,
  type JobFunction,
  SqlJobStore,
  silentLogger,
} from '../../src/index.ts';
import { tcpUnreachable } from '../helpers/services.ts';
import { POSTGRES_URL } from '../helpers/sql-backends.ts';
import {
  describeWithBrowser,
  type LaunchedBrowser,
  launchChromium,
  openDashboard,
  screenshot,
} from './browser-helpers.ts';
import {
  FLAKY,
  LINGER,
  NOOP,
  removeTempDirs,
  seed,
  sqliteUrl,
  writeDayOfFires,
} from './dashboard-helpers.ts';

const TIMEOUT = 90_000;
const ROOT = join(import.meta.dirname, '../..');
const HOSTILE_ID = `<script>alert("id")</script>`;
const HOSTILE_NAME = `"><img src=x onerror=alert(1)>`;

const ref = (reference: string) => reference as unknown as JobFunction;

describeWithBrowser('the dashboard in Chromium', () => {
  let chromium: LaunchedBrowser;

  beforeAll(async () => {
    chromium = await launchChromium();
  }, TIMEOUT);

  afterAll(async () => {
    await chromium?.close();
    removeTempDirs();
  });

  it(
    'shows the overview and jobs of a SQLite store, hostile data as text, in light and dark',
    async () => {
      const url = sqliteUrl();
      await seed(url, [
        { id: 'reports.nightly', name: 'Nightly sales report', hour: 2 },
        { id: 'billing.sync', name: 'Sync invoices', trigger: 'interval', minutes: 15 },
        { id: 'archive.rotate', name: 'Rotate archives', paused: true },
      ]);
      writeDayOfFires(url, ['reports.nightly', 'billing.sync']);
      const dashboard = createDashboard(url, { timezone: 'Europe/Berlin' });
      const { origin, page, done } = await openDashboard(chromium, dashboard);
      let dialogs = 0;
      page.on('dialog', (dialog) => {
        dialogs++;
        void dialog.dismiss();
      });
      try {
        await page.goto(`${origin}/`);
        await expect.poll(() => page.locator('h1').textContent()).toBe('Overview');
        expect(await page.locator('.stat-value').first().textContent()).toBe('3');
        expect(await page.locator('text=reports.nightly').count()).toBeGreaterThan(0);
        expect(await page.locator('svg rect.bar-succeeded').count()).toBeGreaterThanOrEqual(23);
        expect(await page.locator('svg rect.bar-failed').count()).toBeGreaterThan(0);
        await screenshot(page, 'sqlite-overview');
        await page.goto(`${origin}/history?state=failed`);
        expect(await page.locator('tbody .badge-failed').count()).toBeGreaterThan(0);
        await screenshot(page, 'sqlite-history-failed');
        await seed(url, [
          {
            id: HOSTILE_ID,
            name: HOSTILE_NAME,
            args: ['javascript:alert(2)'],
            trigger: 'interval',
          },
        ]);
        await page.goto(`${origin}/jobs`);
        expect(await page.locator('table.jobs tbody tr').count()).toBe(4);
        await page.fill('#q', 'invoices');
        await page.click('button:has-text("Filter")');
        await expect.poll(() => page.locator('table.jobs tbody tr').count()).toBe(1);
        await page.goto(`${origin}/job?id=${encodeURIComponent(HOSTILE_ID)}`);
        expect(await page.locator('h1').textContent()).toBe(HOSTILE_ID);
        expect(await page.locator('dd').first().textContent()).toBe(HOSTILE_NAME);
        expect(await page.locator('img').count()).toBe(0);
        await screenshot(page, 'hostile-job');
        expect(dialogs).toBe(0);
        const dark = await (await chromium.context('dark')).newPage();
        await dark.goto(`${origin}/jobs`);
        const background = await dark.evaluate('getComputedStyle(document.body).backgroundColor');
        expect(background).not.toBe('rgb(246, 247, 249)');
        await screenshot(dark, 'sqlite-jobs-dark');
      } finally {
        await done();
      }
    },
    TIMEOUT,
  );

  it(
    'pausing on a job page changes the store, and a running scheduler stops running it',
    async () => {
      const url = sqliteUrl();
      const scheduler = new AsyncScheduler({
        logger: silentLogger,
        storePollInterval: 0.5,
        jobstores: { default: new SqlJobStore({ url }) },
      });
      let runs = 0;
      scheduler.addListener(() => {
        runs++;
      }, EVENT_JOB_EXECUTED);
      await scheduler.start();
      await scheduler.addJob(ref(NOOP), 'interval', { id: 'heartbeat', seconds: 1 });
      // The dashboard on the store URL, as `horarium dashboard` serves it: no scheduler in its process.
      const dashboard = createDashboard(url);
      const { origin, page, done } = await openDashboard(chromium, dashboard);
      try {
        await expect.poll(() => runs, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
        await page.goto(`${origin}/job?id=heartbeat`);
        await page.click('button:has-text("Pause")');
        await page.waitForURL(/done=paused/);
        expect(await page.locator('.notice').textContent()).toContain('Paused');
        expect(await page.locator('.title-row .badge').textContent()).toBe('paused');
        const stored = new SqlJobStore({ url });
        await stored.start(
          {
            logger: silentLogger,
            restoreJob: async () => {
              throw new Error('not needed');
            },
            restoreFailed: () => {},
          },
          'check',
        );
        const counts = await stored.countJobs();
        await stored.shutdown();
        expect(counts).toEqual({ scheduled: 0, paused: 1 });
        // The scheduler sees the pause at its next poll; after that, no run starts.
        await new Promise((resolve) => setTimeout(resolve, 2500));
        const settled = runs;
        await new Promise((resolve) => setTimeout(resolve, 2500));
        expect(runs).toBe(settled);
        expect((await scheduler.getJob('heartbeat'))?.nextRunTime).toBeNull();
      } finally {
        await done();
        await scheduler.shutdown();
      }
    },
    TIMEOUT,
  );

  it(
    'the running table updates over server-sent events when a run starts, and cancels it',
    async () => {
      const url = sqliteUrl();
      const scheduler = new AsyncScheduler({
        logger: silentLogger,
        timezone: 'Europe/Berlin',
        jobstores: { default: new SqlJobStore({ url }) },
      });
      await scheduler.start();
      await scheduler.addJob(ref(NOOP), 'cron', {
        id: 'reports.nightly',
        name: 'Nightly sales report',
        hour: 2,
        minute: 30,
      });
      await scheduler.addJob(ref(NOOP), 'interval', {
        id: 'billing.sync',
        name: 'Sync invoices',
        seconds: 1,
      });
      await scheduler.addJob(ref(FLAKY), 'interval', {
        id: 'crm.import',
        name: 'Import CRM contacts',
        seconds: 2,
      });
      await scheduler.addJob(ref(NOOP), 'cron', {
        id: 'backup.weekly',
        name: 'Weekly backup',
        dayOfWeek: 'sun',
        hour: 2,
        minute: 30,
        nextRunTime: null,
      });
      const dashboard = createDashboard(scheduler, { basePath: '/horarium' });
      const { origin, page, done } = await openDashboard(chromium, dashboard);
      page.on('dialog', (dialog) => void dialog.accept());
      try {
        await page.goto(`${origin}/horarium/running`);
        await expect
          .poll(() => page.locator('[data-live].on').count(), { timeout: 10_000 })
          .toBe(1);
        expect(await page.locator('[data-running-body]').textContent()).not.toContain(
          'long.export',
        );
        await scheduler.addJob(ref(LINGER), 'date', {
          id: 'long.export',
          name: 'Export warehouse',
          runDate: new Date(),
        });
        await page.locator('[data-running-body] >> text=long.export').waitFor({ timeout: 20_000 });
        await screenshot(page, 'running');
        await page
          .locator('[data-running-body] tr:has-text("long.export") button:has-text("Cancel")')
          .click();
        await page.waitForURL(/done=cancelled/);
        await expect
          .poll(async () => (await scheduler.getFires({ jobId: 'long.export' })).fires[0]?.state, {
            timeout: 10_000,
          })
          .toBe('cancelled');
        await expect
          .poll(async () => (await scheduler.getFires({ states: ['failed'] })).fires.length, {
            timeout: 20_000,
          })
          .toBeGreaterThan(0);
        for (const [path, name] of [
          ['/horarium/', 'overview'],
          ['/horarium/jobs', 'jobs'],
          ['/horarium/history', 'history'],
          ['/horarium/nodes', 'nodes'],
        ] as const) {
          await page.goto(`${origin}${path}`);
          await screenshot(page, name);
        }
        await page.goto(
          `${origin}/horarium/job?id=reports.nightly&at=${encodeURIComponent('2026-03-29 02:30')}&preview=${encodeURIComponent('0 4 * * mon-fri')}`,
        );
        expect(await page.locator('.answer').count()).toBe(1);
        expect(await page.locator('#reschedule .upcoming li').count()).toBe(10);
        await screenshot(page, 'job');
        await page.goto(`${origin}/horarium/job?id=billing.sync`);
        await page.fill('#m-maxInstances', '3');
        await page.click('button:has-text("Save changes")');
        await page.waitForURL(/done=modified/);
        expect((await scheduler.getJob('billing.sync'))?.maxInstances).toBe(3);
      } finally {
        await done();
        await scheduler.shutdown();
      }
    },
    TIMEOUT,
  );

  it(
    'read-only shows no action and refuses a forged POST',
    async () => {
      const url = sqliteUrl();
      await seed(url, [{ id: 'payroll.run', name: 'Monthly payroll' }]);
      const dashboard = createDashboard(url, { readOnly: true });
      const { origin, page, done } = await openDashboard(chromium, dashboard);
      try {
        await page.goto(`${origin}/job?id=payroll.run`);
        expect(await page.locator('form[method="post"]').count()).toBe(0);
        expect(await page.locator('button:has-text("Pause")').count()).toBe(0);
        await screenshot(page, 'read-only-job');
        const status = await page.evaluate(async () => {
          const response = await fetch('/job/pause', {
            method: 'POST',
            body: new URLSearchParams({ id: 'payroll.run', version: '1' }),
          });
          return response.status;
        });
        expect(status).toBe(403);
        await page.reload();
        expect(await page.locator('.title-row .badge').textContent()).toBe('scheduled');
      } finally {
        await done();
      }
    },
    TIMEOUT,
  );

  it(
    'horarium dashboard refuses a public address without --auth, and serves loopback',
    async () => {
      const url = sqliteUrl();
      await seed(url, [{ id: 'cli.job', name: 'Served by the CLI' }]);
      const refused = await runCli(['dashboard', '--store', url, '--host', '0.0.0.0']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        'refusing to serve the dashboard on 0.0.0.0 without --auth user:pass or --read-only',
      );
      const child = startCli(['dashboard', '--store', url, '--port', '0', '--tz', 'UTC']);
      const context = await chromium.context();
      try {
        const origin = await child.address;
        const page = await context.newPage();
        await page.goto(`${origin}/jobs`);
        expect(await page.locator('text=cli.job').count()).toBe(1);
      } finally {
        await context.close();
        child.process.kill('SIGTERM');
        await child.exited;
      }
    },
    TIMEOUT,
  );

  it(
    'shows the jobs of a PostgreSQL store',
    async (context) => {
      const unreachable = await tcpUnreachable(POSTGRES_URL, 5432);
      if (unreachable !== null) {
        if (process.env.CI === 'true')
          throw new Error(`PostgreSQL is not reachable: ${unreachable}`);
        context.skip(`no PostgreSQL at ${POSTGRES_URL} (${unreachable}); under CI=true this fails`);
      }
      const schema = `horarium_dash_${process.pid}_${Date.now().toString(36)}`;
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`create schema ${schema}`);
      const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const dashboard = createDashboard(url);
      const { origin, page, done } = await openDashboard(chromium, dashboard);
      try {
        await seed(url, [
          { id: 'pg.reports', name: 'Reports from PostgreSQL' },
          { id: 'pg.cleanup', trigger: 'interval', minutes: 10 },
        ]);
        await page.goto(`${origin}/`);
        expect(await page.locator('text=pg.reports').count()).toBeGreaterThan(0);
        expect(await page.locator('text=SQL (postgres)').count()).toBe(1);
        expect(await page.content()).not.toContain('postgres://');
        await screenshot(page, 'postgres-overview');
      } finally {
        await done();
        await client.query(`drop schema ${schema} cascade`);
        await client.end();
      }
    },
    TIMEOUT,
  );
});

// ------------------------------------------------------------------ the CLI, as a user starts it

const TSX = import.meta.resolve('tsx');
const CLI = join(ROOT, 'src/cli/main.ts');

function spawnCli(args: readonly string[]): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.HORARIUM_STORE;
  delete env.HORARIUM_DASHBOARD_AUTH;
  return spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function runCli(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function startCli(args: readonly string[]): {
  process: ChildProcess;
  address: Promise<string>;
  exited: Promise<void>;
} {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const address = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /on (http:\/\/[^/]+)\//.exec(stdout);
      if (match !== null) resolve(match[1] as string);
    });
    void exited.then(() => reject(new Error(`the dashboard exited: ${stdout}${stderr}`)));
  });
  return { process: child, address, exited };
}
