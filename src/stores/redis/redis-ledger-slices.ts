/**
 * How much one call of a ledger script does at most. A Lua script holds the
 * Redis server alone: no other client is served until it ends. So an
 * operation whose work grows with the number of jobs or fires (a claim of
 * many jobs, a commit, a batch of fire updates, a renewal, a reaper round,
 * releasing claims) is made of calls of bounded size, each atomic, each a
 * few milliseconds at most on a modest server (about 10–30 µs of server time
 * per job or fire). Each operation says why its slices may stand alone.
 */

/** Jobs one claim call claims at most. */
export const CLAIM_SLICE = 200;

/**
 * Due jobs held by other nodes' claims that one claim call looks past at
 * most: beyond them it returns fewer jobs than asked, and the next claim goes
 * on (a node that died holding many claims costs its peers no long scans).
 */
export const CLAIM_SCAN = 2000;

/** Fires one commit call inserts at most (a job's commit is never split: one with more fires is a slice of its own). */
export const COMMIT_SLICE = 100;

/** Fire updates one call writes at most. */
export const UPDATE_SLICE = 250;

/** Fires one renewal call looks at (and renews) at most. */
export const RENEW_SLICE = 250;

/** Fires one reaper call reaps at most, and entries of the reaper's index it looks at at most. */
export const REAP_SLICE = 64;
export const REAP_BUDGET = 500;

/** Fires one call of `getFires` reads at most (those not in the states asked for included). */
export const FIRES_SLICE = 500;

/** Claims one step of releasing a node's claims looks at (an `HSCAN` count: a hint, not a bound). */
export const RELEASE_SLICE = 500;
