/**
 * Wake-ups between the nodes sharing a store. A node that adds or changes a
 * job, or gives its claims back, sends a hint; every other node runs a pass
 * on that store at once instead of at its next poll. Hints only: they may be
 * lost (a dropped connection, a broker restart), so nodes keep polling.
 */

/** A hint received: which node sent it. */
export type WakeListener = (fromNode: string) => void;

/** A way for the nodes sharing a store to wake each other. */
export interface WakeChannel {
  /** What carries the hints, for logs (e.g. `PostgreSQL LISTEN/NOTIFY`); no secret. */
  readonly kind: string;
  /**
   * Starts listening: `listener` is called for every hint of every node
   * (including this one's own; the caller filters). The channel reconnects by
   * itself after a dropped connection and then calls `listener` with an empty
   * node id, since hints may have been missed while it was down.
   */
  open(listener: WakeListener): Promise<void>;
  /** Sends a hint from `fromNode`. Never throws: a lost hint costs one poll. */
  send(fromNode: string): Promise<void>;
  close(): Promise<void>;
}

/** Reconnection delays after a dropped listening connection: first, then doubling to the last. */
export const WAKE_RECONNECT_MS: { readonly first: number; readonly max: number } = {
  first: 100,
  max: 5000,
};
