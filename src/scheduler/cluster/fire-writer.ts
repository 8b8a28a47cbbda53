/**
 * Writes the starts and outcomes of this scheduler's fires to its store's
 * ledger, batched: a run's outcome does not wait for a store round trip, and
 * a thousand runs a second cost a few writes a second. Updates that cannot be
 * written (the store is down) are kept, in order, and written when it is back.
 */
import type { Logger } from '../../logging.ts';
import type { ClusterLedger, FireUpdate } from '../../stores/ledger.ts';

/** Updates wait at most this long for others to join them. */
const FLUSH_DELAY_MS = 50;
/**
 * A batch this large is written at once: the start and the end of every run
 * of a claim of up to 500 jobs (`claimBatch`), which the store writes as one
 * update per fire.
 */
const FLUSH_SIZE = 1000;
/** Updates written per call at most. */
const WRITE_SIZE = 2000;
/** Rejected updates logged one per line per write; the rest are counted. */
const LOGGED_REJECTIONS = 10;

export interface FireWriterHost {
  readonly logger: Logger;
  readonly retryIntervalMs: number;
  /** Runs a store operation under the store's operation timeout. */
  withTimeout<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** Reports a failed store operation (an event and a log line). */
  reportFailure(operation: string, error: unknown): void;
}

/**
 * How a log line names a fire (`fire … of job "x" scheduled at …`), or a
 * function that says it: most updates are written without a line, so a
 * label is made only for the line.
 */
export type FireLabel = string | (() => string);

/** An update and how a log line names its fire. */
interface Queued {
  readonly update: FireUpdate;
  readonly label: FireLabel;
  /** Its fire may not exist: a refusal is expected, and not logged. */
  readonly quiet: boolean;
}

export class FireWriter {
  readonly #ledger: ClusterLedger;
  readonly #owner: string;
  readonly #host: FireWriterHost;
  #queue: Queued[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #retryAt = 0;
  /** Stopped by a node that left its store: updates are no longer taken. */
  #stopped = false;

  constructor(ledger: ClusterLedger, owner: string, host: FireWriterHost) {
    this.#ledger = ledger;
    this.#owner = owner;
    this.#host = host;
  }

  /** Updates not yet written. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Updates wait, and the store is not in its retry pause after a failed write. */
  get due(): boolean {
    return this.#queue.length > 0 && Date.now() >= this.#retryAt;
  }

  /**
   * Queues an update. After {@link stop} it is dropped: the store may be
   * closed, and the fire's lease, no longer renewed, expires and the fire is
   * recorded abandoned by the scheduler that finds it.
   */
  push(update: FireUpdate, label: FireLabel, quiet = false): void {
    if (this.#stopped) return;
    this.#queue.push({ update, label, quiet });
    if (this.#writing !== undefined) return;
    if (this.#queue.length >= FLUSH_SIZE && Date.now() >= this.#retryAt) {
      this.#clearTimer();
      void this.flush();
    } else if (this.#timer === undefined) {
      this.#schedule(Math.max(FLUSH_DELAY_MS, this.#retryAt - Date.now()));
    }
  }

  /** Writes what is queued; resolves when written or failed (then kept for a retry). Returns true when nothing is left. */
  async flush(): Promise<boolean> {
    this.#clearTimer();
    while (this.#writing !== undefined) await this.#writing;
    if (this.#queue.length === 0) return true;
    const writing = this.#write();
    this.#writing = writing;
    try {
      await writing;
    } finally {
      this.#writing = undefined;
    }
    if (this.#queue.length > 0 && this.#timer === undefined)
      this.#schedule(Math.max(FLUSH_DELAY_MS, this.#retryAt - Date.now()));
    return this.#queue.length === 0;
  }

  /** Takes updates again, after {@link stop} (the node joins its store again). */
  start(): void {
    this.#stopped = false;
  }

  /** Stops the timer and takes no more updates; what is queued stays queued. */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  async #write(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.slice(0, WRITE_SIZE);
      const updates = batch.map((queued) => queued.update);
      let rejected: string[];
      try {
        rejected = await this.#host.withTimeout('updateFires', () =>
          this.#ledger.updateFires(this.#owner, updates),
        );
      } catch (error) {
        this.#host.reportFailure('updateFires', error);
        this.#retryAt = Date.now() + this.#host.retryIntervalMs;
        return;
      }
      this.#queue.splice(0, batch.length);
      const quiet = new Set(batch.filter((queued) => queued.quiet).map((q) => q.update.fireId));
      const refused = rejected.filter((fireId) => !quiet.has(fireId));
      if (refused.length > 0) this.#logRejected(refused, batch);
    }
  }

  #logRejected(rejected: readonly string[], batch: readonly Queued[]): void {
    const byId = new Map(batch.map((queued) => [queued.update.fireId, queued]));
    for (const fireId of rejected.slice(0, LOGGED_REJECTIONS)) {
      const queued = byId.get(fireId);
      const label = queued === undefined ? `fire ${fireId}` : labelText(queued.label);
      this.#host.logger.warn(
        `Could not record ${label} as ${queued?.update.state ?? 'changed'}: the fire is no longer this scheduler's (its run lease expired, and another scheduler recorded it)`,
      );
    }
    if (rejected.length > LOGGED_REJECTIONS)
      this.#host.logger.warn(
        `…and ${rejected.length - LOGGED_REJECTIONS} more fire updates were refused for the same reason`,
      );
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delay);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function labelText(label: FireLabel): string {
  return typeof label === 'string' ? label : label();
}
