/**
 * The Lua scripts of the Redis job store's jobs. Every script gets the
 * store's keys in the order of `redis-keys.ts`: `KEYS[1]` = the jobs hash
 * (id → job state JSON), `KEYS[2]` = the run times sorted set (id → next run
 * time in epoch ms; paused jobs are absent), `KEYS[3]` = the fences and
 * `KEYS[4]` = the claims of the cluster ledger. A script runs atomically, so
 * each change touching several keys is all or nothing, and no reader sees
 * one key changed without the other.
 *
 * A user's change to a job (update, pause, removal) raises its fence and
 * drops its claim: a scheduler that claimed the job before the change then
 * loses its commit, and its plan made from the old job is void.
 *
 * Scores travel as decimal strings of integer milliseconds (`''` = paused).
 * Replies are flat arrays of strings, the same whatever RESP version or reply
 * mapping the client uses.
 */
import { createHash } from 'node:crypto';

/** A script and its SHA-1, for `EVALSHA` (with `EVAL` when the server does not know it yet). */
export interface RedisScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export function script(name: string, source: string): RedisScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** ARGV: id, state, score. Returns 1 when added, 0 when the id exists. */
export const ADD_JOB: RedisScript = script(
  'add',
  `if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
return 1`,
);

/**
 * Lua: `flush(command, key, items)` runs `command key item1 item2 …` in calls
 * of at most 1000 items (Lua's `unpack` is bounded by its stack), for writes
 * gathered over a whole batch.
 */
const FLUSH = `local function flush(command, key, items)
  for at = 1, #items, 1000 do
    redis.call(command, key, unpack(items, at, math.min(at + 999, #items)))
  end
end
`;

/**
 * ARGV: id1, state1, score1, id2, … Checks every id first (against the store
 * and the ids before it in the batch), then writes them all. Returns 0 when
 * added, else the 1-based position in the batch of the first conflicting job.
 */
export const ADD_JOBS: RedisScript = script(
  'addMany',
  `${FLUSH}local seen, states, scores = {}, {}, {}
for i = 1, #ARGV, 3 do
  local id = ARGV[i]
  if seen[id] or redis.call('HEXISTS', KEYS[1], id) == 1 then return (i + 2) / 3 end
  seen[id] = true
  states[#states + 1] = id
  states[#states + 1] = ARGV[i + 1]
  if ARGV[i + 2] ~= '' then
    scores[#scores + 1] = ARGV[i + 2]
    scores[#scores + 1] = id
  end
end
flush('HSET', KEYS[1], states)
flush('ZADD', KEYS[2], scores)
return 0`,
);

/**
 * Lua: `void(id)` raises a job's fence and drops its claim (a stored fence
 * that is not a number counts as 0). Fences outlive their jobs, so that a
 * job removed and added again goes on from its last token.
 */
const VOID = `local function void(id)
  local fence = math.floor(tonumber(redis.call('HGET', KEYS[3], id)) or 0) + 1
  redis.call('HSET', KEYS[3], id, string.format('%d', fence))
  redis.call('HDEL', KEYS[4], id)
end
`;

/** ARGV: id, state, score. Returns 1 when replaced, 0 when there is no such job. */
export const UPDATE_JOB: RedisScript = script(
  'update',
  `${VOID}if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
void(ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1`,
);

/**
 * ARGV: id1, state1, score1, id2, … Replaces every job that exists (a later
 * entry with the same id wins) and skips the others. Returns the 1-based
 * positions in the batch of the entries skipped.
 */
export const UPDATE_JOBS: RedisScript = script(
  'updateMany',
  `${FLUSH}${VOID}local skipped, states, scores, unscored, last = {}, {}, {}, {}, {}
for i = 1, #ARGV, 3 do last[ARGV[i]] = i end
for i = 1, #ARGV, 3 do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], id) == 0 then
    skipped[#skipped + 1] = (i + 2) / 3
  elseif last[id] == i then
    void(id)
    states[#states + 1] = id
    states[#states + 1] = ARGV[i + 1]
    if ARGV[i + 2] == '' then
      unscored[#unscored + 1] = id
    else
      scores[#scores + 1] = ARGV[i + 2]
      scores[#scores + 1] = id
    end
  end
end
flush('HSET', KEYS[1], states)
flush('ZREM', KEYS[2], unscored)
flush('ZADD', KEYS[2], scores)
return skipped`,
);

/**
 * ARGV: id1, id2, … Removes every job that exists. Returns the 1-based
 * positions of the ids not found (a repeat of an id removed before it included).
 */
export const REMOVE_JOBS: RedisScript = script(
  'removeMany',
  `${FLUSH}${VOID}local missing = {}
for i = 1, #ARGV do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 0 then missing[#missing + 1] = i else void(ARGV[i]) end
end
flush('ZREM', KEYS[2], ARGV)
return missing`,
);

/** ARGV: id. Returns 1 when removed, 0 when there is no such job. */
export const REMOVE_JOB: RedisScript = script(
  'remove',
  `${VOID}local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if removed == 1 then void(ARGV[1]) end
return removed`,
);

/** Removes every job (their fences raised, their claims dropped). Returns nothing. */
export const REMOVE_ALL: RedisScript = script(
  'removeAll',
  `${VOID}for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do void(id) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])`,
);

/**
 * ARGV: id. Returns `{state or nil, score or nil}`: the state even when it is
 * corrupt, and the score so that a failure can say when the job was due.
 */
export const LOOKUP_JOB: RedisScript = script(
  'lookup',
  `return {redis.call('HGET', KEYS[1], ARGV[1]), redis.call('ZSCORE', KEYS[2], ARGV[1])}`,
);

/**
 * ARGV: now (epoch ms). Returns `id, score, state` triples of the jobs due at
 * `now`, by score then id; a state is nil when a run time has no job state.
 */
export const DUE_JOBS: RedisScript = script(
  'due',
  `local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'WITHSCORES')
local result = {}
for i = 1, #due, 2 do
  result[#result + 1] = due[i]
  result[#result + 1] = due[i + 1]
  result[#result + 1] = redis.call('HGET', KEYS[1], due[i])
end
return result`,
);

/** ARGV: count. Returns `id, score` pairs of the `count` earliest run times. */
export const FIRST_RUN_TIMES: RedisScript = script(
  'first',
  `return redis.call('ZRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')`,
);

/**
 * Returns `{hash, runTimes}`: every `id, state` pair and every `id, score`
 * pair, read at the same instant.
 */
export const ALL_JOBS: RedisScript = script(
  'all',
  `return {redis.call('HGETALL', KEYS[1]), redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')}`,
);
