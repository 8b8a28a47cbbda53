/**
 * The Lua scripts of the Redis store's cluster ledger (see `ledger.ts` for
 * the protocol and `redis-keys.ts` for the keys every script gets). Each
 * ledger operation is one script, so it is atomic on standalone Redis and on
 * Redis Cluster alike (every key is in the slot of the prefix's hash tag).
 *
 * The clock is the server's `TIME` (milliseconds), read inside the script
 * unless the caller passes `now` (tests); `TIME` before writes is safe as
 * Redis replicates the effects of these scripts, not the scripts (the default
 * since Redis 5; asked for explicitly before it).
 *
 * Fire records are JSON with the fields of a `FireRecord`, written by
 * `encode` below: numbers with 17 significant digits (cjson keeps 14, too few
 * for some epoch milliseconds), strings through `cjson.encode`. A record that
 * does not parse, or lacks the fields a script relies on, counts as corrupt:
 * the scripts skip it and drop it from their indexes, never fail on it.
 *
 * Finished fires stay, with their slots and index entries, until a retention
 * purge removes them; live fires leave the live indexes as they finish.
 */
import { type RedisScript, script } from './redis-scripts.ts';

/** Lua shared by the ledger scripts: key names, the clock, fire records and their indexes. */
const PRELUDE = `if redis.replicate_commands then redis.replicate_commands() end
local JOBS, RUN_TIMES, FENCES, CLAIMS, FIRES, FIRE_SLOTS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local LIVE, NODE_LIVE, JOB_LIVE, JOB_FIRES, FIRE_TIMES, NODES, NODE_SEEN = KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13]
local FIRE_JOBS = KEYS[14]
local NULL = cjson.null
local TOP = string.char(255)
local LIVE_STATES = { claimed = true, running = true }
local function num(n) return string.format('%.17g', n) end
local function clock(given)
  if given ~= nil and given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- A length-prefixed text: no other text's prefix, so members of one node or job are one range.
local function lex(s) return #s .. ':' .. s .. ':' end
local function members(key, prefix)
  return redis.call('ZRANGEBYLEX', key, '[' .. prefix, '[' .. prefix .. TOP)
end
-- A scheduled time as text of fixed width that sorts as the time does (any JavaScript date).
local function tkey(t)
  if t >= 0 then return string.format('p%016.0f', t) end
  return string.format('n%016.0f', 9e15 + t)
end
local function fence_of(id) return math.floor(tonumber(redis.call('HGET', FENCES, id)) or 0) end
local function bump(id)
  local fence = fence_of(id) + 1
  redis.call('HSET', FENCES, id, string.format('%d', fence))
  return fence
end
-- The claim on a job: its lease end and owner, or nil (none, or unreadable: free).
local function claim_of(id)
  local value = redis.call('HGET', CLAIMS, id)
  if not value then return nil end
  local at = string.find(value, ' ', 1, true)
  if not at then return nil end
  local held = tonumber(string.sub(value, 1, at - 1))
  if held == nil then return nil end
  return held, string.sub(value, at + 1)
end
local function jstr(v) if v == nil then return 'null' end return cjson.encode(v) end
local function jnum(v) if v == nil then return 'null' end return num(v) end
local function encode(f)
  return '{"fireId":' .. jstr(f.fireId) .. ',"jobId":' .. jstr(f.jobId)
    .. ',"scheduledTime":' .. jnum(f.scheduledTime) .. ',"state":' .. jstr(f.state)
    .. ',"node":' .. jstr(f.node) .. ',"fence":' .. jnum(f.fence) .. ',"batchId":' .. jstr(f.batchId)
    .. ',"leaseUntil":' .. jnum(f.leaseUntil) .. ',"claimedAt":' .. jnum(f.claimedAt)
    .. ',"startedAt":' .. jnum(f.startedAt) .. ',"finishedAt":' .. jnum(f.finishedAt)
    .. ',"recovering":' .. (f.recovering == true and 'true' or 'false')
    .. ',"attempt":' .. jnum(f.attempt) .. ',"errorName":' .. jstr(f.errorName)
    .. ',"errorMessage":' .. jstr(f.errorMessage) .. ',"detail":' .. jstr(f.detail) .. '}'
end
local function optional(f, field, kind)
  return f[field] == nil or type(f[field]) == kind
end
-- The fire record stored as text, or nil when missing or corrupt.
local function decode(text)
  if not text then return nil end
  local ok, f = pcall(cjson.decode, text)
  if not ok or type(f) ~= 'table' then return nil end
  for field, value in pairs(f) do
    if value == NULL then f[field] = nil end
  end
  if type(f.fireId) ~= 'string' or type(f.jobId) ~= 'string' or type(f.state) ~= 'string'
    or type(f.scheduledTime) ~= 'number' or type(f.fence) ~= 'number' then return nil end
  for _, field in ipairs({ 'node', 'batchId', 'errorName', 'errorMessage', 'detail' }) do
    if not optional(f, field, 'string') then return nil end
  end
  for _, field in ipairs({ 'leaseUntil', 'claimedAt', 'startedAt', 'finishedAt', 'attempt' }) do
    if not optional(f, field, 'number') then return nil end
  end
  return f
end
-- Does this job state say recover: true? (Read whole only when the text mentions it.)
local function recovers(state)
  if not state or not string.find(state, '"recover":true', 1, true) then return false end
  local ok, job = pcall(cjson.decode, state)
  return ok and type(job) == 'table' and job.recover == true
end
local function fire_of(id) return decode(redis.call('HGET', FIRES, id)) end
local function save(f) redis.call('HSET', FIRES, f.fireId, encode(f)) end
-- A live fire in the live indexes; unindex when it is live no more.
local function index(f)
  redis.call('ZADD', LIVE, num(f.leaseUntil), f.fireId)
  redis.call('ZADD', NODE_LIVE, 0, lex(f.node) .. f.fireId)
  redis.call('ZADD', JOB_LIVE, 0, lex(f.jobId) .. f.fireId)
end
local function unindex(f)
  redis.call('HDEL', FIRE_JOBS, f.fireId)
  redis.call('ZREM', LIVE, f.fireId)
  if f.node ~= nil then redis.call('ZREM', NODE_LIVE, lex(f.node) .. f.fireId) end
  redis.call('ZREM', JOB_LIVE, lex(f.jobId) .. f.fireId)
end
`;

