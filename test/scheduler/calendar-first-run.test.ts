/**
 * A job's first run time skips what its calendar excludes: addJob (started or
 * pending), resumeJob and rescheduleJob return and store the first fire time
 * the calendar includes; a calendar that excludes everything leaves the job
 * paused, with the reason logged; a nextRunTime given is used as given.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import {
  AsyncScheduler,
  HolidayCalendar,
  type Logger,
  MemoryJobStore,
  unionCalendar,
  WeeklyCalendar,
} from '../../src/index.ts';

const timezone = 'Europe/Berlin';
// Wednesday 2026-12-23, 12:00 in Berlin: the next 09:00 is Christmas Eve, a holiday.
const NOW = Date.parse('2026-12-23T11:00:00Z');
const MONDAY_9 = new Date('2026-12-28T08:00:00Z');
const businessDays = unionCalendar([
  new WeeklyCalendar({ excludeDays: ['sat', 'sun'], timezone }),
  new HolidayCalendar({ dates: ['2026-12-24', '2026-12-25', '2026-12-26'], timezone }),
]);

const errors: string[] = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error(message: string) {
    errors.push(message);
  },
};
let scheduler: AsyncScheduler;

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
  errors.length = 0;
  scheduler = new AsyncScheduler({
    logger,
    timezone,
    jobstores: { default: new MemoryJobStore() },
  });
});

afterEach(async () => {
  if (scheduler.running) await scheduler.shutdown({ wait: false });
  vi.useRealTimers();
});

it('addJob returns and stores the first fire time the calendar includes', async () => {
  await scheduler.start({ paused: true });
  await scheduler.addCalendar('business-days', businessDays);
  const job = await scheduler.addJob(() => {}, 'cron', {
    id: 'report',
    hour: 9,
    calendar: 'business-days',
  });
  expect(job.nextRunTime).toEqual(MONDAY_9);
  expect((await scheduler.getJob('report'))?.nextRunTime).toEqual(MONDAY_9);
  // The skipped fire times have no ledger row; explain names the calendar that excludes them.
  const why = await scheduler.explain('report', '2026-12-24 09:00');
  expect(why.verdict).toBe('excluded');
  expect(why.evidence.at(-1)).toBe(
    'The ledger has no record of it, and calendar "business-days" of the job excludes it now (rule: holiday 2026-12-24): a job skips the fire times its calendar excludes.',
  );
  // Without a calendar, the same trigger's first time is the holiday.
  const plain = await scheduler.addJob(() => {}, 'cron', { hour: 9 });
  expect(plain.nextRunTime).toEqual(new Date('2026-12-24T08:00:00Z'));
});

it('a job added before start() gets its included first run time when it is stored', async () => {
  await scheduler.addCalendar('business-days', businessDays);
  await scheduler.addJob(() => {}, 'cron', { id: 'report', hour: 9, calendar: 'business-days' });
  await scheduler.start({ paused: true });
  expect((await scheduler.getJob('report'))?.nextRunTime).toEqual(MONDAY_9);
});

it('resumeJob and rescheduleJob skip excluded fire times too; a nextRunTime given is kept', async () => {
  await scheduler.start({ paused: true });
  await scheduler.addCalendar('business-days', businessDays);
  await scheduler.addJob(() => {}, 'cron', {
    id: 'report',
    hour: 8,
    calendar: 'business-days',
    nextRunTime: new Date('2026-12-24T07:00:00Z'),
  });
  expect((await scheduler.getJob('report'))?.nextRunTime).toEqual(new Date('2026-12-24T07:00:00Z'));
  await scheduler.pauseJob('report');
  expect((await scheduler.resumeJob('report'))?.nextRunTime).toEqual(
    new Date('2026-12-28T07:00:00Z'),
  );
  const moved = await scheduler.rescheduleJob('report', 'cron', { hour: 9 });
  expect(moved.nextRunTime).toEqual(MONDAY_9);
  expect((await scheduler.getJob('report'))?.nextRunTime).toEqual(MONDAY_9);
});

it('a calendar that excludes every fire time leaves the job paused and says why', async () => {
  await scheduler.start({ paused: true });
  await scheduler.addCalendar(
    'never',
    new WeeklyCalendar({
      excludeDays: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      timezone,
    }),
  );
  const job = await scheduler.addJob(() => {}, 'cron', { id: 'x', hour: 9, calendar: 'never' });
  expect(job.nextRunTime).toBeNull();
  expect(errors.join('\n')).toMatch(
    /Job "anonymous" \(x\) is paused: calendar "never" excludes every fire time/,
  );
  errors.length = 0;
  expect((await scheduler.resumeJob('x'))?.nextRunTime).toBeNull();
  expect(errors).toHaveLength(1);
});
