/**
 * A batch of fire updates as one write per fire. `updateFires` applies its
 * updates in order, each only to a fire the owner holds in a live state
 * (`claimed` or `running`); a fire usually gets two in one batch (`running`,
 * then how it ended). Applied one after the other, they come to this:
 *
 * - the first update of a fire applies when the fire is the owner's and live;
 * - each later one applies when every update before it set `running` (the
 *   only live state an update sets), and is refused once one ended the fire;
 * - the fire ends as its last applied update left it, with the start time of
 *   the last applied `running` (a start, once set, is kept).
 *
 * So the database needs one conditional write per fire, whose guard is the
 * first update's, and the refusals follow from which fires it changed.
 */
import type { FireUpdate } from '../../ledger.ts';

/** The one write a fire gets: its columns after its last update that applies. */
export interface MergedFireUpdate {
  readonly fireId: string;
  readonly state: string;
  /** The start of the last `running` update that applies, or null (the fire keeps its start). */
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly errorName: string | null;
  readonly errorMessage: string | null;
  /** For `retried`: when the next attempt is due (the fire's new `lease_until`); null keeps it. */
  readonly leaseUntil: number | null;
}

export interface MergedFireUpdates {
  /** One write per fire, in the order of each fire's first update. */
  readonly writes: readonly MergedFireUpdate[];
  /** The refused updates' fire ids, in update order, given the fires whose write applied. */
  refused(applied: ReadonlySet<string>): string[];
}

/** The columns one update sets. */
function columnsOf(update: FireUpdate): MergedFireUpdate {
  const running = update.state === 'running';
  return {
    fireId: update.fireId,
    state: update.state,
    startedAt: running ? update.at : null,
    finishedAt: running ? null : update.at,
    errorName: update.error?.name ?? null,
    errorMessage: update.error?.message ?? null,
    leaseUntil: update.state === 'retried' ? (update.retryAt ?? null) : null,
  };
}

export function mergeFireUpdates(updates: readonly FireUpdate[]): MergedFireUpdates {
  const writes = new Map<string, MergedFireUpdate>();
  /** Per update: would it apply if its fire's write does? */
  const follows = new Array<boolean>(updates.length);
  updates.forEach((update, i) => {
    const before = writes.get(update.fireId);
    if (before === undefined) {
      writes.set(update.fireId, columnsOf(update));
      follows[i] = true;
      return;
    }
    // Applies only while the fire is still live, i.e. every update before it set `running`.
    follows[i] = before.state === 'running';
    if (!follows[i]) return;
    const after = columnsOf(update);
    writes.set(update.fireId, { ...after, startedAt: after.startedAt ?? before.startedAt });
  });
  return {
    writes: [...writes.values()],
    refused: (applied) =>
      updates
        .filter((update, i) => !(follows[i] === true && applied.has(update.fireId)))
        .map((update) => update.fireId),
  };
}
