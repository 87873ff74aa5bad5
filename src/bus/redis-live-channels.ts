import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { TOPICS, type Envelope, type EventBus, type Listener, type Topic, type Topics, type Unsubscribe } from './event-bus.js';
import { CursorExpiredError, PositionAheadError } from './errors.js';
import type { RedisKeys } from './redis-keys.js';
import type { LinkLog } from './redis-link.js';
import { SubscriberConnection } from './redis-subscriber.js';
import { historyPages, ReplayHold, StreamPoint } from './resume.js';
import { asUnavailable, isUnavailable, UnavailableError } from './unavailable.js';

/** What the live side of the Redis bus needs from the rest of it. */
export interface LiveChannelsOptions {
  names: RedisKeys;
  /** A subscriber connection for one topic's channels (cluster), or for every channel (null). */
  openSubscriber: (topic: Topic | null) => Redis;
  /** The bus itself: where a channel reads its starting point, and the history it missed. */
  reader: EventBus;
  /** Starts a new history of `topic` if its epoch is still `stale` (a failover lost writes). */
  resetEpoch: (topic: Topic, stale: string) => Promise<unknown>;
  /** The reconnect backoff's cap, also how long a failed recovery waits before it tries again. */
  retryMaxDelayMs: number;
  log: LinkLog;
  onError: (error: unknown) => void;
}

/** What travels on a channel: the position the publish script assigned and the payload. */
interface WireMessage {
  epoch: string;
  offset: number;
  payload: unknown;
}

/** One Redis channel (topic key) of this process and the listeners sharing it. */
interface Channel {
  name: string;
  topic: Topic;
  key: string;
  listeners: Map<Listener<Topic>, ((error: CursorExpiredError) => void) | undefined>;
  /** The connection its live messages arrive on. */
  connection: SubscriberConnection;
  ready: Promise<void>;
  /** Position of the last event delivered (or of the key when subscribing): recovery resumes after it. */
  point: StreamPoint;
  /** Live messages held while missed ones are read from history; null when not recovering. */
  hold: ReplayHold<Envelope> | null;
  recovering: boolean;
}

/** Live messages held during one recovery before the channel gives up and reports them lost. */
const MAX_HELD = 10_000;

/**
 * The live side of the Redis bus: one Redis channel per topic key with listeners in this process,
 * each message parsed once. Its subscriber connections are one for every channel on one Redis
 * (SUBSCRIBE), or one per topic on a cluster (SSUBSCRIBE, to the master owning the topic's slot).
 * When a connection comes back after an outage, a failover or a node giving its slot up, each of its
 * channels subscribes again and reads what it missed from history before anything live, so listeners
 * see each event once and in order; if the history was lost meanwhile, they are told (`onLost`).
 */
export class RedisLiveChannels {
  private readonly channels = new Map<string, Channel>();
  /** Where each topic's live messages arrive. */
  private readonly subscribers = new Map<Topic, SubscriberConnection>();
  private closed = false;

  constructor(private readonly deps: LiveChannelsOptions) {
    const { names, openSubscriber, log, onError } = deps;
    const open = (topic: Topic | null): SubscriberConnection => {
      const connection: SubscriberConnection = new SubscriberConnection(
        openSubscriber(topic),
        { sharded: names.cluster, role: topic ? `bus-subscriber:${topic}` : 'bus-subscriber', log, onError },
        {
          message: (name, text) => this.onMessage(name, text),
          closed: () => {
            if (this.channelsOf(connection).length > 0) connection.needsRecovery = true;
          },
          ready: () => this.recoverAll(connection),
        },
      );
      return connection;
    };
    const shared = names.cluster ? null : open(null);
    for (const topic of TOPICS) this.subscribers.set(topic, shared ?? open(topic));
  }

  /** True while every subscriber connection is ready. */
  get isReady(): boolean {
    return this.connections().every((connection) => connection.isReady);
  }

  /** True while every subscriber connection is up and answering. */
  isHealthy(): boolean {
    return this.connections().every((connection) => connection.link.isUp);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channels.clear();
    await Promise.all(this.connections().map((connection) => connection.close()));
  }

  /** Runs a Redis call; a connection problem becomes `UnavailableError`. */
  private async command<R>(call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (error) {
      throw asUnavailable(error, this.deps.retryMaxDelayMs);
    }
  }

