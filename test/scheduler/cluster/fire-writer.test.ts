/**
 * The fire writer and the store timeout around its writes: a write that
 * throws at once leaves nothing behind, and a writer stopped with its node
 * writes nothing more to a store that may be closed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FireWriter, type FireWriterHost } from '../../../src/scheduler/cluster/fire-writer.ts';
import {
  ManagedStore,
  STORE_OPERATION_TIMEOUT_MS,
  StoreTimeoutError,
} from '../../../src/scheduler/managed-store.ts';
import type { ClusterLedger, FireUpdate } from '../../../src/stores/ledger.ts';
import { MemoryJobStore } from '../../../src/stores/memory/memory-store.ts';

function sharedStore(): ManagedStore {
  const store = new MemoryJobStore();
  Object.defineProperty(store, 'shared', { value: true });
  return new ManagedStore('default', store, {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    retryIntervalMs: 10_000,
    dispatch() {},
    restoreJob: () => Promise.reject(new Error('not used')),
    storeStarted() {},
  });
}

/** A ledger whose updateFires records its calls; the other methods are not used here. */
function recordingLedger(writes: FireUpdate[][]): ClusterLedger {
  return {
    updateFires: (_owner: string, updates: readonly FireUpdate[]) => {
      writes.push([...updates]);
      return Promise.resolve([]);
    },
  } as unknown as ClusterLedger;
}

function writerHost(managed: ManagedStore, failures: string[]): FireWriterHost {
  return {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    retryIntervalMs: 10_000,
    withTimeout: (operation, call) => managed.withTimeout(operation, call),
    reportFailure: (operation) => failures.push(operation),
  };
}

describe('ManagedStore.withTimeout', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    process.off('unhandledRejection', onUnhandled);
  });

  it('passes on an operation that throws at once, and leaves no timer to reject later', async () => {
    const managed = sharedStore();
    const closed = new Error('the store is not started');
    expect(() =>
      managed.withTimeout('updateFires', () => {
        throw closed;
      }),
    ).toThrow(closed);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(STORE_OPERATION_TIMEOUT_MS * 2);
    // Unhandled rejections are reported after a macrotask.
    vi.useRealTimers();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
  });

  it('rejects with StoreTimeoutError when the store does not answer, and ignores a late answer', async () => {
    const managed = sharedStore();
    let answer: (value: string) => void = () => {};
    const pending = managed.withTimeout(
      'updateFires',
      () => new Promise<string>((resolve) => (answer = resolve)),
    );
    const outcome = pending.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await vi.advanceTimersByTimeAsync(STORE_OPERATION_TIMEOUT_MS);
    const settled = await outcome;
    expect(settled).toMatchObject({ error: expect.any(StoreTimeoutError) });
    answer('late');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('FireWriter', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const update = (fireId: string): FireUpdate => ({ fireId, state: 'succeeded', at: 1 });

  it('writes queued updates in one batch after a short delay', async () => {
    const writes: FireUpdate[][] = [];
    const writer = new FireWriter(recordingLedger(writes), 'node-a', writerHost(sharedStore(), []));
    writer.push(update('f1'), 'fire f1');
    writer.push(update('f2'), 'fire f2');
    expect(writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(writes).toEqual([[update('f1'), update('f2')]]);
    expect(writer.pending).toBe(0);
  });

  it('takes no update after stop, so nothing is written to a store its node has left', async () => {
    const writes: FireUpdate[][] = [];
    const writer = new FireWriter(recordingLedger(writes), 'node-a', writerHost(sharedStore(), []));
    writer.stop();
    writer.push(update('late'), 'fire late');
    await vi.advanceTimersByTimeAsync(1000);
    expect(writes).toEqual([]);
    expect(writer.pending).toBe(0);
    expect(vi.getTimerCount()).toBe(0);

    writer.start();
    writer.push(update('again'), 'fire again');
    await vi.advanceTimersByTimeAsync(100);
    expect(writes).toEqual([[update('again')]]);
  });

  it('keeps updates whose write failed and reports the failure', async () => {
    const failures: string[] = [];
    const ledger = {
      updateFires: () => {
        throw new Error('the store is not started');
      },
    } as unknown as ClusterLedger;
    const writer = new FireWriter(ledger, 'node-a', writerHost(sharedStore(), failures));
    writer.push(update('f1'), 'fire f1');
    expect(await writer.flush()).toBe(false);
    expect(failures).toEqual(['updateFires']);
    expect(writer.pending).toBe(1);
  });
});
