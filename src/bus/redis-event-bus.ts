import type { Redis, RedisOptions, Result } from 'ioredis';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { redactUrl } from '../config.js';
import {
  HistoryLostError,
  PositionAheadError,
  mergePages,
  type EventBus,
  type Envelope,
  type HistoryPage,
  type Listener,
  type Snapshot,
  type StreamPosition,
  type Topic,
  type Topics,
  type Unsubscribe,
} from './event-bus.js';
import { newEpoch } from './epoch.js';
import { createRedisClient } from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';
import { HISTORY_SCRIPT, PUBLISH_SCRIPT, SNAPSHOT_SCRIPT } from './redis-scripts.js';

type StreamEntry = [id: string, fields: string[]];
type Head = [epoch: string, offset: number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    titanPublish(...args: (string | number)[]): Result<[string, number], Context>;
    titanHistory(numberOfKeys: number, ...args: (string | number)[]): Result<[...Head, ...unknown[]], Context>;
    titanSnapshot(numberOfKeys: number, ...args: (string | number)[]): Result<[...Head, ...StreamEntry[][]], Context>;
  }
}

export interface RedisEventBusOptions {
  /** Where Redis is: `redis://`, `rediss://` or `redis+sentinel://` (see `redis-connection.ts`). */
  url: string;
  /** Prefix of every key and channel, so several systems can share one Redis. @default "titan" */
  prefix?: string;
  /** Events kept per topic key (Redis stream `MAXLEN ~`). @default 1000 */
  historyMaxLen?: number;
  /** How long `connect` waits for Redis before failing. @default 10000 */
  connectTimeoutMs?: number;
  /** Connection errors, malformed messages and listener failures; the bus keeps running and reconnects. */
  onError?: (error: unknown) => void;
  /** Called after each event this process published was stored and fanned out (metrics). */
  onPublished?: (topic: Topic) => void;
}

/** What travels on a channel: the position the publish script assigned and the payload. */
interface WireMessage {
  epoch: string;
  offset: number;
  payload: unknown;
}

/** One Redis channel (topic key) of this process and the listeners sharing it. */
interface Channel {
  topic: Topic;
  key: string;
  listeners: Map<Listener<Topic>, ((error: HistoryLostError) => void) | undefined>;
  ready: Promise<void>;
  subscriptionId: number;
  /** Position of the last event delivered (or of the key when subscribing): recovery resumes after it. */
  epoch: string | null;
  lastOffset: number;
  /** Live messages held while missed ones are read from history; null when not recovering. */
  held: Envelope[] | null;
}

/** Live messages held during one recovery before the channel gives up and reports them lost. */
const MAX_HELD = 10_000;
const RECOVERY_PAGE = 500;
const RECOVERY_RETRY_MS = 500;

/**
 * The Redis bus. A publish is one Lua script that assigns the topic's next offset, appends the event
 * to the key's capped stream (its history) and PUBLISHes it. Live fan-out goes through
 * graphql-redis-subscriptions with one Redis SUBSCRIBE per channel per process, each message parsed
 * once. After the subscriber connection comes back, every channel reads what it missed from the
 * streams, so listeners see each event once and in order across Redis outages.
 */
export class RedisEventBus implements EventBus {
  private readonly channels = new Map<string, Channel>();
  private disconnected = false;
  private closed = false;

  private constructor(
    private readonly commands: Redis,
    private readonly subscriber: Redis,
    private readonly pubsub: RedisPubSub,
    private readonly names: RedisKeys,
    private readonly historyMaxLen: number,
    private readonly onError: (error: unknown) => void,
    private readonly onPublished: ((topic: Topic) => void) | undefined,
  ) {
    subscriber.on('close', () => {
      this.disconnected = true;
    });
    subscriber.on('ready', () => {
      if (!this.disconnected || this.closed) return;
      this.disconnected = false;
      this.recoverAll().catch(onError);
    });
  }

