/**
 * `npm start`: the quickstart runs, stops gracefully on SIGINT, and a second
 * start resumes the same persisted jobs and reports what it missed while down.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteFile } from '../helpers/sql-backends.ts';

const root = resolve(import.meta.dirname, '../..');
const main = join(root, 'examples/quickstart/main.ts');
// `--import tsx` resolves from the working directory, which here is a temp dir without node_modules.
const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
const cwd = mkdtempSync(join(tmpdir(), 'horarium-quickstart-'));

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  output: () => string;
  /** Resolves once the output matches `pattern` `count` times. */
  waitFor: (pattern: RegExp, count?: number) => Promise<void>;
  exited: Promise<number | null>;
}

function start(): Run {
  const child = spawn(process.execPath, ['--import', tsx, main], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      if (waiter.test()) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern, count = 1) =>
      new Promise<void>((resolveWait, reject) => {
        const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
        const test = (): boolean => (output.match(global)?.length ?? 0) >= count;
        if (test()) return resolveWait();
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${String(pattern)} in:\n${output}`)),
          20_000,
        );
        waiters.push({
          test,
          resolve: () => {
            clearTimeout(timer);
            resolveWait();
          },
        });
        void exited.then(() => {
          if (!test()) reject(new Error(`exited before ${String(pattern)}:\n${output}`));
        });
      }),
  };
}

async function interrupt(run: Run): Promise<number | null> {
  run.child.kill('SIGINT');
  return run.exited;
}

const storedIds = (): string[] => {
  const db = openSqliteFile(join(cwd, 'horarium.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('select id from horarium_jobs order by id').all() as { id: string }[];
    return rows.map((row) => row.id);
  } finally {
    db.close();
  }
};

describe('examples/quickstart (npm start)', () => {
  it('runs jobs, shuts down on SIGINT, and resumes the persisted jobs reporting the downtime', async () => {
    const first = start();
    await first.waitFor(/^\S+ job_executed/m, 2);
    expect(first.output()).toMatch(/new\s+heartbeat — heartbeat \(trigger: interval\[0:00:05\]/);
    expect(await interrupt(first)).toBe(0);
    expect(first.output()).toMatch(/scheduler_shutdown\s+the jobs stay in horarium\.sqlite/);
    const idsAfterFirst = storedIds();
    expect(idsAfterFirst).toEqual(expect.arrayContaining(['crunch', 'heartbeat', 'tokyo-clock']));

    // Stay down longer than the heartbeat's 5-second interval, so that runs are missed.
    await new Promise((done) => setTimeout(done, 6500));

    const second = start();
    await second.waitFor(
      /job_catch_up\s+heartbeat: missed \d+ runs? since \S+ while down; coalesced into one run/,
    );
    await second.waitFor(/^\S+ job_executed\s+heartbeat/m);
    for (const id of ['heartbeat', 'tokyo-clock', 'crunch']) {
      expect(second.output()).toMatch(new RegExp(`resumed\\s+${id} — `));
      expect(second.output()).not.toMatch(new RegExp(`new\\s+${id} — `));
    }
    expect(await interrupt(second)).toBe(0);

    const ids = storedIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id !== 'welcome')).toEqual(['crunch', 'heartbeat', 'tokyo-clock']);
  }, 60_000);
});
