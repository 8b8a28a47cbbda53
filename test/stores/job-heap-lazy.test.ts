// JobHeap.replaceLazily: later run times written in place, the heap order restored on the next read.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { JobHeap, parentOf } from '../../src/stores/memory/job-heap.ts';
import { makeJob } from './store-contract.ts';

function expectHeapInvariant(heap: JobHeap): void {
  for (let position = 0; position < heap.size; position++) {
    const job = heap.jobAt(position);
    expect(heap.positionOf(job.id)).toBe(position);
    if (position > 0)
      expect(heap.timeAt(parentOf(position))).toBeLessThanOrEqual(heap.timeAt(position));
  }
}

const operationArb = fc.oneof(
  fc.record({ kind: fc.constant('due' as const), now: fc.integer({ min: 0, max: 60 }) }),
  fc.record({
    kind: fc.constant('lazy' as const),
    pick: fc.nat(),
    time: fc.integer({ min: 0, max: 60 }),
  }),
  fc.record({ kind: fc.constant('advanceDue' as const), step: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('push' as const),
    id: fc.nat(),
    time: fc.integer({ min: 0, max: 60 }),
  }),
);

describe('JobHeap.replaceLazily', () => {
  test.prop([
    fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 150 }),
    fc.array(operationArb, { minLength: 1, maxLength: 60 }),
  ])('keeps the order, the index and the due lists of an eager heap', (initial, operations) => {
    const heap = new JobHeap();
    const model = new Map<string, number>();
    initial.forEach((time, i) => {
      heap.push(makeJob(`j${i}`, null), time);
      model.set(`j${i}`, time);
    });
    let due: string[] = [];
    const expectedDue = (now: number): string[] =>
      [...model]
        .filter(([, time]) => time <= now)
        .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0))
        .map(([id]) => id);
    for (const operation of operations) {
      switch (operation.kind) {
        case 'due':
          due = heap.dueJobs(operation.now).map((job) => job.id);
          expect(due).toEqual(expectedDue(operation.now));
          break;
        case 'lazy': {
          const ids = [...model.keys()];
          if (ids.length === 0) break;
          const id = ids[operation.pick % ids.length]!;
          expect(heap.replaceLazily(makeJob(id, null), operation.time)).toBe(true);
          model.set(id, operation.time);
          break;
        }
        case 'advanceDue':
          // What a pass does: every due job, in the due list's order, a later run time.
          for (const id of due) {
            if (!model.has(id)) continue;
            const time = model.get(id)! + operation.step;
            expect(heap.replaceLazily(makeJob(id, null), time)).toBe(true);
            model.set(id, time);
          }
          break;
        case 'remove': {
          if (heap.size === 0) break;
          const removed = heap.removeAt(operation.pick % heap.size);
          model.delete(removed.id);
          break;
        }
        case 'push': {
          const id = `p${operation.id % 50}`;
          if (model.has(id)) break;
          heap.push(makeJob(id, null), operation.time);
          model.set(id, operation.time);
          break;
        }
      }
    }
    expect(heap.replaceLazily(makeJob('absent', null), 0)).toBe(false);
    expectHeapInvariant(heap);
    expect(heap.size).toBe(model.size);
    expect(heap.dueJobs(Number.MAX_SAFE_INTEGER).map((job) => job.id)).toEqual(
      expectedDue(Number.MAX_SAFE_INTEGER),
    );
  });
});
