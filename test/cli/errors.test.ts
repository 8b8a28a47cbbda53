/** User mistakes: one readable line on stderr, a non-zero exit code, no stack trace. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, runCli, tempDir } from './cli-helpers.ts';

const TIMEOUT = 60_000;

const cases: [string, string[], RegExp][] = [
  [
    'unknown command',
    ['frobnicate'],
    /^horarium: unknown command 'frobnicate' \(see 'horarium --help'\)$/,
  ],
  [
    'unknown subcommand with a suggestion',
    ['jobs', 'lst'],
    /^horarium: unknown command 'lst' \(Did you mean list\?\)/,
  ],
  ['unknown option', ['next', '* * * * *', '--bogus'], /^horarium: unknown option '--bogus'/],
  ['missing argument', ['next'], /^horarium: give a crontab line or trigger spec, or --job <id>/],
  ['bad cron expression', ['next', '61 * * * *'], /^horarium: .*minute.*"61".*0-59/],
  ['wrong number of cron fields', ['next', '* * *'], /^horarium: .*expected 5 fields/],
  ['unknown trigger type', ['next', 'weekly:day=3'], /^horarium: unknown trigger type "weekly"/],
  [
    'bad trigger argument',
    ['next', 'interval:minutes=-5'],
    /^horarium: .*minutes must be a non-negative number/,
  ],
  [
    'unknown zone',
    ['next', '@daily', '--tz', 'Mars/Olympus'],
    /^horarium: Unknown time zone "Mars\/Olympus"/,
  ],
  ['bad count', ['next', '@daily', '-n', 'ten'], /^horarium: -n must be a whole number/],
  ['bad --from', ['next', '@daily', '--from', 'yesterday'], /^horarium: --from: /],
  [
    'bad store URL',
    ['jobs', 'list', '--store', 'ftp://example.com/x'],
    /^horarium: unsupported store URL "ftp:\/\/example.com\/x"/,
  ],
  [
    'unknown zone for jobs',
    ['jobs', 'list', '--timezone', 'Nowhere/City'],
    /^horarium: Unknown time zone/,
  ],
  // --timezone is the option's name on every command and --tz its alias: both reach the zone check.
  [
    'unknown zone for next, given as --timezone',
    ['next', '@daily', '--timezone', 'Mars/Olympus'],
    /^horarium: Unknown time zone "Mars\/Olympus"/,
  ],
  [
    'unknown zone for jobs, given as --tz',
    ['jobs', 'show', 'x', '--tz', 'Nowhere/City'],
    /^horarium: Unknown time zone "Nowhere\/City"/,
  ],
  [
    'unknown zone for run, given as --tz',
    ['run', 'cli-run-specs.ts', '--store', 'memory', '--tz', 'Nowhere/City'],
    /^horarium: Unknown time zone "Nowhere\/City"/,
  ],
];

afterAll(removeTempDirs);

describe('CLI errors', () => {
  for (const [name, args, pattern] of cases) {
    it(
      name,
      async () => {
        const r = await runCli(args);
        expect(r.code).not.toBe(0);
        expect(r.code).not.toBeNull();
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(pattern);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      },
      TIMEOUT,
    );
  }

  it(
    'a missing store file',
    async () => {
      const path = join(tempDir(), 'absent.sqlite');
      const r = await runCli(['jobs', 'list', '--store', `sqlite:${path}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `horarium: no job store at ${path} (file not found; check --store sqlite:${path})\n`,
      );
    },
    TIMEOUT,
  );

  it(
    'unknown commands exit 1; --help exits 0 on stdout',
    async () => {
      expect((await runCli(['frobnicate'])).code).toBe(1);
      const help = await runCli(['jobs', 'pause', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Usage: horarium jobs pause [options] <id>');
      expect(help.stdout).toContain('--store <url>');
    },
    TIMEOUT,
  );

  it(
    'every command lists --timezone with its alias --tz in its help',
    async () => {
      for (const command of [['run'], ['jobs', 'list'], ['jobs', 'resume'], ['next']]) {
        const help = await runCli([...command, '--help']);
        expect({ command, code: help.code }).toEqual({ command, code: 0 });
        expect(help.stdout).toContain('--tz, --timezone <zone>');
      }
    },
    TIMEOUT,
  );
});
