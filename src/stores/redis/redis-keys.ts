/**
 * The keys of one Redis job store and how its scripts are run. Every key is
 * `${keyPrefix}<name>`, so with a hash tag in the prefix they all live in one
 * Redis Cluster slot, and every script can touch any of them atomically.
 * Every script gets all of them, always in this order, as `KEYS`.
 */
import type { Cluster, Redis } from 'ioredis';
import type { RedisScript } from './redis-scripts.ts';

/**
 * The key names, in `KEYS` order:
 * 1. `jobs` (hash): job id → job state JSON.
 * 2. `run_times` (sorted set): job id scored by its next run time (epoch ms); paused jobs absent.
 * 3. `fences` (hash): job id → fencing token, raised by every claim, user write and recovery.
 * 4. `claims` (hash): job id → `"<lease until> <owner>"` while a node holds its claim.
 * 5. `fires` (hash): fire id → fire record JSON (the fields of a `FireRecord`).
 * 6. `fire_slots` (hash): `"<scheduled time> <job id>"` → fire id: the unique key of a fire.
 * 7. `live_fires` (sorted set): fire id scored by its run lease's end, while claimed or running (the reaper's index).
 * 8. `node_fires` (sorted set, by member): `"<len>:<node>:<fire id>"` while live (each node renews its own).
 * 9. `job_live_fires` (sorted set, by member): `"<len>:<job id>:<fire id>"` while live (`maxInstances`).
 * 10. `job_fires` (sorted set, by member): `"<len>:<job id>:<scheduled time, fixed width><fire id>"` (a job's fires by time).
 * 11. `fire_times` (sorted set): fire id scored by its scheduled time (every fire by time).
 * 12. `nodes` (hash): node id → its check-in JSON (without `lastSeen`).
 * 13. `node_seen` (sorted set): node id scored by its last check-in (store clock).
 * 14. `fire_jobs` (hash): fire id → the job state its run was claimed with, while a fire of
 *     a `recover: true` job is live (the reaper runs it again even when a date job is gone).
 * 15. `history_fires` (sorted set): fire id scored by its scheduled time, for the fires of jobs
 *     whose `history` is `'failures'` or `'off'` until a retention purge has dealt with them.
 */
export const KEY_NAMES: readonly string[] = [
  'jobs',
  'run_times',
  'fences',
  'claims',
  'fires',
  'fire_slots',
  'live_fires',
  'node_fires',
  'job_live_fires',
  'job_fires',
  'fire_times',
  'nodes',
  'node_seen',
  'fire_jobs',
  'history_fires',
];

/** The keys of the store with this prefix, in `KEYS` order. */
export function storeKeys(keyPrefix: string): string[] {
  return KEY_NAMES.map((name) => `${keyPrefix}${name}`);
}

/** Runs a script by its SHA-1, sending its source once when the server does not know it (NOSCRIPT). */
export async function runScript(
  client: Redis | Cluster,
  keys: readonly string[],
  script: RedisScript,
  args: readonly string[],
): Promise<unknown> {
  try {
    return await client.call('EVALSHA', [script.sha, keys.length, ...keys, ...args]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.call('EVAL', [script.source, keys.length, ...keys, ...args]);
  }
}
