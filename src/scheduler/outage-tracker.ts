/**
 * Summarises a scheduler's failed operations on one store into outages
 * (`../stores/outages.ts`): the first failure opens one, later failures count
 * into it, and the first successful pass after them closes it, to be written
 * to the store. A store that fails again within {@link MERGE_MS} of the end
 * of the outage last written extends that record (same id, same start)
 * instead of adding one, so a flapping store leaves one record per episode.
 * Times are this process's clock; the writer corrects them by its skew.
 */
import { randomUUID } from 'node:crypto';
import type { StoreOutage } from '../stores/outages.ts';

/** Failures this soon after a written outage's end extend it (ms). */
export const MERGE_MS = 60_000;

/** An outage as this process saw it: no node yet, local times. */
export type LocalOutage = Omit<StoreOutage, 'node'>;

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

export class OutageTracker {
  #open: LocalOutage | null = null;
  /** Closed, waiting to be written (the last write failed, or it was not tried yet). */
  #pending: LocalOutage | null = null;
  #lastWritten: LocalOutage | null = null;

  /** An operation on the store failed at `at`. */
  failed(operation: string, error: unknown, at: number): void {
    const message = describeError(error);
    const open = this.#open;
    if (open !== null) {
      this.#open = { ...open, operation, message, failures: open.failures + 1, to: at };
      return;
    }
    // Extend what is closed but unwritten, or what was written a moment ago.
    const base =
      this.#pending ??
      (this.#lastWritten !== null && at - this.#lastWritten.to <= MERGE_MS
        ? this.#lastWritten
        : null);
    this.#pending = null;
    this.#open =
      base === null
        ? { id: randomUUID(), from: at, to: at, operation, failures: 1, message }
        : { ...base, operation, message, failures: base.failures + 1, to: at };
  }

  /** The store answered at `at`: the outage to write now, if any. */
  recovered(at: number): LocalOutage | null {
    if (this.#open !== null) {
      this.#pending = { ...this.#open, to: at };
      this.#open = null;
    }
    return this.#pending;
  }

  /** `outage` (from {@link recovered}) is in the store. */
  written(outage: LocalOutage): void {
    if (this.#pending?.id === outage.id) this.#pending = null;
    this.#lastWritten = outage;
  }

  /** Whether an outage is open now (the store's last operation failed). */
  get failing(): boolean {
    return this.#open !== null;
  }
}
