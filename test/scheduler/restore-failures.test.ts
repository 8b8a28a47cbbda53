/**
 * What a scheduler keeps of the stored jobs it cannot restore. Another node
 * may remove such a job at any time, unseen, so nothing may be kept per
 * broken job for good: failures are kept only while a listing reads the
 * store, and a logged failure is remembered only while it recurs.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../src/index.ts';
import { ManagedStore, RESTORE_FAILURE_MEMORY_MS } from '../../src/scheduler/managed-store.ts';
import { RecentKeys } from '../../src/scheduler/recent-keys.ts';
import { MemoryJobStore } from '../../src/stores/memory/memory-store.ts';
import type { StoreContext } from '../../src/stores/store.ts';

/** A memory store whose listing reports the failures `brokenIds` as it reads. */
class StoreWithBrokenJobs extends MemoryJobStore {
  brokenIds: string[] = [];
  context: StoreContext | undefined;

  override getAllJobs(): Promise<Job[]> {
    for (const jobId of this.brokenIds)
      this.context?.restoreFailed({ jobId, nextRunTime: null, error: new Error('no such task') });
    return super.getAllJobs();
  }
}

function managedStore(errors: string[] = []): {
  managed: ManagedStore;
  store: StoreWithBrokenJobs;
} {
  const store = new StoreWithBrokenJobs();
  const managed = new ManagedStore('default', store, {
    logger: { debug() {}, info() {}, warn() {}, error: (message) => errors.push(message) },
    retryIntervalMs: 10_000,
    dispatch() {},
    restoreJob: () => Promise.reject(new Error('not used')),
    storeStarted() {},
  });
  store.context = managed.context();
  return { managed, store };
}

function fail(context: StoreContext, jobId: string): void {
  context.restoreFailed({ jobId, nextRunTime: new Date(), error: new Error('no such task') });
}

describe('restore failures a scheduler meets', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps none of those its loop meets: a peer may remove the jobs unseen', () => {
    const { managed } = managedStore();
    const context = managed.context();
    for (let i = 0; i < 1000; i++) fail(context, `broken-${i}`);
    expect(managed.broken.size).toBe(0);
  });

  it('lists the failures a listing read, and keeps them no longer', async () => {
    const { managed, store } = managedStore();
    store.brokenIds = ['a', 'b'];
    const first = await managed.listJobs();
    expect(first.broken.map((failure) => failure.jobId)).toEqual(['a', 'b']);
    expect(managed.broken.size).toBe(0);
    store.brokenIds = ['b'];
    const second = await managed.listJobs();
    expect(second.broken.map((failure) => failure.jobId)).toEqual(['b']);
  });

  it('logs a failure once while it recurs, and again once it was forgotten', () => {
    const errors: string[] = [];
    const { managed } = managedStore(errors);
    const context = managed.context();
    const hour = RESTORE_FAILURE_MEMORY_MS;
    fail(context, 'x');
    // Seen again every half memory: never forgotten, logged once.
    for (let i = 0; i < 8; i++) {
      vi.setSystemTime(Date.now() + hour / 2);
      fail(context, 'x');
    }
    expect(errors).toHaveLength(1);
    // Not seen for twice the memory: forgotten, and logged again when it comes back.
    vi.setSystemTime(Date.now() + 2 * hour);
    fail(context, 'x');
    expect(errors).toHaveLength(2);
    expect(errors[1]).toContain('Job "x" in job store "default" cannot be restored');
  });
});

describe('RecentKeys', () => {
  it('holds the keys of one to two memories, however many keys come and go', () => {
    const memoryMs = 60_000;
    const keys = new RecentKeys(memoryMs, 0);
    let most = 0;
    // A new key every second for ten memories.
    for (let second = 0; second < 600; second++) {
      expect(keys.see(`key-${second}`, second * 1000)).toBe(false);
      most = Math.max(most, keys.size);
    }
    expect(most).toBeLessThanOrEqual(2 * 60);
  });

  it('knows a key seen within the memory, and forgets one not seen for two', () => {
    const keys = new RecentKeys(1000, 0);
    expect(keys.see('k', 0)).toBe(false);
    expect(keys.see('k', 999)).toBe(true);
    expect(keys.see('k', 1500)).toBe(true);
    expect(keys.see('k', 2900)).toBe(true);
    expect(keys.see('k', 5000)).toBe(false);
  });
});
