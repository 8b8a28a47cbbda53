/**
 * MemoryJobStore: the store contract, plus what only a memory store promises —
 * jobs kept by reference, jobs dropped at shutdown (as APScheduler's), due-job
 * queries that do not scan the store, and the heap's invariants.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  ConflictingIdError,
  IntervalTrigger,
  JobLookupError,
  MemoryJobStore,
} from '../../src/index.ts';
import type { Job } from '../../src/jobs/job.ts';
import { duePositions, HEAP_ARITY, JobHeap, parentOf } from '../../src/stores/memory/job-heap.ts';
import { storeTestContext } from '../helpers/store-context.ts';
import { BASE_TIME, describeStoreContract, makeJob } from './store-contract.ts';

describeStoreContract('MemoryJobStore', async () => ({
  store: new MemoryJobStore(),
  cleanup: async () => {},
}));

async function startedStore(): Promise<MemoryJobStore> {
  const store = new MemoryJobStore();
  await store.start(storeTestContext(), 'default');
  return store;
}

describe('MemoryJobStore', () => {
  it('keeps jobs by reference, so a closure works as a job function', async () => {
    const store = await startedStore();
    let calls = 0;
    const job = makeJob('closure', BASE_TIME, { func: () => ++calls, funcRef: null });
    await store.addJob(job);
    expect(await store.lookupJob('closure')).toBe(job);
    expect((await store.getAllJobs())[0]).toBe(job);
    const [due] = await store.getDueJobs(new Date(BASE_TIME));
    expect(due).toBe(job);
    due?.func();
    expect(calls).toBe(1);
  });

  it('stores the new Job object on update', async () => {
    const store = await startedStore();
    await store.addJob(makeJob('a', BASE_TIME));
    const replacement = makeJob('a', BASE_TIME + 60_000);
    await store.updateJob(replacement);
    expect(await store.lookupJob('a')).toBe(replacement);
    const paused = makeJob('a', null);
    await store.updateJob(paused);
    expect(await store.lookupJob('a')).toBe(paused);
  });

  it('drops every job at shutdown, as APScheduler’s memory store does', async () => {
    const store = await startedStore();
    await store.addJob(makeJob('a', BASE_TIME));
    await store.addJob(makeJob('p', null));
    await store.shutdown();
    expect(await store.getAllJobs()).toEqual([]);
  });

  it('never sees a job whose next run time is an invalid Date: such a Job cannot be built', async () => {
    const store = await startedStore();
    await store.addJob(makeJob('a', BASE_TIME));
    const trigger = new IntervalTrigger({ minutes: 5, timezone: 'UTC' });
    expect(() => makeJob('bad', Number.NaN, { trigger })).toThrow(
      /Job "bad" has an invalid next run time/,
    );
    expect(await store.getAllJobs()).toHaveLength(1);
    expect((await store.lookupJob('a'))?.nextRunTime).toEqual(new Date(BASE_TIME));
  });

  it('finds the 5 due jobs among 100,000 scheduled ones', async () => {
    const store = await startedStore();
    const trigger = new IntervalTrigger({ minutes: 5, timezone: 'UTC' });
    const jobs: Job[] = [];
    for (let i = 0; i < 100_000; i++) {
      const nextRunTime = BASE_TIME + 60_000 + ((i * 7919) % 100_000) * 1000;
      jobs.push(makeJob(`job${i}`, nextRunTime, { trigger }));
    }
    await store.addJobs(jobs);
    for (const id of ['due3', 'due1', 'due2']) await store.addJob(makeJob(id, BASE_TIME));
    await store.addJob(makeJob('due0', BASE_TIME - 1));
    await store.addJob(makeJob('due4', BASE_TIME + 59_999));
    const due = await store.getDueJobs(new Date(BASE_TIME + 59_999));
    expect(due.map((job) => job.id)).toEqual(['due0', 'due1', 'due2', 'due3', 'due4']);
    expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME - 1));
  });
});

describe('synchronous addJobSync / updateJobSync', () => {
  it('behave as addJob / updateJob, with the same errors', async () => {
    const store = new MemoryJobStore();
    await store.start(storeTestContext(), 'default');
    store.addJobSync(makeJob('a', BASE_TIME + 1_000));
    store.addJobSync(makeJob('b', null));
    expect(() => store.addJobSync(makeJob('a', BASE_TIME))).toThrow(ConflictingIdError);
    expect(() => store.addJobSync(makeJob('b', BASE_TIME))).toThrow(ConflictingIdError);
    store.updateJobSync(makeJob('b', BASE_TIME));
    store.updateJobSync(makeJob('a', null));
    expect(() => store.updateJobSync(makeJob('c', BASE_TIME))).toThrow(JobLookupError);
    expect((await store.getAllJobs()).map((job) => job.id)).toEqual(['b', 'a']);
    expect(await store.getNextRunTime()).toEqual(new Date(BASE_TIME));
  });
});

describe('duePositions (the pruned walk behind getDueJobs)', () => {
  it('reads at most 4k + 1 run times to find k due jobs in a heap of 100,000', () => {
    const heap = new JobHeap();
    const trigger = new IntervalTrigger({ minutes: 5, timezone: 'UTC' });
    const background = Array.from({ length: 100_000 }, (_, i) =>
      makeJob(`job${i}`, null, { trigger }),
    );
    for (const [i, job] of background.entries()) heap.push(job, 1_000 + ((i * 7919) % 100_000));
    for (const k of [0, 1, 7, 30]) {
      for (let i = 0; i < k; i++) heap.push(makeJob(`due${k}-${i}`, null), i % 3);
      const heapTimes = Array.from({ length: heap.size }, (_, position) => heap.timeAt(position));
      let reads = 0;
      const countingTimes = new Proxy(heapTimes, {
        get(target, property, receiver) {
          if (typeof property === 'string' && /^\d+$/.test(property)) reads++;
          return Reflect.get(target, property, receiver);
        },
      });
      const due = duePositions(countingTimes, heap.size, 999);
      expect(due.map((position) => heap.jobAt(position).id).sort()).toEqual(
        Array.from({ length: k }, (_, i) => `due${k}-${i}`).sort(),
      );
      expect(reads).toBeLessThanOrEqual(HEAP_ARITY * k + 1);
      for (const position of due.sort((a, b) => b - a)) heap.removeAt(position);
    }
  });
});

type HeapOperation =
  | { kind: 'push'; id: number; time: number }
  | { kind: 'replace'; pick: number; time: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'replaceMany'; picks: number[]; times: number[] }
  | { kind: 'removeMany'; picks: number[]; absent: number };

const heapTimeArb = fc.integer({ min: 0, max: 50 });
const heapOperationArb: fc.Arbitrary<HeapOperation> = fc.oneof(
  fc.record({ kind: fc.constant('push'), id: fc.nat(), time: heapTimeArb }),
  fc.record({ kind: fc.constant('replace'), pick: fc.nat(), time: heapTimeArb }),
  fc.record({ kind: fc.constant('remove'), pick: fc.nat() }),
  // Batches from one job to more than the heap holds, so that both the one-by-one and the rebuild paths run.
  fc.record({
    kind: fc.constant('replaceMany'),
    picks: fc.array(fc.nat(), { maxLength: 120 }),
    times: fc.array(heapTimeArb, { minLength: 120, maxLength: 120 }),
  }),
  fc.record({
    kind: fc.constant('removeMany'),
    picks: fc.array(fc.nat(), { maxLength: 120 }),
    absent: fc.nat({ max: 3 }),
  }),
);

/** No child runs before its parent, and every job's recorded position is where it is. */
function expectHeapInvariant(heap: JobHeap): void {
  for (let position = 0; position < heap.size; position++) {
    const job = heap.jobAt(position);
    expect(heap.positionOf(job.id)).toBe(position);
    if (position === 0) continue;
    const parent = parentOf(position);
    expect(heap.timeAt(parent), `parent ${parent} not after child ${position}`).toBeLessThanOrEqual(
      heap.timeAt(position),
    );
  }
}

