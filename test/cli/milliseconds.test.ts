/**
 * The CLI shows milliseconds only when they are not zero (SPEC §2 "Precision":
 * date and interval triggers keep milliseconds): `horarium next` for
 * sub-second intervals and run dates, `horarium jobs list` and `jobs show` for
 * jobs stored with a next run time on and off a whole second.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncScheduler, silentLogger } from '../../src/index.ts';
import { runCli, tempDir } from './cli-helpers.ts';

const TIMEOUT = 60_000;

describe('horarium next with milliseconds', () => {
  it(
    'a 250 ms interval: every 250 milliseconds, fire times with their milliseconds, whole seconds without',
    async () => {
      const r = await runCli([
        'next',
        'interval:milliseconds=250,startDate=2030-01-01 00:00:00',
        '--tz',
        'UTC',
        '--from',
        '2030-01-01 00:00:00.600',
        '-n',
        '3',
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe(
        'interval:milliseconds=250,startDate=2030-01-01 00:00:00 (UTC): every 250 milliseconds',
      );
      expect(lines.slice(2).map((l) => l.trim())).toEqual([
        '2030-01-01 Tue 00:00:00.750+00:00',
        '2030-01-01 Tue 00:00:01+00:00',
        '2030-01-01 Tue 00:00:01.250+00:00',
      ]);
    },
    TIMEOUT,
  );

  it(
    'JSON: a fractional interval in words and its fire times in the zone and in UTC',
    async () => {
      const r = await runCli([
        'next',
        'interval:seconds=90.5,startDate=2030-01-01 01:00:00',
        '--tz',
        'Europe/Berlin',
        '--from',
        '2030-01-01 01:00',
        '-n',
        '2',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        trigger: string;
        description: string;
        times: { time: string; utc: string }[];
      };
      expect(doc.trigger).toBe('interval[0:01:30.500]');
      expect(doc.description).toBe('every 1 minute, 30 seconds and 500 milliseconds');
      expect(doc.times).toEqual([
        { time: '2030-01-01T01:00:00+01:00', utc: '2030-01-01T00:00:00.000Z', note: null },
        { time: '2030-01-01T01:01:30.500+01:00', utc: '2030-01-01T00:01:30.500Z', note: null },
      ]);
    },
    TIMEOUT,
  );
});

describe('horarium jobs list and show with milliseconds', () => {
  const dir = tempDir();
  const store = ['--store', `sqlite:${join(dir, 'jobs.sqlite')}`];

  beforeAll(async () => {
    const scheduler = new AsyncScheduler({
      logger: silentLogger,
      timezone: 'UTC',
      jobstores: { default: { type: 'sql', url: `sqlite:${join(dir, 'jobs.sqlite')}` } },
    });
    scheduler.registerTask('tick', () => 'tick');
    await scheduler.start({ paused: true });
    await scheduler.addJob('tick', 'date', { runDate: '2030-01-01T00:00:05.250Z', id: 'ms' });
    await scheduler.addJob('tick', 'interval', {
      seconds: 0.5,
      startDate: '2030-01-01T00:00:06Z',
      id: 'whole',
    });
    await scheduler.shutdown();
  }, TIMEOUT);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'jobs list: a next run time with milliseconds shows them, a whole second does not',
    async () => {
      const r = await runCli(['jobs', 'list', ...store, '--timezone', 'UTC']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.slice(1)).toEqual([
        'ms     tick  date[2030-01-01 00:00:05.250+00:00]  2030-01-01 00:00:05.250+00:00  scheduled',
        'whole  tick  interval[0:00:00.500]                2030-01-01 00:00:06+00:00      scheduled',
      ]);
      const json = await runCli(['jobs', 'list', ...store, '--json']);
      expect(
        (JSON.parse(json.stdout) as { nextRunTime: string }[]).map((j) => j.nextRunTime),
      ).toEqual(['2030-01-01T00:00:05.250Z', '2030-01-01T00:00:06.000Z']);
    },
    TIMEOUT,
  );

  it(
    'jobs show: the next run time in the chosen zone, with its milliseconds',
    async () => {
      const r = await runCli(['jobs', 'show', 'ms', ...store, '--timezone', 'Europe/Berlin']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^next run\s+2030-01-01 01:00:05\.250\+01:00$/m);
      expect(r.stdout).toMatch(/^trigger\s+date\[2030-01-01 00:00:05\.250\+00:00\]$/m);
      const whole = await runCli(['jobs', 'show', 'whole', ...store, '--timezone', 'UTC']);
      expect(whole.stdout).toMatch(/^next run\s+2030-01-01 00:00:06\+00:00$/m);
    },
    TIMEOUT,
  );
});