function ledgerScript(name: string, body: string): RedisScript {
  return script(name, `${PRELUDE}${body}`);
}

/** ARGV: none. Returns the server's clock (epoch ms) as text. */
export const LEDGER_NOW: RedisScript = ledgerScript('now', `return num(clock(''))`);

/**
 * ARGV: owner, limit, lease ms, now (`''`: the server's clock). Claims due
 * jobs (run time ≤ now) whose claim is free (none, or its lease ended before
 * now), by run time then id (as Redis orders them), at most `limit`: each
 * gets the claim `now + lease` for `owner` and its fence + 1. Returns `now`,
 * then `id, run time, state or nil, fence, live batches` for each job
 * claimed. Live batches: distinct batch ids of the job's live fires whose
 * run lease holds at `now`.
 */
export const CLAIM_DUE_JOBS: RedisScript = ledgerScript(
  'claimDueJobs',
  `local owner, limit, lease, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), clock(ARGV[4])
local function live_batches(id)
  local prefix = lex(id)
  local seen, count = {}, 0
  for _, member in ipairs(members(JOB_LIVE, prefix)) do
    local f = fire_of(string.sub(member, #prefix + 1))
    if f == nil or not LIVE_STATES[f.state] then
      redis.call('ZREM', JOB_LIVE, member)
    elseif f.leaseUntil ~= nil and f.leaseUntil >= now then
      local batch = f.batchId or f.fireId
      if not seen[batch] then
        seen[batch] = true
        count = count + 1
      end
    end
  end
  return count
end
local result = { num(now) }
local count, offset, page = 0, 0, math.max(limit, 100)
while count < limit do
  local due = redis.call('ZRANGEBYSCORE', RUN_TIMES, '-inf', num(now), 'WITHSCORES', 'LIMIT', offset, page)
  for i = 1, #due, 2 do
    local id = due[i]
    local held = claim_of(id)
    if held == nil or held < now then
      local fence = bump(id)
      redis.call('HSET', CLAIMS, id, num(now + lease) .. ' ' .. owner)
      result[#result + 1] = id
      result[#result + 1] = due[i + 1]
      result[#result + 1] = redis.call('HGET', JOBS, id)
      result[#result + 1] = num(fence)
      result[#result + 1] = num(live_batches(id))
      count = count + 1
      if count >= limit then break end
    end
  end
  if #due < page * 2 then break end
  offset = offset + page
end
return result`,
);

