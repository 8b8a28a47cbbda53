/**
 * The reasoning of explain, on facts laid out by hand: every verdict, the DST
 * gap and fold, and the trigger in force at the time asked about rather than
 * the job's current one.
 */
import { describe, expect, it } from 'vitest';
import { excludedDetail, readExcluded } from '../../../src/scheduler/history/excluded.ts';
import {
  type ExplainSource,
  explainFire,
  type NodeWindow,
  type StoredDefinition,
} from '../../../src/scheduler/history/explain.ts';
import { foldedDetail, readFolded } from '../../../src/scheduler/history/folded.ts';
import type { JobChange } from '../../../src/scheduler/history/job-change.ts';
import type { FireRecord, FireState } from '../../../src/stores/ledger.ts';
import type { StoreOutage } from '../../../src/stores/outages.ts';
import { CronTrigger } from '../../../src/triggers/cron/cron-trigger.ts';
import { DateTrigger } from '../../../src/triggers/date.ts';
import { IntervalTrigger } from '../../../src/triggers/interval.ts';
import type { Trigger } from '../../../src/triggers/trigger.ts';

const T = (iso: string) => Date.parse(iso);
const daily230 = new CronTrigger({ hour: 2, minute: 30, timezone: 'Europe/Berlin' });

function change(
  kind: JobChange['kind'],
  at: string,
  trigger: Trigger | null = daily230,
  version = 1,
): JobChange {
  return {
    jobId: 'nightly',
    version,
    kind,
    at: T(at),
    trigger: trigger === null ? null : trigger.toJSON(),
    misfireGraceTime: 60,
    coalesce: true,
    maxInstances: 1,
    node: 'node-a',
  };
}

function fire(state: FireState, scheduled: string, extra: Partial<FireRecord> = {}): FireRecord {
  const time = T(scheduled);
  return {
    fireId: `f-${time}`,
    jobId: 'nightly',
    scheduledTime: time,
    state,
    node: 'node-a',
    fence: 7,
    batchId: null,
    leaseUntil: null,
    claimedAt: time,
    startedAt: state === 'missed' || state === 'coalesced' ? null : time + 12,
    finishedAt: time + 500,
    recovering: false,
    attempt: 1,
    errorName: state === 'failed' ? 'TypeError' : null,
    errorMessage: state === 'failed' ? 'x is undefined' : null,
    detail: null,
    ...extra,
  };
}

interface Facts {
  now?: string;
  changes?: JobChange[];
  current?: StoredDefinition | null;
  fires?: FireRecord[];
  nodes?: NodeWindow[];
  outages?: StoreOutage[];
  oldest?: FireRecord;
}

function source(facts: Facts): ExplainSource {
  const fires = [...(facts.fires ?? [])].sort((a, b) => b.scheduledTime - a.scheduledTime);
  return {
    now: async () => T(facts.now ?? '2026-06-01T00:00:00Z'),
    changes: async () => facts.changes ?? [],
    current: async () => facts.current ?? null,
    firesUpTo: async (_job, to, limit) =>
      fires.filter((f) => f.scheduledTime <= to).slice(0, limit),
    oldestFire: async () => facts.oldest ?? fires.at(-1),
    nodesAlive: async (from, to) =>
      facts.nodes === undefined
        ? undefined
        : facts.nodes.filter((window) => window.from <= to && window.to >= from),
    outages: async (from, to) =>
      facts.outages === undefined
        ? undefined
        : facts.outages.filter((outage) => outage.from <= to && outage.to >= from),
    retention: 'the newest rows',
  };
}

const added = change('added', '2026-01-01T00:00:00Z');
const alive: NodeWindow[] = [
  { nodeId: 'node-a', from: T('2026-01-01T00:00:00Z'), to: T('2026-06-01T00:00:00Z') },
];

