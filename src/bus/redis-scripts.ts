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
 * Publish. KEYS: epoch, topic offset counter, the key's stream, the topic's key set, the key's
 * publisher ids. ARGV: channel, payload JSON, max length, key, a fresh epoch to use if none exists,
 * the publisher's id of the event or "". Returns { epoch, offset }, or { epoch, offset, payload JSON }
 * of the original event when the id was published before and that event is still retained.
 *
 * The ids are a sorted set scored by offset, trimmed with the stream, so it holds exactly the ids of
 * the retained events.
 */
export const PUBLISH_SCRIPT = `${ensureEpoch(5)}
local id = ARGV[6]
if id ~= '' then
  local seen = redis.call('ZSCORE', KEYS[5], id)
  if seen then
    local original = redis.call('XRANGE', KEYS[3], seen .. '-0', seen .. '-0')
    if original[1] then
      local fields = original[1][2]
      for j = 1, #fields, 2 do
        if fields[j] == 'p' then return { epoch, tonumber(seen), fields[j + 1] } end
      end
    end
  end
end
local offset = redis.call('INCR', KEYS[2])
local previous = 0
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
if last[1] then previous = tonumber(string.match(last[1][1], '^(%d+)')) end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], offset .. '-0', 'p', ARGV[2], 'v', previous)
redis.call('SADD', KEYS[4], ARGV[4])
if id ~= '' then
  redis.call('ZADD', KEYS[5], offset, id)
  local oldest = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. string.match(oldest[1][1], '^(%d+)'))
end
redis.call('PUBLISH', ARGV[1], '{"epoch":"' .. epoch .. '","offset":' .. offset .. ',"payload":' .. ARGV[2] .. '}')
return { epoch, offset }
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
