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

/** KEYS: meta, hist. ARGV: newEpoch, metaTtlMs, withHistory ('1'|'0'). Returns {epoch, offset, nowMs, entries?}. */
export const READ_STREAM = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('DEL', KEYS[2])
end
local offset = tonumber(redis.call('HGET', KEYS[1], 'offset'))
local t = redis.call('TIME')
local now = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
if ARGV[3] == '1' then return {epoch, offset, now, redis.call('LRANGE', KEYS[2], 0, -1)} end
return {epoch, offset, now}
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
redis.call('HDEL', KEYS[1], ARGV[1])
local user = cjson.decode(m)['user']
local count = redis.call('HINCRBY', KEYS[2], user, -1)
if count <= 0 then
  redis.call('HDEL', KEYS[2], user)
  return {m, 1}
end
return {m, 0}
`;