describe('explain', () => {
  it('says a fire ran, by whom, how late, and with which fencing token', async () => {
    const answer = await explainFire(
      source({
        changes: [added],
        fires: [fire('succeeded', '2026-03-10T01:30:00Z')],
        nodes: alive,
      }),
      'nightly',
      '2026-03-10 02:30',
    );
    expect(answer.verdict).toBe('ran');
    expect(answer.slot).toEqual(new Date('2026-03-10T01:30:00Z'));
    expect(answer.fire?.state).toBe('succeeded');
    expect(answer.evidence.join(' ')).toContain('fencing token 7');
    expect(answer.evidence.join(' ')).toContain('12 ms after its fire time');
  });

  it('says a fire waits for its retry, with the error and when it runs again', async () => {
    const time = '2026-03-10T01:30:00Z';
    const answer = await explainFire(
      source({
        changes: [added],
        fires: [
          fire('retried', time, {
            errorName: 'TypeError',
            errorMessage: 'fetch failed',
            leaseUntil: T(time) + 4000,
          }),
        ],
        nodes: alive,
      }),
      'nightly',
      '2026-03-10 02:30',
    );
    expect(answer.verdict).toBe('failed');
    const text = answer.evidence.join(' ');
    expect(text).toContain('(attempt 1) failed');
    expect(text).toContain('TypeError: fetch failed');
    expect(text).toContain('runs again at');
  });

  it('says a fire failed, with the error', async () => {
    const answer = await explainFire(
      source({ changes: [added], fires: [fire('failed', '2026-03-10T01:30:00Z')] }),
      'nightly',
      new Date('2026-03-10T01:30:00Z'),
    );
    expect(answer.verdict).toBe('failed');
    expect(answer.evidence.join(' ')).toContain('TypeError: x is undefined');
  });

  it.each([
    ['running', 'running'],
    ['claimed', 'running'],
    ['missed', 'missed'],
    ['skipped_max_instances', 'skipped_max_instances'],
    ['abandoned', 'abandoned'],
    ['timed_out', 'failed'],
    ['cancelled', 'failed'],
  ] as const)('maps a fire recorded %s to the verdict %s', async (state, verdict) => {
    const answer = await explainFire(
      source({ changes: [added], fires: [fire(state, '2026-03-10T01:30:00Z')] }),
      'nightly',
      '2026-03-10T01:30:00Z',
    );
    expect(answer.verdict).toBe(verdict);
  });

  it('answers for a wall time a DST gap skipped: 02:30 does not exist, the job fired at 03:30', async () => {
    // Europe/Berlin springs forward on 2026-03-29 at 02:00 → 03:00; 03:30 CEST is 01:30Z.
    const answer = await explainFire(
      source({ changes: [added], fires: [fire('succeeded', '2026-03-29T01:30:00Z')] }),
      'nightly',
      '2026-03-29 02:30',
    );
    expect(answer.verdict).toBe('ran');
    expect(answer.slot).toEqual(new Date('2026-03-29T01:30:00Z'));
    expect(answer.evidence[0]).toBe(
      '02:30 does not exist in Europe/Berlin on 2026-03-29 (clocks went forward by 1 h); a trigger that shifts such times fires it at 03:30.',
    );
  });

  it('explains a wall time a DST fold repeats by the occurrence the trigger fires at', async () => {
    // Every 30 minutes fires in both passes of 02:30 on 2026-10-25 (Berlin falls back at 03:00).
    const every30 = new CronTrigger({ minute: '*/30', timezone: 'Europe/Berlin' });
    const answer = await explainFire(
      source({
        changes: [change('added', '2026-10-01T00:00:00Z', every30)],
        fires: [fire('succeeded', '2026-10-25T00:30:00Z')],
      }),
      'nightly',
      '2026-10-25 02:30',
    );
    expect(answer.evidence[0]).toContain('02:30 occurs twice in Europe/Berlin on 2026-10-25');
    expect(answer.verdict).toBe('ran');
    expect(answer.slot).toEqual(new Date('2026-10-25T00:30:00Z'));
  });

  it('says a time is not a fire time, and names the nearest ones', async () => {
    const answer = await explainFire(source({ changes: [added] }), 'nightly', '2026-03-10 02:31');
    expect(answer.verdict).toBe('not_a_slot');
    expect(answer.slot).toEqual(new Date('2026-03-10T01:30:00Z'));
    expect(answer.evidence.join(' ')).toContain(
      '2026-03-10 02:30:00+01:00 and 2026-03-11 02:30:00+01:00',
    );
  });

  it('uses the trigger in force at the time, not the current one', async () => {
    const hourly = new CronTrigger({ minute: 0, timezone: 'UTC' });
    const changes = [added, change('modified', '2026-04-01T00:00:00Z', hourly, 2)];
    const before = await explainFire(
      source({ changes, nodes: alive }),
      'nightly',
      '2026-03-10T05:00:00Z',
    );
    expect(before.verdict).toBe('not_a_slot');
    const after = await explainFire(
      source({ changes, nodes: alive }),
      'nightly',
      '2026-04-10T05:00:00Z',
    );
    expect(after.slot).toEqual(new Date('2026-04-10T05:00:00Z'));
    expect(after.verdict).toBe('unknown');
  });

  it('says a job did not exist yet', async () => {
    const answer = await explainFire(
      source({ changes: [added] }),
      'nightly',
      '2025-12-30T01:30:00Z',
    );
    expect(answer.verdict).toBe('before_added');
    expect(answer.slot).toEqual(new Date('2026-01-01T01:30:00Z'));
  });

  it('says a job run at once ran, though its add was recorded a few milliseconds after its fire time', async () => {
    const now = new DateTrigger({ runDate: '2026-02-01T10:00:00.000Z' });
    const answer = await explainFire(
      source({
        changes: [change('added', '2026-02-01T10:00:00.004Z', now)],
        fires: [fire('succeeded', '2026-02-01T10:00:00.000Z')],
      }),
      'nightly',
      new Date('2026-02-01T10:00:00.000Z'),
    );
    expect(answer.verdict).toBe('ran');
  });

  it('says a fire the ledger holds ran, though it is older than the add’s record (a slow record, a skewed clock)', async () => {
    const everyMinute = new IntervalTrigger({
      minutes: 1,
      startDate: '2026-02-01T09:59:00Z',
      timezone: 'UTC',
    });
    const answer = await explainFire(
      source({
        changes: [change('added', '2026-02-01T10:00:00.200Z', everyMinute)],
        fires: [fire('succeeded', '2026-02-01T10:00:00Z')],
      }),
      'nightly',
      new Date('2026-02-01T10:00:00Z'),
    );
    expect(answer.verdict).toBe('ran');
    const earlier = await explainFire(
      source({
        changes: [change('added', '2026-02-01T10:00:00.200Z', everyMinute)],
        fires: [fire('succeeded', '2026-02-01T10:00:00Z')],
      }),
      'nightly',
      new Date('2026-02-01T09:59:00Z'),
    );
    expect(earlier.verdict).toBe('before_added');
  });

  it('says a trigger had ended', async () => {
    const once = new DateTrigger({ runDate: '2026-02-01T10:00:00Z' });
    const answer = await explainFire(
      source({ changes: [change('added', '2026-01-01T00:00:00Z', once)] }),
      'nightly',
      '2026-03-01T10:00:00Z',
    );
    expect(answer.verdict).toBe('after_end');
    expect(answer.slot).toEqual(new Date('2026-02-01T10:00:00Z'));
  });

  it('says a job was paused, and when it was resumed', async () => {
    const changes = [
      added,
      change('paused', '2026-03-09T12:00:00Z', daily230, 2),
      change('resumed', '2026-03-12T08:00:00Z', daily230, 3),
    ];
    const answer = await explainFire(
      source({ changes, nodes: alive }),
      'nightly',
      '2026-03-10 02:30',
    );
    expect(answer.verdict).toBe('paused');
    expect(answer.evidence.join(' ')).toContain(
      'paused at 2026-03-09 13:00:00+01:00 and resumed at 2026-03-12 09:00:00+01:00',
    );
  });

  it('says a job was removed', async () => {
    const changes = [added, change('removed', '2026-03-09T12:00:00Z', null, 2)];
    const answer = await explainFire(source({ changes }), 'nightly', '2026-03-10 02:30');
    expect(answer.verdict).toBe('removed');
  });

  it('reads the count and range of a coalesced row, and a row written before counts were recorded', () => {
    const row = fire('coalesced', '2026-03-08T01:30:00Z', {
      detail: 'at least 1,000 fire times folded into the run at 2026-03-11T01:30:00.000Z',
    });
    expect(readFolded(row)).toEqual({
      count: 1000,
      complete: false,
      from: T('2026-03-08T01:30:00Z'),
      into: T('2026-03-11T01:30:00Z'),
    });
    expect(
      readFolded({ ...row, detail: foldedDetail(3, true, new Date(T('2026-03-11T01:30:00Z'))) }),
    ).toMatchObject({ count: 3, complete: true });
    expect(
      readFolded({ ...row, detail: 'folded into the run at 2026-03-11T01:30:00.000Z' }),
    ).toMatchObject({ count: 1, complete: false });
    expect(readFolded({ ...row, detail: '<script>' })).toBeUndefined();
    expect(
      readFolded({
        ...row,
        detail: '0 fire times folded into the run at 2026-03-11T01:30:00.000Z',
      }),
    ).toBeUndefined();
  });

  it('says a fire time was coalesced into a later run', async () => {
    const coalesced = fire('coalesced', '2026-03-08T01:30:00Z', {
      detail: 'folded into the run at 2026-03-11T01:30:00.000Z',
    });
    const answer = await explainFire(
      source({ changes: [added], fires: [coalesced, fire('succeeded', '2026-03-11T01:30:00Z')] }),
      'nightly',
      '2026-03-10 02:30',
    );
    expect(answer.verdict).toBe('coalesced');
    expect(answer.fire?.fireId).toBe(coalesced.fireId);
  });

  it('reads the calendar, rule, count and range of an excluded row, and refuses an unreadable one', () => {
    const detail = excludedDetail({
      calendar: 'business "days"',
      reason: 'holiday 2026-12-24',
      count: 4,
      complete: true,
      first: new Date('2026-12-24T01:30:00Z'),
      last: new Date('2026-12-27T01:30:00Z'),
    });
    const row = fire('excluded', '2026-12-24T01:30:00Z', { detail });
    expect(readExcluded(row)).toEqual({
      calendar: 'business "days"',
      reason: 'holiday 2026-12-24',
      count: 4,
      complete: true,
      from: T('2026-12-24T01:30:00Z'),
      to: T('2026-12-27T01:30:00Z'),
    });
    const one = excludedDetail({
      calendar: 'nights',
      reason: null,
      count: 1,
      complete: true,
      first: new Date('2026-12-24T01:30:00Z'),
      last: new Date('2026-12-24T01:30:00Z'),
    });
    expect(one).toBe('excluded by calendar "nights": 1 fire time at 2026-12-24T01:30:00.000Z');
    expect(readExcluded({ ...row, detail: one })).toMatchObject({
      calendar: 'nights',
      reason: null,
      count: 1,
      to: T('2026-12-24T01:30:00Z'),
    });
    expect(
      readExcluded({
        ...row,
        detail:
          'excluded by calendar "x" (sat): at least 1,000 fire times from 2026-12-24T01:30:00.000Z to 2027-01-24T01:30:00.000Z',
      }),
    ).toMatchObject({ count: 1000, complete: false, reason: 'sat' });
    expect(readExcluded({ ...row, detail: '<script>' })).toBeUndefined();
    // A range ending before the row's own time, or no count, is no answer.
    expect(
      readExcluded({
        ...row,
        detail:
          'excluded by calendar "x": 2 fire times from 2026-12-20T01:30:00.000Z to 2026-12-21T01:30:00.000Z',
      }),
    ).toBeUndefined();
    expect(
      readExcluded({
        ...row,
        detail: 'excluded by calendar "x": 0 fire times at 2026-12-24T01:30:00.000Z',
      }),
    ).toBeUndefined();
    expect(readExcluded({ ...row, state: 'missed' })).toBeUndefined();
  });

  it('says a fire time inside an excluded stretch was excluded, naming the calendar and the rule', async () => {
    const excluded = fire('excluded', '2026-12-24T01:30:00Z', {
      detail: excludedDetail({
        calendar: 'business-days',
        reason: 'holiday 2026-12-24',
        count: 4,
        complete: true,
        first: new Date('2026-12-24T01:30:00Z'),
        last: new Date('2026-12-27T01:30:00Z'),
      }),
    });
    const facts = {
      now: '2027-01-10T00:00:00Z',
      changes: [added],
      fires: [excluded, fire('succeeded', '2026-12-28T01:30:00Z')],
      nodes: alive,
    };
    const inside = await explainFire(source(facts), 'nightly', '2026-12-26 02:30');
    expect(inside.verdict).toBe('excluded');
    expect(inside.fire?.fireId).toBe(excluded.fireId);
    expect(inside.evidence.at(-1)).toBe(
      'It was not run: calendar "business-days" of the job excluded it, one of 4 fire times it excluded from 2026-12-24 02:30:00+01:00 to 2026-12-27 02:30:00+01:00 (the first by the rule holiday 2026-12-24); a job skips the fire times its calendar excludes.',
    );
    const first = await explainFire(source(facts), 'nightly', '2026-12-24 02:30');
    expect(first.verdict).toBe('excluded');
    expect(first.evidence.at(-1)).toContain('calendar "business-days"');
    // The day after the stretch ran; a slot the row does not cover is not called excluded.
    expect((await explainFire(source(facts), 'nightly', '2026-12-28 02:30')).verdict).toBe('ran');
    expect(
      (await explainFire(source({ ...facts, fires: [excluded] }), 'nightly', '2026-12-29 02:30'))
        .verdict,
    ).not.toBe('excluded');
  });

  it("says a fire time without a record is excluded when the job's calendar excludes it now", async () => {
    const base = source({ now: '2026-12-20T00:00:00Z', changes: [added], nodes: alive });
    const answer = await explainFire(
      {
        ...base,
        calendarExclusion: async (_job, time) =>
          time === T('2026-12-24T01:30:00Z')
            ? { calendar: 'business-days', reason: 'holiday 2026-12-24' }
            : undefined,
      },
      'nightly',
      '2026-12-24 02:30',
    );
    expect(answer.verdict).toBe('excluded');
    expect(answer.evidence.at(-1)).toContain('calendar "business-days" of the job excludes it now');
    expect(answer.fire).toBeUndefined();
    // A time the calendar includes is still to come.
    expect((await explainFire(base, 'nightly', '2026-12-23 02:30')).verdict).toBe('unknown');
  });

  it('says no scheduler was alive when nothing was recorded and no node checked in', async () => {
    const answer = await explainFire(
      source({
        changes: [added],
        nodes: [
          { nodeId: 'node-a', from: T('2026-01-01T00:00:00Z'), to: T('2026-03-01T00:00:00Z') },
        ],
      }),
      'nightly',
      '2026-03-10 02:30',
    );
    expect(answer.verdict).toBe('no_node_alive');
    expect(answer.evidence.join(' ')).toContain('within its misfire grace time (60 s');
  });

  it('says the store was unavailable', async () => {
    const answer = await explainFire(
      source({
        changes: [added],
        nodes: alive,
        outages: [
          {
            id: 'outage-1',
            node: 'node-a',
            from: T('2026-03-10T01:29:00Z'),
            to: T('2026-03-10T01:35:00Z'),
            operation: 'claimDueJobs',
            failures: 40,
            message: 'connect ECONNREFUSED 127.0.0.1:5432',
          },
        ],
      }),
      'nightly',
      '2026-03-10 02:30',
    );
    expect(answer.verdict).toBe('store_unavailable');
    expect(answer.evidence.at(-1)).toContain('40 failed claimDueJobs: connect ECONNREFUSED');
  });

  it('says when a record may have been purged, and what it cannot know', async () => {
    const answer = await explainFire(
      source({ changes: [added], nodes: alive, oldest: fire('succeeded', '2026-05-01T00:30:00Z') }),
      'nightly',
      '2026-03-10 02:30',
    );
    expect(answer.verdict).toBe('unknown');
    expect(answer.evidence.at(-1)).toContain('may have been purged');
  });

  it('uses the current job when no change was recorded, and says a job it never knew is unknown', async () => {
    const every = new IntervalTrigger({
      minutes: 10,
      startDate: '2026-01-01T00:00:00Z',
      timezone: 'UTC',
    });
    const current: StoredDefinition = {
      trigger: every.toJSON(),
      paused: false,
      misfireGraceTime: 1,
      coalesce: true,
      maxInstances: 1,
    };
    const answer = await explainFire(
      source({ current, fires: [fire('succeeded', '2026-03-10T00:10:00Z')] }),
      'nightly',
      '2026-03-10T00:10:00Z',
    );
    expect(answer.verdict).toBe('ran');
    expect(answer.evidence[0]).toContain('No change of job "nightly" is recorded');
    const unknown = await explainFire(source({}), 'ghost', '2026-03-10T00:10:00Z');
    expect(unknown.verdict).toBe('unknown');
    expect(unknown.slot).toBeNull();
  });

  it('says a fire time is still to come', async () => {
    const answer = await explainFire(source({ changes: [added] }), 'nightly', '2026-07-01 02:30');
    expect(answer.verdict).toBe('unknown');
    expect(answer.evidence.at(-1)).toContain('is still to come');
  });

  it('finds the slot of a one-second job a year back without walking every fire time', async () => {
    const everySecond = new IntervalTrigger({
      seconds: 1,
      startDate: '2025-01-01T00:00:00Z',
      timezone: 'UTC',
    });
    const answer = await explainFire(
      source({
        changes: [change('added', '2025-01-01T00:00:00Z', everySecond)],
        now: '2026-06-01T00:00:00Z',
        nodes: alive,
      }),
      'nightly',
      '2026-03-10T00:00:00.500Z',
    );
    expect(answer.verdict).toBe('not_a_slot');
    expect(answer.slot).toEqual(new Date('2026-03-10T00:00:00Z'));
  });
});
