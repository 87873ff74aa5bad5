/**
 * The Lua scripts of the shared limits. Each decision is one script, so it is atomic across
 * instances and costs one round trip. Times are Redis' own clock (`TIME`), in milliseconds: every
 * instance reads the same clock, whatever their own say.
 */

const NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000`;

/**
 * Requests against a rate (GCRA, the token bucket's equivalent with one value per key), counted
 * together (a batch). KEYS[1]: the key's theoretical arrival time. ARGV: ms between requests at the
 * sustained rate, the burst (requests allowed at once after a quiet period), the count (1 when
 * absent). Returns 0 when allowed (and counts them all), else the ms until they would be (counting
 * none). The key expires when its bucket is full again: an idle key costs nothing.
 */
export const TAKE_SCRIPT = `${NOW_MS}
local interval = tonumber(ARGV[1])
local window = interval * tonumber(ARGV[2])
local count = tonumber(ARGV[3] or 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local after = tat + interval * count
if after - now > window then return math.ceil(after - now - window) end
redis.call('SET', KEYS[1], after, 'PX', math.ceil(after - now))
return 0
`;

/**
 * Opens a connection of a user if under the limit. KEYS[1]: the user's connections, a sorted set of
 * `instance:connection` scored by when each stops counting. ARGV: the member, the limit, the lease
 * (ms). Drops the expired members (an instance that died), then adds the member unless the user is at
 * the limit. Returns 1 if added (or already there), 0 if refused.
 */
export const ACQUIRE_SCRIPT = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local lease = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], math.ceil(now + lease), ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`;

/**
 * Renews one instance's connections. KEYS: users' connection sets. ARGV[1]: the lease (ms); ARGV[1 + i]:
 * the members of KEYS[i] this instance holds, separated by spaces. Each member gets a new expiry (and
 * is added again if Redis lost it: restarted empty, or the instance counted alone during an outage);
 * expired members of other instances are dropped. Returns the number of sets renewed.
 */
export const RENEW_SCRIPT = `${NOW_MS}
local lease = tonumber(ARGV[1])
local expiry = math.ceil(now + lease)
for i = 1, #KEYS do
  for member in string.gmatch(ARGV[i + 1], '%S+') do redis.call('ZADD', KEYS[i], expiry, member) end
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  redis.call('PEXPIRE', KEYS[i], lease)
end
return #KEYS
`;
