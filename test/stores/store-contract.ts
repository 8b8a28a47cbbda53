/**
 * The job store contract (SPEC.md "Job stores", APScheduler reference §5.1),
 * written once and run against every store: `describeStoreContract('sqlite',
 * makeSqliteStore)` in that store's test file is all a new store needs.
 *
 * The suite only observes what a persistent store can reproduce: jobs are
 * compared by id and state, never by identity, and the jobs it creates have a
 * serializable trigger, JSON arguments and a function with a textual reference.
 * Ids are lowercase letters and digits, so that their code-unit order (the
 * order the contract demands) is also the order of any database collation.
 */
import { fc } from '@fast-check/vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobStore } from '../../src/extend.ts';
import { ConflictingIdError, IntervalTrigger, Job, JobLookupError } from '../../src/index.ts';
import type { JobState } from '../../src/jobs/job.ts';
import { storeTestContext, storeTestOwner } from '../helpers/store-context.ts';

/** A fresh, empty store (not started yet), and how to dispose of whatever it needed (a database, a client). */
export interface StoreUnderTest {
  store: JobStore;
  cleanup(): Promise<void>;
}

/** The function every contract job runs; importable through `CONTRACT_TASK_REF`, so stores can serialize and restore it. */
export function contractTask(label: string, count: number): string {
  return `${label} ${count}`;
}

/** `'file:///…/store-contract.ts:contractTask'`: a textual reference that resolves back to `contractTask`. */
export const CONTRACT_TASK_REF = `${import.meta.url}:contractTask`;

/** 2025-03-01 12:00:00.000 UTC: every time in the suite is an offset from it. */
export const BASE_TIME = Date.UTC(2025, 2, 1, 12, 0, 0, 0);

/**
 * A job in store `'default'` with this id and next run time (null = paused),
 * running `contractTask` every 5 minutes; `overrides` replace any other field
 * (passing a shared `trigger` saves building one per job in large tests).
 */
export function makeJob(
  id: string,
  nextRunTime: Date | number | null,
  overrides: Partial<JobState> = {},
): Job {
  const next = nextRunTime === null ? null : new Date(nextRunTime);
  const state: JobState = {
    id,
    name: 'contractTask',
    func: contractTask,
    funcRef: CONTRACT_TASK_REF,
    args: ['contract', 1],
    trigger:
      overrides.trigger ??
      new IntervalTrigger({ minutes: 5, startDate: next ?? BASE_TIME, timezone: 'UTC' }),
    executor: 'default',
    coalesce: true,
    maxInstances: 1,
    misfireGraceTime: null,
    timeout: null,
    recover: false,
    history: 'all',
    nextRunTime: next,
    ...overrides,
  };
  return new Job(storeTestOwner, state, 'default');
}

/** What the contract compares: `[id, next run time in epoch ms or null]`. */
type Entry = readonly [id: string, time: number | null];

function entries(jobs: readonly Job[]): Entry[] {
  return jobs.map((job) => [job.id, job.nextRunTime?.getTime() ?? null]);
}

function ids(jobs: readonly Job[]): string[] {
  return jobs.map((job) => job.id);
}

/** The contract's order: by time then id (code units), paused (null) last by id. */
function compareEntries([idA, timeA]: Entry, [idB, timeB]: Entry): number {
  if (timeA !== timeB) {
    if (timeA === null) return 1;
    if (timeB === null) return -1;
    return timeA - timeB;
  }
  if (idA < idB) return -1;
  return idA > idB ? 1 : 0;
}

async function expectRejection(
  promise: Promise<unknown>,
  errorClass: typeof ConflictingIdError | typeof JobLookupError,
  jobId: string,
): Promise<void> {
  const error: unknown = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(errorClass);
  expect((error as ConflictingIdError | JobLookupError).jobId).toBe(jobId);
}

type Operation =
  | { kind: 'add'; id: string; time: number | null }
  | { kind: 'addBatch'; jobs: { id: string; time: number | null }[] }
  | { kind: 'update'; id: string; time: number | null }
  | { kind: 'pause'; id: string }
  | { kind: 'remove'; id: string };

