/**
 * `horarium run` and `horarium jobs …` together, as an operator uses them: a
 * scheduler runs from a module on a SQLite file while another terminal lists,
 * pauses, resumes, runs and removes its jobs.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteFile } from '../helpers/sql-backends.ts';
import {
  type CliProcess,
  count,
  removeTempDirs,
  runCli,
  startCli,
  tempDir,
} from './cli-helpers.ts';

const TIMEOUT = 120_000;

interface JobJson {
  id: string;
  name: string | null;
  func: string | null;
  nextRunTime: string | null;
  status: string;
  error?: string;
}

afterAll(removeTempDirs);

describe('horarium run + horarium jobs on a SQLite store', () => {
  const dir = tempDir();
  const db = join(dir, 'jobs.sqlite');
  const store = ['--store', `sqlite:${db}`];
  let scheduler: CliProcess;

  const ticks = (): number => count(scheduler.stdout(), /TICK ticker/);
  const waitForTicks = async (n: number, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (ticks() < n) {
      if (Date.now() > deadline) throw new Error(`only ${ticks()} ticks: ${scheduler.stdout()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    scheduler = startCli([
      'run',
      'cli-run-specs.ts',
      ...store,
      '--timezone',
      'UTC',
      '--poll-interval',
      '1',
    ]);
    await scheduler.waitFor(/scheduler started/, 60_000);
  }, TIMEOUT);

  afterAll(async () => {
    if (scheduler.child.exitCode === null) {
      scheduler.child.kill('SIGKILL');
      await scheduler.exited;
    }
  });

  it(
    'run executes the jobs and logs each run',
    async () => {
      await waitForTicks(2);
      expect(scheduler.stdout()).toMatch(/ran job ticker \(scheduled .*\) returned ticker/);
      expect(scheduler.stdout()).toContain('job nightly added');
    },
    TIMEOUT,
  );

  it(
    'jobs list shows what the running scheduler stored, as a table and as JSON',
    async () => {
      const table = await runCli(['jobs', 'list', ...store, '--timezone', 'UTC']);
      expect(table.stderr).toBe('');
      expect(table.code).toBe(0);
      const lines = table.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^ID\s+NAME\s+TRIGGER\s+NEXT RUN \(UTC\)\s+STATUS$/);
      expect(lines[1]).toMatch(
        /^ticker\s+tick\s+interval\[0:00:01\]\s+\S+ \S+\+00:00\s+scheduled$/,
      );
      expect(lines[2]).toMatch(
        /^nightly\s+tick\s+cron\[hour='3', minute='30'\]\s+\S+ 03:30:00\+00:00\s+scheduled$/,
      );

      const json = await runCli(['jobs', 'list', ...store, '--json']);
      expect(json.code).toBe(0);
      const jobs = JSON.parse(json.stdout) as JobJson[];
      expect(jobs.map((j) => j.id)).toEqual(['ticker', 'nightly']);
      // Written relative to the working directory (test/fixtures), stored relative to the application root.
      expect(jobs[0]).toMatchObject({
        func: './test/fixtures/cli-jobs.ts:tick',
        status: 'scheduled',
      });
      expect(jobs[1]?.nextRunTime).toMatch(/T03:30:00\.000Z$/);

      // --tz is an alias of --timezone here as on every command.
      const aliased = await runCli(['jobs', 'list', ...store, '--tz', 'Asia/Tokyo']);
      expect(aliased.code).toBe(0);
      expect(aliased.stdout).toMatch(/NEXT RUN \(Asia\/Tokyo\)/i);
      expect(aliased.stdout).toMatch(/^nightly\s.*12:30:00\+09:00\s+scheduled$/m);
    },
    TIMEOUT,
  );

  it(
    'lists jobs whose module the CLI cannot import (another working directory)',
    async () => {
      const r = await runCli(['jobs', 'list', ...store, '--json'], dir);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as JobJson[]).map((j) => j.status)).toEqual([
        'scheduled',
        'scheduled',
      ]);
    },
    TIMEOUT,
  );

  it(
    'pause stops the runs within the poll interval; resume starts them again',
    async () => {
      const paused = await runCli(['jobs', 'pause', 'ticker', ...store]);
      expect(paused.stderr).toBe('');
      expect(paused.code).toBe(0);
      expect(paused.stdout).toBe('Paused job ticker (next run: -)\n');
      // One run may already be under way when the pause lands; after the poll interval none follows.
      await new Promise((r) => setTimeout(r, 2500));
      const before = ticks();
      await new Promise((r) => setTimeout(r, 3000));
      expect(ticks()).toBe(before);
      const shown = await runCli(['jobs', 'show', 'ticker', ...store, '--json']);
      expect(JSON.parse(shown.stdout)).toMatchObject({
        id: 'ticker',
        status: 'paused',
        nextRunTime: null,
      });

      const resumed = await runCli(['jobs', 'resume', 'ticker', ...store, '--timezone', 'UTC']);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/^Resumed job ticker \(next run: \S+ \S+\+00:00\)\n$/);
      await waitForTicks(before + 2);
    },
    TIMEOUT,
  );

  it(
    'run-now makes a job due at once: the scheduler runs it at its next poll',
    async () => {
      const r = await runCli(['jobs', 'run-now', 'nightly', ...store]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Job nightly is due now');
      await scheduler.waitFor(/TICK nightly/, 30_000);
      const shown = await runCli(['jobs', 'show', 'nightly', ...store, '--json']);
      // After the run it is back on its schedule.
      expect((JSON.parse(shown.stdout) as JobJson).nextRunTime).toMatch(/T03:30:00\.000Z$/);
    },
    TIMEOUT,
  );

  it(
    'remove deletes a job; the scheduler stops running it',
    async () => {
      const r = await runCli(['jobs', 'remove', 'ticker', ...store]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('Removed job ticker\n');
      await new Promise((res) => setTimeout(res, 2500));
      const before = ticks();
      await new Promise((res) => setTimeout(res, 2500));
      expect(ticks()).toBe(before);
      const list = await runCli(['jobs', 'list', ...store, '--json']);
      expect((JSON.parse(list.stdout) as JobJson[]).map((j) => j.id)).toEqual(['nightly']);
      const again = await runCli(['jobs', 'remove', 'ticker', ...store]);
      expect(again.code).toBe(1);
      expect(again.stderr).toBe('horarium: No job by the id of ticker was found\n');
    },
    TIMEOUT,
  );

  it(
    'SIGINT shuts the scheduler down gracefully with exit code 0',
    async () => {
      scheduler.child.kill('SIGINT');
      const result = await scheduler.exited;
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('SIGINT received: shutting down');
      expect(result.stdout).toContain('scheduler shut down');
    },
    TIMEOUT,
  );

  it(
    'lists a row that cannot be restored as broken, with its id and next run time; remove still works',
    async () => {
      const sqlite = openSqliteFile(db);
      sqlite.prepare("update horarium_jobs set job_state = '{oops' where id = 'nightly'").run();
      sqlite.close();
      const list = await runCli(['jobs', 'list', ...store, '--timezone', 'UTC']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^nightly\s+-\s+-\s+\S+ 03:30:00\+00:00\s+broken$/m);
      expect(list.stdout).toMatch(/^broken job nightly cannot be restored: .*not valid JSON/m);
      const json = await runCli(['jobs', 'list', ...store, '--json']);
      const [job] = JSON.parse(json.stdout) as JobJson[];
      expect(job).toMatchObject({ id: 'nightly', status: 'broken' });
      expect(job?.nextRunTime).toMatch(/T03:30:00\.000Z$/);
      const pause = await runCli(['jobs', 'pause', 'nightly', ...store]);
      expect(pause.code).toBe(1);
      expect(pause.stderr).toMatch(
        /^horarium: job nightly cannot be restored \(.*\), so it cannot be paused; fix the row or remove the job\n$/,
      );
      const removed = await runCli(['jobs', 'remove', 'nightly', ...store]);
      expect(removed.code).toBe(0);
      const empty = await runCli(['jobs', 'list', ...store]);
      expect(empty.stdout).toBe('No jobs.\n');
    },
    TIMEOUT,
  );

  it(
    'records each change in the job change log: the scheduler’s adds with its node, the CLI’s changes with none',
    async () => {
      const sqlite = openSqliteFile(db, { readonly: true });
      const rows = sqlite
        .prepare(
          'select job_id, version, kind, node from horarium_jobs_job_changes order by job_id, version',
        )
        .all() as { job_id: string; version: number; kind: string; node: string | null }[];
      sqlite.close();
      const changes = rows.map((row) => [
        row.job_id,
        Number(row.version),
        row.kind,
        row.node === null,
      ]);
      expect(changes).toEqual([
        ['nightly', 1, 'added', false],
        ['nightly', 2, 'modified', true],
        ['nightly', 3, 'removed', true],
        ['ticker', 1, 'added', false],
        ['ticker', 2, 'paused', true],
        ['ticker', 3, 'resumed', true],
        ['ticker', 4, 'removed', true],
      ]);
    },
    TIMEOUT,
  );
});
