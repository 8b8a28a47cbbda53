/**
 * The fires this scheduler holds in one shared store: committed (or taken
 * over) and not yet finished, each with the local time until which its run
 * lease is certainly valid. A lease is set by a store operation (a commit, a
 * takeover, a renewal) to the store's now + the run lease; the operation
 * started before the store read its clock, so `local start + run lease` is a
 * bound that expires no later than the lease itself. A run whose bound has
 * passed may already be reaped by another scheduler: it is aborted.
 */
import type { Job } from '../../jobs/job.ts';

export interface HeldFire {
  readonly fireId: string;
  readonly job: Job;
  readonly scheduledTime: number;
  /** Local epoch ms until which the run lease is certainly this scheduler's. */
  validUntil: number;
}

export class FireBook {
  readonly #fires = new Map<string, HeldFire>();

  get size(): number {
    return this.#fires.size;
  }

  /** Fires whose lease was set by an operation that began at `since` (local ms). */
  hold(
    job: Job,
    fires: readonly { fireId: string; scheduledTime: number }[],
    validUntil: number,
  ): void {
    for (const { fireId, scheduledTime } of fires)
      this.#fires.set(fireId, { fireId, job, scheduledTime, validUntil });
  }

  /** The fire ended (or was given up): it is no longer renewed or watched. */
  release(fireId: string): HeldFire | undefined {
    const fire = this.#fires.get(fireId);
    this.#fires.delete(fireId);
    return fire;
  }

  get(fireId: string): HeldFire | undefined {
    return this.#fires.get(fireId);
  }

  /**
   * A renewal that began at local time `startedAt` renewed `renewed`: their
   * leases now last until `startedAt + leaseMs`. Returns the held fires the
   * store did not renew although their lease had been set before the renewal
   * began: the store no longer gives them to this scheduler.
   */
  renewed(
    renewed: readonly string[],
    startedAt: number,
    leaseMs: number,
    heldBefore: ReadonlySet<string>,
  ): HeldFire[] {
    const renewedSet = new Set(renewed);
    const lost: HeldFire[] = [];
    for (const fire of this.#fires.values()) {
      if (renewedSet.has(fire.fireId))
        fire.validUntil = Math.max(fire.validUntil, startedAt + leaseMs);
      else if (heldBefore.has(fire.fireId)) lost.push(fire);
    }
    return lost;
  }

  /** The ids held now (taken before a renewal, to tell fires held before it from fires committed during it). */
  ids(): Set<string> {
    return new Set(this.#fires.keys());
  }

  /** Fires whose lease bound has passed at local time `now`. */
  expired(now: number): HeldFire[] {
    const expired: HeldFire[] = [];
    for (const fire of this.#fires.values()) if (fire.validUntil <= now) expired.push(fire);
    return expired;
  }

  all(): HeldFire[] {
    return [...this.#fires.values()];
  }
}
