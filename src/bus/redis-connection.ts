import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { createClusterClient, createSlotOwnerClient } from './redis-cluster.js';

/**
 * Where Redis is, as one URL, so every process (server, feed, TypeScript publisher) and every
 * client in it takes the same `REDIS_URL`:
 *
 * - `redis://[[user]:password@]host:port[/db]` or `rediss://…` (TLS): one server, parsed by ioredis.
 * - `redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/<master name>[/db][?sentinelPassword=…&sentinelUsername=…]`:
 *   ask these Sentinels (port 26379 by default) for the current master of `<master name>` and follow
 *   it across failovers. The user and password are the master's; the query holds the Sentinels' own
 *   credentials when they require them.
 * - `redis+cluster://[[user]:password@]host:port[,host:port…]`: a Redis Cluster, reached through
 *   these nodes (any of its masters or replicas; the others are discovered). See `redis-cluster.ts`.
 */
export const SENTINEL_SCHEME = 'redis+sentinel:';
export const CLUSTER_SCHEME = 'redis+cluster:';

/** A connection to one server (through Sentinel or not), or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** What a `redis+sentinel://` URL names, as ioredis options. */
export type SentinelOptions = Pick<
  RedisOptions,
  'sentinels' | 'name' | 'username' | 'password' | 'db' | 'sentinelUsername' | 'sentinelPassword'
>;

const SENTINEL_URL = /^redis\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/([^/?#]+)(?:\/([^/?#]*))?(?:\?([^#]*))?$/;
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+)(?::(\d{1,5}))?$/;
const DEFAULT_SENTINEL_PORT = 26379;

/** The URL without its passwords (the server's and a Sentinel's), for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@').replace(/([?&]sentinelPassword=)[^&#]*/, '$1***');
}

/** A malformed `redis+sentinel://` or `redis+cluster://` URL; the message says what is wrong without the URL's secrets. */
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
    // No failoverDetector: Redis drops every client when Sentinel changes a server's role, which is
    // enough to follow a failover, and the detector's own Sentinel connections raced reconnection
    // (a client ended for good in about one failover of three in test/faults). A master that hangs
    // rather than dying is left by RedisLink's probe.
  };
}

/** What a `redis+cluster://` URL names: the nodes to start from and the credentials of every node. */
export interface ClusterUrl {
  nodes: { host: string; port: number }[];
  username: string | undefined;
  password: string | undefined;
}

const CLUSTER_URL = /^redis\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/?$/;
const NODE = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/;

export function isClusterUrl(url: string): boolean {
  return url.startsWith(`${CLUSTER_SCHEME}//`);
}

/** The nodes and credentials a `redis+cluster://` URL names, or null for any other URL. Throws `RedisUrlError` when malformed. */
export function parseClusterUrl(url: string): ClusterUrl | null {
  if (!isClusterUrl(url)) return null;
  const match = CLUSTER_URL.exec(url);
  if (!match) throw new RedisUrlError('a cluster URL is redis+cluster://[[user]:password@]host:port[,host:port…] (no database, no parameters)');
  const [, user, password, hosts = ''] = match;
  const nodes = hosts.split(',').map((address) => {
    const parts = NODE.exec(address.trim());
    const port = Number(parts?.[2]);
    if (!parts || port < 1 || port > 65535) throw new RedisUrlError(`"${address}" is not a cluster node host:port`);
    return { host: parts[1]!.replace(/^\[|\]$/g, ''), port };
  });
  return {
    nodes,
    username: user ? decodeURIComponent(user) : undefined,
    password: password ? decodeURIComponent(password) : undefined,
  };
}

/**
 * How long the API waits for Redis. Every connection of every process gets them, so no Redis call
 * can hang a request: a Redis that is frozen or cut off by the network fails the command with
 * `UNAVAILABLE` after `commandTimeoutMs`, as one that refuses connections does at once.
 */
export interface RedisTimeouts {
  /** `REDIS_COMMAND_TIMEOUT_MS`: longest wait for the reply to one command. */
  commandTimeoutMs: number;
  /** `REDIS_CONNECT_TIMEOUT_MS`: longest wait for a connection (TCP and handshake) to open. */
  connectTimeoutMs: number;
  /**
   * `REDIS_RETRY_MAX_DELAY_MS`: reconnect attempts back off from 50 ms to this, forever; also the
   * `retryAfterMs` a client is told while Redis is unavailable.
   */
  retryMaxDelayMs: number;
}

/**
 * A Redis client for `url` (any form above) with `options` (connection name, queue policy) on top:
 * the one place the URL becomes a connection. It reconnects forever with a capped backoff and
 * applies `timeouts` to every command and connection attempt. A cluster URL gives a `Cluster`, which
 * routes each command to the master of its keys' slot.
 */
export function createRedisClient(url: string, options: RedisOptions, timeouts: RedisTimeouts): RedisClient {
  const cluster = parseClusterUrl(url);
  return cluster ? createClusterClient(cluster, resilientOptions(options, timeouts)) : createServerClient(url, options, timeouts);
}

/** As `createRedisClient`, for a URL of one server (through Sentinel or not), never a cluster. */
export function createServerClient(url: string, options: RedisOptions, timeouts: RedisTimeouts): Redis {
  const resilient = resilientOptions(options, timeouts);
  const sentinel = parseSentinelUrl(url);
  return sentinel ? new Redis({ ...resilient, ...sentinel }) : new Redis(url, resilient);
}

/**
 * A subscriber connection for the sharded channel `channel` of `cluster`: to the master that owns
 * its slot, found again at each reconnection (so it follows a failover), with the same policy as
 * `createRedisClient`.
 */
export function createShardSubscriber(cluster: Cluster, channel: string, options: RedisOptions, timeouts: RedisTimeouts): Redis {
  return createSlotOwnerClient(cluster, channel, resilientOptions(options, timeouts));
}

function resilientOptions(options: RedisOptions, timeouts: RedisTimeouts): RedisOptions {
  return {
    commandTimeout: timeouts.commandTimeoutMs,
    connectTimeout: timeouts.connectTimeoutMs,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, timeouts.retryMaxDelayMs),
    // A dead peer behind a silent network is found by TCP keep-alive rather than never.
    keepAlive: 10_000,
    ...options,
  };
}

/** QUIT, or a hard disconnect when Redis cannot take it (down or frozen): closing never waits on Redis. */
export async function quitClient(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await client.quit().then(
    () => {},
    () => client.disconnect(),
  );
}
