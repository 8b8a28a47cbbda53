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
  /** Local epoch ms when the operation that set its lease began (a commit, a takeover). */
  readonly heldAt: number;
  /** Local epoch ms until which the run lease is certainly this scheduler's. */
  validUntil: number;
}

export class FireBook {
  readonly #fires = new Map<string, HeldFire>();

  get size(): number {
    return this.#fires.size;
  }

  /** Fires whose lease was set by an operation that began at local time `since`, lasting `leaseMs`. */
  hold(
    job: Job,
    fires: readonly { fireId: string; scheduledTime: number }[],
    since: number,
    leaseMs: number,
  ): void {
    for (const { fireId, scheduledTime } of fires)
      this.#fires.set(fireId, {
        fireId,
        job,
        scheduledTime,
        heldAt: since,
        validUntil: since + leaseMs,
      });
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
   * began: the store no longer gives them to this scheduler. (A fire committed
   * while the renewal ran may have been missed by it: it is not judged.)
   */
  renewed(renewed: readonly string[], startedAt: number, leaseMs: number): HeldFire[] {
    const renewedSet = new Set(renewed);
    const lost: HeldFire[] = [];
    for (const fire of this.#fires.values()) {
      if (renewedSet.has(fire.fireId))
        fire.validUntil = Math.max(fire.validUntil, startedAt + leaseMs);
      else if (fire.heldAt < startedAt) lost.push(fire);
    }
    return lost;
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

  /**
   * How long renewals may go on while the main thread does not answer: the
   * longest timeout of a held job plus the lease, or forever when a held job
   * has no timeout (a run is held while its process lives). 0 when none is held.
   */
  hangAllowance(leaseMs: number): number {
    let allowance = 0;
    for (const { job } of this.#fires.values()) {
      allowance = Math.max(allowance, hangAllowanceOf(job, leaseMs));
      if (allowance === Number.POSITIVE_INFINITY) break;
    }
    return allowance;
  }
}

/** How long renewals may go on for a run of `job` while the main thread does not answer (see {@link FireBook.hangAllowance}). */
export function hangAllowanceOf(job: Job, leaseMs: number): number {
  return job.timeout === null ? Number.POSITIVE_INFINITY : job.timeout * 1000 + leaseMs;
}
