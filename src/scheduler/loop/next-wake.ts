/**
 * When the loop looks at a store again after a pass: at the store's next run
 * time (in local time), or at the retry time when that cannot be read or
 * when writes wait for a retry (they hold the store's due jobs back until
 * they are persisted).
 */
import type { ManagedStore } from '../managed-store.ts';

export async function nextWake(
  managed: ManagedStore,
  retryAt: number,
  toLocal: (storeTime: number) => number = (time) => time,
): Promise<number | null> {
  let wakeAt: number | null = null;
  try {
    const storeNext = await managed.withTimeout('getNextRunTime', () =>
      managed.store.getNextRunTime(),
    );
    if (storeNext !== null) wakeAt = toLocal(storeNext.getTime());
  } catch (error) {
    managed.reportFailure('getNextRunTime', error);
    wakeAt = retryAt;
  }
  if (managed.hasPendingWrites) {
    managed.retryAt = retryAt;
    wakeAt = retryAt;
  }
  return wakeAt;
}
