/** `horarium next`: fire times, DST marks and the explanation, and a stored job's calendar, end to end. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  HolidayCalendar,
  SqlJobStore,
  silentLogger,
  unionCalendar,
  WeeklyCalendar,
} from '../../src/index.ts';
import { removeTempDirs, runCli, tempDir } from './cli-helpers.ts';

const TIMEOUT = 60_000;

describe('horarium next', () => {
  it(
    'marks the spring-forward shift in Berlin and explains it',
    async () => {
      const r = await runCli([
        'next',
        '30 2 * * *',
        '--tz',
        'Europe/Berlin',
        '--from',
        '2025-03-28 12:00',
        '-n',
        '4',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe(
        '30 2 * * * (Europe/Berlin): at 02:30 every day; on 2025-03-30 at 03:30 because 02:30 does not exist in Europe/Berlin',
      );
      const times = lines.slice(2).map((l) => l.trim());
      expect(times).toEqual([
        '2025-03-29 Sat 02:30:00+01:00',
        '2025-03-30 Sun 03:30:00+02:00  ← 02:30 does not exist (DST gap): moved to 03:30',
        '2025-03-31 Mon 02:30:00+02:00',
        '2025-04-01 Tue 02:30:00+02:00',
      ]);
    },
    TIMEOUT,
  );

  it(
    'takes the zone as --timezone, as the other commands do (--tz is its alias)',
    async () => {
      const args = ['next', '30 2 * * *', '--from', '2025-03-28 12:00', '-n', '2'];
      const long = await runCli([...args, '--timezone', 'Europe/Berlin']);
      const short = await runCli([...args, '--tz', 'Europe/Berlin']);
      expect(long.stderr).toBe('');
      expect(long.code).toBe(0);
      expect(long.stdout).toContain('2025-03-30 Sun 03:30:00+02:00');
      expect(short.stdout).toBe(long.stdout);
    },
    TIMEOUT,
  );

  it(
    "previews a job's hashed times with --seed <job id>, with the DST shift of its hashed hour",
    async () => {
      const r = await runCli([
        'next',
        'H H * * *',
        '--seed',
        'job-1',
        '--timezone',
        'Europe/Berlin',
        '--from',
        '2024-03-30 12:00',
        '-n',
        '2',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe(
        'H H * * * (Europe/Berlin): at 02:42 every day (H hashed from seed "job-1"); on 2024-03-31 at 03:42 because 02:42 does not exist in Europe/Berlin',
      );
      expect(lines.slice(2).map((l) => l.trim())).toEqual([
        '2024-03-31 Sun 03:42:00+02:00  ← 02:42 does not exist (DST gap): moved to 03:42',
        '2024-04-01 Mon 02:42:00+02:00',
      ]);
    },
    TIMEOUT,
  );

  it(
    'marks the fold: a fixed-hour job fires once, at the first 02:30',
    async () => {
      const r = await runCli([
        'next',
        '30 2 * * *',
        '--tz',
        'Europe/Berlin',
        '--from',
        '2025-10-25 12:00',
        '-n',
        '3',
      ]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        'on 2025-10-26 once, at the first of the two 02:30s (+02:00, not +01:00)',
      );
      const times = r.stdout
        .trim()
        .split('\n')
        .slice(2)
        .map((l) => l.trim());
      expect(times).toEqual([
        '2025-10-26 Sun 02:30:00+02:00  ← 02:30 occurs twice (DST fold): first pass, +02:00',
        '2025-10-27 Mon 02:30:00+01:00',
        '2025-10-28 Tue 02:30:00+01:00',
      ]);
    },
    TIMEOUT,
  );

  it(
    'marks the repeated hour of a wildcard-hour job in both passes',
    async () => {
      const r = await runCli([
        'next',
        '*/30 * * * *',
        '--tz',
        'Europe/Berlin',
        '--from',
        '2025-10-26 01:50',
        '-n',
        '5',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        description: string;
        times: { time: string; note: string | null }[];
      };
      expect(doc.description).toBe(
        'every 30 minutes; on 2025-10-26 the repeated hour runs again (+01:00)',
      );
      expect(doc.times.map((t) => t.time)).toEqual([
        '2025-10-26T02:00:00+02:00',
        '2025-10-26T02:30:00+02:00',
        '2025-10-26T02:00:00+01:00',
        '2025-10-26T02:30:00+01:00',
        '2025-10-26T03:00:00+01:00',
      ]);
      expect(doc.times[2]?.note).toBe('02:00 occurs twice (DST fold): repeated hour, +01:00');
      expect(doc.times[4]?.note).toBeNull();
    },
    TIMEOUT,
  );

  it(
    'reads type:key=value specs (interval, cron with lists and snake_case keys)',
    async () => {
      const interval = await runCli([
        'next',
        'interval:hours=12',
        '--tz',
        'Europe/Berlin',
        '--from',
        '2025-03-29 08:00',
        '-n',
        '3',
      ]);
      expect(interval.code).toBe(0);
      expect(interval.stdout).toContain('every 12 hours');
      expect(interval.stdout).toContain(
        '2025-03-30 Sun 09:00:00+02:00  ← UTC offset changed +01:00 → +02:00 (DST): wall-clock time shifted',
      );
      const cron = await runCli([
        'next',
        'cron:hour=1,13,minute=0,day_of_week=mon-fri',
        '--tz',
        'UTC',
        '--from',
        '2025-03-29 08:00',
        '-n',
        '3',
      ]);
      expect(cron.code).toBe(0);
      expect(cron.stdout).toContain('at 01:00 and 13:00 on Monday through Friday');
      expect(cron.stdout).toContain('2025-03-31 Mon 13:00:00+00:00');
      expect(cron.stdout).toContain('2025-04-01 Tue 01:00:00+00:00');
    },
    TIMEOUT,
  );
});

