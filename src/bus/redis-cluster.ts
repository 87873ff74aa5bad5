import { createConnection } from 'node:net';
import { AbstractConnector, Cluster, Redis, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import type { ClusterUrl } from './redis-connection.js';

/**
 * How often the cluster client asks for the slot map when nothing forces it: after a failover it
 * also learns the new master from the first MOVED reply or a lost connection; this bounds the rest.
 */
const SLOTS_REFRESH_INTERVAL_MS = 1000;

/** What a command gets while the cluster client is not connected: one of the messages `isUnavailable` knows. */
const NOT_READY = "Cluster isn't ready";

/**
 * ioredis' cluster client, with the single-server policy for waiting: a command for a node whose
 * connection is still being opened waits for it in that node's queue (at most the command timeout),
 * and a command while the cluster client itself is not connected fails at once. ioredis offers both
 * queues or neither: its own queue has no timeout (a call would wait as long as the cluster is
 * away), and without it a command for a node still connecting fails as "Connection is closed", so
 * the first burst at start-up, or just after a replica became master, was refused for nothing
 * (20 of 30 concurrent first commands, measured on a fresh client).
 */
class FailFastCluster extends Cluster {
  override sendCommand(command: Command, stream?: Parameters<Cluster['sendCommand']>[1], node?: unknown): unknown {
    // CLUSTER commands are ioredis' own handshake (and the slot lookups of `createSlotOwnerClient`).
    if (command.name !== 'cluster' && (this.status !== 'ready' || this.nodes('all').length === 0)) {
      command.reject(new Error(`${NOT_READY}: its connections are being made again`));
      return command.promise;
    }
    return super.sendCommand(command, stream, node);
  }
}

/**
 * A cluster client with the same policy as a single-server one (`options`: nothing waits while it is
 * not connected, no resend, the timeouts), reconnecting forever with the same capped backoff.
 */
export function createClusterClient(cluster: ClusterUrl, options: RedisOptions): Cluster {
  // The nodes' queues are always on in ioredis' cluster client (bounded by the command timeout); the
  // cluster's own is replaced by FailFastCluster's check.
  const { enableOfflineQueue: _replaced, retryStrategy, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...perNode, username: cluster.username, password: cluster.password },
    enableOfflineQueue: true,
    clusterRetryStrategy: retryStrategy ?? null,
    slotsRefreshInterval: SLOTS_REFRESH_INTERVAL_MS,
    slotsRefreshTimeout: options.connectTimeout,
    // Redirections and refusals (MOVED, ASK, TRYAGAIN, CLUSTERDOWN: the command did not run) are
    // followed a few times, 100 ms apart. A command whose connection closed is not sent again: it may
    // have run (a publish without an id would be stored twice); the caller sees UNAVAILABLE and
    // retries with its id, as on one Redis.
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 8,
  };
  return new FailFastCluster(cluster.nodes, clusterOptions);
}

/**
 * A plain connection (for SSUBSCRIBE) to whichever master owns `channel`'s hash slot, asked of
 * `cluster` each time it connects: after a failover, ioredis' own reconnection (with `options`'
 * backoff) lands on the promoted replica. While no node answers, or none owns the slot, the
 * connection attempt waits and asks again (as ioredis' Sentinel connector does: a failed connector
 * would end the client for good).
 */
export function createSlotOwnerClient(cluster: Cluster, channel: string, options: RedisOptions): Redis {
  const backoff = (attempt: number) => Number(options.retryStrategy?.(attempt) ?? 1000);
  let slot: number | null = null;
  const findOwner = async (): Promise<{ host: string; port: number } | null> => {
    try {
      slot ??= Number(await cluster.call('CLUSTER', 'KEYSLOT', channel));
      await refreshSlots(cluster);
    } catch {
      // The cluster client is not connected yet, or no node answered.
      return null;
    }
    const owner = cluster.slots[slot]?.[0];
    const separator = owner?.lastIndexOf(':') ?? -1;
    if (!owner || separator < 0) return null;
    return { host: owner.slice(0, separator), port: Number(owner.slice(separator + 1)) };
  };

  class SlotOwnerConnector extends AbstractConnector {
    constructor(connectorOptions: unknown) {
      super((connectorOptions as RedisOptions).disconnectTimeout ?? 2000);
    }

    async connect(): Promise<NonNullable<AbstractConnector['stream']>> {
      this.connecting = true;
      for (let attempt = 1; ; attempt += 1) {
        const owner = await findOwner();
        if (!this.connecting) throw new Error('Connection is closed.');
        if (owner) {
          const stream = createConnection(owner);
          stream.once('error', (error) => (this.firstError = error));
          this.stream = stream;
          return stream;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
      }
    }
  }

  const { username, password } = cluster.options.redisOptions ?? {};
  return new Redis({ ...options, username, password, Connector: SlotOwnerConnector });
}

/** Refreshes the cluster's slot map (joining a refresh under way); rejects when no node answered. */
function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve, reject) => cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())));
}
