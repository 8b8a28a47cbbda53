/**
 * explain's `excluded` verdict from real scenarios: fire times a job's
 * calendar excluded are one `excluded` row per pass, and every fire time
 * inside the stretch it stands for is explained as excluded, naming the
 * calendar and the rule. On the memory store with fake timers, and on SQLite.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AsyncScheduler,
  DailyCalendar,
  MemoryJobStore,
  readExcluded,
  SqlJobStore,
  silentLogger,
} from '../../../src/index.ts';
import { sleep } from '../../helpers/scheduler-harness.ts';
import { removeSqliteFiles, tempSqlitePath } from '../../helpers/sql-backends.ts';

const MINUTE = 60_000;
const live: AsyncScheduler[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const s of live.splice(0)) if (s.running) await s.shutdown({ wait: false });
  for (const cleanup of cleanups.splice(0)) await cleanup();
  vi.useRealTimers();
});

describe('on the memory store (fake timers)', () => {
  it('explains the fire times a calendar excluded, the first and those inside the stretch', async () => {
    const T0 = Date.parse('2026-03-28T12:00:00Z');
    vi.useFakeTimers({ now: T0 });
    const s = new AsyncScheduler({
      logger: silentLogger,
      timezone: 'UTC',
      jobstores: { default: new MemoryJobStore() },
    });
    live.push(s);
    await s.start();
    await s.addCalendar(
      'lunch',
      new DailyCalendar({ from: '12:20', to: '12:50', timezone: 'UTC' }),
    );
    await s.addJob(() => {}, 'interval', {
      id: 'poll',
      minutes: 10,
      startDate: new Date(T0 + 10 * MINUTE),
      calendar: 'lunch',
    });
    await vi.advanceTimersByTimeAsync(65 * MINUTE);

    const { fires } = await s.getFires({ jobId: 'poll', limit: 20 });
    const states = fires.map(
      (f) => `${new Date(f.scheduledTime).toISOString().slice(11, 16)} ${f.state}`,
    );
    expect(states).toEqual([
      '13:00 succeeded',
      '12:50 succeeded',
      '12:20 excluded',
      '12:10 succeeded',
    ]);
    const row = fires.find((f) => f.state === 'excluded');
    expect(row === undefined ? undefined : readExcluded(row)).toMatchObject({
      calendar: 'lunch',
      reason: '12:20–12:50',
      count: 3,
      complete: true,
      to: T0 + 40 * MINUTE,
    });

    for (const at of ['2026-03-28T12:20:00Z', '2026-03-28T12:30:00Z', '2026-03-28T12:40:00Z']) {
      const answer = await s.explain('poll', at);
      expect(answer.verdict, at).toBe('excluded');
      expect(answer.slot).toEqual(new Date(at));
      expect(answer.fire?.fireId).toBe(row?.fireId);
      expect(answer.evidence.at(-1)).toContain('calendar "lunch"');
      expect(answer.evidence.at(-1)).toContain('12:20–12:50');
    }
    expect((await s.explain('poll', '2026-03-28T12:50:00Z')).verdict).toBe('ran');
  });
});

describe('on SQLite', () => {
  it('explains a fire time inside the stretch a calendar excluded', async () => {
    const path = tempSqlitePath();
    cleanups.push(() => removeSqliteFiles(path));
    const s = new AsyncScheduler({
      logger: silentLogger,
      timezone: 'UTC',
      jobstores: { default: new SqlJobStore({ url: `sqlite:${path}` }) },
    });
    live.push(s);
    s.registerTask('noop', () => {});
    await s.start({ paused: true });
    const now = Math.floor(Date.now() / 1000) * 1000;
    const hms = (t: number): string => new Date(t).toISOString().slice(11, 19);
    // Excludes the 18 seconds before the last two: a job due 10 s ago skips 8 fire times.
    await s.addCalendar(
      'quiet',
      new DailyCalendar({ from: hms(now - 20_000), to: hms(now - 2_000), timezone: 'UTC' }),
    );
    const job = await s.addJob('noop', 'cron', {
      second: '*',
      calendar: 'quiet',
      nextRunTime: new Date(now - 10_000),
    });
    s.resume();
    const deadline = Date.now() + 15_000;
    while ((await s.getFires({ jobId: job.id, states: ['excluded'] })).fires.length === 0) {
      if (Date.now() > deadline) throw new Error('no excluded row was recorded');
      await sleep(50);
    }
    for (const at of [now - 10_000, now - 6_000, now - 3_000]) {
      const answer = await s.explain(job.id, new Date(at));
      expect(answer.verdict, hms(at)).toBe('excluded');
      expect(answer.fire?.scheduledTime).toBe(now - 10_000);
      expect(answer.evidence.at(-1)).toContain('calendar "quiet"');
      expect(answer.evidence.at(-1)).toContain('8 fire times');
    }
  });
});
