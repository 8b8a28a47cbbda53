/** `horarium run` with the function form of the module, and its start-up errors. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, runCli, startCli, tempDir } from './cli-helpers.ts';

const TIMEOUT = 120_000;

afterAll(removeTempDirs);

describe('horarium run', () => {
  it(
    'runs a function-form module on a memory store and exits 0 on SIGINT',
    async () => {
      const cli = startCli([
        'run',
        'cli-run-function.ts',
        '--store',
        'memory',
        '--timezone',
        'UTC',
      ]);
      await cli.waitFor(/FN RUN 2/, 60_000);
      expect(cli.stdout()).toContain('starting: store memory, timezone UTC');
      // Lines are stamped to the second; a run time shows its milliseconds when it has any.
      expect(cli.stdout()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00 starting:/m);
      expect(cli.stdout()).toMatch(/ran job fn-job \(scheduled \S+ \S+\+00:00\)/);
      cli.child.kill('SIGINT');
      const result = await cli.exited;
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('scheduler shut down');
      expect(result.stderr).toBe('');
    },
    TIMEOUT,
  );

  it(
    'fails in one line when a spec reference does not resolve from the working directory',
    async () => {
      const dir = tempDir();
      const cli = startCli(['run', join(process.cwd(), 'test/fixtures/cli-run-specs.ts')], dir);
      // The specs' relative references resolve from the working directory: here they cannot.
      const result = await cli.exited;
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
      // Resolved from the working directory, the module lies outside the application: refused unloaded.
      expect(result.stderr).toMatch(
        /^horarium: Job reference "\.\/cli-jobs\.ts:tick" is not allowed \(rule "outside-roots"\): its module resolves to "\S+cli-jobs\.ts" from the working directory /,
      );
      expect(existsSync(join(dir, 'horarium.sqlite'))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'refuses a function job in a persistent store with one line',
    async () => {
      const dir = tempDir();
      const result = await runCli([
        'run',
        'cli-run-function.ts',
        '--store',
        `sqlite:${join(dir, 'x.sqlite')}`,
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^horarium: job 'fn-job' cannot be stored: .*\n$/);
    },
    TIMEOUT,
  );

  it(
    'explains a module without a usable default export, and a missing file',
    async () => {
      const bad = await runCli(['run', 'cli-run-bad-export.ts', '--store', 'memory']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(
        /^horarium: cli-run-bad-export\.ts must export default a function/,
      );
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      const missing = await runCli(['run', 'no-such-file.js', '--store', 'memory']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('horarium: cannot find no-such-file.js\n');
    },
    TIMEOUT,
  );
});