  /** Connects both Redis connections and resolves once they are ready to publish and subscribe. */
  static async connect(options: RedisEventBusOptions): Promise<RedisEventBus> {
    const {
      url,
      prefix = 'titan',
      historyMaxLen = 1000,
      connectTimeoutMs = 10_000,
      onError = (error: unknown) => console.error('redis event bus:', error),
      onPublished,
    } = options;
    const base: RedisOptions = {
      connectionName: 'titan-realtime',
      // While Redis is away a publish fails at once instead of waiting in a queue: never a silent success.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
    };
    const commands = createRedisClient(url, base);
    // The subscriber skips the ready check: a SUBSCRIBE racing the INFO handshake is otherwise lost
    // under load (ioredis#2037). It keeps an offline queue so resubscribing after a reconnect works.
    const subscriber = createRedisClient(url, { ...base, enableReadyCheck: false, enableOfflineQueue: true });
    for (const client of [commands, subscriber]) client.on('error', onError);
    try {
      await Promise.all([waitReady(commands, url, connectTimeoutMs), waitReady(subscriber, url, connectTimeoutMs)]);
    } catch (error) {
      commands.disconnect();
      subscriber.disconnect();
      throw error;
    }
    commands.defineCommand('titanPublish', { numberOfKeys: 4, lua: PUBLISH_SCRIPT });
    commands.defineCommand('titanHistory', { lua: HISTORY_SCRIPT });
    commands.defineCommand('titanSnapshot', { lua: SNAPSHOT_SCRIPT });
    const pubsub = new RedisPubSub({ publisher: commands, subscriber });
    return new RedisEventBus(commands, subscriber, pubsub, new RedisKeys(prefix), historyMaxLen, onError, onPublished);
  }

  async publish<T extends Topic>(topic: T, key: string, payload: Topics[T]): Promise<Envelope<T>> {
    const n = this.names;
    const [epoch, offset] = await this.commands.titanPublish(
      n.epoch(),
      n.offset(topic),
      n.stream(topic, key),
      n.keySet(topic),
      n.channel(topic, key),
      JSON.stringify(payload),
      this.historyMaxLen,
      key,
      newEpoch(),
    );
    this.onPublished?.(topic);
    return { topic, key, position: { epoch, offset: Number(offset) }, payload };
  }

  async subscribe<T extends Topic>(
    topic: T,
    key: string,
    listener: Listener<T>,
    onLost?: (error: HistoryLostError) => void,
  ): Promise<Unsubscribe> {
    const name = this.names.channel(topic, key);
    const channel = this.channels.get(name) ?? this.openChannel(name, topic, key);
    const entry = listener as Listener<Topic>;
    channel.listeners.set(entry, onLost);
    try {
      await channel.ready;
    } catch (error) {
      channel.listeners.delete(entry);
      throw error;
    }
    return () => {
      if (!channel.listeners.delete(entry) || channel.listeners.size > 0) return;
      if (this.channels.get(name) === channel) this.channels.delete(name);
      this.pubsub.unsubscribe(channel.subscriptionId);
    };
  }

  async snapshot<T extends Topic>(topic: T, keys: readonly string[], count: number): Promise<Snapshot<T>> {
    const [epoch, offset, ...perKey] = await this.commands.titanSnapshot(
      2 + keys.length,
      this.names.epoch(),
      this.names.offset(topic),
      ...keys.map((key) => this.names.stream(topic, key)),
      count,
      newEpoch(),
    );
    return {
      position: { epoch, offset: Number(offset) },
      latest: keys.map((key, index) => (perKey[index] ?? []).map((entry) => toEnvelope(topic, key, epoch, entry))),
    };
  }

  async history<T extends Topic>(
    topic: T,
    keys: readonly string[],
    after: StreamPosition,
    limit: number,
  ): Promise<HistoryPage<T>> {
    const [epoch, current, ...perKey] = await this.commands.titanHistory(
      2 + keys.length,
      this.names.epoch(),
      this.names.offset(topic),
      ...keys.map((key) => this.names.stream(topic, key)),
      after.offset,
      limit,
    );
    if (epoch !== after.epoch) throw new HistoryLostError('History was reset since this cursor (Redis lost its data)');
    if (after.offset > Number(current)) throw new PositionAheadError();
    const pages = keys.map((key, index) => {
      const oldestPrevious = Number(perKey[2 * index]);
      if (oldestPrevious > after.offset) {
        throw new HistoryLostError(`Events of ${key} after this cursor are no longer retained`);
      }
      const entries = (perKey[2 * index + 1] ?? []) as StreamEntry[];
      return entries.map((entry) => toEnvelope(topic, key, epoch, entry));
    });
    return mergePages(pages, limit);
  }

  async keys(topic: Topic): Promise<string[]> {
    return this.commands.smembers(this.names.keySet(topic));
  }