/**
 * ARGV: owner, run lease ms, now, commits (JSON: `[{jobId, fence, state:
 * job state JSON or null to remove the job, score: run time or '' when
 * paused, fires: [{fireId, scheduledTime, state, batchId, detail}]}]`).
 * Writes a commit only when the job exists, its fence is the commit's and
 * `owner` holds its claim; then releases the claim and inserts each fire
 * whose id and (job, scheduled time) slot are free (a run of a `recover:
 * true` job keeps the job state it was claimed with beside it). Returns `{lost job ids,
 * won fire ids}`.
 */
export const COMMIT_CLAIMS: RedisScript = ledgerScript(
  'commitClaims',
  `local owner, run_lease, now = ARGV[1], tonumber(ARGV[2]), clock(ARGV[3])
local commits = cjson.decode(ARGV[4])
local lost, won = {}, {}
for _, c in ipairs(commits) do
  local id = c.jobId
  local _, holder = claim_of(id)
  if holder ~= owner or fence_of(id) ~= c.fence or redis.call('HEXISTS', JOBS, id) == 0 then
    lost[#lost + 1] = id
  else
    local prior = redis.call('HGET', JOBS, id)
    local recover = recovers(prior)
    if c.state == NULL then
      redis.call('HDEL', JOBS, id)
      redis.call('ZREM', RUN_TIMES, id)
    else
      redis.call('HSET', JOBS, id, c.state)
      if c.score == '' then
        redis.call('ZREM', RUN_TIMES, id)
      else
        redis.call('ZADD', RUN_TIMES, c.score, id)
      end
    end
    redis.call('HDEL', CLAIMS, id)
    for _, n in ipairs(c.fires) do
      local time = n.scheduledTime
      if redis.call('HEXISTS', FIRES, n.fireId) == 0
        and redis.call('HSETNX', FIRE_SLOTS, num(time) .. ' ' .. id, n.fireId) == 1 then
        local f = {
          fireId = n.fireId, jobId = id, scheduledTime = time, state = n.state, node = owner,
          fence = c.fence, claimedAt = now, recovering = false, attempt = 1,
        }
        if n.batchId ~= NULL then f.batchId = n.batchId end
        if n.detail ~= NULL then f.detail = n.detail end
        if n.state == 'claimed' then
          f.leaseUntil = now + run_lease
          index(f)
          if recover then redis.call('HSET', FIRE_JOBS, n.fireId, prior) end
        else
          f.finishedAt = now
        end
        save(f)
        redis.call('ZADD', FIRE_TIMES, num(time), n.fireId)
        redis.call('ZADD', JOB_FIRES, 0, lex(id) .. tkey(time) .. n.fireId)
        won[#won + 1] = n.fireId
      end
    end
  end
end
return { lost, won }`,
);

/**
 * ARGV: owner, updates (JSON: `[{fireId, state, at, errorName?,
 * errorMessage?}]`), applied in order. A fire changes only when `owner`
 * holds it and it is live; the same final state at the same time again (a
 * write repeated after a timeout) is accepted as done. Returns the fire ids
 * refused.
 */
export const UPDATE_FIRES: RedisScript = ledgerScript(
  'updateFires',
  `local owner = ARGV[1]
local refused = {}
for _, u in ipairs(cjson.decode(ARGV[2])) do
  local f = fire_of(u.fireId)
  if f ~= nil and f.node == owner and LIVE_STATES[f.state] then
    f.state = u.state
    if u.state == 'running' then
      f.startedAt = u.at
    else
      f.finishedAt = u.at
      if type(u.errorName) == 'string' then
        f.errorName = u.errorName
        f.errorMessage = u.errorMessage
      end
      unindex(f)
    end
    save(f)
  elseif not (f ~= nil and f.node == owner and f.state == u.state and f.finishedAt == u.at) then
    refused[#refused + 1] = u.fireId
  end
end
return refused`,
);

/**
 * ARGV: owner, lease ms, now. Renews the run leases of `owner`'s live fires
 * whose lease holds at `now` to `now + lease`. Returns their ids.
 */
