/**
 * The ids of unrestorable jobs a store looks past when it gives the next run
 * time: after reading the `broken.size + 1` earliest run times, it forgets
 * those not among them (another scheduler may have removed the jobs, unseen),
 * so the set never outgrows the jobs it has to look past.
 */
import { describe, expect, it } from 'vitest';
import { forgetUnread } from '../../src/stores/common.ts';

describe('forgetUnread', () => {
  it('keeps the broken ids among the run times read and forgets the others', () => {
    const broken = new Set(['due-broken', 'removed-by-a-peer', 'later-broken']);
    forgetUnread(broken, ['due-broken', 'healthy', 'other', 'more']);
    expect([...broken]).toEqual(['due-broken']);
  });

  it('works on the map of broken rows and their run times as well', () => {
    const broken = new Map<string, unknown>([
      ['a', 1],
      ['b', 2],
    ]);
    forgetUnread(broken, ['b', 'c', 'd']);
    expect([...broken]).toEqual([['b', 2]]);
  });

  it('stays as small as the broken jobs that are due, however many a peer removed', () => {
    const broken = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      // A broken job is met (and known), then removed by another scheduler.
      broken.add(`broken-${i}`);
      const earliest = [...(i % 2 === 0 ? [`broken-${i}`] : []), 'healthy'];
      forgetUnread(broken, earliest.slice(0, broken.size + 1));
      expect(broken.size).toBeLessThanOrEqual(1);
    }
  });
});
