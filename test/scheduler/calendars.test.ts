/**
 * Jobs with an exclusion calendar on a real store: an excluded fire time is
 * skipped, recorded `excluded` once per pass with the count, and evented;
 * two schedulers on one PostgreSQL store see the same calendar; bad job
 * options and calendars in use are refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AsyncScheduler,
  CalendarConflictError,
  DailyCalendar,
  EVENT_JOB_EXCLUDED,
  type FireRecord,
  InvalidCalendarError,
  type JobExcludedEvent,
  MemoryJobStore,
  SqlJobStore,
  WeeklyCalendar,
} from '../../src/index.ts';
import type { JobStore } from '../../src/stores/store.ts';
import {
  POSTGRES_URL,
  removeSqliteFiles,
  tempSqlitePath,
  uniqueTableName,
} from '../helpers/sql-backends.ts';

const schedulers: AsyncScheduler[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of schedulers.splice(0)) if (s.running) await s.shutdown({ wait: false });
  for (const c of cleanups.splice(0)) await c();
});

const STORES: Record<string, () => JobStore> = {
  memory: () => new MemoryJobStore(),
  SQLite: () => {
    const path = tempSqlitePath();
    cleanups.push(() => removeSqliteFiles(path));
    return new SqlJobStore({ url: `sqlite:${path}` });
  },
  PostgreSQL: () => new SqlJobStore({ url: POSTGRES_URL, tableName: uniqueTableName() }),
};

const hms = (t: number): string => new Date(t).toISOString().slice(11, 19);
const ticks: number[] = [];
function tick(): void {
  ticks.push(Date.now());
}

async function waitFor<T>(read: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(Object.keys(STORES))('%s', (kind) => {
  it('skips excluded fire times, recording them once with the count, and events them', async () => {
    const scheduler = new AsyncScheduler({
      jobstores: { default: (STORES[kind] as () => JobStore)() },
      timezone: 'UTC',
    });
    schedulers.push(scheduler);
    const events: JobExcludedEvent[] = [];
    scheduler.addListener((event) => {
      events.push(event as JobExcludedEvent);
    }, EVENT_JOB_EXCLUDED);
    scheduler.registerTask('tick', tick);
    await scheduler.start({ paused: true });
    const now = Math.floor(Date.now() / 1000) * 1000;
    // Excludes the 18 seconds before the last two: a job due 10 s ago skips 8 fire times.
    await scheduler.addCalendar(
      'quiet',
      new DailyCalendar({ from: hms(now - 20_000), to: hms(now - 2_000), timezone: 'UTC' }),
    );
    const job = await scheduler.addJob(tick, 'cron', {
      second: '*',
      calendar: 'quiet',
      nextRunTime: new Date(now - 10_000),
      coalesce: true,
    });
    scheduler.resume();
    const excluded = await waitFor(async () => {
      const { fires } = await scheduler.getFires({ jobId: job.id, states: ['excluded'] });
      return fires.length > 0 ? fires : undefined;
    });
    expect(excluded).toHaveLength(1);
    const record = excluded[0] as FireRecord;
    expect(record.scheduledTime).toBe(now - 10_000);
    expect(record.detail).toContain('excluded by calendar "quiet"');
    expect(record.detail).toContain('8 fire times');
    await waitFor(async () => (events.length > 0 ? true : undefined));
    expect(events[0]?.excludedRunTimes).toBe(8);
    expect(events[0]?.first).toEqual(new Date(now - 10_000));
    expect(events[0]?.last).toEqual(new Date(now - 3_000));
    // The run that followed is the first included fire time.
    const { fires } = await scheduler.getFires({
      jobId: job.id,
      states: ['succeeded', 'running', 'claimed'],
    });
    expect(Math.min(...fires.map((f) => f.scheduledTime))).toBeGreaterThanOrEqual(now - 2_000);
  });

  it('refuses an unknown calendar at addJob, and a calendar in use at removeCalendar', async () => {
    const scheduler = new AsyncScheduler({
      jobstores: { default: (STORES[kind] as () => JobStore)() },
      timezone: 'UTC',
    });
    schedulers.push(scheduler);
    scheduler.registerTask('tick', tick);
    await scheduler.start({ paused: true });
    await expect(
      scheduler.addJob(tick, 'interval', { seconds: 5, calendar: 'weekends' }),
    ).rejects.toThrow(InvalidCalendarError);
    await scheduler.addCalendar(
      'weekends',
      new WeeklyCalendar({ excludeDays: ['sat', 'sun'], timezone: 'UTC' }),
    );
    await expect(
      scheduler.addCalendar('weekends', new WeeklyCalendar({ excludeDays: [], timezone: 'UTC' })),
    ).rejects.toThrow(CalendarConflictError);
    await scheduler.addJob(tick, 'interval', { seconds: 5, calendar: 'weekends', id: 'w' });
    await expect(scheduler.removeCalendar('weekends')).rejects.toThrow(/used by 1 job \("w"\)/);
    await scheduler.removeCalendar('weekends', { force: true });
    expect([...(await scheduler.getCalendars()).keys()]).toEqual([]);
  });
});

it('two schedulers on one PostgreSQL store see the same calendar', async () => {
  const tableName = uniqueTableName();
  const make = () =>
    new AsyncScheduler({
      jobstores: { default: new SqlJobStore({ url: POSTGRES_URL, tableName }) },
      timezone: 'UTC',
    });
  const a = make();
  const b = make();
  schedulers.push(a, b);
  await a.start({ paused: true });
  await b.start({ paused: true });
  await a.addCalendar(
    'weekends',
    new WeeklyCalendar({ excludeDays: ['sat', 'sun'], timezone: 'Europe/Berlin' }),
  );
  const seen = await b.getCalendars();
  expect(String(seen.get('weekends'))).toBe('weekly[sun, sat; tz=Europe/Berlin]');
  await a.addCalendar(
    'weekends',
    new WeeklyCalendar({ excludeDays: ['sun'], timezone: 'Europe/Berlin' }),
    { replaceExisting: true },
  );
  expect(String((await b.getCalendars()).get('weekends'))).toBe('weekly[sun; tz=Europe/Berlin]');
});
