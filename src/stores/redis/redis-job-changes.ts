/**
 * The job change log (`../job-changes.ts`) of the Redis job store, in two
 * keys beside the store's others (same prefix, so the same Redis Cluster
 * slot):
 *
 * - `${keyPrefix}job_change_versions` (hash): job id → the job's last version;
 * - `${keyPrefix}job_changes` (sorted set, every score 0, ordered by member):
 *   `"<id length in bytes>:<job id>:<version, 12 digits>:<at>:<change JSON>"`,
 *   so a job's changes are one range of members, in version order.
 *
 * One Lua script records a batch: for each change it raises the job's
 * counter and adds the member, with the server's `TIME`, atomically, so
 * versions are strictly increasing whichever scheduler records.
 */
import type { Cluster, Redis } from 'ioredis';
import { isStorableId } from '../common.ts';
import {
  changeLimit,
  changePayload,
  checkJobChange,
  InvalidJobChangeError,
  type JobChange,
  type JobChangeLog,
  type JobChangeQuery,
  type NewJobChange,
  readJobChangeText,
} from '../job-changes.ts';
import { runScript } from './redis-keys.ts';
import { type RedisScript, script } from './redis-scripts.ts';

/** KEYS: changes, versions. ARGV: now ('' = the server's TIME), then id and change JSON per change. Returns the time used. */
export const RECORD_JOB_CHANGES: RedisScript = script(
  'record-job-changes',
  `if redis.replicate_commands then redis.replicate_commands() end
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local at = string.format('%.17g', now)
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local version = redis.call('HINCRBY', KEYS[2], id, 1)
  redis.call('ZADD', KEYS[1], 0, #id .. ':' .. id .. ':' .. string.format('%012d', version) .. ':' .. at .. ':' .. ARGV[i + 1])
end
return at`,
);

/** The keys of the log of the store with this prefix: changes, versions. */
export function jobChangeKeys(keyPrefix: string): [changes: string, versions: string] {
  return [`${keyPrefix}job_changes`, `${keyPrefix}job_change_versions`];
}

/** The members of one job's changes start with this. */
function memberPrefix(jobId: string): string {
  return `${Buffer.byteLength(jobId, 'utf8')}:${jobId}:`;
}

const MEMBER_REST = /^(\d{12}):([^:]+):(.*)$/s;

export class RedisJobChanges implements JobChangeLog {
  readonly #client: () => Redis | Cluster;
  readonly #keys: [string, string];

  /** `client()` is the started store's client (it throws before `start()`). */
  constructor(client: () => Redis | Cluster, keyPrefix: string) {
    this.#client = client;
    this.#keys = jobChangeKeys(keyPrefix);
  }

  async recordJobChanges(changes: readonly NewJobChange[]): Promise<void> {
    const args: string[] = [''];
    for (const change of changes) {
      const trigger = checkJobChange(change);
      if (!isStorableId(change.jobId))
        throw new InvalidJobChangeError(
          'jobId',
          'holds a lone UTF-16 surrogate, which Redis cannot store',
        );
      if (change.node !== null && !isStorableId(change.node))
        throw new InvalidJobChangeError(
          'node',
          'holds a lone UTF-16 surrogate, which Redis cannot store',
        );
      args.push(change.jobId, changePayload(change, trigger));
    }
    if (args.length === 1) return;
    await runScript(this.#client(), this.#keys, RECORD_JOB_CHANGES, args);
  }

  async getJobChanges(jobId: string, query?: JobChangeQuery): Promise<JobChange[]> {
    const limit = changeLimit(query);
    if (!isStorableId(jobId)) return [];
    const prefix = memberPrefix(jobId);
    const start = Buffer.from(prefix, 'utf8');
    // Byte 255 follows every digit a member goes on with: the range is the job's members alone.
    const end = Buffer.concat([Buffer.from('[', 'utf8'), start, Buffer.from([0xff])]);
    const reply = await this.#client().call(
      'ZREVRANGEBYLEX',
      this.#keys[0],
      end,
      Buffer.concat([Buffer.from('[', 'utf8'), start]),
      'LIMIT',
      '0',
      String(limit),
    );
    const members = Array.isArray(reply) ? reply : [];
    const changes: JobChange[] = [];
    for (let i = members.length - 1; i >= 0; i--) {
      const member = members[i];
      const text = Buffer.isBuffer(member) ? member.toString('utf8') : String(member);
      if (!text.startsWith(prefix)) continue;
      const match = MEMBER_REST.exec(text.slice(prefix.length));
      if (match === null) continue;
      const change = readJobChangeText(jobId, match[1], match[2], match[3]);
      if (change !== undefined) changes.push(change);
    }
    return changes;
  }
}
