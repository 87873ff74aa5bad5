/**
 * The Lua scripts of the Redis bus. Each runs atomically in Redis, so a reader never sees history
 * without the live message having been sent, or the reverse.
 */

/** Reads the epoch (KEYS[1]), creating it from the given ARGV when Redis has none (first use, or data lost). */
const ensureEpoch = (argv: number) => `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[${argv}]
  redis.call('SET', KEYS[1], epoch)
end`;

/**
 * Publish a batch of events of one topic, in order; live messages go out with `command`: `PUBLISH`
 * on one Redis, `SPUBLISH` (sharded pub/sub, sent only within the shard) on a cluster. KEYS: epoch, topic offset counter, the topic's
 * key set, the source stream (`StreamSource`; any key when there is none), then per event the key's
 * stream and the key's publisher ids. ARGV: max length, a fresh epoch to use if none exists, the
 * source's group and consumer ("" when there is no source), then per event: channel, key, payload
 * JSON, the publisher's id of the event or "", its source entry id or "". Returns { epoch, then per
 * event: its offset and "", or the offset and payload JSON of the original event when the id was
 * published before (also earlier in this batch) and that event is still retained, or 0 and "" when
 * its source entry was no longer pending (not published) }.
 *
 * Each new event gets the topic's next offset, is appended to its key's capped stream and PUBLISHed
 * on its key's channel, one message per event (`{"epoch","offset","payload"}`, the format readers
 * and other-language publishers know): the whole batch runs atomically, so the offsets of a batch
 * are contiguous in the topic and live messages leave in offset order. What a batch saves is the
 * round trips and the per-call work: the offset counter is read and written once, the newest offset
 * of a key is read once, the key set is written once.
 *
 * With a source, its entries are claimed for the consumer first (XCLAIM JUSTID: those still pending
 * in the group) and acknowledged at the end, in the same atomic step as their publish: an entry is
 * published once, with no id to look up, even when the reply is lost or another consumer took the
 * entry over meanwhile. (One Redis only: on a cluster the source stream is in another slot, and the
 * bus settles its entries by ids instead, see `RedisEventBus.publishChunk`.)
 *
 * The ids are a sorted set scored by offset, trimmed with the stream (once per key, after the
 * batch), so it holds exactly the ids of the retained events.
 */
export const publishScript = (command: 'PUBLISH' | 'SPUBLISH') => `${ensureEpoch(2)}
local maxLen, group, consumer = ARGV[1], ARGV[3], ARGV[4]
local count = (#ARGV - 4) / 5
local owned = nil
if group ~= '' then
  local claim = { KEYS[4], group, consumer, 0 }
  for i = 1, count do claim[4 + i] = ARGV[5 * i + 4] end
  claim[#claim + 1] = 'JUSTID'
  owned = {}
  for _, entry in ipairs(redis.call('XCLAIM', unpack(claim))) do owned[entry] = true end
end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local offset = last
local result = { epoch }
local newest = {}
local trimIds = {}
local known = {}
local newKeys = {}
local acked = {}
for i = 1, count do
  local stream, ids = KEYS[3 + 2 * i], KEYS[4 + 2 * i]
  local a = 5 * i
  local channel, key, payload, id, entry = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local seen, original = nil, nil
  if owned and not owned[entry] then
    original = false
  elseif id ~= '' then
    seen = redis.call('ZSCORE', ids, id)
    if seen then
      local found = redis.call('XRANGE', stream, seen .. '-0', seen .. '-0')
      if found[1] then
        local fields = found[1][2]
        for j = 1, #fields, 2 do
          if fields[j] == 'p' then original = fields[j + 1] end
        end
      end
    end
  end
  if original == false then
    result[#result + 1] = 0
    result[#result + 1] = ''
  elseif original then
    result[#result + 1] = tonumber(seen)
    result[#result + 1] = original
    if owned then acked[#acked + 1] = entry end
  else
    offset = offset + 1
    local previous = newest[stream]
    if previous == nil then
      previous = 0
      local newestEntry = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
      if newestEntry[1] then previous = tonumber(string.match(newestEntry[1][1], '^(%d+)')) end
    end
    redis.call('XADD', stream, 'MAXLEN', '~', maxLen, offset .. '-0', 'p', payload, 'v', previous)
    newest[stream] = offset
    if not known[key] then
      known[key] = true
      newKeys[#newKeys + 1] = key
    end
    if id ~= '' then
      redis.call('ZADD', ids, offset, id)
      trimIds[stream] = ids
    end
    redis.call('${command}', channel, '{"epoch":"' .. epoch .. '","offset":' .. offset .. ',"payload":' .. payload .. '}')
    result[#result + 1] = offset
    result[#result + 1] = ''
    if owned then acked[#acked + 1] = entry end
  end
end
if offset ~= last then redis.call('SET', KEYS[2], offset) end
if #newKeys > 0 then redis.call('SADD', KEYS[3], unpack(newKeys)) end
for stream, ids in pairs(trimIds) do
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
  redis.call('ZREMRANGEBYSCORE', ids, '-inf', '(' .. string.match(oldest[1][1], '^(%d+)'))
end
if #acked > 0 then redis.call('XACK', KEYS[4], group, unpack(acked)) end
return result
`;

/**
 * History after an offset. KEYS: epoch, topic offset counter, then one stream per key. ARGV: the
 * offset to read after, the page size per key. Returns { epoch or "", current offset, then per key:
 * the previous-offset of its oldest retained event (-1 if it has none), its entries after ARGV[1] }.
 */
export const HISTORY_SCRIPT = `
local result = { redis.call('GET', KEYS[1]) or '', tonumber(redis.call('GET', KEYS[2]) or '0') }
for i = 3, #KEYS do
  local oldest = redis.call('XRANGE', KEYS[i], '-', '+', 'COUNT', 1)
  local previous = -1
  if oldest[1] then
    local fields = oldest[1][2]
    for j = 1, #fields, 2 do
      if fields[j] == 'v' then previous = tonumber(fields[j + 1]) end
    end
  end
  result[#result + 1] = previous
  result[#result + 1] = redis.call('XRANGE', KEYS[i], '(' .. ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
end
return result
`;

/**
 * Snapshot. KEYS: epoch, topic offset counter, then one stream per key. ARGV: events per key, a
 * fresh epoch to use if none exists (a cursor needs one even before the first publish). Returns
 * { epoch, current offset, then per key its newest entries, newest first }.
 */
export const SNAPSHOT_SCRIPT = `${ensureEpoch(2)}
local result = { epoch, tonumber(redis.call('GET', KEYS[2]) or '0') }
for i = 3, #KEYS do
  result[#result + 1] = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', ARGV[1])
end
return result
`;

/**
 * Starts a new history when the stored one went backwards (a failover to a replica that had not
 * received the last writes, a restore from an older file): offsets already handed out would be given
 * again to other events, so every cursor of the old history must become unrecoverable. KEYS: epoch.
 * ARGV: the epoch seen to go backwards, its replacement. Only the first instance to notice replaces
 * it. Returns the current epoch.
 */
export const RESET_EPOCH_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) end
return redis.call('GET', KEYS[1])
`;
