/**
 * The scheduler and the job reference rules: `addJob`, `modifyJob` and
 * `importJobs` refuse a reference the rules do not allow before importing
 * anything; allowed references are stored relative to the application root;
 * stored jobs (today's format included) restore through the same rules; and
 * `jobReferences` widens or narrows them.
 */
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  type BaseScheduler,
  EVENT_JOB_EXECUTED,
  EVENT_JOB_RESTORE_FAILED,
  JobEvent,
  JobExecutionEvent,
  JobReferenceError,
  type JobsExport,
  type SchedulerConfig,
  SqlJobStore,
  silentLogger,
  ThreadPoolExecutor,
} from '../../src/index.ts';
import { ReferenceNotAllowedError } from '../../src/jobs/errors.ts';
import { rejectionOf, untyped } from '../helpers/scheduler-api-helpers.ts';
import { openSqliteFile, removeSqliteFiles, tempSqlitePath } from '../helpers/sql-backends.ts';

const ROOT = process.cwd();
const FIXTURES = join(ROOT, 'test/fixtures');
const MODULE = './test/fixtures/scheduler-api-jobs.ts';
const MARKER = `horarium_scheduler_refs_${process.pid}_${Date.now()}`;
const globals = globalThis as unknown as Record<string, unknown>;

const outside = realpathSync(mkdtempSync(join(tmpdir(), 'horarium-refs-outside-')));
const markerFile = join(outside, 'marker');

beforeAll(() => {
  writeFileSync(
    join(outside, 'evil.mjs'),
    `globalThis[${JSON.stringify(MARKER)}] = 'evil.mjs';\nexport function run() {}\n`,
  );
});

afterAll(() => {
  rmSync(outside, { recursive: true, force: true });
  delete globals[MARKER];
});

const schedulers: BaseScheduler[] = [];
const sqliteFiles: string[] = [];

function scheduler(config: SchedulerConfig = {}): AsyncScheduler {
  const s = new AsyncScheduler({ timezone: 'UTC', logger: silentLogger, ...config });
  schedulers.push(s);
  return s;
}

afterEach(async () => {
  for (const s of schedulers.splice(0)) if (s.running) await s.shutdown({ wait: false });
  for (const file of sqliteFiles.splice(0)) await removeSqliteFiles(file);
});

/** The references an attacker would write, each with the rule that refuses it. */
function attackReferences(): [string, string][] {
  return [
    ['node:child_process:execSync', 'builtin'],
    ['child_process:execSync', 'builtin'],
    [
      `data:text/javascript,globalThis[${JSON.stringify(MARKER)}]='data';export function f(){}:f`,
      'url-scheme',
    ],
    ['https://evil.example/payload.mjs:run', 'url-scheme'],
    [`${join(outside, 'evil.mjs')}:run`, 'outside-roots'],
    [`${pathToFileURL(join(outside, 'evil.mjs')).href}:run`, 'outside-roots'],
    [`./${relative(ROOT, join(outside, 'evil.mjs'))}:run`, 'outside-roots'],
  ];
}

describe('addJob and modifyJob with references the rules refuse', () => {
  for (const [reference, rule] of attackReferences()) {
    it(`addJob refuses ${reference.slice(0, 60)} (rule "${rule}") before importing it, running or started`, async () => {
      const s = scheduler();
      for (const phase of ['stopped', 'running'] as const) {
        if (phase === 'running') await s.start();
        const error = await rejectionOf(
          untyped(s).addJob(reference, 'date', {
            id: `attack-${phase}`,
            runDate: new Date(),
            args: [`touch ${markerFile}`],
          }),
        );
        expect(error).toBeInstanceOf(ReferenceNotAllowedError);
        expect(error).toBeInstanceOf(JobReferenceError);
        expect((error as ReferenceNotAllowedError).rule).toBe(rule);
        expect((error as ReferenceNotAllowedError).reference).toBe(reference);
        expect(error.message).toMatch(/jobReferences\.(builtins|roots)|file: URL inside a root/);
      }
      expect(await s.getJobs()).toEqual([]);
      expect(globals[MARKER]).toBeUndefined();
      expect(existsSync(markerFile)).toBe(false);
    });
  }

  it('modifyJob refuses a string func the rules refuse, and leaves the job as it was', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(`${MODULE}:send`, 'interval', { id: 'j', hours: 1, args: ['ops'] });
    for (const [reference] of attackReferences()) {
      const error = await rejectionOf(untyped(s).modifyJob('j', { func: reference }));
      expect(error).toBeInstanceOf(ReferenceNotAllowedError);
    }
    expect((await s.getJob('j'))?.funcRef).toBe(`${MODULE}:send`);
    expect(globals[MARKER]).toBeUndefined();
  });

  it('importJobs refuses a document holding such a reference and adds none of its jobs', async () => {
    const s = scheduler();
    await s.start();
    await s.addJob(`${MODULE}:send`, 'interval', { id: 'good', hours: 1, args: ['ops'] });
    const exported = JSON.parse(await s.exportJobs()) as JobsExport;
    await s.removeAllJobs();
    const good = exported.jobs[0] as JobsExport['jobs'][number];
    const hostile: JobsExport = {
      ...exported,
      jobs: [
        { ...good, id: 'good-again' },
        { ...good, id: 'hostile', funcRef: `${join(outside, 'evil.mjs')}:run` },
      ],
    };
    const error = await rejectionOf(s.importJobs(hostile));
    expect(error).toBeInstanceOf(ReferenceNotAllowedError);
    expect(await s.getJobs()).toEqual([]);
    expect(globals[MARKER]).toBeUndefined();
  });
});

