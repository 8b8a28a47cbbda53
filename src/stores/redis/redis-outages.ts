/**
 * The store outage log (`../outages.ts`) of the Redis job store, in two keys
 * beside the store's others (same prefix, so the same Redis Cluster slot):
 *
 * - `${keyPrefix}outages` (hash): outage id → the outage as JSON;
 * - `${keyPrefix}outage_starts` (sorted set): outage id scored by its start.
 *
 * One script writes a record (a known id extends it) and removes those that
 * started before the keeping time, atomically.
 */
import type { Cluster, Redis } from 'ioredis';
import {
  OUTAGE_KEEP_MS,
  type OutageLog,
  type OutageQuery,
  readOutage,
  type StoreOutage,
  storableOutage,
} from '../outages.ts';
import { runScript } from './redis-keys.ts';
import { type RedisScript, script } from './redis-scripts.ts';

/** KEYS: outages, outage_starts. ARGV: id, start, JSON, keep-after (starts before it are removed). */
const RECORD_OUTAGE: RedisScript = script(
  'record-outage',
  `local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[4])
for _, id in ipairs(old) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return #old`,
);

/** Records read per call at most before filtering by end (the newest starts first). */
const READ_LIMIT = 1000;

export class RedisOutages implements OutageLog {
  readonly #client: () => Redis | Cluster;
  readonly #keys: [outages: string, starts: string];

  /** `client()` is the started store's client (it throws before `start()`). */
  constructor(client: () => Redis | Cluster, keyPrefix: string) {
    this.#client = client;
    this.#keys = [`${keyPrefix}outages`, `${keyPrefix}outage_starts`];
  }

  async recordOutage(outage: StoreOutage): Promise<void> {
    const o = storableOutage(outage);
    await runScript(this.#client(), this.#keys, RECORD_OUTAGE, [
      o.id,
      String(o.from),
      JSON.stringify(o),
      String(o.to - OUTAGE_KEEP_MS),
    ]);
  }

  async getOutages(query: OutageQuery): Promise<StoreOutage[]> {
    const limit = Math.floor(query.limit);
    if (!(limit >= 1)) return [];
    const client = this.#client();
    const ids = (await client.zrevrangebyscore(
      this.#keys[1],
      String(query.to),
      '-inf',
      'LIMIT',
      0,
      READ_LIMIT,
    )) as string[];
    if (ids.length === 0) return [];
    const texts = await client.hmget(this.#keys[0], ...ids);
    const outages: StoreOutage[] = [];
    for (const text of texts) {
      if (typeof text !== 'string') continue;
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch {
        continue;
      }
      if (typeof row !== 'object' || row === null) continue;
      const outage = readOutage(row as Record<string, unknown>);
      if (outage !== undefined && outage.to >= query.from && outage.from <= query.to)
        outages.push(outage);
      if (outages.length >= limit) break;
    }
    return outages;
  }
}
