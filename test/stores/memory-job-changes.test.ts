/**
 * The memory store's job change log beyond the contract: its bounds. The
 * journal is compacted once it holds more than twice the store's jobs (and
 * at least COMPACT_FLOOR changes): each job keeps its newest KEEP_PER_JOB
 * changes, numbered on as before, and only the KEEP_REMOVED jobs removed last
 * keep theirs. Changes of one millisecond with one kind and options share a
 * run, and each reads back with its own time and options.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  COMPACT_FLOOR,
  KEEP_PER_JOB,
  KEEP_REMOVED,
  MemoryJobChanges,
} from '../../src/stores/memory/memory-job-changes.ts';
import { change } from './job-change-log-contract.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('MemoryJobChanges bounds', () => {
  it('keeps a job’s newest changes once it has more than the journal may hold, and numbers on', () => {
    const log = new MemoryJobChanges(() => 1);
    const total = COMPACT_FLOOR + 500;
    log.recordJobChangeSync(change('busy'));
    for (let i = 1; i < total; i++)
      log.recordJobChangeSync(change('busy', { kind: i % 2 === 1 ? 'paused' : 'resumed' }));
    return log.getJobChanges('busy').then((changes) => {
      expect(changes.length).toBeGreaterThanOrEqual(KEEP_PER_JOB);
      expect(changes.length).toBeLessThan(total);
      expect(changes.at(-1)?.version).toBe(total);
      const versions = changes.map((c) => c.version);
      expect(versions).toEqual(
        Array.from({ length: changes.length }, (_, i) => total - changes.length + 1 + i),
      );
    });
  });

  it('forgets the history of all but the jobs removed last', async () => {
    const log = new MemoryJobChanges(() => 0);
    const jobs = COMPACT_FLOOR;
    for (let i = 0; i < jobs; i++) {
      log.recordJobChangeSync(change(`gone-${i}`));
      log.recordJobChangeSync(change(`gone-${i}`, { kind: 'removed', trigger: null }));
    }
    expect(await log.getJobChanges('gone-0')).toEqual([]);
    const last = await log.getJobChanges(`gone-${jobs - 1}`);
    expect(last.map((c) => [c.version, c.kind])).toEqual([
      [1, 'added'],
      [2, 'removed'],
    ]);
    // At most KEEP_REMOVED removed jobs (plus those removed since the last compaction) keep a history.
    let kept = 0;
    for (let i = 0; i < jobs; i++) if ((await log.getJobChanges(`gone-${i}`)).length > 0) kept++;
    expect(kept).toBeGreaterThanOrEqual(KEEP_REMOVED);
    expect(kept).toBeLessThan(jobs / 2);
  });

  it('never compacts while every change is the one add of a job the store holds', async () => {
    let live = 0;
    const log = new MemoryJobChanges(() => live);
    for (let i = 0; i < 3 * COMPACT_FLOOR; i++) {
      live++;
      log.recordJobChangeSync(change(`job-${i}`));
    }
    expect((await log.getJobChanges('job-0')).map((c) => c.version)).toEqual([1]);
  });

  it('reads each change with its own time and options when they share runs', async () => {
    const log = new MemoryJobChanges(() => 1);
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1000);
    log.recordJobChangeSync(change('r'));
    log.recordJobChangeSync(change('s'));
    log.recordJobChangeSync(change('r', { kind: 'paused', node: null }));
    now.mockReturnValue(2000);
    log.recordJobChangeSync(change('r', { kind: 'paused', node: null }));
    log.recordJobChangeSync(change('r', { kind: 'resumed', maxInstances: 9 }));
    const changes = await log.getJobChanges('r');
    expect(changes.map((c) => [c.version, c.kind, c.at, c.node, c.maxInstances])).toEqual([
      [1, 'added', 1000, 'node-a', 3],
      [2, 'paused', 1000, null, 3],
      [3, 'paused', 2000, null, 3],
      [4, 'resumed', 2000, 'node-a', 9],
    ]);
    expect((await log.getJobChanges('s')).map((c) => [c.version, c.at])).toEqual([[1, 1000]]);
  });
});
