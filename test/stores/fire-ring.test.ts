/** The fire ring of the memory store: newest rows kept, updates found by id, keyset paging. */
import { describe, expect, it } from 'vitest';
import { FireRing } from '../../src/stores/fire-ring.ts';

const planned = (jobId: string, scheduledTime: number) => ({
  jobId,
  scheduledTime,
  state: 'claimed' as const,
  node: 'n',
  batchId: null,
  at: scheduledTime + 1,
});

describe('FireRing', () => {
  it("honours a job's history as its fires end: 'off' keeps no ended row, 'failures' no succeeded one", () => {
    const ring = new FireRing(20);
    const off = [1, 2].map((t) => ring.add({ ...planned('off', t * 1000), history: 'off' }));
    ring.add({ ...planned('off', 3000), state: 'missed', history: 'off' });
    const failures = [1, 2].map((t) =>
      ring.add({ ...planned('failures', t * 1000), history: 'failures' }),
    );
    // Live rows stay until they end.
    expect(ring.getFires({ jobId: 'off', limit: 10 }).map((f) => f.scheduledTime)).toEqual([
      2000, 1000,
    ]);
    ring.update(off[0] as string, 'running', 1001);
    ring.update(off[0] as string, 'failed', 1002);
    ring.update(failures[0] as string, 'succeeded', 1002);
    ring.update(failures[1] as string, 'failed', 2002);
    expect(ring.getFires({ jobId: 'off', limit: 10 }).map((f) => f.scheduledTime)).toEqual([2000]);
    expect(ring.getFires({ jobId: 'failures', limit: 10 }).map((f) => f.state)).toEqual(['failed']);
  });

  it('drops rows past the age rules, keeping the newest keepPerJob of each job and live rows', () => {
    const ring = new FireRing(20);
    const ids = [1, 2, 3, 4, 5].map((t) => ring.add(planned('j', t * 1000)));
    for (const [i, id] of ids.entries())
      if (i < 4) ring.update(id, i % 2 === 0 ? 'succeeded' : 'failed', (i + 1) * 1000 + 10);
    ring.add(planned('other', 500));
    ring.expire({ succeededBefore: 10_000, otherBefore: 2500, keepPerJob: 2 });
    // Newest 2 (5000 live, 4000 failed) stay; 3000 succeeded and 1000 succeeded go; 2000 failed
    // ended at 2010 < 2500 goes too. The live row of 'other' stays.
    expect(ring.getFires({ limit: 10 }).map((f) => f.scheduledTime)).toEqual([5000, 4000, 500]);
  });

  it('keeps the newest rows, and ignores updates of fires it no longer holds', () => {
    const ring = new FireRing(3);
    const ids = [1, 2, 3, 4, 5].map((t) => ring.add(planned('j', t * 1000)));
    expect(new Set(ids).size).toBe(5);
    expect(ring.getFires({ limit: 10 }).map((f) => f.scheduledTime)).toEqual([5000, 4000, 3000]);
    ring.update(ids[0] as string, 'succeeded', 9);
    ring.update(ids[4] as string, 'running', 5005);
    ring.update(ids[4] as string, 'failed', 5010, { name: 'Error', message: 'boom' });
    ring.update(`${ids[4]}0`, 'succeeded', 1);
    ring.update('not-ours-1', 'succeeded', 1);
    const [newest] = ring.getFires({ limit: 1 });
    expect(newest).toMatchObject({
      state: 'failed',
      claimedAt: 5001,
      startedAt: 5005,
      finishedAt: 5010,
      errorName: 'Error',
      errorMessage: 'boom',
      fence: 0,
    });
    expect(ring.oldest('j')?.scheduledTime).toBe(3000);
  });

  it('returns copies: a row written over later does not change what was read', () => {
    const ring = new FireRing(1);
    ring.add(planned('a', 1));
    const [read] = ring.getFires({ limit: 1 });
    ring.add(planned('b', 2));
    expect(read?.jobId).toBe('a');
  });

  it('filters and pages as a ledger does', () => {
    const ring = new FireRing(100);
    for (let t = 1; t <= 10; t++) {
      ring.add(planned('a', t));
      ring.add({ ...planned('b', t), state: 'missed' });
    }
    expect(
      ring
        .getFires({ jobId: 'b', states: ['missed'], from: 3, to: 5, limit: 10 })
        .map((f) => f.scheduledTime),
    ).toEqual([5, 4, 3]);
    const all = ring.getFires({ limit: 100 });
    const paged = [];
    let after: { scheduledTime: number; fireId: string } | undefined;
    for (;;) {
      const page = ring.getFires({ limit: 3, ...(after === undefined ? {} : { after }) });
      paged.push(...page);
      const last = page.at(-1);
      if (page.length < 3 || last === undefined) break;
      after = { scheduledTime: last.scheduledTime, fireId: last.fireId };
    }
    expect(paged.map((f) => f.fireId)).toEqual(all.map((f) => f.fireId));
  });

  it('refuses a size that is not a whole number of rows', () => {
    expect(() => new FireRing(0)).toThrow(RangeError);
    expect(() => new FireRing(1.5)).toThrow(RangeError);
  });
});
