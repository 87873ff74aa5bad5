import { Redis, type RedisOptions, type Result } from 'ioredis';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { EventBus, Envelope, Listener, StreamPosition, Topic, Topics, Unsubscribe } from './event-bus.js';
import { redactUrl } from '../config.js';
import { newEpoch } from './epoch.js';
import { PUBLISH_SCRIPT, RedisKeys } from './redis-keys.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    titanPublish(...args: (string | number)[]): Result<[string, number], Context>;
  }
}

export interface RedisEventBusOptions {
  /** `redis://` or `rediss://` URL of the Redis server. */
  url: string;
  /** Prefix of every key and channel, so several systems can share one Redis. @default "titan" */
  prefix?: string;
  /** Events kept per topic key (Redis stream `MAXLEN ~`). @default 1000 */
  historyMaxLen?: number;
  /** How long `connect` waits for Redis before failing. @default 10000 */
  connectTimeoutMs?: number;
  /** Connection errors, malformed messages and listener failures; the bus keeps running and ioredis reconnects. */
  onError?: (error: unknown) => void;
}

/** What travels on a channel: the position the publish script assigned and the payload. */
interface WireMessage {
  epoch: string;
  offset: number;
  payload: unknown;
}

/**
 * The Redis bus. A publish is one Lua script that assigns the topic's next offset, appends the event
 * to the key's capped stream (its history) and PUBLISHes it, so history and live can never disagree.
 * Live fan-out goes through graphql-redis-subscriptions, which holds one Redis SUBSCRIBE per channel
 * per process however many listeners share it, and parses each message once.
 */
export class RedisEventBus implements EventBus {
  private constructor(
    private readonly commands: Redis,
    private readonly pubsub: RedisPubSub,
    private readonly keys_: RedisKeys,
    private readonly historyMaxLen: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Connects both Redis connections and resolves once they are ready to publish and subscribe. */
  static async connect(options: RedisEventBusOptions): Promise<RedisEventBus> {
    const {
      url,
      prefix = 'titan',
      historyMaxLen = 1000,
      connectTimeoutMs = 10_000,
      onError = (error: unknown) => console.error('redis event bus:', error),
    } = options;
    const base: RedisOptions = { maxRetriesPerRequest: 3, connectionName: 'titan-realtime' };
    const commands = new Redis(url, base);
    // The subscriber skips the ready check: a SUBSCRIBE racing the INFO handshake is otherwise lost
    // under load (ioredis#2037).
    const subscriber = new Redis(url, { ...base, enableReadyCheck: false });
    for (const client of [commands, subscriber]) client.on('error', onError);
    try {
      await Promise.all([waitReady(commands, url, connectTimeoutMs), waitReady(subscriber, url, connectTimeoutMs)]);
    } catch (error) {
      commands.disconnect();
      subscriber.disconnect();
      throw error;
    }
    commands.defineCommand('titanPublish', { numberOfKeys: 4, lua: PUBLISH_SCRIPT });
    const pubsub = new RedisPubSub({ publisher: commands, subscriber });
    return new RedisEventBus(commands, pubsub, new RedisKeys(prefix), historyMaxLen, onError);
  }

  async publish<T extends Topic>(topic: T, key: string, payload: Topics[T]): Promise<Envelope<T>> {
    const k = this.keys_;
    const [epoch, offset] = await this.commands.titanPublish(
      k.epoch(),
      k.offset(topic),
      k.stream(topic, key),
      k.keySet(topic),
      k.channel(topic, key),
      JSON.stringify(payload),
      this.historyMaxLen,
      key,
      newEpoch(),
    );
    return { topic, key, position: { epoch, offset: Number(offset) }, payload };
  }

  async subscribe<T extends Topic>(topic: T, key: string, listener: Listener<T>): Promise<Unsubscribe> {
    const subscriptionId = await this.pubsub.subscribe(this.keys_.channel(topic, key), (message: unknown) => {
      if (!isWireMessage(message)) {
        this.onError(new Error(`ignored a malformed message on ${this.keys_.channel(topic, key)}`));
        return;
      }
      const position: StreamPosition = { epoch: message.epoch, offset: message.offset };
      try {
        listener({ topic, key, position, payload: message.payload as Topics[T] });
      } catch (error) {
        this.onError(error);
      }
    });
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.pubsub.unsubscribe(subscriptionId);
    };
  }

  async latest<T extends Topic>(topic: T, key: string, count: number): Promise<Envelope<T>[]> {
    const results = await this.commands
      .multi()
      .get(this.keys_.epoch())
      .xrevrange(this.keys_.stream(topic, key), '+', '-', 'COUNT', count)
      .exec();
    const [epochReply, rangeReply] = results ?? [];
    if (epochReply?.[0] || rangeReply?.[0]) throw epochReply?.[0] ?? rangeReply?.[0];
    const epoch = epochReply?.[1];
    const entries = rangeReply?.[1] as [string, string[]][] | undefined;
    if (typeof epoch !== 'string' || !entries) return [];
    return entries.map(([id, fields]) => ({
      topic,
      key,
      position: { epoch, offset: Number(id.split('-')[0]) },
      payload: JSON.parse(fields[1] ?? 'null') as Topics[T],
    }));
  }

  async keys(topic: Topic): Promise<string[]> {
    return this.commands.smembers(this.keys_.keySet(topic));
  }

  async close(): Promise<void> {
    await this.pubsub.close().catch(this.onError);
  }
}

function isWireMessage(message: unknown): message is WireMessage {
  if (typeof message !== 'object' || message === null) return false;
  const { epoch, offset, payload } = message as Partial<WireMessage>;
  return typeof epoch === 'string' && Number.isSafeInteger(offset) && typeof payload === 'object' && payload !== null;
}

function waitReady(client: Redis, url: string, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis at ${redactUrl(url)} was not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}
