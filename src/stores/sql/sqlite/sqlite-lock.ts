/**
 * Waiting for a SQLite lock without blocking the event loop.
 *
 * SQLite's own wait (`busy_timeout`) sleeps inside the driver call, and both
 * drivers call synchronously: while another process held the write lock,
 * the whole process stalled up to busy_timeout (5 s) per attempt, and no
 * other job ran meanwhile. So the store's connections run with
 * `busy_timeout = 0`: a locked database answers SQLITE_BUSY at once, and the
 * store tries again after a timer, with growing delays (1 ms doubling to
 * 50 ms, so a released lock is taken within 50 ms), until its `busyTimeout`
 * has passed; then it fails with {@link SqliteLockTimeoutError}.
 *
 * Trying again is safe because a busy answer undoes nothing that was done:
 * a statement on its own (autocommit) fails before it writes, and write
 * transactions begin with BEGIN IMMEDIATE, which takes the write lock first,
 * so in WAL mode a busy answer comes at the start of a transaction and never
 * half-way (where SQLite would have to roll back work the store then redoes).
 * Should one come half-way all the same, the transaction is rolled back and
 * run again from the start.
 *
 * A worker thread per connection would also keep the event loop free, and
 * let SQLite wait by itself; but a round trip to a worker costs 16–28 µs
 * against 1.8 µs for a prepared select run in place (better-sqlite3, WAL, a
 * 20,000-select loop on this project's 2-core machine), and every store
 * operation would pay it, locked or not.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteLockTimeoutError } from '../sql-errors.ts';

const FIRST_DELAY_MS = 1;
const MAX_DELAY_MS = 50;

/**
 * Is this error SQLite's "database is locked" or "table is locked"
 * (SQLITE_BUSY, SQLITE_LOCKED, and their extended codes), here or in its causes?
 */
export function isSqliteBusy(error: unknown): boolean {
  for (let at = error, depth = 0; at !== null && typeof at === 'object' && depth < 5; depth++) {
    // better-sqlite3 names the code; node:sqlite gives its number (5 and 6 in the low byte).
    const { code, errcode, cause } = at as { code?: unknown; errcode?: unknown; cause?: unknown };
    if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)) return true;
    if (typeof errcode === 'number' && ((errcode & 0xff) === 5 || (errcode & 0xff) === 6))
      return true;
    at = cause;
  }
  return false;
}

/**
 * Runs `attempt` until it does not fail for a lock, waiting between attempts
 * on timers, for `timeoutMs` at most.
 *
 * @throws SqliteLockTimeoutError naming `path` when the database stays locked.
 */
export async function whenUnlocked<T>(
  path: string,
  timeoutMs: number,
  attempt: () => T | Promise<T>,
): Promise<T> {
  const start = performance.now();
  let delay = FIRST_DELAY_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!isSqliteBusy(error)) throw error;
      const waited = performance.now() - start;
      if (waited >= timeoutMs)
        throw new SqliteLockTimeoutError(path, Math.round(waited), { cause: error });
      await sleep(Math.min(delay, timeoutMs - waited));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