  isHealthy(): boolean {
    return !this.closed && this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  stats(): { channels: number; listeners: number } {
    let listeners = 0;
    for (const channel of this.channels.values()) listeners += channel.listeners.size;
    return { channels: this.channels.size, listeners };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channels.clear();
    await this.pubsub.close().catch(this.onError);
  }

  private openChannel(name: string, topic: Topic, key: string): Channel {
    const channel: Channel = {
      topic,
      key,
      listeners: new Map(),
      ready: Promise.resolve(),
      subscriptionId: -1,
      epoch: null,
      lastOffset: 0,
      held: null,
    };
    this.channels.set(name, channel);
    channel.ready = (async () => {
      try {
        channel.subscriptionId = await this.pubsub.subscribe(name, (message: unknown) => this.onMessage(channel, message));
        // Where the key stood once subscribed: a later recovery reads what came after this point.
        const { position, latest } = await this.snapshot(topic, [key], 1);
        channel.epoch ??= position.epoch;
        channel.lastOffset = Math.max(channel.lastOffset, latest[0]?.[0]?.position.offset ?? 0);
      } catch (error) {
        if (this.channels.get(name) === channel) this.channels.delete(name);
        if (channel.subscriptionId >= 0) this.pubsub.unsubscribe(channel.subscriptionId);
        throw error;
      }
    })();
    return channel;
  }

  private onMessage(channel: Channel, message: unknown): void {
    if (!isWireMessage(message)) {
      this.onError(new Error(`ignored a malformed message on ${this.names.channel(channel.topic, channel.key)}`));
      return;
    }
    const envelope: Envelope = {
      topic: channel.topic,
      key: channel.key,
      position: { epoch: message.epoch, offset: message.offset },
      payload: message.payload as Topics[Topic],
    };
    if (channel.held) {
      if (channel.held.length < MAX_HELD) channel.held.push(envelope);
      else this.lose(channel, new HistoryLostError('Too many events arrived while recovering from a Redis outage'));
      return;
    }
    this.deliver(channel, envelope);
  }

  private deliver(channel: Channel, envelope: Envelope): void {
    const { epoch, offset } = envelope.position;
    if (channel.epoch !== null && epoch !== channel.epoch) {
      this.lose(channel, new HistoryLostError('History was reset (Redis lost its data)'));
    } else if (offset <= channel.lastOffset) {
      return; // already delivered: recovered from history, then received live
    }
    channel.epoch = epoch;
    channel.lastOffset = offset;
    for (const listener of channel.listeners.keys()) {
      try {
        listener(envelope);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Tells the listeners that events were missed for good, then starts over from the next one. */
  private lose(channel: Channel, error: HistoryLostError): void {
    channel.epoch = null;
    channel.lastOffset = 0;
    channel.held = null;
    for (const onLost of channel.listeners.values()) onLost?.(error);
  }

  private async recoverAll(): Promise<void> {
    const channels = [...this.channels.entries()];
    if (channels.length === 0) return;
    for (const [, channel] of channels) channel.held ??= [];
    // ioredis resubscribes by itself; awaiting our own SUBSCRIBE on the same connection proves it is
    // done, so nothing published from here on can fall between history and live.
    await this.subscriber.subscribe(...channels.map(([name]) => name));
    await Promise.all(channels.map(([, channel]) => this.recover(channel)));
  }

  private async recover(channel: Channel): Promise<void> {
    while (!this.closed && channel.held) {
      try {
        if (channel.epoch !== null) await this.replayMissed(channel, channel.epoch);
        const held = channel.held ?? [];
        channel.held = null;
        for (const envelope of held) this.deliver(channel, envelope);
        return;
      } catch (error) {
        if (error instanceof HistoryLostError) {
          this.lose(channel, error);
          return;
        }
        this.onError(error);
        await new Promise((resolve) => setTimeout(resolve, RECOVERY_RETRY_MS));
      }
    }
  }

  private async replayMissed(channel: Channel, epoch: string): Promise<void> {
    for (;;) {
      const page = await this.history(channel.topic, [channel.key], { epoch, offset: channel.lastOffset }, RECOVERY_PAGE);
      for (const envelope of page.envelopes) this.deliver(channel, envelope);
      if (page.complete) return;
    }
  }
}

function toEnvelope<T extends Topic>(topic: T, key: string, epoch: string, [id, fields]: StreamEntry): Envelope<T> {
  const payloadIndex = fields.indexOf('p') + 1;
  return {
    topic,
    key,
    position: { epoch, offset: Number(id.split('-')[0]) },
    payload: JSON.parse(fields[payloadIndex] ?? 'null') as Topics[T],
  };
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