/** Run times on a 250 ms grid (so ties are common), about one in five jobs paused. */
const timeArb = fc.option(
  fc.integer({ min: 0, max: 12 }).map((step) => BASE_TIME + step * 250),
  { nil: null, freq: 4 },
);
const idArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'ab', 'a1');
const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('add'), id: idArb, time: timeArb }),
  fc.record({
    kind: fc.constant('addBatch'),
    jobs: fc.array(fc.record({ id: idArb, time: timeArb }), { maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('update'), id: idArb, time: timeArb }),
  fc.record({ kind: fc.constant('pause'), id: idArb }),
  fc.record({ kind: fc.constant('remove'), id: idArb }),
);
/** Query times on the grid and 1 ms before grid points. */
const probeArb = fc
  .tuple(fc.integer({ min: -1, max: 13 }), fc.boolean())
  .map(([step, justBefore]) => BASE_TIME + step * 250 - (justBefore ? 1 : 0));

/**
 * Applies `operation` to the store and to the reference model (id → time),
 * checking that the store refuses exactly what the model says is invalid.
 */
async function applyOperation(
  store: JobStore,
  model: Map<string, number | null>,
  operation: Operation,
): Promise<void> {
  switch (operation.kind) {
    case 'add': {
      const promise = store.addJob(makeJob(operation.id, operation.time));
      if (model.has(operation.id)) {
        await expectRejection(promise, ConflictingIdError, operation.id);
      } else {
        await promise;
        model.set(operation.id, operation.time);
      }
      return;
    }
    case 'addBatch': {
      if (store.addJobs === undefined) return;
      const seen = new Set<string>();
      const conflict = operation.jobs.find((job) => {
        const repeated = model.has(job.id) || seen.has(job.id);
        seen.add(job.id);
        return repeated;
      });
      const promise = store.addJobs(operation.jobs.map((job) => makeJob(job.id, job.time)));
      if (conflict !== undefined) {
        await expectRejection(promise, ConflictingIdError, conflict.id);
      } else {
        await promise;
        for (const job of operation.jobs) model.set(job.id, job.time);
      }
      return;
    }
    case 'update':
    case 'pause': {
      const time = operation.kind === 'update' ? operation.time : null;
      const promise = store.updateJob(makeJob(operation.id, time));
      if (model.has(operation.id)) {
        await promise;
        model.set(operation.id, time);
      } else {
        await expectRejection(promise, JobLookupError, operation.id);
      }
      return;
    }
    case 'remove': {
      const promise = store.removeJob(operation.id);
      if (model.has(operation.id)) {
        await promise;
        model.delete(operation.id);
      } else {
        await expectRejection(promise, JobLookupError, operation.id);
      }
      return;
    }
  }
}

/**
 * Two stores on one backend: `one` updates 400 due jobs in a batch while `two`
 * removes a third of them, five rounds. A removed job must stay removed (the
 * batch reports it missing, or updates it just before the removal), and every
 * other job must carry its new run time. `afterRound` checks backend details.
 */
export async function expectBatchUpdateNeverRestoresRemovedJobs(
  one: JobStore,
  two: JobStore,
  afterRound: (left: Job[]) => Promise<void> = async () => {},
): Promise<void> {
  const addJobs = one.addJobs?.bind(one);
  const updateJobs = one.updateJobs?.bind(one);
  const removeJobs = two.removeJobs?.bind(two);
  if (addJobs === undefined || updateJobs === undefined || removeJobs === undefined)
    throw new Error('the store has no batch addJobs/updateJobs/removeJobs');
  const ids = Array.from({ length: 400 }, (_, i) => `job-${i}`);
  for (let round = 0; round < 5; round++) {
    await addJobs(ids.map((id) => makeJob(id, BASE_TIME)));
    const removed = ids.filter((_, i) => (i + round) % 3 === 0);
    const [missing, notFound] = await Promise.all([
      updateJobs(ids.map((id) => makeJob(id, BASE_TIME + 1000))),
      removeJobs(removed),
    ]);
    expect(notFound).toEqual([]);
    // Each removed job was either updated first (then removed) or skipped.
    for (const id of missing) expect(removed).toContain(id);
    const left = await one.getAllJobs();
    expect(left.map((job) => job.id).sort()).toEqual(
      ids.filter((id) => !removed.includes(id)).sort(),
    );
    for (const job of left) expect(job.nextRunTime).toEqual(new Date(BASE_TIME + 1000));
    await afterRound(left);
    await one.removeAllJobs();
  }
}

/**
 * Registers the contract suite for one store. Each test gets a new store from
 * `makeStore`, starts it, and shuts it down and calls `cleanup` afterwards.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => Promise<StoreUnderTest>,
): void {
  describe(`${name}: job store contract`, () => {
    let store: JobStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      cleanup = made.cleanup;
      await store.start(storeTestContext(), 'default');
    });

    afterEach(async () => {
      await store.shutdown();
      await cleanup();
    });

    async function addAll(...jobs: Job[]): Promise<void> {
      for (const job of jobs) await store.addJob(job);
    }

    it('keeps named calendars: added, refused again unless replaced, listed by name, removed', async (context) => {
      const calendars = store.calendars;
      if (calendars === undefined)
        return context.skip(
          'this store keeps no named calendars (the JobStore interface makes them optional)',
        );
      expect(await calendars.getCalendars()).toEqual([]);
      const weekends = '{"type":"weekly","version":1,"timezone":"UTC","excludeDays":["sat","sun"]}';
      const holidays =
        '{"type":"holiday","version":1,"timezone":"Europe/Berlin","dates":["2026-12-25"]}';
      expect(await calendars.putCalendar('weekends', weekends, false)).toBe(true);
      expect(await calendars.putCalendar('holidays', holidays, false)).toBe(true);
      expect(await calendars.putCalendar('weekends', holidays, false)).toBe(false);
      expect(await calendars.getCalendars()).toEqual([
        { name: 'holidays', state: holidays },
        { name: 'weekends', state: weekends },
      ]);
      expect(await calendars.putCalendar('weekends', holidays, true)).toBe(true);
      expect((await calendars.getCalendars())[1]).toEqual({ name: 'weekends', state: holidays });
      expect(await calendars.removeCalendar('weekends')).toBe(true);
      expect(await calendars.removeCalendar('weekends')).toBe(false);
      expect(await calendars.getCalendars()).toEqual([{ name: 'holidays', state: holidays }]);
    });

    it('starts empty: no jobs, nothing due, no next run time', async () => {
      expect(await store.getAllJobs()).toEqual([]);
      expect(await store.getDueJobs(new Date(BASE_TIME + 1e12))).toEqual([]);
      expect(await store.getNextRunTime()).toBeNull();
    });

    it('lists every job by next run time, then id, with paused jobs last by id', async () => {
      await addAll(
        makeJob('c', BASE_TIME + 1000),
        makeJob('p2', null),
        makeJob('a', BASE_TIME + 1000),
        makeJob('b', BASE_TIME),
        makeJob('p1', null),
        makeJob('d', BASE_TIME + 500),
      );
      expect(entries(await store.getAllJobs())).toEqual([
        ['b', BASE_TIME],
        ['d', BASE_TIME + 500],
        ['a', BASE_TIME + 1000],
        ['c', BASE_TIME + 1000],
        ['p1', null],
        ['p2', null],
      ]);
    });

    it('looks a job up by id with its whole state, and returns null for an unknown id', async () => {
      const job = makeJob('report', BASE_TIME + 1234, {
        name: 'daily report',
        args: ['x', 42],
        executor: 'threads',
        coalesce: false,
        maxInstances: 3,
        misfireGraceTime: 30,
        timeout: 60,
      });
      await addAll(job, makeJob('paused', null));
      const found = await store.lookupJob('report');
      expect(found).not.toBeNull();
      expect(found?.state()).toMatchObject({
        id: 'report',
        name: 'daily report',
        funcRef: CONTRACT_TASK_REF,
        args: ['x', 42],
        executor: 'threads',
        coalesce: false,
        maxInstances: 3,
        misfireGraceTime: 30,
        timeout: 60,
        nextRunTime: new Date(BASE_TIME + 1234),
      });
      expect(String(found?.trigger)).toBe(String(job.trigger));
      expect((await store.lookupJob('paused'))?.nextRunTime).toBeNull();
      expect(await store.lookupJob('missing')).toBeNull();
    });

    it('treats a job due at 12:00:00.500 as not due at 12:00:00.499 and due at 12:00:00.500', async () => {
      await addAll(makeJob('half', BASE_TIME + 500));
      expect(await store.getDueJobs(new Date(BASE_TIME + 499))).toEqual([]);
      expect(ids(await store.getDueJobs(new Date(BASE_TIME + 500)))).toEqual(['half']);
      expect((await store.getNextRunTime())?.getTime()).toBe(BASE_TIME + 500);
    });

    it('returns due jobs by next run time then id, never later or paused ones', async () => {
      await addAll(
        makeJob('later', BASE_TIME + 1001),
        makeJob('z', BASE_TIME),
        makeJob('paused', null),
        makeJob('y', BASE_TIME - 60_000),
        makeJob('x', BASE_TIME),
        makeJob('now', BASE_TIME + 1000),
      );
      expect(entries(await store.getDueJobs(new Date(BASE_TIME + 1000)))).toEqual([
        ['y', BASE_TIME - 60_000],
        ['x', BASE_TIME],
        ['z', BASE_TIME],
        ['now', BASE_TIME + 1000],
      ]);
      expect(await store.getDueJobs(new Date(BASE_TIME - 60_001))).toEqual([]);
    });

    it('never returns paused jobs as due, however late it is', async () => {
      await addAll(makeJob('paused', null));
      expect(await store.getDueJobs(new Date(BASE_TIME + 1e12))).toEqual([]);
    });

    it('gives the earliest next run time, and null when every job is paused', async () => {
      await addAll(makeJob('p', null));
      expect(await store.getNextRunTime()).toBeNull();
      await addAll(makeJob('b', BASE_TIME + 2001), makeJob('a', BASE_TIME + 2000));
      expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 2000));
      await store.removeJob('a');
      expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 2001));
    });

    it('refuses a second job with an existing id (ConflictingIdError) and keeps the first', async () => {
      await addAll(makeJob('a', BASE_TIME), makeJob('p', null));
      await expectRejection(store.addJob(makeJob('a', BASE_TIME - 1000)), ConflictingIdError, 'a');
      await expectRejection(store.addJob(makeJob('p', BASE_TIME)), ConflictingIdError, 'p');
      await expectRejection(store.addJob(makeJob('a', null)), ConflictingIdError, 'a');
      expect(entries(await store.getAllJobs())).toEqual([
        ['a', BASE_TIME],
        ['p', null],
      ]);
    });

    it('refuses to update or remove an unknown id (JobLookupError) and adds nothing', async () => {
      await addAll(makeJob('a', BASE_TIME));
      await expectRejection(store.updateJob(makeJob('b', BASE_TIME)), JobLookupError, 'b');
      await expectRejection(store.updateJob(makeJob('c', null)), JobLookupError, 'c');
      await expectRejection(store.removeJob('b'), JobLookupError, 'b');
      expect(ids(await store.getAllJobs())).toEqual(['a']);
      expect(await store.lookupJob('b')).toBeNull();
    });

    it('never reaches a stored job through an id that differs only by a lone surrogate', async () => {
      // UTF-8 backends turn a lone surrogate into U+FFFD when they encode it, so the
      // id 'x\uD800' sent as is would arrive as the stored 'x\uFFFD'.
      await addAll(makeJob('x\uFFFD', BASE_TIME), makeJob('y\uFFFD', null));
      for (const lone of ['x\uD800', 'y\uDC00']) {
        expect(await store.lookupJob(lone)).toBeNull();
        await expectRejection(store.updateJob(makeJob(lone, BASE_TIME + 5)), JobLookupError, lone);
        await expectRejection(store.removeJob(lone), JobLookupError, lone);
      }
      if (store.updateJobs !== undefined)
        expect(await store.updateJobs([makeJob('x\uD800', BASE_TIME + 5)])).toEqual(['x\uD800']);
      if (store.removeJobs !== undefined)
        expect(await store.removeJobs(['x\uDFFF', 'y\uD800'])).toEqual(['x\uDFFF', 'y\uD800']);
      const all = await store.getAllJobs();
      expect(ids(all)).toEqual(['x\uFFFD', 'y\uFFFD']);
      expect(all.map((job) => job.nextRunTime?.getTime() ?? null)).toEqual([BASE_TIME, null]);
    });

    it('replaces a job on update and moves it to its new place in the order', async () => {
      await addAll(
        makeJob('a', BASE_TIME),
        makeJob('b', BASE_TIME + 1000),
        makeJob('c', BASE_TIME + 2000),
      );
      await store.updateJob(makeJob('a', BASE_TIME + 3000, { name: 'renamed' }));
      expect(entries(await store.getAllJobs())).toEqual([
        ['b', BASE_TIME + 1000],
        ['c', BASE_TIME + 2000],
        ['a', BASE_TIME + 3000],
      ]);
      expect((await store.lookupJob('a'))?.name).toBe('renamed');
      await store.updateJob(makeJob('c', BASE_TIME - 1));
      expect(ids(await store.getDueJobs(new Date(BASE_TIME)))).toEqual(['c']);
      expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME - 1));
    });

    it('pauses a job by updating it with no next run time, and resumes it with one', async () => {
      await addAll(makeJob('a', BASE_TIME), makeJob('b', BASE_TIME + 1000));
      await store.updateJob(makeJob('a', null));
      expect(entries(await store.getAllJobs())).toEqual([
        ['b', BASE_TIME + 1000],
        ['a', null],
      ]);
      expect(ids(await store.getDueJobs(new Date(BASE_TIME + 1000)))).toEqual(['b']);
      expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME + 1000));

      await store.updateJob(makeJob('a', BASE_TIME + 2000));
      expect(entries(await store.getAllJobs())).toEqual([
        ['b', BASE_TIME + 1000],
        ['a', BASE_TIME + 2000],
      ]);
    });

    it('removes only the job asked for, paused or not', async () => {
      await addAll(makeJob('a', BASE_TIME), makeJob('b', BASE_TIME), makeJob('p', null));
      await store.removeJob('a');
      await store.removeJob('p');
      expect(ids(await store.getAllJobs())).toEqual(['b']);
      expect(await store.lookupJob('a')).toBeNull();
      expect(await store.lookupJob('p')).toBeNull();
    });

    it('removes every job at once', async () => {
      await addAll(makeJob('a', BASE_TIME), makeJob('p', null));
      await store.removeAllJobs();
      expect(await store.getAllJobs()).toEqual([]);
      expect(await store.getNextRunTime()).toBeNull();
      await addAll(makeJob('a', BASE_TIME));
      expect(ids(await store.getAllJobs())).toEqual(['a']);
    });

    describe('updateJobs and removeJobs (batches)', () => {
      it('updateJobs replaces stored jobs, changed or not, keeps the last version of a repeat, and returns the ids it skipped', async ({
        skip,
      }) => {
        if (store.updateJobs === undefined) return skip('the store has no updateJobs');
        const same = makeJob('same', BASE_TIME);
        await addAll(
          same,
          makeJob('moved', BASE_TIME),
          makeJob('paused', BASE_TIME),
          makeJob('resumed', null),
        );
        const missing = await store.updateJobs([
          same,
          makeJob('moved', BASE_TIME + 1000),
          makeJob('gone', BASE_TIME),
          makeJob('paused', BASE_TIME + 5),
          makeJob('paused', null),
          makeJob('resumed', null),
          makeJob('resumed', BASE_TIME + 7),
          makeJob('gone', null),
        ]);
        // One entry per skipped job; the order is the store's.
        expect([...missing].sort()).toEqual(['gone', 'gone']);
        expect(entries(await store.getAllJobs())).toEqual([
          ['same', BASE_TIME],
          ['resumed', BASE_TIME + 7],
          ['moved', BASE_TIME + 1000],
          ['paused', null],
        ]);
        expect(await store.lookupJob('gone')).toBeNull();
        expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME));
      });

      it('removeJobs removes the ids it finds, once each, and returns the others', async ({
        skip,
      }) => {
        if (store.removeJobs === undefined) return skip('the store has no removeJobs');
        await addAll(makeJob('a', BASE_TIME), makeJob('b', null), makeJob('c', BASE_TIME));
        const missing = await store.removeJobs(['a', 'x', 'b', 'a']);
        expect([...missing].sort()).toEqual(['a', 'x']);
        expect(ids(await store.getAllJobs())).toEqual(['c']);
        expect(await store.lookupJob('b')).toBeNull();
      });

      it('updateJobs and removeJobs of no jobs change nothing and return no ids', async ({
        skip,
      }) => {
        if (store.updateJobs === undefined || store.removeJobs === undefined)
          return skip('the store has no batch methods');
        await addAll(makeJob('kept', BASE_TIME));
        expect(await store.updateJobs([])).toEqual([]);
        expect(await store.removeJobs([])).toEqual([]);
        expect(entries(await store.getAllJobs())).toEqual([['kept', BASE_TIME]]);
      });
    });

    describe('addJobs (bulk, all or nothing)', () => {
      it('adds every job of the batch', async ({ skip }) => {
        if (store.addJobs === undefined) return skip('the store has no addJobs');
        await store.addJobs([
          makeJob('b', BASE_TIME + 1),
          makeJob('p', null),
          makeJob('a', BASE_TIME + 1),
        ]);
        expect(entries(await store.getAllJobs())).toEqual([
          ['a', BASE_TIME + 1],
          ['b', BASE_TIME + 1],
          ['p', null],
        ]);
      });

      it('adds nothing when one id already exists in the store', async ({ skip }) => {
        if (store.addJobs === undefined) return skip('the store has no addJobs');
        await addAll(makeJob('b', BASE_TIME));
        await expectRejection(
          store.addJobs([makeJob('a', BASE_TIME), makeJob('b', BASE_TIME), makeJob('c', null)]),
          ConflictingIdError,
          'b',
        );
        expect(entries(await store.getAllJobs())).toEqual([['b', BASE_TIME]]);
      });

      it('adds nothing when an id repeats within the batch', async ({ skip }) => {
        if (store.addJobs === undefined) return skip('the store has no addJobs');
        await expectRejection(
          store.addJobs([makeJob('a', BASE_TIME), makeJob('b', null), makeJob('a', null)]),
          ConflictingIdError,
          'a',
        );
        expect(await store.getAllJobs()).toEqual([]);
      });
    });

    it('matches a sorted-list model after any sequence of adds, updates, pauses and removals', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(operationArb, { maxLength: 50 }),
          fc.array(probeArb, { minLength: 1, maxLength: 3 }),
          async (operations, probes) => {
            await store.removeAllJobs();
            const model = new Map<string, number | null>();
            for (const operation of operations) await applyOperation(store, model, operation);

            const expected = [...model].sort(compareEntries);
            expect(entries(await store.getAllJobs())).toEqual(expected);
            for (const probe of probes) {
              expect(entries(await store.getDueJobs(new Date(probe)))).toEqual(
                expected.filter(([, time]) => time !== null && time <= probe),
              );
            }
            const first = expected[0];
            expect((await store.getNextRunTime())?.getTime() ?? null).toBe(first?.[1] ?? null);
            for (const [id, time] of model) {
              const found = await store.lookupJob(id);
              expect(found?.id).toBe(id);
              expect(found?.nextRunTime?.getTime() ?? null).toBe(time);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });
}