export const RENEW_FIRE_LEASES: RedisScript = ledgerScript(
  'renewFireLeases',
  `local owner, lease, now = ARGV[1], tonumber(ARGV[2]), clock(ARGV[3])
local prefix = lex(owner)
local renewed = {}
for _, member in ipairs(members(NODE_LIVE, prefix)) do
  local f = fire_of(string.sub(member, #prefix + 1))
  if f == nil or f.node ~= owner or not LIVE_STATES[f.state] then
    redis.call('ZREM', NODE_LIVE, member)
  elseif f.leaseUntil ~= nil and f.leaseUntil >= now then
    f.leaseUntil = now + lease
    save(f)
    redis.call('ZADD', LIVE, num(f.leaseUntil), f.fireId)
    renewed[#renewed + 1] = f.fireId
  end
end
return renewed`,
);

/**
 * ARGV: owner, limit, run lease ms, now. Reaps at most `limit` live fires
 * whose run lease ended before `now`: a fire of a job with `recover: true`
 * (as stored, or, when its own commit removed it, as the fire was claimed)
 * is taken over (state claimed, node `owner`, the job's fence + 1 —
 * which also voids a claim of the job in flight —, recovering, attempt + 1,
 * lease `now + run lease`); any other is recorded abandoned (finished now).
 * Returns `{abandoned records, recovered (record, job state, previous node)
 * triples, ids of corrupt records dropped from the index}`.
 */
export const REAP_EXPIRED_FIRES: RedisScript = ledgerScript(
  'reapExpiredFires',
  `local owner, limit, run_lease, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), clock(ARGV[4])
local abandoned, recovered, corrupt = {}, {}, {}
local done = 0
while done < limit do
  local expired = redis.call('ZRANGEBYSCORE', LIVE, '-inf', '(' .. num(now), 'LIMIT', 0, limit - done)
  if #expired == 0 then break end
  for _, id in ipairs(expired) do
    local text = redis.call('HGET', FIRES, id)
    local f = decode(text)
    if f == nil then
      redis.call('ZREM', LIVE, id)
      if text then corrupt[#corrupt + 1] = id end
    elseif f.fireId ~= id or not LIVE_STATES[f.state] then
      redis.call('ZREM', LIVE, id)
    elseif f.leaseUntil ~= nil and f.leaseUntil >= now then
      redis.call('ZADD', LIVE, num(f.leaseUntil), id)
    else
      done = done + 1
      local state = redis.call('HGET', JOBS, f.jobId)
      -- Gone with the fence of the fire: its own commit removed it (a date job), not a user.
      if not state and fence_of(f.jobId) == f.fence then state = redis.call('HGET', FIRE_JOBS, id) end
      if recovers(state) then
        local previous = f.node
        if previous ~= nil then redis.call('ZREM', NODE_LIVE, lex(previous) .. id) end
        f.fence = bump(f.jobId)
        redis.call('HDEL', CLAIMS, f.jobId)
        f.state, f.node, f.recovering = 'claimed', owner, true
        f.leaseUntil, f.claimedAt, f.startedAt = now + run_lease, now, nil
        f.attempt = (f.attempt or 1) + 1
        save(f)
        index(f)
        recovered[#recovered + 1] = encode(f)
        recovered[#recovered + 1] = state
        recovered[#recovered + 1] = previous or false
      else
        f.state, f.finishedAt = 'abandoned', now
        save(f)
        unindex(f)
        abandoned[#abandoned + 1] = encode(f)
      end
    end
  end
end
return { abandoned, recovered, corrupt }`,
);

/**
 * ARGV: owner, fire id, previous node, now. Records a fire the reaper took
 * over abandoned after all (its job could not be restored), with the node
 * that left it. Returns the record, or nil when `owner` no longer holds it.
 */
export const ABANDON_FIRE: RedisScript = ledgerScript(
  'abandonFire',
  `local owner, id, previous, now = ARGV[1], ARGV[2], ARGV[3], clock(ARGV[4])
local f = fire_of(id)
if f == nil or f.node ~= owner or not LIVE_STATES[f.state] then return nil end
unindex(f)
if previous ~= '' then f.node = previous end
f.state, f.finishedAt = 'abandoned', now
save(f)
return encode(f)`,
);