describe('horarium next with a calendar', () => {
  const db = join(tempDir(), 'jobs.sqlite');
  const store = ['--store', `sqlite:${db}`];
  afterAll(removeTempDirs);

  beforeAll(async () => {
    const timezone = 'Europe/Berlin';
    const scheduler = new AsyncScheduler({
      logger: silentLogger,
      timezone,
      jobstores: { default: new SqlJobStore({ url: `sqlite:${db}` }) },
    });
    scheduler.registerTask('report', () => {});
    await scheduler.start({ paused: true });
    await scheduler.addCalendar(
      'business-days',
      unionCalendar([
        new WeeklyCalendar({ excludeDays: ['sat', 'sun'], timezone }),
        new HolidayCalendar({ dates: ['2026-12-24', '2026-12-25', '2026-12-26'], timezone }),
      ]),
    );
    await scheduler.addJob('report', 'cron', { id: 'report', hour: 9, calendar: 'business-days' });
    await scheduler.shutdown();
  }, TIMEOUT);

  const times = (stdout: string): string[] =>
    stdout
      .trim()
      .split('\n')
      .slice(2)
      .map((l) => l.trim());

  it(
    "lists a stored job's fire times with its calendar applied, and the excluded ones on request",
    async () => {
      const args = ['next', '--job', 'report', ...store, '--tz', 'Europe/Berlin'];
      const plain = await runCli([...args, '--from', '2026-12-22', '-n', '3']);
      expect(plain.stderr).toBe('');
      expect(plain.code).toBe(0);
      expect(plain.stdout.split('\n')[0]).toBe(
        'job report (Europe/Berlin): at 09:00 every day; excluding calendar "business-days"',
      );
      expect(times(plain.stdout)).toEqual([
        '2026-12-22 Tue 09:00:00+01:00',
        '2026-12-23 Wed 09:00:00+01:00',
        '2026-12-28 Mon 09:00:00+01:00',
      ]);
      const shown = await runCli([...args, '--from', '2026-12-23', '-n', '2', '--show-excluded']);
      expect(shown.code).toBe(0);
      expect(times(shown.stdout)).toEqual([
        '2026-12-23 Wed 09:00:00+01:00',
        '2026-12-24 Thu 09:00:00+01:00  ✗ excluded (holiday 2026-12-24)',
        '2026-12-25 Fri 09:00:00+01:00  ✗ excluded (holiday 2026-12-25)',
        '2026-12-26 Sat 09:00:00+01:00  ✗ excluded (weekday sat)',
        '2026-12-27 Sun 09:00:00+01:00  ✗ excluded (weekday sun)',
        '2026-12-28 Mon 09:00:00+01:00',
      ]);
      const json = await runCli([
        ...args,
        '--from',
        '2026-12-24',
        '-n',
        '1',
        '--show-excluded',
        '--json',
      ]);
      const document = JSON.parse(json.stdout) as {
        calendar: string;
        times: { utc: string; excluded?: string; omittedBefore?: number }[];
      };
      expect(document.calendar).toBe('business-days');
      expect(document.times.map((t) => [t.utc, t.excluded ?? null])).toEqual([
        ['2026-12-24T08:00:00.000Z', 'holiday 2026-12-24'],
        ['2026-12-25T08:00:00.000Z', 'holiday 2026-12-25'],
        ['2026-12-26T08:00:00.000Z', 'weekday sat'],
        ['2026-12-27T08:00:00.000Z', 'weekday sun'],
        ['2026-12-28T08:00:00.000Z', null],
      ]);
      expect(document.times.some((t) => t.omittedBefore !== undefined)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'applies a stored calendar to a spec with --calendar, and names what is missing',
    async () => {
      const withCalendar = (spec: string, ...more: string[]) =>
        runCli([
          'next',
          spec,
          '--calendar',
          'business-days',
          ...store,
          '--tz',
          'Europe/Berlin',
          '--from',
          '2026-12-23 13:00',
          ...more,
        ]);
      const r = await withCalendar('0 12 * * *', '-n', '1');
      expect(r.stderr).toBe('');
      expect(times(r.stdout)).toEqual(['2026-12-28 Mon 12:00:00+01:00']);
      // A long excluded stretch lists its first few fire times, how many more, and its last.
      const long = await withCalendar('0 */6 * * *', '-n', '2', '--show-excluded');
      expect(long.stderr).toBe('');
      expect(times(long.stdout)).toEqual([
        '2026-12-23 Wed 18:00:00+01:00',
        '2026-12-24 Thu 00:00:00+01:00  ✗ excluded (holiday 2026-12-24)',
        '2026-12-24 Thu 06:00:00+01:00  ✗ excluded (holiday 2026-12-24)',
        '2026-12-24 Thu 12:00:00+01:00  ✗ excluded (holiday 2026-12-24)',
        '… 12 more excluded',
        '2026-12-27 Sun 18:00:00+01:00  ✗ excluded (weekday sun)',
        '2026-12-28 Mon 00:00:00+01:00',
      ]);
      const unknown = await runCli(['next', '0 12 * * *', '--calendar', 'nope', ...store]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no calendar "nope" in the store (it has "business-days")');
      const bare = await runCli(['next', '0 12 * * *', '--show-excluded']);
      expect(bare.code).toBe(1);
      expect(bare.stderr).toContain('--show-excluded needs a calendar');
    },
    TIMEOUT,
  );
});