  async subscribe<T extends Topic>(
    topic: T,
    key: string,
    listener: Listener<T>,
    onLost?: (error: CursorExpiredError) => void,
  ): Promise<Unsubscribe> {
    if (this.closed) throw new UnavailableError('The event bus is closed', this.deps.retryMaxDelayMs);
    const name = this.deps.names.channel(topic, key);
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
      this.closeChannel(channel);
    };
  }

  /** Channels open in this process and the listeners they serve (metrics). */
  stats(): { channels: number; listeners: number } {
    let listeners = 0;
    for (const channel of this.channels.values()) listeners += channel.listeners.size;
    return { channels: this.channels.size, listeners };
  }

  /** The distinct subscriber connections. */
  private connections(): SubscriberConnection[] {
    return [...new Set(this.subscribers.values())];
  }

  private channelsOf(connection: SubscriberConnection): Channel[] {
    return [...this.channels.values()].filter((channel) => channel.connection === connection);
  }

  private openChannel(name: string, topic: Topic, key: string): Channel {
    const channel: Channel = {
      name,
      topic,
      key,
      listeners: new Map(),
      connection: this.subscribers.get(topic)!,
      ready: Promise.resolve(),
      point: new StreamPoint(),
      hold: null,
      recovering: false,
    };
    this.channels.set(name, channel);
    channel.ready = (async () => {
      try {
        await this.command(() => channel.connection.subscribe([name]));
        // Where the key stood once subscribed: a later recovery reads what came after this point.
        const { position, latest } = await this.deps.reader.snapshot(topic, [key], 1);
        channel.point.epoch ??= position.epoch;
        channel.point.offset = Math.max(channel.point.offset, latest[0]?.[0]?.position.offset ?? 0);
      } catch (error) {
        this.closeChannel(channel);
        throw error;
      }
    })();
    return channel;
  }

  private closeChannel(channel: Channel): void {
    if (this.channels.get(channel.name) !== channel) return;
    this.channels.delete(channel.name);
    channel.connection.unsubscribe(channel.name);
  }

  private onMessage(name: string, text: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      message = null;
    }
    if (!isWireMessage(message)) {
      this.deps.onError(new Error(`ignored a malformed message on ${name}`));
      return;
    }
    const envelope: Envelope = {
      topic: channel.topic,
      key: channel.key,
      position: { epoch: message.epoch, offset: message.offset },
      payload: message.payload as Topics[Topic],
    };
    if (channel.hold) {
      try {
        channel.hold.hold(envelope);
      } catch {
        this.lose(channel, new CursorExpiredError('Too many events arrived while recovering from a Redis outage'));
      }
      return;
    }
    this.deliver(channel, envelope);
  }

  private deliver(channel: Channel, envelope: Envelope): void {
    try {
      // Already delivered (recovered from history, then received live): dropped.
      if (!channel.point.admit(envelope.position)) return;
    } catch (error) {
      // Redis lost its data: the listeners are told, and go on with the new history.
      this.lose(channel, error as CursorExpiredError);
      channel.point.admit(envelope.position);
    }
    for (const listener of channel.listeners.keys()) {
      try {
        listener(envelope);
      } catch (error) {
        this.deps.onError(error);
      }
    }
  }

  /** Tells the listeners that events were missed for good, then starts over from the next one. */
  private lose(channel: Channel, error: CursorExpiredError): void {
    channel.point = new StreamPoint();
    channel.hold = null;
    for (const onLost of channel.listeners.values()) onLost?.(error);
  }

  /**
   * After a subscriber connection came back: subscribe each of its open channels again, then let
   * each read what it missed. Live messages are held from the moment the SUBSCRIBE is sent, so
   * nothing published meanwhile falls between history and live. Retried until it succeeds or the
   * bus closes.
   */
  private recoverAll(connection: SubscriberConnection): void {
    if (!connection.needsRecovery || this.closed || connection.recoveryRetry) return;
    const channels = this.channelsOf(connection);
    if (channels.length === 0) {
      connection.needsRecovery = false;
      return;
    }
    for (const channel of channels) channel.hold ??= new ReplayHold(MAX_HELD, { kind: 'disconnect' });
    this.command(() => connection.subscribe(channels.map((channel) => channel.name))).then(
      () => {
        connection.needsRecovery = false;
        for (const channel of channels) this.recover(channel);
      },
      (error: unknown) => {
        if (!isUnavailable(error)) this.deps.onError(error);
        // A connection that stays "ready" (a frozen Redis) gives no new ready event: try again later.
        connection.recoveryRetry = setTimeout(() => {
          connection.recoveryRetry = null;
          if (connection.isReady) this.recoverAll(connection);
        }, this.deps.retryMaxDelayMs);
      },
    );
  }

  private recover(channel: Channel): void {
    if (channel.recovering) return;
    channel.recovering = true;
    this.recoverChannel(channel)
      .catch(this.deps.onError)
      .finally(() => (channel.recovering = false));
  }

  private async recoverChannel(channel: Channel): Promise<void> {
    while (!this.closed && channel.hold && this.channels.get(channel.name) === channel) {
      try {
        const from = channel.point.position;
        if (from) {
          for await (const page of historyPages(this.deps.reader, channel.topic, [channel.key], from)) {
            for (const envelope of page) this.deliver(channel, envelope);
          }
        }
        const held = channel.hold?.release() ?? [];
        channel.hold = null;
        for (const envelope of held) this.deliver(channel, envelope);
        return;
      } catch (error) {
        if (error instanceof CursorExpiredError) {
          this.lose(channel, error);
          return;
        }
        if (error instanceof PositionAheadError && channel.point.epoch !== null) {
          const stale = channel.point.epoch;
          await this.deps.resetEpoch(channel.topic, stale).catch(() => {});
          this.lose(channel, new CursorExpiredError('History went back in time (Redis failed over to a replica that had not received the newest events)'));
          return;
        }
        if (!isUnavailable(error)) this.deps.onError(error);
        await sleep(this.deps.retryMaxDelayMs);
      }
    }
  }
}

function isWireMessage(message: unknown): message is WireMessage {
  if (typeof message !== 'object' || message === null) return false;
  const { epoch, offset, payload } = message as Partial<WireMessage>;
  return typeof epoch === 'string' && Number.isSafeInteger(offset) && typeof payload === 'object' && payload !== null;
}