/** ARGV: owner. Drops every claim `owner` holds. */
export const RELEASE_CLAIMS: RedisScript = ledgerScript(
  'releaseClaims',
  `local claims = redis.call('HGETALL', CLAIMS)
for i = 1, #claims, 2 do
  local _, holder = claim_of(claims[i])
  if holder == ARGV[1] then redis.call('HDEL', CLAIMS, claims[i]) end
end
return 0`,
);

/** ARGV: node id, check-in JSON, now. Records the check-in with `now` as its last sight. */
export const CHECK_IN: RedisScript = ledgerScript(
  'checkIn',
  `local now = clock(ARGV[3])
redis.call('HSET', NODES, ARGV[1], ARGV[2])
redis.call('ZADD', NODE_SEEN, num(now), ARGV[1])
return num(now)`,
);

/** Returns `node id, last seen, check-in JSON or nil` triples, most recent first. */
export const GET_NODES: RedisScript = ledgerScript(
  'getNodes',
  `local seen = redis.call('ZREVRANGE', NODE_SEEN, 0, -1, 'WITHSCORES')
local result = {}
for i = 1, #seen, 2 do
  result[#result + 1] = seen[i]
  result[#result + 1] = seen[i + 1]
  result[#result + 1] = redis.call('HGET', NODES, seen[i])
end
return result`,
);

/**
 * ARGV: job id (`''` with the next `'0'`: every job), `'1'` when a job id is
 * given, limit, states (JSON list, `''`: any), from, to (scheduled times,
 * `''`: open), and the place to continue after (scheduled time and fire id,
 * `''`: the start). Returns `fire id, record` pairs, newest first (by
 * scheduled time, then fire id), up to `limit` records that parse and are in
 * `states`. Unparsable records are returned too, uncounted, for the caller to
 * report.
 */
export const GET_FIRES: RedisScript = ledgerScript(
  'getFires',
  `local by_job, limit = ARGV[2] == '1', tonumber(ARGV[3])
local wanted = nil
if ARGV[4] ~= '' then
  wanted = {}
  for _, state in ipairs(cjson.decode(ARGV[4])) do wanted[state] = true end
end
local from, to = tonumber(ARGV[5]), tonumber(ARGV[6])
local after_time, after_id = tonumber(ARGV[7]), ARGV[8]
local result, count, page = {}, 0, math.max(limit, 100)
local function take(id)
  local text = redis.call('HGET', FIRES, id)
  if not text then return end
  local f = decode(text)
  if f == nil then
    result[#result + 1] = id
    result[#result + 1] = text
  elseif wanted == nil or wanted[f.state] then
    result[#result + 1] = id
    result[#result + 1] = text
    count = count + 1
  end
end
if by_job then
  -- Members are job, time key, fire id: one lexicographic range, walked down from its top.
  local prefix = lex(ARGV[1])
  local top = '[' .. prefix .. TOP
  if to ~= nil then top = '[' .. prefix .. tkey(to) .. TOP end
  if after_time ~= nil and (to == nil or after_time <= to) then top = '(' .. prefix .. tkey(after_time) .. after_id end
  local bottom = '[' .. prefix
  if from ~= nil then bottom = '[' .. prefix .. tkey(from) end
  while count < limit do
    local found = redis.call('ZREVRANGEBYLEX', JOB_FIRES, top, bottom, 'LIMIT', 0, page)
    for _, member in ipairs(found) do
      take(string.sub(member, #prefix + 18))
      if count >= limit then break end
    end
    if #found < page then break end
    top = '(' .. found[#found]
  end
else
  -- Scores are times; members of one score come in descending fire id order, as wanted.
  local high = '+inf'
  if to ~= nil then high = num(to) end
  if after_time ~= nil and (to == nil or after_time <= to) then high = num(after_time) end
  local low = '-inf'
  if from ~= nil then low = num(from) end
  local offset = 0
  while count < limit do
    local found = redis.call('ZREVRANGEBYSCORE', FIRE_TIMES, high, low, 'WITHSCORES', 'LIMIT', offset, page)
    for i = 1, #found, 2 do
      local id, time = found[i], tonumber(found[i + 1])
      if after_time == nil or time < after_time or id < after_id then take(id) end
      if count >= limit then break end
    end
    if #found < page * 2 then break end
    offset = offset + page
  end
end
return result`,
);
