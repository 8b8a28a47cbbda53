/**
 * The job change log contract (src/stores/job-changes.ts), written once and
 * run unchanged against every store: `describeJobChangeLogContract(name,
 * open)` where `open()` gives two started stores on one database (the same
 * store twice where there is no database to share, as for the memory store).
 *
 * What it pins down: versions count from 1 and strictly increase per job,
 * also while two stores record changes of one job at once; changes read back
 * oldest first, exactly as written (the trigger as JSON); a read's limit
 * keeps the newest; a change the log cannot hold is a typed error and
 * nothing of its batch is recorded; any job id a store takes round-trips and
 * never mixes with another id's changes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import {
  InvalidJobChangeError,
  type JobChange,
  type JobChangeLog,
  jobChangeOf,
  type NewJobChange,
} from '../../src/stores/job-changes.ts';
import type { StoreOutage } from '../../src/stores/outages.ts';
import type { TriggerJSON } from '../../src/triggers/trigger.ts';
import { BASE_TIME, makeJob } from './store-contract.ts';

/** Two started stores on one database, and how to drop it. */
export interface JobChangeStores {
  readonly first: JobStore;
  readonly second: JobStore;
  cleanup(): Promise<void>;
}

function logOf(store: JobStore): JobChangeLog {
  if (store.jobChanges === undefined) throw new Error('this store has no job change log');
  return store.jobChanges;
}

const CRON: TriggerJSON = {
  type: 'cron',
  version: 1,
  fields: { hour: '3', minute: '30' },
  timezone: 'Europe/Berlin',
  startDate: '2026-03-01T00:00:00+01:00',
  endDate: null,
  jitter: null,
  note: 'nightly – ünïcode ✓ "quoted" \\ back\u0001slash',
  nested: [1, 2.5, -0.125, true, false, null, { deep: ['x'] }],
};

/** A change as a tool other than the scheduler would record it. */
export function change(jobId: string, overrides: Partial<NewJobChange> = {}): NewJobChange {
  return {
    jobId,
    kind: 'added',
    trigger: CRON,
    misfireGraceTime: 2.5,
    coalesce: true,
    maxInstances: 3,
    node: 'node-a',
    ...overrides,
  };
}

/** Ids no store may confuse: separators of the stores' own keys, prefixes of one another, SQL, Lua patterns, non-ASCII. */
export const HOSTILE_IDS: readonly string[] = [
  'a',
  'a:',
  '1:a:',
  'a:000000000001',
  "'; drop table jobs; --",
  '{horarium}',
  '*?[]%_\\',
  'ab',
  'ÿ',
  'Zürich 🕑',
  ' a ',
  'x'.repeat(191),
];

