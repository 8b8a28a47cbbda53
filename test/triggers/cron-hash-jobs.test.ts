/**
 * Hashed cron fields (`H`) take the job's id as their seed, so that jobs
 * written "every hour" spread over the hour while each keeps its own minute on
 * every node and after every restart (docs/triggers.md, "Hashed values").
 *
 * The triggers' part is `Trigger.forJob(jobId)`; the scheduler calls it when
 * a job gets its trigger. Minutes are those of the documented hash: 'job-1'
 * → 42, 'job-2' → 37 (pinned in crontab-dialects.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { triggerFromJSON } from '../../src/extend.ts';
import {
  AndTrigger,
  AsyncScheduler,
  CronTrigger,
  IntervalTrigger,
  OrTrigger,
  silentLogger,
  type Trigger,
} from '../../src/index.ts';
import { chain } from '../helpers/trigger-chains.ts';

const hourly = (): CronTrigger => CronTrigger.fromCrontab('H * * * *', { timezone: 'UTC' });

/** The trigger's first fire time from 09:00 UTC, 1 May 2024. */
const firstFrom9 = (trigger: Trigger): string | null =>
  chain(trigger, '2024-05-01T09:00:00Z', 1)[0] ?? null;

describe('CronTrigger.forJob', () => {
  it("binds 'H * * * *' to each job's id: minute 42 for 'job-1', 37 for 'job-2'", () => {
    const trigger = hourly();
    const one = trigger.forJob('job-1');
    const two = trigger.forJob('job-2');
    expect(one.seed).toBe('job-1');
    expect(two.seed).toBe('job-2');
    expect(firstFrom9(one)).toBe('2024-05-01T09:42:00+00:00');
    expect(firstFrom9(two)).toBe('2024-05-01T09:37:00+00:00');
    // The unbound trigger is unchanged (the empty-string seed: minute 14).
    expect(trigger.seed).toBeNull();
    expect(firstFrom9(trigger)).toBe('2024-05-01T09:14:00+00:00');
  });

  it('is the same as giving the job id as the seed', () => {
    const bound = hourly().forJob('job-1');
    const seeded = CronTrigger.fromCrontab('H * * * *', { timezone: 'UTC', seed: 'job-1' });
    expect(chain(bound, '2024-05-01T00:00:00Z', 5)).toEqual(
      chain(seeded, '2024-05-01T00:00:00Z', 5),
    );
    expect(bound.toJSON()).toEqual(seeded.toJSON());
  });

  it('keeps every other option: zone, bounds, jitter, DST override and day matching', () => {
    const trigger = CronTrigger.fromCrontab('H 9 * * *', {
      timezone: 'Europe/Berlin',
      startDate: '2024-05-03',
      endDate: '2024-05-05 23:00',
      jitter: 5,
      dst: { gap: 'skip' },
      dayMatching: 'and',
      random: () => 0,
    });
    const bound = trigger.forJob('job-1');
    const { seed: _ignored, ...rest } = bound.toJSON();
    const { seed: _none, ...expected } = trigger.toJSON();
    expect(rest).toEqual(expected);
    expect(bound.dst).toEqual(trigger.dst);
    expect(chain(bound, '2024-05-01T00:00:00Z', 4)).toEqual([
      '2024-05-03T07:42:00+00:00',
      '2024-05-04T07:42:00+00:00',
      '2024-05-05T07:42:00+00:00',
      null,
    ]);
  });

  it('returns the trigger itself when nothing depends on the job', () => {
    const plain = CronTrigger.fromCrontab('0 * * * *', { timezone: 'UTC' });
    const fields = new CronTrigger({ hour: 3, timezone: 'UTC' });
    const seeded = CronTrigger.fromCrontab('H * * * *', { timezone: 'UTC', seed: 'fixed' });
    expect(plain.forJob('job-1')).toBe(plain);
    expect(fields.forJob('job-1')).toBe(fields);
    expect(seeded.forJob('job-1')).toBe(seeded);
  });

  it('binds once: a bound trigger keeps its seed when bound again (a job restored from a store)', () => {
    const bound = hourly().forJob('job-1');
    expect(bound.forJob('job-2')).toBe(bound);
    const restored = triggerFromJSON(JSON.parse(JSON.stringify(bound.toJSON()))) as CronTrigger;
    expect(restored.seed).toBe('job-1');
    expect(restored.forJob('job-2')).toBe(restored);
    expect(firstFrom9(restored)).toBe('2024-05-01T09:42:00+00:00');
  });
});