describe('references the rules allow', () => {
  it('stores a module inside the application root relative to it, however it was written', async () => {
    const s = scheduler();
    await s.start();
    const spellings = [
      `${MODULE}:send`,
      `./test/../test/fixtures/scheduler-api-jobs.ts:send`,
      `${join(FIXTURES, 'scheduler-api-jobs.ts')}:send`,
      `${pathToFileURL(join(FIXTURES, 'scheduler-api-jobs.ts')).href}:send`,
    ];
    for (const [i, reference] of spellings.entries()) {
      const job = await s.addJob(reference, 'interval', { id: `j${i}`, hours: 1, args: ['ops'] });
      expect(job.funcRef, reference).toBe(`${MODULE}:send`);
    }
    const modified = await s.modifyJob('j0', {
      func: `${pathToFileURL(join(FIXTURES, 'scheduler-api-jobs.ts')).href}:reports.daily`,
      args: [],
    });
    expect(modified.funcRef).toBe(`${MODULE}:reports.daily`);
  });

  it('allows listed built-ins and other roots when configured', async () => {
    const s = scheduler({ jobReferences: { builtins: ['os'], roots: ['.', outside] } });
    await s.start();
    const hostname = await s.addJob('node:os:hostname', 'interval', { id: 'os', hours: 1 });
    expect(hostname.funcRef).toBe('node:os:hostname');
    const other = await s.addJob(`${join(outside, 'evil.mjs')}:run`, 'interval', {
      id: 'other-root',
      hours: 1,
    });
    expect(other.funcRef).toBe(`${pathToFileURL(join(outside, 'evil.mjs')).href}:run`);
    expect(globals[MARKER]).toBe('evil.mjs');
    delete globals[MARKER];
    await expect(
      s.addJob('node:child_process:execSync', 'interval', { id: 'cp', hours: 1, args: ['true'] }),
    ).rejects.toThrow(ReferenceNotAllowedError);
  });

  it('refuses modules of the application root once the roots are narrowed to another folder', async () => {
    const s = scheduler({ jobReferences: { roots: [outside] } });
    await s.start();
    const error = await rejectionOf(
      s.addJob(`${MODULE}:send`, 'interval', { id: 'j', hours: 1, args: ['ops'] }),
    );
    expect((error as ReferenceNotAllowedError).rule).toBe('outside-roots');
  });

  it('runs a stored relative reference from the application root in a worker thread', async () => {
    const runs: JobExecutionEvent[] = [];
    const s = scheduler({
      jobReferences: { base: FIXTURES },
      executors: { default: new ThreadPoolExecutor({ maxWorkers: 1 }) },
    });
    s.addListener((event) => {
      if (event instanceof JobExecutionEvent) runs.push(event);
    });
    await s.start();
    // Written relative to the working directory, stored relative to the application root.
    const job = await s.addJob('./test/fixtures/pool-executor-jobs.ts:returnsValue', 'date', {
      id: 'in-a-worker',
      runDate: new Date(),
      args: ['ran'],
    });
    expect(job.funcRef).toBe('./pool-executor-jobs.ts:returnsValue');
    const deadline = Date.now() + 20_000;
    while (runs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(runs[0]?.exception).toBeUndefined();
    expect(runs[0]?.code).toBe(EVENT_JOB_EXECUTED);
    expect(runs[0]?.retval).toBe('ran');
  });
});

describe('stored references', () => {
  /** A started scheduler on a fresh SQLite file, with one paused job whose stored state `edit` rewrites. */
  async function storedJob(
    config: SchedulerConfig,
    edit: (state: Record<string, unknown>) => void,
  ): Promise<{ s: AsyncScheduler; file: string; stored: () => string }> {
    const file = tempSqlitePath();
    sqliteFiles.push(file);
    const writer = scheduler();
    await writer.addJobstore(new SqlJobStore({ url: `sqlite:${file}` }), 'sqlite');
    await writer.start();
    await writer.addJob(`${MODULE}:send`, 'interval', {
      id: 'stored',
      hours: 1,
      args: ['ops'],
      jobstore: 'sqlite',
      nextRunTime: null,
    });
    await writer.shutdown();
    const raw = openSqliteFile(file);
    const row = raw
      .prepare('select job_state from horarium_jobs where id = ?')
      .all('stored')[0] as {
      job_state: string;
    };
    const state = JSON.parse(row.job_state) as Record<string, unknown>;
    edit(state);
    raw
      .prepare('update horarium_jobs set job_state = ? where id = ?')
      .run(JSON.stringify(state), 'stored');
    raw.close();
    const s = scheduler({
      ...config,
      jobstores: { default: new SqlJobStore({ url: `sqlite:${file}` }) },
    });
    const stored = (): string => {
      const reader = openSqliteFile(file, { readonly: true });
      try {
        return (
          reader.prepare('select job_state from horarium_jobs').all()[0] as { job_state: string }
        ).job_state;
      } finally {
        reader.close();
      }
    };
    return { s, file, stored };
  }

  it('restores a relative reference stored by Horarium 0.1 (relative to the directory it was added from, here the application root)', async () => {
    const { s } = await storedJob({}, (state) => {
      state.funcRef = `${MODULE}:send`;
    });
    await s.start();
    const job = await s.getJob('stored');
    expect(job?.broken).toBe(false);
    expect(job?.func('ops')).toBe('sent to ops');
  });

  it('resolves a stored relative reference against the application root, whatever the working directory', async () => {
    const { s } = await storedJob({ jobReferences: { base: FIXTURES } }, (state) => {
      state.funcRef = './scheduler-api-jobs.ts:send';
    });
    await s.start();
    const job = await s.getJob('stored');
    expect(job?.broken).toBe(false);
    expect(job?.funcRef).toBe('./scheduler-api-jobs.ts:send');
    expect(job?.func('ops')).toBe('sent to ops');
  });

  it('says how to fix a 0.1 reference stored from a working directory other than the application root', async () => {
    const events: JobEvent[] = [];
    const { s, stored } = await storedJob({ jobReferences: { base: FIXTURES } }, (state) => {
      state.funcRef = `${MODULE}:send`; // relative to the working directory it was added from
    });
    const before = stored();
    s.addListener((event) => {
      if (event instanceof JobEvent) events.push(event);
    }, EVENT_JOB_RESTORE_FAILED);
    await s.start();
    const job = (await s.getJobs())[0];
    expect(job?.broken).toBe(true);
    expect(String(job?.restoreError)).toContain(`set jobReferences.base to ${ROOT}`);
    expect(events.map((e) => e.jobId)).toEqual(['stored']);
    expect(stored()).toBe(before);
  });

  it('keeps a stored row outside the rules, reports it once as not restorable and lists it as broken', async () => {
    const events = new Map<string, number>();
    const { s, stored } = await storedJob({}, (state) => {
      state.funcRef = `${join(outside, 'evil.mjs')}:run`;
    });
    const before = stored();
    s.addListener((event) => {
      if (event instanceof JobEvent) events.set(event.jobId, (events.get(event.jobId) ?? 0) + 1);
    }, EVENT_JOB_RESTORE_FAILED);
    await s.start();
    for (let i = 0; i < 3; i++) {
      const [job] = await s.getJobs();
      expect(job?.broken).toBe(true);
      expect(job?.restoreError).toBeInstanceOf(ReferenceNotAllowedError);
    }
    expect(events.get('stored')).toBe(1);
    expect(globals[MARKER]).toBeUndefined();
    expect(stored()).toBe(before);
  });
});
