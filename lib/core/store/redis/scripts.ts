import { scriptOf } from '../../redis/scripts.js';

/**
 * Lua scripts of the Redis store (run with `runScript` of `core/redis/scripts`). Each touches keys of one bus only (one hash tag), so they
 * run on a cluster too. Stream ids are compared numerically (`<ms>-<seq>`).
 *
 * @module
 */

const ID_HELPERS = `
local function parse(id)
  local d = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, d - 1)), tonumber(string.sub(id, d + 1))
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return am < bm end
  return as < bs
end
local function nextId(id)
  local m, s = parse(id)
  return string.format('%d-%d', m, s + 1)
end
local function fields(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end
`;

/**
 * Trim a log. KEYS[1] = log; ARGV[1] = keep at most this many newest entries (`''`: no count
 * limit); ARGV[2] = remove entries with ids below this one (`''`: no time limit).
 * Never removes an entry a consumer group has not acked: the cut stops at the lowest pending
 * entry (or the next undelivered one) of every group.
 * Returns `{ removed, length after, holding group or '', entries kept for it }`.
 */
export const TRIM_SCRIPT = scriptOf(`${ID_HELPERS}
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return {0, 0, '', 0} end
local cut = nil
if ARGV[1] ~= '' then
  local excess = redis.call('XLEN', key) - tonumber(ARGV[1])
  if excess > 0 then
    local r = redis.call('XRANGE', key, '-', '+', 'COUNT', excess)
    cut = nextId(r[#r][1])
  end
end
if ARGV[2] ~= '' and (cut == nil or less(cut, ARGV[2])) then cut = ARGV[2] end
if cut == nil then return {0, redis.call('XLEN', key), '', 0} end
local held = ''
local keep = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
  local info = fields(g)
  local floor
  if tonumber(info['pending']) > 0 then
    floor = redis.call('XPENDING', key, info['name'])[2]
  else
    floor = nextId(info['last-delivered-id'])
  end
  if keep == nil or less(floor, keep) then keep = floor; held = info['name'] end
end
local wanted = cut
if keep ~= nil and less(keep, cut) then cut = keep else held = '' end
local removed = redis.call('XTRIM', key, 'MINID', cut)
local kept = 0
if held ~= '' then
  kept = #redis.call('XRANGE', key, cut, '(' .. wanted, 'COUNT', 100000)
end
return {removed, redis.call('XLEN', key), held, kept}
`);

/**
 * One pull of a durable consumer. KEYS[1] = log, KEYS[2] = the group's activity zset
 * (consumer → last pull, server time); ARGV = group, consumer, max pending across
 * the group, min idle (ack wait, ms), batch size, whether to pull new entries (`1`/`0`),
 * activity window (ms; `0`: no sharing).
 * Claims entries idle for the ack wait (another consumer's, or naked ones), then reads new
 * entries while the group has fewer than max pending. Returns
 * `{ claimed entries, their delivery counts, new entries, claimed ids that were deleted, room
 * left }`.
 * A missing group yields `{ 'NOGROUP' }`.
 */
export const PULL_SCRIPT = scriptOf(`
local key, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local maxPending, minIdle, batch = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local window = tonumber(ARGV[7])
local ok, summary = pcall(redis.call, 'XPENDING', key, group)
if not ok then return {'NOGROUP'} end
local claimed = redis.call('XAUTOCLAIM', key, group, consumer, minIdle, '0-0', 'COUNT', batch)
local entries = claimed[2]
local counts = {}
for i, e in ipairs(entries) do
  local p = redis.call('XPENDING', key, group, e[1], e[1], 1, consumer)
  counts[i] = p[1] and p[1][4] or 1
end
local fresh = {}
local room = maxPending - tonumber(summary[1])
local take = math.min(room, batch)
if window > 0 and take > 0 then
  -- Share maxPending among the consumers that pulled within the window (as JetStream spreads
  -- pull requests), so one instance does not take every slot.
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[2], now, consumer)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  redis.call('PEXPIRE', KEYS[2], window * 10)
  local active = redis.call('ZCARD', KEYS[2])
  local mine = 0
  for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', key, group)) do
    if c[2] == consumer then mine = tonumber(c[4]) end
  end
  take = math.min(take, math.ceil(maxPending / active) - mine)
end
if ARGV[6] == '1' and take > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', take, 'STREAMS', key, '>')
  if r and r[1] then fresh = r[1][2] end
end
return {entries, counts, fresh, claimed[3] or {}, math.min(room, take) - #fresh}
`);

/**
 * Delete a consumer of a group when it holds no pending entry. KEYS[1] = log, KEYS[2] = the
 * group's activity zset; ARGV = group, consumer.
 */
export const RETIRE_CONSUMER_SCRIPT = scriptOf(`
redis.call('ZREM', KEYS[2], ARGV[2])
local ok, p = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if not ok or #p > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
`);

/**
 * Add a DLQ entry. KEYS = dlq zset, dlq data hash, counter, dlq subscriptions set;
 * ARGV = entry id, entry JSON, encoded subscription id.
 */
export const PUT_DLQ_SCRIPT = scriptOf(`
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], n, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[3])
return n
`);

/**
 * Size of every DLQ of a bus. KEYS[1] = dlq subscriptions set; ARGV[1] = key prefix of the
 * per-subscription zsets (`<prefix>:{<bus>}:dlq:`).
 */
export const DLQ_SIZE_SCRIPT = scriptOf(`
local total = 0
for _, s in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  total = total + redis.call('ZCARD', ARGV[1] .. s)
end
return total
`);

/** Remove DLQ entries. KEYS = dlq zset, dlq data hash; ARGV = entry ids. */
export const DELETE_DLQ_SCRIPT = scriptOf(`
local removed = 0
for _, id in ipairs(ARGV) do
  removed = removed + redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return removed
`);
