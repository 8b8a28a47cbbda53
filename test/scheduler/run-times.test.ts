/**
 * Planning a due job's run times (src/scheduler/run-times.ts) at millisecond
 * resolution (SPEC §2 "Precision"; "Main loop semantics": coalesce → only the
 * latest run time; "Catch-up is bounded ... it takes milliseconds"). Pure: the
 * tests pass `now`.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { DateTrigger, IntervalTrigger } from '../../src/index.ts';
import { MAX_BATCH_RUN_TIMES, planRuns } from '../../src/scheduler/loop/run-times.ts';
import { CountingTrigger } from '../helpers/scheduler-harness.ts';

const T0 = Date.parse('2024-01-01T00:00:00Z');
const MINUTE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const isos = (dates: readonly Date[]): string[] => dates.map((d) => d.toISOString());

/** An interval trigger of `ms` milliseconds on the grid T0 + k·ms, counting its calls. */
const everyMs = (ms: number): CountingTrigger =>
  new CountingTrigger(
    new IntervalTrigger({ milliseconds: ms, startDate: new Date(T0), timezone: 'UTC' }),
  );

describe('coalescing at millisecond resolution', () => {
  it('a 250 ms job 10 minutes behind runs once, at the latest grid time ≤ now, in a few trigger calls', () => {
    const trigger = everyMs(250);
    const now = T0 + 10 * MINUTE + 130;
    const plan = planRuns(trigger, new Date(T0), now, true);
    expect(isos(plan.runTimes)).toEqual(['2024-01-01T00:10:00.000Z']);
    expect(plan.next?.toISOString()).toBe('2024-01-01T00:10:00.250Z');
    expect(trigger.calls).toBeLessThan(60);
  });

  it('a grid time equal to now is the one that runs', () => {
    const trigger = everyMs(250);
    const now = T0 + 10 * MINUTE + 250;
    const plan = planRuns(trigger, new Date(T0), now, true);
    expect(isos(plan.runTimes)).toEqual(['2024-01-01T00:10:00.250Z']);
    expect(plan.next?.toISOString()).toBe('2024-01-01T00:10:00.500Z');
  });

  it('a 1 ms job 10 minutes behind runs once, at now, without walking 1000 fire times', () => {
    const trigger = everyMs(1);
    const now = T0 + 10 * MINUTE + 7;
    const plan = planRuns(trigger, new Date(T0), now, true);
    expect(isos(plan.runTimes)).toEqual([iso(now)]);
    expect(plan.next?.toISOString()).toBe(iso(now + 1));
    expect(trigger.calls).toBeLessThan(60);
  });

  it('a 250 ms job a year behind is caught up in few trigger calls', () => {
    const trigger = everyMs(250);
    const now = T0 + 366 * 24 * 60 * MINUTE + 999;
    const plan = planRuns(trigger, new Date(T0), now, true);
    expect(isos(plan.runTimes)).toEqual(['2025-01-01T00:00:00.750Z']);
    expect(trigger.calls).toBeLessThan(100);
  });

  test.prop(
    [
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 0, max: 3 * 24 * 60 * MINUTE }),
      fc.integer({ min: 0, max: 10_000 }),
    ],
    { numRuns: 200 },
  )(
    'the single run time is the latest grid time ≤ now, the next one follows it, in few calls',
    (step, behind, startOffset) => {
      const start = T0 + startOffset;
      const trigger = new CountingTrigger(
        new IntervalTrigger({ milliseconds: step, startDate: new Date(start), timezone: 'UTC' }),
      );
      const now = start + behind;
      const latest = start + Math.floor(behind / step) * step;
      const plan = planRuns(trigger, new Date(start), now, true);
      expect(isos(plan.runTimes)).toEqual([iso(latest)]);
      expect(plan.next?.toISOString()).toBe(iso(latest + step));
      expect(trigger.calls).toBeLessThan(100);
    },
  );
});

describe('catch-up without coalescing at millisecond resolution', () => {
  it('a 250 ms job 10 minutes behind gets its grid times in capped batches: 1000, 1000, then 401', () => {
    const trigger = everyMs(250);
    const now = T0 + 10 * MINUTE + 130;
    const batches: Date[][] = [];
    let next: Date | null = new Date(T0);
    while (next !== null && next.getTime() <= now) {
      const plan = planRuns(trigger, next, now, false);
      batches.push(plan.runTimes);
      next = plan.next;
    }
    expect(batches.map((b) => b.length)).toEqual([MAX_BATCH_RUN_TIMES, MAX_BATCH_RUN_TIMES, 401]);
    const all = batches.flat().map((d) => d.getTime());
    expect(all).toEqual(Array.from({ length: 2401 }, (_, i) => T0 + i * 250));
    expect(next?.toISOString()).toBe('2024-01-01T00:10:00.250Z');
  });

  it('a batch is never cut between two run times a millisecond apart: every due time runs once', () => {
    const trigger = everyMs(1);
    const now = T0 + 2500;
    const first = planRuns(trigger, new Date(T0), now, false);
    expect(first.runTimes).toHaveLength(MAX_BATCH_RUN_TIMES);
    expect(first.runTimes.at(-1)?.toISOString()).toBe('2024-01-01T00:00:00.999Z');
    expect(first.next?.toISOString()).toBe('2024-01-01T00:00:01.000Z');
  });
});

describe('date triggers at millisecond resolution', () => {
  it('a date job 100 ms late runs at its own millisecond and finishes', () => {
    const runDate = T0 + 100;
    const plan = planRuns(
      new DateTrigger({ runDate, timezone: 'UTC' }),
      new Date(runDate),
      T0 + 200,
      true,
    );
    expect(isos(plan.runTimes)).toEqual(['2024-01-01T00:00:00.100Z']);
    expect(plan.next).toBeNull();
  });
});
