/**
 * The three schedulers on real timers and in real child processes (SPEC §2
 * "Scheduler"): they run jobs; a BackgroundScheduler does not keep the process
 * alive, an AsyncScheduler does; a BlockingScheduler's start() resolves only
 * after shutdown, and SIGINT / SIGTERM shut it down gracefully with exit
 * code 0. Bounds are generous; the tests run concurrently.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  BackgroundScheduler,
  type BaseScheduler,
  BlockingScheduler,
  silentLogger,
} from '../../src/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = resolve(ROOT, 'test/fixtures');

interface Child {
  process: ChildProcess;
  /** Everything written to stdout so far, split into lines. */
  lines(): string[];
  /** Resolves with the first line matching `pattern` (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal name), or 'timeout'. */
  exited(timeoutMs: number): Promise<number | string>;
  stderr(): string;
}

function startChild(fixture: string, args: string[] = []): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(FIXTURES, fixture), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of [...waiters]) w();
  });
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  let exit: number | string | undefined;
  const exitWaiters: ((value: number | string) => void)[] = [];
  child.on('exit', (code, signal) => {
    exit = code ?? signal ?? 'unknown';
    for (const w of exitWaiters) w(exit);
    for (const w of [...waiters]) w();
  });
  const lines = (): string[] => stdout.split('\n').filter((l) => l !== '');
  return {
    process: child,
    lines,
    stderr: () => stderr,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out waiting for ${pattern}; stdout: ${JSON.stringify(lines())}, stderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        const check = (): void => {
          const line = lines().find((l) => pattern.test(l));
          if (line !== undefined) {
            cleanup();
            resolveLine(line);
          } else if (exit !== undefined) {
            cleanup();
            reject(
              new Error(
                `exited (${exit}) before ${pattern}; stdout: ${JSON.stringify(lines())}, stderr: ${stderr}`,
              ),
            );
          }
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
        };
        waiters.push(check);
        check();
      });
    },
    exited(timeoutMs) {
      if (exit !== undefined) return Promise.resolve(exit);
      return new Promise((resolveExit) => {
        const timer = setTimeout(() => resolveExit('timeout'), timeoutMs);
        exitWaiters.push((value) => {
          clearTimeout(timer);
          resolveExit(value);
        });
      });
    },
  };
}

function kill(child: Child): void {
  if (child.process.exitCode === null && child.process.signalCode === null) {
    child.process.kill('SIGKILL');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.concurrent('schedulers on real time', { timeout: 90_000 }, () => {
  it('AsyncScheduler, BackgroundScheduler and BlockingScheduler really run jobs', async () => {
    const config = { timezone: 'UTC', logger: silentLogger };
    const kinds: [string, BaseScheduler][] = [
      ['async', new AsyncScheduler(config)],
      ['background', new BackgroundScheduler(config)],
      ['blocking', new BlockingScheduler(config)],
    ];
    const runs = new Map<string, number>();
    const started: Promise<void>[] = [];
    for (const [kind, scheduler] of kinds) {
      runs.set(kind, 0);
      await scheduler.addJob(
        () => {
          runs.set(kind, (runs.get(kind) ?? 0) + 1);
        },
        'interval',
        { seconds: 1 },
      );
      started.push(scheduler.start());
    }
    let blockingResolved = false;
    void started[2]?.then(() => {
      blockingResolved = true;
    });
    await Promise.all(started.slice(0, 2));
    try {
      await sleep(3_600);
      for (const [kind] of kinds) expect(runs.get(kind), kind).toBeGreaterThanOrEqual(2);
      for (const [kind] of kinds) expect(runs.get(kind), kind).toBeLessThanOrEqual(5);
      expect(blockingResolved).toBe(false);
    } finally {
      for (const [, scheduler] of kinds) if (scheduler.running) await scheduler.shutdown();
    }
    await started[2];
    expect(blockingResolved).toBe(true);
  });

  it('a process with a BackgroundScheduler holding a future job exits by itself with code 0', async () => {
    const child = startChild('scheduler-keepalive.ts', ['background']);
    try {
      await child.waitFor(/^started background$/);
      const code = await child.exited(20_000);
      expect(code, child.stderr()).toBe(0);
      expect(child.lines()).toEqual(['started background', 'exiting with 0']);
    } finally {
      kill(child);
    }
  });

  it('a process with an AsyncScheduler holding a future job stays alive', async () => {
    const child = startChild('scheduler-keepalive.ts', ['async']);
    try {
      await child.waitFor(/^started async$/);
      expect(await child.exited(3_000)).toBe('timeout');
      expect(child.lines()).toEqual(['started async']);
    } finally {
      kill(child);
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`BlockingScheduler: start() blocks, jobs run, ${signal} shuts down gracefully with code 0`, async () => {
      const child = startChild('scheduler-blocking.ts');
      try {
        await child.waitFor(/^run 2 start$/);
        expect(child.lines().some((l) => l.startsWith('start resolved'))).toBe(false);
        child.process.kill(signal);
        const code = await child.exited(20_000);
        expect(code, child.stderr()).toBe(0);
        const lines = child.lines();
        // the run in progress at the signal finished before start() resolved
        expect(lines.indexOf('run 2 end')).toBeGreaterThan(lines.indexOf('run 2 start'));
        expect(lines.indexOf('start resolved (state 0)')).toBeGreaterThan(
          lines.indexOf('run 2 end'),
        );
        expect(lines.at(-1)).toBe('start resolved (state 0)');
        expect(lines).not.toContain('run 3 start');
        expect(lines[0]).toBe('starting');
      } finally {
        kill(child);
      }
    });
  }
});
