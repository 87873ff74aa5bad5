import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis is, as one URL, so every process (server, feed, TypeScript publisher) and every
 * client in it takes the same `REDIS_URL`:
 *
 * - `redis://[[user]:password@]host:port[/db]` or `rediss://…` (TLS): one server, parsed by ioredis.
 * - `redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/<master name>[/db][?sentinelPassword=…&sentinelUsername=…]`:
 *   ask these Sentinels (port 26379 by default) for the current master of `<master name>` and follow
 *   it across failovers. The user and password are the master's; the query holds the Sentinels' own
 *   credentials when they require them.
 */
export const SENTINEL_SCHEME = 'redis+sentinel:';

/** What a `redis+sentinel://` URL names, as ioredis options. */
export type SentinelOptions = Pick<
  RedisOptions,
  'sentinels' | 'name' | 'username' | 'password' | 'db' | 'sentinelUsername' | 'sentinelPassword' | 'failoverDetector'
>;

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/([^/?#]+)(?:\/([^/?#]*))?(?:\?([^#]*))?$/;
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+)(?::(\d{1,5}))?$/;
const DEFAULT_SENTINEL_PORT = 26379;

/** A malformed `redis+sentinel://` URL; the message says what is wrong without the URL's secrets. */
export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

/**
 * The Sentinel options a `redis+sentinel://` URL names, or null for any other URL (a single server).
 * Throws `RedisUrlError` when the URL is malformed.
 */
export function parseSentinelUrl(url: string): SentinelOptions | null {
  if (!url.startsWith(`${SENTINEL_SCHEME}//`)) return null;
  const match = SENTINEL_URL.exec(url);
  if (!match) throw new RedisUrlError('a Sentinel URL is redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/<master name>[/db]');
  const [, user, password, hosts = '', name = '', db, query = ''] = match;
  const sentinels = hosts.split(',').map((address) => {
    const parts = ADDRESS.exec(address.trim());
    const port = parts?.[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(parts[2]);
    if (!parts || port < 1 || port > 65535) throw new RedisUrlError(`"${address}" is not a Sentinel host[:port]`);
    return { host: parts[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (db !== undefined && db !== '' && !/^\d{1,2}$/.test(db)) throw new RedisUrlError('the database after the master name must be a number');
  const params = new URLSearchParams(query);
  for (const key of params.keys()) {
    if (key !== 'sentinelPassword' && key !== 'sentinelUsername') {
      throw new RedisUrlError(`unknown parameter "${key}" (known: sentinelPassword, sentinelUsername)`);
    }
  }
  return {
    sentinels,
    name: decodeURIComponent(name),
    username: user ? decodeURIComponent(user) : undefined,
    password: password ? decodeURIComponent(password) : undefined,
    db: db ? Number(db) : undefined,
    sentinelUsername: params.get('sentinelUsername') ?? undefined,
    sentinelPassword: params.get('sentinelPassword') ?? undefined,
    // Sentinels announce a failover (+switch-master): reconnect to the new master then, rather than
    // when the old one happens to drop its clients.
    failoverDetector: true,
  };
}

/**
 * A Redis client for `url` (any form above) with `options` (connection name, retry and queue
 * policy) on top: the one place the URL becomes a connection.
 */
export function createRedisClient(url: string, options: RedisOptions): Redis {
  const sentinel = parseSentinelUrl(url);
  return sentinel ? new Redis({ ...options, ...sentinel }) : new Redis(url, options);
}
