/**
 * The retention purge of one shared store's fire history, run by one node at
 * a time: every few minutes (jittered, so that nodes started together do not
 * look in step) each node reads the check-ins, and only the live node with
 * the smallest node id purges — a pass of bounded batches with a pause
 * between them, so that it never holds the store against claims for long.
 *
 * Why the smallest live node id and not a lease in the store: every node
 * reads the same check-ins and reaches the same answer without a write or a
 * lock; when that node dies, the next one takes over once its check-ins stop
 * (one run lease). Two nodes may briefly both believe they are the one (a
 * node joining, clocks apart): purges are idempotent and never remove a fire
 * retention keeps, so the overlap only costs a few wasted reads.
 */
import type { Logger } from '../../logging.ts';
import type { ClusterLedger, FirePosition, NodeRecord } from '../../stores/ledger.ts';
import type { PublishingScheduler } from '../../tracing/channels.ts';
import { purgeRules, type RetentionSettings } from '../history/retention-options.ts';
import { traceStoreCall } from '../tracing/store-calls.ts';

/** Fires looked at per store call at most. */
export const PURGE_BATCH = 1000;
/** Store calls per pass at most: a ledger that grew faster than this is purged over several passes. */
const PURGE_BATCHES = 100;
/** The pause between two batches of a pass, ms. */
const BATCH_PAUSE_MS = 200;
/** The time between passes, ms (±20 %). */
const PURGE_INTERVAL_MS = 5 * 60_000;

export interface FirePurgerHost {
  readonly logger: Logger;
  readonly alias: string;
  readonly nodeId: string;
  /** The scheduler, as `horarium:store` contexts name it. */
  readonly scheduler: PublishingScheduler | null;
  /** How long after its last check-in a node counts as alive (ms). */
  readonly aliveMs: number;
  retention(): RetentionSettings;
  /** The store's clock as this node estimates it (epoch ms). */
  storeNow(): number;
  withTimeout<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  reportFailure(operation: string, error: unknown): void;
}

/** Does `nodeId` purge, among these check-ins at `now`? The live node with the smallest id does. */
export function isPurger(
  nodeId: string,
  nodes: readonly NodeRecord[],
  now: number,
  aliveMs: number,
): boolean {
  for (const node of nodes)
    if (node.lastSeen >= now - aliveMs && node.nodeId < nodeId) return false;
  return true;
}

export class FirePurger {
  readonly #ledger: ClusterLedger;
  readonly #host: FirePurgerHost;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;
  /** Resolves the pause between batches early when the purger stops. */
  #wake: (() => void) | undefined;

  constructor(ledger: ClusterLedger, host: FirePurgerHost) {
    this.#ledger = ledger;
    this.#host = host;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.();
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const delay = PURGE_INTERVAL_MS * (0.8 + Math.random() * 0.4);
    this.#timer = setTimeout(() => {
      this.#running = this.purge().finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
    }, delay);
    this.#timer.unref();
  }

  /**
   * One pass, when this node is the purger: batches until the ledger has no
   * more to remove (or PURGE_BATCHES of them). Returns the fires removed, or
   * null when another node purges. A failure is reported; the next pass retries.
   */
  async purge(): Promise<number | null> {
    const host = this.#host;
    try {
      const nodes = await host.withTimeout('getNodes', () => this.#ledger.getNodes());
      if (!isPurger(host.nodeId, nodes, host.storeNow(), host.aliveMs)) return null;
      const rules = purgeRules(host.retention(), host.storeNow());
      let removed = 0;
      let after: FirePosition | undefined;
      for (let batch = 0; batch < PURGE_BATCHES; batch++) {
        if (batch > 0) await this.#pause();
        if (batch > 0 && this.#stopped) break;
        const options = { ...rules, limit: PURGE_BATCH, ...(after === undefined ? {} : { after }) };
        // Traced on horarium:store as one operation over at most PURGE_BATCH fires.
        const result = await host.withTimeout('purgeFires', () =>
          traceStoreCall(
            host,
            'purgeFires',
            () => this.#ledger.purgeFires(options),
            null,
            PURGE_BATCH,
          ),
        );
        removed += result.removed;
        if (result.next === null) break;
        after = result.next;
      }
      host.logger.debug(
        `Job store "${host.alias}": the fire history purge removed ${removed} fires`,
      );
      return removed;
    } catch (error) {
      host.reportFailure('purgeFires', error);
      return null;
    }
  }

  #pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, BATCH_PAUSE_MS);
      timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
