/**
 * Renewing a node's run leases in slices: one script call renews at most
 * {@link RENEW_SLICE} fires, so that a node holding ten thousand fires does
 * not stop the Redis server (and every other client of it) for the whole
 * renewal, as one script would. A renewal walks the node's live fires by fire
 * id, slice after slice, and returns every fire it renewed.
 *
 * A renewal that is interrupted (a slice fails or times out) keeps the point
 * where it stopped, and the next one starts there, wraps around at the end
 * and comes back to it: the fires past an interruption are renewed first the
 * next time, so a renewal that keeps failing at the same slice still renews
 * every fire in turn instead of starving the same ones.
 */

import { checkDuration, checkName, nowArg } from './redis-ledger-checks.ts';
import { RENEW_FIRE_LEASES } from './redis-ledger-scripts.ts';
import { RENEW_SLICE } from './redis-ledger-slices.ts';
import { asArray, asString, asStrings } from './redis-replies.ts';
import type { RedisScript } from './redis-scripts.ts';

/** Runs a ledger script with the store's keys. */
export type ScriptRunner = (script: RedisScript, args: readonly string[]) => Promise<unknown>;

export class FireLeaseRenewal {
  readonly #run: ScriptRunner;
  readonly #slice: number;
  /** Per owner, the fire id after which its next renewal starts (absent: from the first). */
  readonly #resumeAfter = new Map<string, string>();

  constructor(run: ScriptRunner, slice: number = RENEW_SLICE) {
    this.#run = run;
    this.#slice = slice;
  }

  /** As `ClusterLedger.renewFireLeases`: every fire renewed, once all slices are done. */
  async renew(owner: string, leaseMs: number, now?: number): Promise<string[]> {
    checkName(owner, 'renewFireLeases', 'owner');
    const lease = String(checkDuration(leaseMs, 'renewFireLeases', 'leaseMs'));
    const at = nowArg(now, 'renewFireLeases');
    const start = this.#resumeAfter.get(owner) ?? '';
    const renewed: string[] = [];
    // From the starting point to the last fire, then from the first fire through the starting point.
    const ranges: [after: string, through: string][] =
      start === ''
        ? [['', '']]
        : [
            [start, ''],
            ['', start],
          ];
    for (const [from, through] of ranges) {
      let after = from;
      for (;;) {
        const [ids, last] = asArray(
          await this.#run(RENEW_FIRE_LEASES, [
            owner,
            lease,
            at,
            after,
            through,
            String(this.#slice),
          ]),
          'renewFireLeases',
        );
        for (const id of asStrings(ids, 'renewFireLeases')) renewed.push(id);
        after = asString(last, 'renewFireLeases');
        if (after === '') break;
        this.#resumeAfter.set(owner, after);
      }
      // This range is done: an interruption from here on resumes at its end.
      if (through === '') this.#resumeAfter.delete(owner);
      else this.#resumeAfter.set(owner, through);
    }
    return renewed;
  }
}
