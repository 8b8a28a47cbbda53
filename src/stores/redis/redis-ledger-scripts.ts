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
 * `encode` below (or, for a new fire, by the commit's caller and the commit):
 * numbers as whole digits, or with 17 significant digits when not whole
 * (cjson keeps 14, too few for some epoch milliseconds), strings through
 * `cjson.encode`, fields that are null left out. A record that does not
 * parse, or lacks the fields a script relies on, counts as corrupt: the
 * scripts skip it and drop it from their indexes, never fail on it.
 *
 * Scripts that handle many fires read them with one call per key (`hmget`)
 * and gather their writes (`writes`): the cost of a batch is mostly the
 * data structures' own, not one round of Lua-to-Redis calls per fire.
 *
 * Finished fires stay, with their slots and index entries, until a retention
 * purge removes them; live fires leave the live indexes as they finish.
 */
import { CLAIM_SCAN, RELEASE_SLICE } from './redis-ledger-slices.ts';
import { type RedisScript, script } from './redis-scripts.ts';

/** How long a due retry waits before it asks again while its job runs `maxInstances` times, ms. */
const RETRY_BUSY_MS = 1000;
/** Entries of the reaper's index past now a reaper round looks at for the next waiting retry. */
const RETRY_LOOKAHEAD = 50;

/** Lua shared by the ledger scripts: key names, the clock, fire records and their indexes. */
const PRELUDE = `if redis.replicate_commands then redis.replicate_commands() end
local JOBS, RUN_TIMES, FENCES, CLAIMS, FIRES, FIRE_SLOTS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local LIVE, NODE_LIVE, JOB_LIVE, JOB_FIRES, FIRE_TIMES, NODES, NODE_SEEN = KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13]
local FIRE_JOBS, HISTORY_FIRES = KEYS[14], KEYS[15]
local NULL = cjson.null
local TOP = string.char(255)
local LIVE_STATES = { claimed = true, running = true }
local floor, fmt = math.floor, string.format
-- A number as text that reads back exactly: '%d' for whole numbers (three times as quick as '%.17g').
local function num(n)
  if n % 1 == 0 and n > -9e15 and n < 9e15 then return fmt('%d', n) end
  return fmt('%.17g', n)
end
-- Writes gathered over a batch, in calls of at most 1000 arguments (Lua's unpack is bounded by its stack).
local function flush(command, key, items)
  for at = 1, #items, 1000 do
    redis.call(command, key, unpack(items, at, math.min(at + 999, #items)))
  end
end
-- The values of many fields of a hash, in their order (false where there is none).
local function hmget(key, fields)
  local values = {}
  for at = 1, #fields, 1000 do
    local got = redis.call('HMGET', key, unpack(fields, at, math.min(at + 999, #fields)))
    for i = 1, #got do values[at + i - 1] = got[i] end
  end
  return values
end
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
local function fence_in(text) return floor(tonumber(text) or 0) end
local function fence_of(id) return fence_in(redis.call('HGET', FENCES, id)) end
local function bump(id)
  local fence = fence_of(id) + 1
  redis.call('HSET', FENCES, id, fmt('%d', fence))
  return fence
end
-- A claim as stored: its lease end and owner, or nil (none, or unreadable: free).
local function claim_in(value)
  if not value then return nil end
  local at = string.find(value, ' ', 1, true)
  if not at then return nil end
  local held = tonumber(string.sub(value, 1, at - 1))
  if held == nil then return nil end
  return held, string.sub(value, at + 1)
end
local function claim_of(id) return claim_in(redis.call('HGET', CLAIMS, id)) end
local cenc = cjson.encode
-- A fire record as text: its fields that are set (a field left out reads as null).
local function encode(f)
  return '{"fireId":' .. cenc(f.fireId) .. ',"jobId":' .. cenc(f.jobId)
    .. ',"scheduledTime":' .. num(f.scheduledTime) .. ',"state":' .. cenc(f.state)
    .. ',"fence":' .. num(f.fence) .. ',"recovering":' .. (f.recovering == true and 'true' or 'false')
    .. (f.node ~= nil and ',"node":' .. cenc(f.node) or '')
    .. (f.batchId ~= nil and ',"batchId":' .. cenc(f.batchId) or '')
    .. (f.leaseUntil ~= nil and ',"leaseUntil":' .. num(f.leaseUntil) or '')
    .. (f.claimedAt ~= nil and ',"claimedAt":' .. num(f.claimedAt) or '')
    .. (f.startedAt ~= nil and ',"startedAt":' .. num(f.startedAt) or '')
    .. (f.finishedAt ~= nil and ',"finishedAt":' .. num(f.finishedAt) or '')
    .. (f.attempt ~= nil and ',"attempt":' .. num(f.attempt) or '')
    .. (f.errorName ~= nil and ',"errorName":' .. cenc(f.errorName) or '')
    .. (f.errorMessage ~= nil and ',"errorMessage":' .. cenc(f.errorMessage) or '')
    .. (f.detail ~= nil and ',"detail":' .. cenc(f.detail) or '')
    .. (f.history ~= nil and ',"history":' .. cenc(f.history) or '')
    .. '}'
end
local TEXT_FIELDS = { 'node', 'batchId', 'errorName', 'errorMessage', 'detail', 'history' }
local NUMBER_FIELDS = { 'leaseUntil', 'claimedAt', 'startedAt', 'finishedAt', 'attempt' }
-- The fire record stored as text, or nil when missing or corrupt.
local function decode(text)
  if not text then return nil end
  local ok, f = pcall(cjson.decode, text)
  if not ok or type(f) ~= 'table' then return nil end
  -- Records written since nulls are left out have none: no need to look at every field.
  if string.find(text, 'null', 1, true) then
    for field, value in pairs(f) do
      if value == NULL then f[field] = nil end
    end
  end
  if type(f.fireId) ~= 'string' or type(f.jobId) ~= 'string' or type(f.state) ~= 'string'
    or type(f.scheduledTime) ~= 'number' or type(f.fence) ~= 'number' then return nil end
  for i = 1, 6 do
    local value = f[TEXT_FIELDS[i]]
    if value ~= nil and type(value) ~= 'string' then return nil end
  end
  for i = 1, 5 do
    local value = f[NUMBER_FIELDS[i]]
    if value ~= nil and type(value) ~= 'number' then return nil end
  end
  return f
end
-- Does this job state say recover: true? (Read whole only when the text mentions it.)
local function recovers(state)
  if not state or not string.find(state, '"recover":true', 1, true) then return false end
  local ok, job = pcall(cjson.decode, state)
  return ok and type(job) == 'table' and job.recover == true
end
-- Does this job state ask for its failed runs to be retried? (Read whole only when the text mentions it.)
local function retries(state)
  if not state or not string.find(state, '"retry":{', 1, true) then return false end
  local ok, job = pcall(cjson.decode, state)
  return ok and type(job) == 'table' and type(job.retry) == 'table'
end
-- The maxInstances of a job state (1 when it holds none that is valid).
local function max_instances(state)
  local ok, job = pcall(cjson.decode, state)
  if ok and type(job) == 'table' and type(job.maxInstances) == 'number' and job.maxInstances >= 1 then
    return job.maxInstances
  end
  return 1
end
local function fire_of(id) return decode(redis.call('HGET', FIRES, id)) end
local function save(f) redis.call('HSET', FIRES, f.fireId, encode(f)) end
-- What maxInstances counts: the distinct batches of a job's live fires whose lease holds at
-- time at. Index entries of fires no longer live are dropped on the way.
local function live_batches_of(id, at)
  local prefix = lex(id)
  local seen, count = {}, 0
  for _, member in ipairs(members(JOB_LIVE, prefix)) do
    local f = fire_of(string.sub(member, #prefix + 1))
    if f == nil or not LIVE_STATES[f.state] then
      redis.call('ZREM', JOB_LIVE, member)
    elseif f.leaseUntil ~= nil and f.leaseUntil >= at then
      local batch = f.batchId or f.fireId
      if not seen[batch] then
        seen[batch] = true
        count = count + 1
      end
    end
  end
  return count
end
-- Writes gathered per command and key, made by done() with one call each (see flush): a
-- batch of fires costs a few calls, not a few per fire. list(command, key) is the list to
-- append arguments to; add(command, key, item[, item]) appends one or two.
local function writes()
  local order, lists = {}, {}
  local w = {}
  function w.list(command, key)
    local by_key = lists[command]
    if by_key == nil then
      by_key = {}
      lists[command] = by_key
    end
    local list = by_key[key]
    if list == nil then
      list = {}
      by_key[key] = list
      order[#order + 1] = { command, key, list }
    end
    return list
  end
  function w.add(command, key, a, b)
    local list = w.list(command, key)
    list[#list + 1] = a
    if b ~= nil then list[#list + 1] = b end
  end
  function w.done()
    for _, o in ipairs(order) do flush(o[1], o[2], o[3]) end
  end
  return w
end
-- A live fire in the live indexes; unindexed when it is live no more.
local function index_in(w, f)
  w.add('ZADD', LIVE, num(f.leaseUntil), f.fireId)
  w.add('ZADD', NODE_LIVE, 0, lex(f.node) .. f.fireId)
  w.add('ZADD', JOB_LIVE, 0, lex(f.jobId) .. f.fireId)
end
local function unindex_in(w, f)
  w.add('HDEL', FIRE_JOBS, f.fireId)
  w.add('ZREM', LIVE, f.fireId)
  if f.node ~= nil then w.add('ZREM', NODE_LIVE, lex(f.node) .. f.fireId) end
  w.add('ZREM', JOB_LIVE, lex(f.jobId) .. f.fireId)
end
local function index(f)
  local w = writes()
  index_in(w, f)
  w.done()
end
local function unindex(f)
  local w = writes()
  unindex_in(w, f)
  w.done()
end
`;

function ledgerScript(name: string, body: string): RedisScript {
  return script(name, `${PRELUDE}${body}`);
}

/** ARGV: none. Returns the server's clock (epoch ms) as text. */
export const LEDGER_NOW: RedisScript = ledgerScript('now', `return num(clock(''))`);

/**
 * ARGV: owner, limit, lease ms, now (`''`: the server's clock), offset.
 * Claims due jobs (run time ≤ now) whose claim is free (none, or its lease
 * ended before now), by run time then id (as Redis orders them), at most
 * `limit`, looking at the due jobs from the `offset`-th on, and at no more
 * than `limit` + CLAIM_SCAN of them: each gets the claim `now + lease` for
 * `owner` and its fence + 1. Returns `now`, the offset of the first due job
 * it did not look at (`''` when it looked at every due job from `offset`
 * on), then `id, run time, state or nil, fence, live batches` for each job
 * claimed. Live batches: distinct batch ids of the job's live fires whose
 * run lease holds at `now`.
 */
export const CLAIM_DUE_JOBS: RedisScript = ledgerScript(
  'claimDueJobs',
  `local owner, limit, lease, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), clock(ARGV[4])
local any_live = redis.call('ZCARD', JOB_LIVE) > 0
local function live_batches(id)
  if not any_live then return 0 end
  return live_batches_of(id, now)
end
-- Due jobs whose claim is free, a page at a time, from the offset given, looking at a bounded
-- number: a node that died holding many claims costs its peers calls of bounded length.
local ids, times = {}, {}
local offset, page = tonumber(ARGV[5]), math.max(limit, 100)
local stop, next_offset = offset + limit + ${CLAIM_SCAN}, ''
while #ids < limit do
  if offset >= stop then
    next_offset = num(offset)
    break
  end
  local count = math.min(page, stop - offset)
  local due = redis.call('ZRANGEBYSCORE', RUN_TIMES, '-inf', num(now), 'WITHSCORES', 'LIMIT', offset, count)
  local page_ids = {}
  for i = 1, #due, 2 do page_ids[#page_ids + 1] = due[i] end
  local claims = hmget(CLAIMS, page_ids)
  for k, id in ipairs(page_ids) do
    local held = claim_in(claims[k])
    if held == nil or held < now then
      ids[#ids + 1] = id
      times[#ids] = due[2 * k]
      if #ids >= limit then
        next_offset = num(offset + k)
        break
      end
    end
  end
  if #ids < limit and #page_ids < count then break end
  offset = offset + count
end
local fences, states = hmget(FENCES, ids), hmget(JOBS, ids)
local w = writes()
local claim = num(now + lease) .. ' ' .. owner
local result = { num(now), next_offset }
for k, id in ipairs(ids) do
  local fence = fence_in(fences[k]) + 1
  w.add('HSET', FENCES, id, fmt('%d', fence))
  w.add('HSET', CLAIMS, id, claim)
  result[#result + 1] = id
  result[#result + 1] = times[k]
  result[#result + 1] = states[k]
  result[#result + 1] = num(fence)
  result[#result + 1] = num(live_batches(id))
end
w.done()
return result`,
);

/**
 * ARGV: owner, run lease ms, now, then for each commit: job id, fence, job
 * state JSON (`''` removes the job), run time (`''` when paused), `lex(job
 * id)`, its number of fires, the job's `history` when it keeps less than
 * every fire (`'failures'`, `'off'`; else `''`), then for each fire: fire id, slot (`"<scheduled
 * time> <job id>"`), `'1'` when it runs (state claimed), scheduled time, its
 * `job_fires` member, and its record up to the fields of the store's clock
 * (JSON without the closing brace). The caller spells members and records as
 * these scripts do (`redis-members.ts`), so the script only checks and writes.
 *
 * Writes a commit only when the job exists, its fence is the commit's and
 * `owner` holds its claim; then releases the claim and inserts each fire
 * whose id and (job, scheduled time) slot are free (a run of a `recover:
 * true` job keeps the job state it was claimed with beside it). Returns
 * `{lost job ids, won fire ids}`. Everything is read first and written at the
 * end, a few calls for the whole batch; a commit sees what those before it
 * in the batch wrote (a job committed twice: the second is lost).
 */
export const COMMIT_CLAIMS: RedisScript = ledgerScript(
  'commitClaims',
  `local owner, run_lease, now = ARGV[1], tonumber(ARGV[2]), clock(ARGV[3])
local commits, ids = {}, {}
local at = 4
while at <= #ARGV do
  local count = tonumber(ARGV[at + 5])
  commits[#commits + 1] = at
  ids[#ids + 1] = ARGV[at]
  at = at + 7 + 6 * count
end
local claims, fences, priors = hmget(CLAIMS, ids), hmget(FENCES, ids), hmget(JOBS, ids)
local lost, won, winners, committed = {}, {}, {}, {}
local w = writes()
local fire_ids, slots = {}, {}
for i, at in ipairs(commits) do
  local id = ids[i]
  local _, holder = claim_in(claims[i])
  if committed[id] or holder ~= owner or fence_in(fences[i]) ~= tonumber(ARGV[at + 1]) or not priors[i] then
    lost[#lost + 1] = id
  else
    committed[id] = true
    winners[#winners + 1] = i
    local state, score = ARGV[at + 2], ARGV[at + 3]
    if state == '' then
      w.add('HDEL', JOBS, id)
      w.add('ZREM', RUN_TIMES, id)
    else
      w.add('HSET', JOBS, id, state)
      if score == '' then
        w.add('ZREM', RUN_TIMES, id)
      else
        w.add('ZADD', RUN_TIMES, score, id)
      end
    end
    w.add('HDEL', CLAIMS, id)
    for j = at + 7, at + 6 + 6 * tonumber(ARGV[at + 5]), 6 do
      fire_ids[#fire_ids + 1] = ARGV[j]
      slots[#slots + 1] = ARGV[j + 1]
    end
  end
end
local fire_taken, slot_taken = hmget(FIRES, fire_ids), hmget(FIRE_SLOTS, slots)
local ids_here, slots_here = {}, {}
local records, slot_list, times, job_fires = w.list('HSET', FIRES), w.list('HSET', FIRE_SLOTS), w.list('ZADD', FIRE_TIMES), w.list('ZADD', JOB_FIRES)
local live, node_live, job_live = w.list('ZADD', LIVE), w.list('ZADD', NODE_LIVE), w.list('ZADD', JOB_LIVE)
local node_prefix, now_text, lease_text = lex(owner), num(now), num(now + run_lease)
local ran_tail = ',"claimedAt":' .. now_text .. ',"leaseUntil":' .. lease_text .. '}'
local decided_tail = ',"claimedAt":' .. now_text .. ',"finishedAt":' .. now_text .. '}'
local k = 0
for _, i in ipairs(winners) do
  local at = commits[i]
  local job_prefix = ARGV[at + 4]
  local recover = recovers(priors[i]) or retries(priors[i])
  local keeps_less = ARGV[at + 6] ~= ''
  for j = at + 7, at + 6 + 6 * tonumber(ARGV[at + 5]), 6 do
    k = k + 1
    local fire_id, slot = ARGV[j], ARGV[j + 1]
    if not fire_taken[k] and not ids_here[fire_id] and not slot_taken[k] and not slots_here[slot] then
      ids_here[fire_id], slots_here[slot] = true, true
      local runs = ARGV[j + 2] == '1'
      records[#records + 1] = fire_id
      records[#records + 1] = ARGV[j + 5] .. (runs and ran_tail or decided_tail)
      slot_list[#slot_list + 1] = slot
      slot_list[#slot_list + 1] = fire_id
      times[#times + 1] = ARGV[j + 3]
      times[#times + 1] = fire_id
      job_fires[#job_fires + 1] = 0
      job_fires[#job_fires + 1] = ARGV[j + 4]
      if keeps_less then w.add('ZADD', HISTORY_FIRES, ARGV[j + 3], fire_id) end
      if runs then
        live[#live + 1] = lease_text
        live[#live + 1] = fire_id
        node_live[#node_live + 1] = 0
        node_live[#node_live + 1] = node_prefix .. fire_id
        job_live[#job_live + 1] = 0
        job_live[#job_live + 1] = job_prefix .. fire_id
        if recover then w.add('HSET', FIRE_JOBS, fire_id, priors[i]) end
      end
      won[#won + 1] = fire_id
    end
  end
end
w.done()
return { lost, won }`,
);

/**
 * ARGV: owner, updates (JSON: `[{fireId, state, at, errorName?,
 * errorMessage?, retryAt?}]`), applied in order. A `retried` fire leaves the
 * node's and job's live indexes but stays in the reaper's, scored by its
 * retry time. A fire changes only when `owner`
 * holds it and it is live; the same final state at the same time again (a
 * write repeated after a timeout) is accepted as done. Returns the fire ids
 * refused. Each record is read and written once, however many updates it gets.
 */
export const UPDATE_FIRES: RedisScript = ledgerScript(
  'updateFires',
  `local owner = ARGV[1]
local updates = cjson.decode(ARGV[2])
local ids, records = {}, {}
for _, u in ipairs(updates) do
  if records[u.fireId] == nil then
    records[u.fireId] = false
    ids[#ids + 1] = u.fireId
  end
end
for i, text in ipairs(hmget(FIRES, ids)) do records[ids[i]] = decode(text) or false end
local refused, changed, seen = {}, {}, {}
local w = writes()
local fire_jobs, live, node_live, job_live = w.list('HDEL', FIRE_JOBS), w.list('ZREM', LIVE), w.list('ZREM', NODE_LIVE), w.list('ZREM', JOB_LIVE)
local node_prefix = lex(owner)
for _, u in ipairs(updates) do
  local f = records[u.fireId]
  if f and f.node == owner and LIVE_STATES[f.state] then
    f.state = u.state
    if u.state == 'running' then
      f.startedAt = u.at
    else
      f.finishedAt = u.at
      if type(u.errorName) == 'string' then
        f.errorName = u.errorName
        f.errorMessage = u.errorMessage
      end
      -- unindex(f), gathered: its node is the owner.
      node_live[#node_live + 1] = node_prefix .. f.fireId
      job_live[#job_live + 1] = lex(f.jobId) .. f.fireId
      if u.state == 'retried' and type(u.retryAt) == 'number' then
        -- Waits in the reaper's index until its retry is due; keeps the job state it may run with.
        f.leaseUntil = u.retryAt
        w.add('ZADD', LIVE, num(u.retryAt), f.fireId)
      else
        fire_jobs[#fire_jobs + 1] = f.fireId
        live[#live + 1] = f.fireId
      end
    end
    if not seen[f] then
      seen[f] = true
      changed[#changed + 1] = f
    end
  elseif not (f and f.node == owner and f.state == u.state and f.finishedAt == u.at) then
    refused[#refused + 1] = u.fireId
  end
end
local records_out = w.list('HSET', FIRES)
for _, f in ipairs(changed) do
  records_out[#records_out + 1] = f.fireId
  records_out[#records_out + 1] = encode(f)
end
w.done()
return refused`,
);

/**
 * ARGV: owner, lease ms, now, after, through, limit. Renews the run leases of
 * `owner`'s live fires whose lease holds at `now` to `now + lease`, for one
 * slice of them: at most `limit` fires (by fire id, as Redis orders bytes)
 * after the fire id `after` (`''`: from the first) up to the fire id
 * `through` (`''`: to the last), so that no call holds the server for long
 * however many fires a node runs. Returns `{renewed fire ids, the last fire
 * id looked at, or '' when the slice reached the end of the range}`.
 */
export const RENEW_FIRE_LEASES: RedisScript = ledgerScript(
  'renewFireLeases',
  `local owner, lease, now = ARGV[1], tonumber(ARGV[2]), clock(ARGV[3])
local after, through, limit = ARGV[4], ARGV[5], tonumber(ARGV[6])
local prefix = lex(owner)
local low = after == '' and '[' .. prefix or '(' .. prefix .. after
local high = through == '' and '[' .. prefix .. TOP or '[' .. prefix .. through
local found = redis.call('ZRANGEBYLEX', NODE_LIVE, low, high, 'LIMIT', 0, limit)
local ids = {}
for i, member in ipairs(found) do ids[i] = string.sub(member, #prefix + 1) end
local texts = hmget(FIRES, ids)
local renewed = {}
local w = writes()
local dropped, records, live = w.list('ZREM', NODE_LIVE), w.list('HSET', FIRES), w.list('ZADD', LIVE)
local until_text = num(now + lease)
for i, member in ipairs(found) do
  local f = decode(texts[i])
  if f == nil or f.node ~= owner or not LIVE_STATES[f.state] then
    dropped[#dropped + 1] = member
  elseif f.leaseUntil ~= nil and f.leaseUntil >= now then
    f.leaseUntil = now + lease
    records[#records + 1] = f.fireId
    records[#records + 1] = encode(f)
    live[#live + 1] = until_text
    live[#live + 1] = f.fireId
    renewed[#renewed + 1] = f.fireId
  end
end
w.done()
return { renewed, #found < limit and '' or ids[#ids] }`,
);

/**
 * ARGV: owner, limit, run lease ms, now, budget. Reaps at most `limit` live
 * fires whose run lease ended before `now`, among the first `budget` entries
 * of the reaper's index it finds expired (entries it looks at and finds stale
 * are set right: dropped when the fire is no longer live, moved when its
 * lease was renewed): a fire of a job with `recover: true`
 * (as stored, or, when its own commit removed it, as the fire was claimed)
 * is taken over (state claimed, node `owner`, the job's fence + 1 —
 * which also voids a claim of the job in flight —, recovering, attempt + 1,
 * lease `now + run lease`); any other is recorded abandoned (finished now).
 * A `retried` fire whose retry is due (it waits in the same index, scored by
 * its retry time) is taken the same way (attempt + 1, not recovering) while
 * its job runs fewer than `maxInstances` times, else looked at again a second
 * later; one whose job is gone (removed by a user) is recorded cancelled.
 * Returns `{abandoned records, recovered (record, job state, previous node)
 * triples, ids of corrupt records dropped from the index, '1' when expired
 * entries may be left (the budget or the limit was reached) else '0', retried
 * (record, job state) pairs, a time at or before which no retry waiting
 * now is due (the first among the next RETRY_LOOKAHEAD entries of the index)
 * or ''}`.
 */
export const REAP_EXPIRED_FIRES: RedisScript = ledgerScript(
  'reapExpiredFires',
  `local owner, limit, run_lease, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), clock(ARGV[4])
local budget = tonumber(ARGV[5])
local abandoned, recovered, corrupt, retried, next_retry = {}, {}, {}, {}, nil
local expired = redis.call('ZRANGEBYSCORE', LIVE, '-inf', '(' .. num(now), 'LIMIT', 0, budget)
local done, more = 0, #expired >= budget
for _, id in ipairs(expired) do
  if done >= limit then
    more = true
    break
  end
  local text = redis.call('HGET', FIRES, id)
  local f = decode(text)
  if f == nil then
    redis.call('ZREM', LIVE, id)
    if text then corrupt[#corrupt + 1] = id end
  elseif f.fireId ~= id or not (LIVE_STATES[f.state] or f.state == 'retried') then
    redis.call('ZREM', LIVE, id)
  elseif f.leaseUntil ~= nil and f.leaseUntil >= now then
    redis.call('ZADD', LIVE, num(f.leaseUntil), id)
  elseif f.state == 'retried' then
    done = done + 1
    local state = redis.call('HGET', JOBS, f.jobId)
    -- Gone with the fence of the fire: its own commit removed it (a date job), not a user.
    if not state and fence_of(f.jobId) == f.fence then state = redis.call('HGET', FIRE_JOBS, id) end
    if not state then
      f.state, f.finishedAt, f.detail = 'cancelled', now, 'its job was removed before its retry'
      save(f)
      unindex(f)
    elseif live_batches_of(f.jobId, now) >= max_instances(state) then
      -- A retry counts toward maxInstances: it waits while the job runs that many times.
      f.leaseUntil = now + ${RETRY_BUSY_MS}
      save(f)
      redis.call('ZADD', LIVE, num(f.leaseUntil), id)
      if next_retry == nil or f.leaseUntil < next_retry then next_retry = f.leaseUntil end
    else
      f.fence = bump(f.jobId)
      redis.call('HDEL', CLAIMS, f.jobId)
      f.state, f.node, f.recovering = 'claimed', owner, false
      f.leaseUntil, f.claimedAt, f.startedAt, f.finishedAt = now + run_lease, now, nil, nil
      f.attempt = (f.attempt or 1) + 1
      save(f)
      index(f)
      retried[#retried + 1] = encode(f)
      retried[#retried + 1] = state
    end
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
-- When to look again for retries: the first waiting one among the next entries, or, when
-- these are all live fires, the last of them (no retry is due before it).
local ahead = redis.call('ZRANGEBYSCORE', LIVE, num(now), '+inf', 'WITHSCORES', 'LIMIT', 0, ${RETRY_LOOKAHEAD})
local ahead_ids = {}
for i = 1, #ahead, 2 do ahead_ids[#ahead_ids + 1] = ahead[i] end
local found = nil
for i, text in ipairs(hmget(FIRES, ahead_ids)) do
  local f = decode(text)
  if f ~= nil and f.state == 'retried' then
    found = tonumber(ahead[2 * i])
    break
  end
end
if found == nil and #ahead_ids >= ${RETRY_LOOKAHEAD} then found = tonumber(ahead[#ahead]) end
if found ~= nil and (next_retry == nil or found < next_retry) then next_retry = found end
return { abandoned, recovered, corrupt, more and '1' or '0', retried, next_retry and num(next_retry) or '' }`,
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

/**
 * ARGV: owner, cursor (`'0'` to begin). Drops the claims `owner` holds
 * among those one `HSCAN` step from `cursor` visits (about
 * `RELEASE_SLICE`). Returns the next cursor: `'0'` when every claim has
 * been visited.
 */
export const RELEASE_CLAIMS: RedisScript = ledgerScript(
  'releaseClaims',
  `local step = redis.call('HSCAN', CLAIMS, ARGV[2], 'COUNT', ${RELEASE_SLICE})
local claims, dropped = step[2], {}
for i = 1, #claims, 2 do
  local _, holder = claim_in(claims[i + 1])
  if holder == ARGV[1] then dropped[#dropped + 1] = claims[i] end
end
flush('HDEL', CLAIMS, dropped)
return step[1]`,
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
 * `''`: open), the place to continue after (scheduled time and fire id,
 * `''`: the start), budget. Reads fires newest first (by scheduled time, then
 * fire id), at most `budget` of them, until it has `limit` records that parse
 * and are in `states`. Returns the place of the last fire it read to go on
 * after (scheduled time and fire id, `''` and `''` when it read to the end),
 * the number of records found, then `fire id, record` pairs; unparsable
 * records are returned too, uncounted, for the caller to report.
 */
export const GET_FIRES: RedisScript = ledgerScript(
  'getFires',
  `local by_job, limit, budget = ARGV[2] == '1', tonumber(ARGV[3]), tonumber(ARGV[9])
local wanted = nil
if ARGV[4] ~= '' then
  wanted = {}
  for _, state in ipairs(cjson.decode(ARGV[4])) do wanted[state] = true end
end
local from, to = tonumber(ARGV[5]), tonumber(ARGV[6])
local after_time, after_id = tonumber(ARGV[7]), ARGV[8]
if after_time ~= nil and to ~= nil and after_time > to then after_time = nil end
-- The fires read, in order: their ids and times, and whether each is in the range asked for.
local read_ids, read_times, kept, more = {}, {}, {}, false
if by_job then
  -- Members are job, time key, fire id: one lexicographic range, walked down from its top.
  local prefix = lex(ARGV[1])
  local top = '[' .. prefix .. TOP
  if to ~= nil then top = '[' .. prefix .. tkey(to) .. TOP end
  if after_time ~= nil then top = '(' .. prefix .. tkey(after_time) .. after_id end
  local bottom = '[' .. prefix
  if from ~= nil then bottom = '[' .. prefix .. tkey(from) end
  local found = redis.call('ZREVRANGEBYLEX', JOB_FIRES, top, bottom, 'LIMIT', 0, budget)
  for i, member in ipairs(found) do
    local key = string.sub(member, #prefix + 1, #prefix + 17)
    local time = tonumber(string.sub(key, 2))
    if string.sub(key, 1, 1) == 'n' then time = time - 9e15 end
    read_ids[i], read_times[i], kept[i] = string.sub(member, #prefix + 18), time, true
  end
  more = #found >= budget
else
  -- Scores are times; members of one score come in descending fire id order, as wanted.
  local found
  local by_rank = false
  if after_time ~= nil then
    local rank = redis.call('ZREVRANK', FIRE_TIMES, after_id)
    if rank and tonumber(redis.call('ZSCORE', FIRE_TIMES, after_id)) == after_time then
      -- The place is a fire of the index: go on from its rank, past the fires of its time before it.
      found = redis.call('ZREVRANGE', FIRE_TIMES, rank + 1, rank + budget, 'WITHSCORES')
      by_rank = true
    end
  end
  if not by_rank then
    local high = '+inf'
    if to ~= nil then high = num(to) end
    if after_time ~= nil then high = num(after_time) end
    found = redis.call('ZREVRANGEBYSCORE', FIRE_TIMES, high, '-inf', 'WITHSCORES', 'LIMIT', 0, budget)
  end
  more = #found >= budget * 2
  for i = 1, #found, 2 do
    local id, time = found[i], tonumber(found[i + 1])
    if from ~= nil and time < from then
      more = false
      break
    end
    read_ids[#read_ids + 1], read_times[#read_ids + 1] = id, time
    -- A place that is no fire of the index: of its time, only the fires after it in the order.
    kept[#read_ids] = by_rank or after_time == nil or time < after_time or id < after_id
  end
end
local ids, at = {}, {}
for i, id in ipairs(read_ids) do
  if kept[i] then
    ids[#ids + 1] = id
    at[#ids] = i
  end
end
local texts = hmget(FIRES, ids)
local result, count, last = { '', '', 0 }, 0, #read_ids
for i, id in ipairs(ids) do
  local text = texts[i]
  if text then
    local f = decode(text)
    if f == nil then
      result[#result + 1] = id
      result[#result + 1] = text
    elseif wanted == nil or wanted[f.state] then
      result[#result + 1] = id
      result[#result + 1] = text
      count = count + 1
      if count >= limit then
        last = at[i]
        break
      end
    end
  end
end
if (count >= limit or more) and last > 0 then
  result[1], result[2] = num(read_times[last]), read_ids[last]
end
result[3] = count
return result`,
);

/**
 * ARGV: succeeded before, other before, keep per job, limit, after time and
 * after fire id (`''`, `''` at a pass's start). One batch of a retention
 * purge (`PurgeOptions` in `../ledger.ts`), every index kept consistent: a
 * fire removed leaves `fires`, `fire_slots` (where the slot still names it),
 * `fire_times`, `job_fires`, `history_fires` and `fire_jobs`.
 *
 * First the fires of jobs that keep less history (`history_fires`, at most
 * `limit` looked at): a final one is removed, or, a failure of a
 * `'failures'` job, left to the age rules and dropped from that index; live
 * ones stay. Then, with what is left of `limit`, the pass's next fires oldest
 * first (`fire_times` from the place after the given one, found by its rank:
 * the place is added to the index for the lookup and taken out again when it
 * was not there); a fire is removed when it is past its cut-off and at least
 * `keep` fires of its job are newer (a count of `job_fires` members).
 * Returns the number removed, then the time and fire id of the place the
 * pass goes on from (`''`, `''` when it is done).
 */
export const PURGE_FIRES: RedisScript = ledgerScript(
  'purgeFires',
  `-- A fire waiting for its retry or its turn has not ended: kept like a live one.
local WAITING_STATES = { retried = true, queued = true }
local succeeded_before, other_before = tonumber(ARGV[1]), tonumber(ARGV[2])
local keep, limit, after_time, after_id = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local removed = 0
local w = writes()
local function remove(f)
  w.add('HDEL', FIRES, f.fireId)
  local slot = num(f.scheduledTime) .. ' ' .. f.jobId
  if redis.call('HGET', FIRE_SLOTS, slot) == f.fireId then w.add('HDEL', FIRE_SLOTS, slot) end
  w.add('ZREM', FIRE_TIMES, f.fireId)
  w.add('ZREM', JOB_FIRES, lex(f.jobId) .. tkey(f.scheduledTime) .. f.fireId)
  w.add('ZREM', HISTORY_FIRES, f.fireId)
  w.add('HDEL', FIRE_JOBS, f.fireId)
  removed = removed + 1
end
-- Jobs that keep less: what this step dealt with (removed, or left to the age rules) uses up limit.
local dealt = 0
local listed = redis.call('ZRANGE', HISTORY_FIRES, 0, limit - 1)
for i, text in ipairs(hmget(FIRES, listed)) do
  local f = decode(text)
  if not text then
    w.add('ZREM', HISTORY_FIRES, listed[i])
    dealt = dealt + 1
  elseif f ~= nil and not LIVE_STATES[f.state] and not WAITING_STATES[f.state] then
    if f.history == 'off' or f.state == 'succeeded' then
      remove(f)
    else
      w.add('ZREM', HISTORY_FIRES, f.fireId)
    end
    dealt = dealt + 1
  end
end
w.done()
local budget = limit - dealt
if budget <= 0 then
  -- The pass goes on from where it was: its start, when it has not begun (PURGE_START).
  if after_time == '' then return { num(removed), '${Number.MIN_SAFE_INTEGER}', '' } end
  return { num(removed), after_time, after_id }
end
w = writes()
local start = 0
if after_time ~= '' then
  local added = redis.call('ZADD', FIRE_TIMES, 'NX', after_time, after_id)
  start = redis.call('ZRANK', FIRE_TIMES, after_id)
  if added == 1 then redis.call('ZREM', FIRE_TIMES, after_id) else start = start + 1 end
end
local horizon = math.max(succeeded_before, other_before)
local found = redis.call('ZRANGE', FIRE_TIMES, start, start + budget - 1, 'WITHSCORES')
local ids = {}
for i = 1, #found, 2 do
  if tonumber(found[i + 1]) >= horizon then break end
  ids[#ids + 1] = found[i]
end
for i, text in ipairs(hmget(FIRES, ids)) do
  local f = decode(text)
  if not text then
    w.add('ZREM', FIRE_TIMES, ids[i])
  elseif f ~= nil and not LIVE_STATES[f.state] and not WAITING_STATES[f.state] then
    local before = f.state == 'succeeded' and succeeded_before or other_before
    local t = f.scheduledTime
    if t < before and (f.finishedAt or t) < before then
      local prefix = lex(f.jobId)
      if keep == 0 or redis.call('ZLEXCOUNT', JOB_FIRES, '(' .. prefix .. tkey(t) .. f.fireId, '[' .. prefix .. TOP) >= keep then
        remove(f)
      end
    end
  end
end
w.done()
if #ids < budget then return { num(removed), '', '' } end
return { num(removed), found[2 * #ids], ids[#ids] }`,
);

/** ARGV: job id. Returns the record of the job's oldest fire (the first `job_fires` member of the job), or nil. */
export const OLDEST_FIRE: RedisScript = ledgerScript(
  'oldestFire',
  `local prefix = lex(ARGV[1])
local first = redis.call('ZRANGEBYLEX', JOB_FIRES, '[' .. prefix, '[' .. prefix .. TOP, 'LIMIT', 0, 1)[1]
if not first then return nil end
return redis.call('HGET', FIRES, string.sub(first, #prefix + 18))`,
);