describe('AndTrigger and OrTrigger pass forJob to their sub-triggers', () => {
  it('an OrTrigger binds each hashed sub-trigger and keeps the others', () => {
    const daily = CronTrigger.fromCrontab('0 12 * * *', { timezone: 'UTC' });
    const or = new OrTrigger([hourly(), daily]);
    const bound = or.forJob('job-2');
    expect(bound).not.toBe(or);
    expect((bound.triggers[0] as CronTrigger).seed).toBe('job-2');
    expect(bound.triggers[1]).toBe(daily);
    expect(chain(bound, '2024-05-01T11:40:00Z', 3)).toEqual([
      '2024-05-01T12:00:00+00:00',
      '2024-05-01T12:37:00+00:00',
      '2024-05-01T13:37:00+00:00',
    ]);
  });

  it('an AndTrigger binds its sub-triggers and keeps threshold and iteration limit', () => {
    const and = new AndTrigger(
      [hourly(), CronTrigger.fromCrontab('* 10 * * *', { timezone: 'UTC' })],
      { threshold: 0, maxIterations: 50 },
    );
    const bound = and.forJob('job-1');
    expect(bound.threshold).toBe(0);
    expect(bound.maxIterations).toBe(50);
    expect(chain(bound, '2024-05-01T00:00:00Z', 2)).toEqual([
      '2024-05-01T10:42:00+00:00',
      '2024-05-02T10:42:00+00:00',
    ]);
  });

  it('returns the combination itself when no sub-trigger depends on the job', () => {
    const or = new OrTrigger([
      new IntervalTrigger({ minutes: 5, startDate: '2024-05-01T00:00:00Z', timezone: 'UTC' }),
      CronTrigger.fromCrontab('0 * * * *', { timezone: 'UTC' }),
    ]);
    expect(or.forJob('job-1')).toBe(or);
    const and = new AndTrigger([or]);
    expect(and.forJob('job-1')).toBe(and);
  });

  it('reaches a hashed trigger nested two levels down', () => {
    const nested = new OrTrigger([new AndTrigger([hourly()])]);
    const bound = nested.forJob('job-1');
    const inner = (bound.triggers[0] as AndTrigger).triggers[0] as CronTrigger;
    expect(inner.seed).toBe('job-1');
  });
});

describe('the scheduler binds each job’s trigger to the job', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2024-05-01T09:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("two jobs with CronTrigger.fromCrontab('H * * * *') run at their own ids' minutes", async () => {
    const scheduler = new AsyncScheduler({ timezone: 'UTC', logger: silentLogger });
    await scheduler.start({ paused: true });
    try {
      const noop = (): void => {};
      const one = await scheduler.addJob(noop, hourly(), { id: 'job-1' });
      const two = await scheduler.addJob(noop, hourly(), { id: 'job-2' });
      expect(one.nextRunTime).toEqual(new Date('2024-05-01T09:42:00Z'));
      expect(two.nextRunTime).toEqual(new Date('2024-05-01T09:37:00Z'));
      expect((one.trigger as CronTrigger).seed).toBe('job-1');
      expect(one.trigger.toJSON()).toMatchObject({ seed: 'job-1' });

      const rescheduled = await scheduler.rescheduleJob(
        'job-2',
        CronTrigger.fromCrontab('H H * * *', { timezone: 'UTC' }),
      );
      // 'job-2' hashes to hour 1, minute 37.
      expect(rescheduled.nextRunTime).toEqual(new Date('2024-05-02T01:37:00Z'));
    } finally {
      await scheduler.shutdown({ wait: false });
    }
  });
});