describe('JobHeap', () => {
  test.prop([fc.array(heapOperationArb, { minLength: 20, maxLength: 200 })])(
    'keeps the heap order and the position index after any operations',
    (operations) => {
      const heap = new JobHeap();
      const model = new Map<string, number>();

      for (const operation of operations) {
        switch (operation.kind) {
          case 'push': {
            const id = `j${operation.id % 200}`;
            if (model.has(id)) break;
            heap.push(makeJob(id, null), operation.time);
            model.set(id, operation.time);
            break;
          }
          case 'replace': {
            if (heap.size === 0) break;
            const position = operation.pick % heap.size;
            const id = heap.jobAt(position).id;
            heap.replaceAt(position, makeJob(id, null), operation.time);
            model.set(id, operation.time);
            break;
          }
          case 'remove': {
            if (heap.size === 0) break;
            const removed = heap.removeAt(operation.pick % heap.size);
            model.delete(removed.id);
            break;
          }
          case 'replaceMany': {
            if (heap.size === 0) break;
            const ids = operation.picks.map((pick) => heap.jobAt(pick % heap.size).id);
            const times = ids.map((_, i) => operation.times[i] as number);
            heap.replaceMany(
              ids.map((id) => makeJob(id, null)),
              times,
            );
            // A repeated id ends with its last time.
            for (const [i, id] of ids.entries()) model.set(id, times[i] as number);
            break;
          }
          case 'removeMany': {
            const present =
              heap.size === 0 ? [] : operation.picks.map((pick) => heap.jobAt(pick % heap.size).id);
            const missing = Array.from({ length: operation.absent }, (_, i) => `absent${i}`);
            const ids = [...present, ...missing];
            const absent = heap.removeMany(ids);
            // Every id not in the heap any more when its turn came: the missing ones and repeats.
            const expectedAbsent = ids.filter((id, i) => !model.has(id) || ids.indexOf(id) !== i);
            expect(absent).toEqual(expectedAbsent);
            for (const id of present) model.delete(id);
            break;
          }
        }
        expectHeapInvariant(heap);
      }
      expect(heap.size).toBe(model.size);
      const expected = [...model]
        .sort(([idA, a], [idB, b]) => a - b || (idA < idB ? -1 : idA > idB ? 1 : 0))
        .map(([id]) => id);
      expect(heap.sortedJobs().map((job) => job.id)).toEqual(expected);
    },
  );
});
