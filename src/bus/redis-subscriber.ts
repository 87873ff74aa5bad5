import type { Redis } from 'ioredis';
import { quitClient } from './redis-connection.js';
import { RedisLink, type LinkLog } from './redis-link.js';

/** How ioredis reports a reply that no command of its queue was waiting for. */
const UNEXPECTED_REPLY = 'Command queue state error';

/** What a subscriber connection tells the bus. */
export interface SubscriberEvents {
  message(name: string, text: string): void;
  /** The connection dropped: its channels may have missed messages. */
  closed(): void;
  /** The connection is (again) ready to subscribe. */
  ready(): void;
}

export interface SubscriberConnectionOptions {
  /** SSUBSCRIBE (sharded pub/sub, on a cluster) rather than SUBSCRIBE. */
  sharded: boolean;
  /** Names the connection in log lines: `bus-subscriber`, `bus-subscriber:price`. */
  role: string;
  log: LinkLog;
  onError: (error: unknown) => void;
}

/**
 * One connection the bus receives live messages on, with what its recovery needs. On one Redis the
 * bus has one for every channel (SUBSCRIBE). On a cluster it has one per topic (SSUBSCRIBE), to the
 * master owning the topic's slot (`createShardSubscriber`): a sharded channel is served only by its
 * shard, and all channels of a topic share its slot.
 */
export class SubscriberConnection {
  readonly link: RedisLink;
  /** It dropped while it had channels: they must subscribe again and read what they missed. */
  needsRecovery = false;
  /** A recovery that failed on a connection still "ready" (a frozen Redis), to try again. */
  recoveryRetry: NodeJS.Timeout | null = null;
  private readonly sharded: boolean;

  constructor(
    readonly redis: Redis,
    options: SubscriberConnectionOptions,
    events: SubscriberEvents,
  ) {
    const { sharded, role, log, onError } = options;
    this.sharded = sharded;
    const droppedByServer = (error: unknown) => sharded && error instanceof Error && error.message.startsWith(UNEXPECTED_REPLY);
    const report = (error: unknown) => {
      if (!droppedByServer(error)) onError(error);
    };
    this.link = new RedisLink(redis, { role, log, onError: report });
    redis.on(sharded ? 'smessage' : 'message', events.message);
    redis.on('close', events.closed);
    redis.on('ready', events.ready);
    if (!sharded) return;
    // The node no longer owns the slot (resharding, or a master turned replica): a new connection
    // finds the slot's current master; the bus then subscribes again and recovers what it missed.
    // ioredis reports an SSUBSCRIBE answered MOVED with this event (without failing the command)...
    redis.on('moved', () => redis.disconnect(true));
    // ...and the SUNSUBSCRIBE the node sends by itself when it gives the slot up (a planned failover,
    // CLUSTER FAILOVER, keeps the old master up as a replica) as a reply it did not expect.
    redis.on('error', (error: unknown) => {
      if (!droppedByServer(error)) return;
      log.warn({ redis: role }, 'redis node gave up the slot: reconnecting to its new master');
      redis.disconnect(true);
    });
  }

  get isReady(): boolean {
    return this.redis.status === 'ready';
  }

  subscribe(names: readonly string[]): Promise<unknown> {
    return this.sharded ? this.redis.ssubscribe(...names) : this.redis.subscribe(...names);
  }

  /** Nothing to undo on a connection that is gone: the next one subscribes only to open channels. */
  unsubscribe(name: string): void {
    if (!this.isReady) return;
    (this.sharded ? this.redis.sunsubscribe(name) : this.redis.unsubscribe(name)).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.recoveryRetry) clearTimeout(this.recoveryRetry);
    this.recoveryRetry = null;
    this.link.stop();
    await quitClient(this.redis);
  }
}