export function describeJobChangeLogContract(
  name: string,
  open: () => Promise<JobChangeStores>,
): void {
  describe(`${name}: job change log contract`, () => {
    let stores: JobChangeStores;
    let log: JobChangeLog;
    let other: JobChangeLog;

    beforeEach(async () => {
      stores = await open();
      log = logOf(stores.first);
      other = logOf(stores.second);
    });

    afterEach(async () => {
      await stores.cleanup();
    });

    it('reads a job with no recorded change as no changes', async () => {
      expect(await log.getJobChanges('never-recorded')).toEqual([]);
    });

    it('numbers a job’s changes from 1 and reads them back oldest first, exactly as recorded, at the store’s time', async () => {
      const before = Date.now();
      await log.recordJobChanges([change('j')]);
      await log.recordJobChanges([change('j', { kind: 'paused', node: null })]);
      await log.recordJobChanges([
        change('j', {
          kind: 'modified',
          trigger: { type: 'interval', version: 1, seconds: 90 },
          misfireGraceTime: null,
          coalesce: false,
          maxInstances: 1,
        }),
      ]);
      await log.recordJobChanges([
        change('j', { kind: 'removed', trigger: null, misfireGraceTime: null }),
      ]);
      const after = Date.now();
      const changes = await log.getJobChanges('j');
      expect(changes.map((c) => [c.version, c.kind])).toEqual([
        [1, 'added'],
        [2, 'paused'],
        [3, 'modified'],
        [4, 'removed'],
      ]);
      expect(changes[0]).toEqual({
        jobId: 'j',
        version: 1,
        kind: 'added',
        at: changes[0]?.at,
        trigger: CRON,
        misfireGraceTime: 2.5,
        coalesce: true,
        maxInstances: 3,
        node: 'node-a',
      });
      expect(changes[1]?.node).toBeNull();
      expect(changes[2]).toMatchObject({
        trigger: { type: 'interval', version: 1, seconds: 90 },
        misfireGraceTime: null,
        coalesce: false,
        maxInstances: 1,
      });
      expect(changes[3]?.trigger).toBeNull();
      // The store's clock, which the test's host shares (or nearly: a server on loopback).
      for (const c of changes) {
        expect(c.at).toBeGreaterThanOrEqual(before - 5000);
        expect(c.at).toBeLessThanOrEqual(after + 5000);
      }
      const times = changes.map((c) => c.at);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('records a batch in order, numbering each job on its own', async () => {
      await log.recordJobChanges([
        change('x'),
        change('y'),
        change('x', { kind: 'paused' }),
        change('x', { kind: 'resumed' }),
        change('y', { kind: 'removed', trigger: null }),
      ]);
      const x = await log.getJobChanges('x');
      const y = await log.getJobChanges('y');
      expect(x.map((c) => [c.version, c.kind])).toEqual([
        [1, 'added'],
        [2, 'paused'],
        [3, 'resumed'],
      ]);
      expect(y.map((c) => [c.version, c.kind])).toEqual([
        [1, 'added'],
        [2, 'removed'],
      ]);
    });

    it('keeps the newest changes when a read is limited, still oldest first', async () => {
      for (let i = 0; i < 5; i++)
        await log.recordJobChanges([
          change('l', { kind: i === 0 ? 'added' : 'modified', maxInstances: i + 1 }),
        ]);
      const newest = await log.getJobChanges('l', { limit: 2 });
      expect(newest.map((c) => [c.version, c.maxInstances])).toEqual([
        [4, 4],
        [5, 5],
      ]);
      await expect(log.getJobChanges('l', { limit: 0 })).rejects.toBeInstanceOf(
        InvalidJobChangeError,
      );
    });

    it('keeps versions strictly increasing while two stores record changes of one job at once', async () => {
      const writes: Promise<void>[] = [];
      for (let i = 0; i < 12; i++) {
        writes.push(
          log.recordJobChanges([change('shared', { kind: 'modified', maxInstances: i })]),
        );
        writes.push(
          other.recordJobChanges([change('shared', { kind: 'modified', maxInstances: 100 + i })]),
        );
      }
      await Promise.all(writes);
      const changes = await log.getJobChanges('shared');
      expect(changes.map((c) => c.version)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      // Every change is there once.
      expect(changes.map((c) => c.maxInstances).sort((a, b) => a - b)).toEqual([
        ...Array.from({ length: 12 }, (_, i) => i),
        ...Array.from({ length: 12 }, (_, i) => 100 + i),
      ]);
      expect(await other.getJobChanges('shared')).toEqual(changes);
    });

    it('reads what the other store recorded, numbered on from it', async () => {
      await log.recordJobChanges([change('both')]);
      await other.recordJobChanges([change('both', { kind: 'paused' })]);
      expect((await log.getJobChanges('both')).map((c) => [c.version, c.kind])).toEqual([
        [1, 'added'],
        [2, 'paused'],
      ]);
    });

    it('refuses an unknown kind, a trigger that is not JSON, and a removal with a trigger, with InvalidJobChangeError, recording nothing of the batch', async () => {
      const cyclic: Record<string, unknown> = { type: 'cron', version: 1 };
      cyclic.self = cyclic;
      const bad: NewJobChange[] = [
        change('bad', { kind: 'renamed' as never }),
        change('bad', { trigger: { type: 'cron', version: 1, f: () => 1 } }),
        change('bad', { trigger: { type: 'cron', version: 1, n: 10n } }),
        change('bad', { trigger: { type: 'cron', version: 1, n: Number.NaN } }),
        change('bad', { trigger: { type: 'cron', version: 1, d: new Date(BASE_TIME) } }),
        change('bad', { trigger: cyclic as TriggerJSON }),
        change('bad', { trigger: { version: 1 } as never }),
        change('bad', { kind: 'removed' }),
        change('bad', { maxInstances: '1' as never }),
      ];
      for (const item of bad) {
        await expect(log.recordJobChanges([change('bad'), item])).rejects.toBeInstanceOf(
          InvalidJobChangeError,
        );
      }
      expect(await log.getJobChanges('bad')).toEqual([]);
    });

    it('round-trips job ids that look like the store’s own separators, keys or statements, without mixing them', async () => {
      for (const [i, id] of HOSTILE_IDS.entries())
        await log.recordJobChanges([change(id, { maxInstances: i + 1 })]);
      await log.recordJobChanges([change('a', { kind: 'paused', maxInstances: 1 })]);
      for (const [i, id] of HOSTILE_IDS.entries()) {
        const changes = await log.getJobChanges(id);
        const expected: Partial<JobChange>[] = [{ jobId: id, version: 1, maxInstances: i + 1 }];
        if (id === 'a') expected.push({ jobId: 'a', version: 2, kind: 'paused' });
        expect(changes).toMatchObject(expected);
      }
    });

    it('records a change the scheduler makes of a job: its trigger’s JSON and its options', async () => {
      const job = makeJob('from-job', BASE_TIME, {
        coalesce: false,
        maxInstances: 2,
        misfireGraceTime: 30,
      });
      await log.recordJobChanges([
        jobChangeOf('added', job, 'node-b'),
        jobChangeOf('removed', job, null),
      ]);
      const changes = await log.getJobChanges('from-job');
      expect(changes).toMatchObject([
        {
          version: 1,
          kind: 'added',
          trigger: JSON.parse(JSON.stringify(job.trigger.toJSON())),
          misfireGraceTime: 30,
          coalesce: false,
          maxInstances: 2,
          node: 'node-b',
        },
        { version: 2, kind: 'removed', trigger: null, node: null },
      ]);
    });

    describe('store outage log', () => {
      const day = 86_400_000;
      const outage = (id: string, from: number, to: number, extra: Partial<StoreOutage> = {}) => ({
        id,
        node: 'node-a',
        from,
        to,
        operation: 'claimDueJobs',
        failures: 3,
        message: 'Error: connect ECONNREFUSED 127.0.0.1:5432',
        ...extra,
      });

      it('reads back the outages overlapping a span, latest start first, from either store', async () => {
        const first = stores.first.outages;
        const second = stores.second.outages;
        if (first === undefined || second === undefined) return;
        const t = BASE_TIME;
        await first.recordOutage(outage('o1', t, t + 60_000));
        await second.recordOutage(outage('o2', t + 120_000, t + 180_000, { node: 'node-b' }));
        await first.recordOutage(outage('o3', t + 600_000, t + 601_000));
        expect(await second.getOutages({ from: t + 30_000, to: t + 150_000, limit: 10 })).toEqual([
          outage('o2', t + 120_000, t + 180_000, { node: 'node-b' }),
          outage('o1', t, t + 60_000),
        ]);
        expect(
          (await first.getOutages({ from: t, to: t + day, limit: 2 })).map((o) => o.id),
        ).toEqual(['o3', 'o2']);
        expect(await first.getOutages({ from: t + 61_000, to: t + 119_000, limit: 10 })).toEqual(
          [],
        );
      });

      it('extends a record written again with its id, trims long messages and forgets old outages', async () => {
        const log = stores.first.outages;
        if (log === undefined) return;
        const t = BASE_TIME;
        await log.recordOutage(outage('old', t - 40 * day, t - 40 * day + 1000));
        await log.recordOutage(outage('o1', t, t + 1000));
        await log.recordOutage(
          outage('o1', t, t + 5000, {
            failures: 9,
            operation: 'commitClaims',
            message: 'x'.repeat(5000),
          }),
        );
        const read = await log.getOutages({ from: t - 50 * day, to: t + day, limit: 10 });
        expect(read.map((o) => [o.id, o.to, o.failures, o.operation, o.message.length])).toEqual([
          ['o1', t + 5000, 9, 'commitClaims', 500],
        ]);
      });
    });
  });
}
