/**
 * Lua run inside Redis, so each step that must be atomic across nodes is one round trip:
 * offset assignment + history append + idempotency + fan-out in one script means offsets are
 * gap-free and PUBLISH order is offset order, whichever node publishes.
 */

/** KEYS: meta, hist, idem. ARGV: eventJson, dataJson, fromJson|'', size, ttlMs, metaTtlMs, newEpoch, idemTtlMs, pubsubChannel, channelJson, hasKey */
export const PUBLISH = `
local hasKey = ARGV[11] == '1'
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if hasKey and epoch then
  local seen = redis.call('GET', KEYS[3])
  if seen then return {epoch, tonumber(seen), 1} end
end
if not epoch then
  epoch = ARGV[7]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
  redis.call('DEL', KEYS[2])
end
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
local t = redis.call('TIME')
local ts = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pub = '{"offset":' .. offset .. ',"event":' .. ARGV[1] .. ',"data":' .. ARGV[2] .. ',"ts":' .. string.format('%d', ts)
if ARGV[3] ~= '' then pub = pub .. ',"from":' .. ARGV[3] end
pub = pub .. '}'
local size = tonumber(ARGV[4])
if size > 0 then
  redis.call('RPUSH', KEYS[2], pub)
  redis.call('LTRIM', KEYS[2], -size, -1)
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if hasKey then redis.call('SET', KEYS[3], offset, 'PX', ARGV[8]) end
redis.call('PUBLISH', ARGV[9], '{"kind":"publication","channel":' .. ARGV[10] .. ',"epoch":"' .. epoch .. '","publication":' .. pub .. '}')
return {epoch, offset, 0}
`;

/**
 * KEYS: meta, hist. ARGV: mode ('pos' | 'latest' | 'before' | 'since'), at (before: an offset;
 * since: the offset after which), limit, size (the namespace's history size), maxBytes,
 * sinceEpoch. Returns {epoch ('' when no stream), offset, nowMs, oldest, entries...}.
 *
 * Reads never create a stream, and fetch only the range the query needs (LRANGE of at most
 * `limit` entries, located from the offset: the list holds contiguous offsets ending at the
 * stream's), stopping at `maxBytes` (at least one entry) so a reply never moves more than that.
 */
export const READ_STREAM = `
local t = redis.call('TIME')
local now = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then return {'', 0, now, 0} end
local offset = tonumber(redis.call('HGET', KEYS[1], 'offset'))
local mode = ARGV[1]
if mode == 'pos' then return {epoch, offset, now, 0} end
local at = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local n = math.min(redis.call('LLEN', KEYS[2]), tonumber(ARGV[4]))
local oldest = offset - n + 1
local out = {epoch, offset, now, oldest}
local lo, hi
if mode == 'since' then
  if at > offset or (at > 0 and ARGV[6] ~= epoch) then return out end
  lo = math.max(oldest, at + 1)
  hi = math.min(offset, lo + limit - 1)
else
  hi = offset
  if mode == 'before' then hi = math.min(offset, at - 1) end
  lo = math.max(oldest, hi - limit + 1)
end
if n == 0 or lo > hi then return out end
local entries = redis.call('LRANGE', KEYS[2], lo - offset - 1, hi - offset - 1)
local maxBytes = tonumber(ARGV[5])
local bytes = 0
if mode == 'since' then
  for i = 1, #entries do
    bytes = bytes + #entries[i]
    if i > 1 and bytes > maxBytes then break end
    out[#out + 1] = entries[i]
  end
else
  local first = #entries + 1
  for i = #entries, 1, -1 do
    bytes = bytes + #entries[i]
    if i < #entries and bytes > maxBytes then break end
    first = i
  end
  for i = first, #entries do out[#out + 1] = entries[i] end
end
return out
`;

/**
 * KEYS: presence, users, nodeConns. ARGV: connId, memberJson, userId, nodeConnsEntry. Returns 0
 * present already, 1 joined, 2 added. The node's record comes first, also for an entry already
 * present: a re-add after a reap must leave the entry where the next reap of this node finds it.
 */
export const PRESENCE_ADD = `
redis.call('SADD', KEYS[3], ARGV[4])
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local count = redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
if count == 1 then return 1 end
return 2
`;

/** KEYS: presence, users, nodeConns. ARGV: connId, nodeConnsEntry. Returns nil, or {memberJson, left (1|0)}. */
export const PRESENCE_REMOVE = `
redis.call('SREM', KEYS[3], ARGV[2])
local m = redis.call('HGET', KEYS[1], ARGV[1])
if not m then return nil end
-- Decode before writing: a script that fails after a write keeps the write (no rollback).
local user = cjson.decode(m)['user']
redis.call('HDEL', KEYS[1], ARGV[1])
local count = redis.call('HINCRBY', KEYS[2], user, -1)
if count <= 0 then
  redis.call('HDEL', KEYS[2], user)
  return {m, 1}
end
return {m, 0}
`;
