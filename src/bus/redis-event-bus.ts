import { Cluster, type Redis, type RedisOptions, type Result } from 'ioredis';
import {
  MAX_PUBLISH_BATCH,
  TOPICS,
  mergePages,
  type EventBus,
  type Envelope,
  type HistoryPage,
  type Listener,
  type PublishOptions,
  type PublishRequest,
  type Snapshot,
  type StreamSource,
  type StreamPosition,
  type Topic,
  type Topics,
  type Unsubscribe,
} from './event-bus.js';
import { newEpoch } from './epoch.js';
import { CursorExpiredError, PositionAheadError } from './errors.js';
import { historyPages, ReplayHold, StreamPoint } from './resume.js';
import {
  createRedisClient,
  createServerClient,
  createShardSubscriber,
  quitClient,
  redactUrl,
  type RedisClient,
  type RedisTimeouts,
} from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';
import { RedisLink, type LinkLog } from './redis-link.js';
import { HISTORY_SCRIPT, publishScript, RESET_EPOCH_SCRIPT, SNAPSHOT_SCRIPT } from './redis-scripts.js';
import { SubscriberConnection } from './redis-subscriber.js';
import { asUnavailable, isUnavailable, UnavailableError } from './unavailable.js';

type StreamEntry = [id: string, fields: string[]];
type Head = [epoch: string, offset: number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    titanPublish(numberOfKeys: number, ...args: (string | number)[]): Result<[string, ...(number | string)[]], Context>;
    titanHistory(numberOfKeys: number, ...args: (string | number)[]): Result<[...Head, ...unknown[]], Context>;
    titanSnapshot(numberOfKeys: number, ...args: (string | number)[]): Result<[...Head, ...StreamEntry[][]], Context>;
    titanResetEpoch(...args: string[]): Result<string, Context>;
  }
}

/** `redisUrl`, `historyMaxLen` and `timeouts` are the `bus` knobs of `config.ts`, named as they are. */
export interface RedisEventBusOptions {
  /** Where Redis is: `redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://` (see `redis-connection.ts`). */
  redisUrl: string;
  /** Prefix of every key and channel, so several systems can share one Redis. @default "titan" */
  prefix?: string;
  /** Events kept per topic key (Redis stream `MAXLEN ~`). */
  historyMaxLen: number;
  /** Command, connect and reconnect timings. */
  timeouts: RedisTimeouts;
  /** Where outages are reported: one line when a connection is lost, reminders, one when it is back. */
  log?: LinkLog;
  /** Unexpected failures (malformed messages, a listener that throws, Redis errors that are not an outage). */
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

const SILENT_LOG: LinkLog = { info: () => {}, warn: () => {} };

/**
 * The Redis bus. A publish, or a batch of up to `MAX_PUBLISH_BATCH`, is one Lua script that assigns
 * the topic's next offsets, appends each event to its key's capped stream (its history) and
 * PUBLISHes it. Live fan-out is one Redis SUBSCRIBE per
 * channel per process on a connection of its own, each message parsed once.
 *
 * On a Redis Cluster (`redis+cluster://`) the same script runs on the master that owns the topic's
 * slot (every key of a topic carries the topic as a hash tag, `redis-keys.ts`) and SPUBLISHes;
 * each topic has its own subscriber connection (SSUBSCRIBE) to that master, which follows it across
 * a failover and then recovers its channels exactly as the single connection does after an outage.
 *
 * Redis may vanish, freeze, restart or fail over at any moment, and the bus never lets that escape
 * as anything but `UnavailableError` (every command has a timeout; nothing waits in a queue while
 * Redis is away). Once the subscriber connection is back, every channel subscribes again and reads
 * what it missed from the streams, so listeners see each event once and in order across outages;
 * if the history was lost meanwhile, they are told (`onLost`: CURSOR_EXPIRED).
 */
export class RedisEventBus implements EventBus {
  private readonly channels = new Map<string, Channel>();
  private readonly commandsLink: RedisLink;
  /** Where each topic's live messages arrive: one connection for all on one Redis, one per topic on a cluster. */
  private readonly subscribers = new Map<Topic, SubscriberConnection>();
  private closed = false;

  private constructor(
    private readonly commands: RedisClient,
    /** A subscriber connection for the topic's channels, or for every channel when given null. */
    openSubscriber: (topic: Topic | null) => Redis,
    private readonly names: RedisKeys,
    private readonly historyMaxLen: number,
    private readonly timeouts: RedisTimeouts,
    private readonly onError: (error: unknown) => void,
    private readonly onPublished: ((topic: Topic) => void) | undefined,
    log: LinkLog,
  ) {
    this.commandsLink = new RedisLink(commands, { role: 'bus', log, onError });
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

  /**
   * The bus, at once: it connects in the background and keeps reconnecting, so a process can start
   * (not ready) while Redis is away; until then its calls fail with `UnavailableError`.
   */
  static open(options: RedisEventBusOptions): RedisEventBus {
    const {
      redisUrl,
      prefix = 'titan',
      historyMaxLen,
      timeouts,
      log = SILENT_LOG,
      onError = (error: unknown) => console.error('redis event bus:', error),
      onPublished,
    } = options;
    const base: RedisOptions = {
      connectionName: 'titan-realtime',
      // While Redis is away a call fails at once instead of waiting in a queue, and a command in flight
      // when the connection drops fails rather than being sent again: a publish is never run twice
      // behind the publisher's back (it retries, with its id, if it wants to).
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 1,
    };
    const commands = createRedisClient(redisUrl, base, timeouts);
    const cluster = commands instanceof Cluster;
    const names = new RedisKeys(prefix, cluster);
    // A subscriber skips the ready check: a SUBSCRIBE racing the INFO handshake is otherwise lost
    // under load (ioredis#2037). The bus subscribes again itself after a reconnect, then recovers.
    const subscriberOptions: RedisOptions = { ...base, enableReadyCheck: false, autoResubscribe: false };
    const openSubscriber = (topic: Topic | null): Redis =>
      commands instanceof Cluster && topic
        ? createShardSubscriber(commands, names.channel(topic, ''), subscriberOptions, timeouts)
        : createServerClient(redisUrl, subscriberOptions, timeouts);
    commands.defineCommand('titanPublish', { lua: publishScript(cluster ? 'SPUBLISH' : 'PUBLISH') });
    commands.defineCommand('titanHistory', { lua: HISTORY_SCRIPT });
    commands.defineCommand('titanSnapshot', { lua: SNAPSHOT_SCRIPT });
    commands.defineCommand('titanResetEpoch', { numberOfKeys: 1, lua: RESET_EPOCH_SCRIPT });
    return new RedisEventBus(commands, openSubscriber, names, historyMaxLen, timeouts, onError, onPublished, log);
  }

  /** Opens the bus and waits until Redis answers (`timeouts.connectTimeoutMs`); for publishers and tools. */
  static async connect(options: RedisEventBusOptions): Promise<RedisEventBus> {
    const bus = RedisEventBus.open(options);
    const { connectTimeoutMs } = options.timeouts;
    const deadline = Date.now() + connectTimeoutMs;
    while (!(bus.commands.status === 'ready' && bus.connections().every((connection) => connection.isReady))) {
      if (Date.now() > deadline) {
        await bus.close();
        throw new UnavailableError(
          `Redis at ${redactUrl(options.redisUrl)} was not reachable within ${connectTimeoutMs} ms`,
          options.timeouts.retryMaxDelayMs,
        );
      }
      await delay(20);
    }
    return bus;
  }

  async publish<T extends Topic>(topic: T, key: string, payload: Topics[T], options: PublishOptions = {}): Promise<Envelope<T>> {
    const [envelope] = await this.publishChunk(topic, [{ key, payload, id: options.id }]);
    // Without a source every request is published (or answered as a duplicate).
    return envelope as Envelope<T>;
  }

  publishBatch<T extends Topic>(topic: T, requests: readonly PublishRequest<T>[]): Promise<Envelope<T>[]>;
  publishBatch<T extends Topic>(topic: T, requests: readonly PublishRequest<T>[], source: StreamSource): Promise<(Envelope<T> | null)[]>;
  async publishBatch<T extends Topic>(topic: T, requests: readonly PublishRequest<T>[], source?: StreamSource): Promise<(Envelope<T> | null)[]> {
    if (requests.length <= MAX_PUBLISH_BATCH) return this.publishChunk(topic, requests, source);
    // Sent together on the one commands connection, so Redis runs them in this order.
    const chunks: Promise<(Envelope<T> | null)[]>[] = [];
    for (let start = 0; start < requests.length; start += MAX_PUBLISH_BATCH) {
      chunks.push(this.publishChunk(topic, requests.slice(start, start + MAX_PUBLISH_BATCH), source));
    }
    return (await Promise.all(chunks)).flat();
  }

  /** One publish script call for up to `MAX_PUBLISH_BATCH` events. */
  private async publishChunk<T extends Topic>(topic: T, requests: readonly PublishRequest<T>[], source?: StreamSource): Promise<(Envelope<T> | null)[]> {
    if (requests.length === 0) return [];
    if (source && this.names.cluster) return this.publishEntriesByIds(topic, requests, source);
    const n = this.names;
    const keys: string[] = [n.epoch(topic), n.offset(topic), n.keySet(topic), source?.stream ?? n.keySet(topic)];
    const args: (string | number)[] = [this.historyMaxLen, newEpoch(), source?.group ?? '', source?.consumer ?? ''];
    for (const { key, payload, id, entry } of requests) {
      keys.push(n.stream(topic, key), n.ids(topic, key));
      args.push(n.channel(topic, key), key, JSON.stringify(payload), id ?? '', entry ?? '');
    }
    const [epoch, ...perEvent] = await this.command(() => this.commands.titanPublish(keys.length, ...keys, ...args));
    return requests.map(({ key, payload }, index) => {
      const offset = Number(perEvent[2 * index]);
      // Its source entry was settled by another consumer: not published here.
      if (offset === 0) return null;
      const position = { epoch, offset };
      const original = perEvent[2 * index + 1];
      if (typeof original === 'string' && original !== '') {
        return { topic, key, position, payload: JSON.parse(original) as Topics[T], duplicate: true };
      }
      this.onPublished?.(topic);
      return { topic, key, position, payload };
    });
  }

  /**
   * Stream entries on a cluster, where the source stream is in another slot than the topic, so one
   * script cannot settle both: each event is published under an idempotency id, its own or one made
   * from its entry id, then the entries are acknowledged. An entry published before (an earlier
   * attempt whose XACK was lost, or another consumer that took it over) is found by that id while its
   * event is retained, and answers null as when the script found it settled. If the XACK fails, the
   * whole call fails (`UnavailableError`); the entries stay pending and their next publish finds them.
   */
  private async publishEntriesByIds<T extends Topic>(topic: T, requests: readonly PublishRequest<T>[], source: StreamSource): Promise<(Envelope<T> | null)[]> {
    const entryIds = requests.map(({ entry }) => (entry ? `${source.stream}:${entry}` : undefined));
    const envelopes = await this.publishChunk(
      topic,
      requests.map((request, index) => ({ ...request, id: request.id ?? entryIds[index], entry: undefined })),
    );
    const entries = requests.flatMap(({ entry }) => (entry ? [entry] : []));
    if (entries.length > 0) await this.command(() => this.commands.xack(source.stream, source.group, ...entries));
    return envelopes.map((envelope, index) => (envelope?.duplicate && requests[index]!.id === undefined && entryIds[index] ? null : envelope));
  }

  async subscribe<T extends Topic>(
    topic: T,
    key: string,
    listener: Listener<T>,
    onLost?: (error: CursorExpiredError) => void,
  ): Promise<Unsubscribe> {
    if (this.closed) throw new UnavailableError('The event bus is closed', this.timeouts.retryMaxDelayMs);
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
      this.closeChannel(channel);
    };
  }

  async snapshot<T extends Topic>(topic: T, keys: readonly string[], count: number): Promise<Snapshot<T>> {
    const [epoch, offset, ...perKey] = await this.command(() =>
      this.commands.titanSnapshot(
        2 + keys.length,
        this.names.epoch(topic),
        this.names.offset(topic),
        ...keys.map((key) => this.names.stream(topic, key)),
        count,
        newEpoch(),
      ),
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
    const [epoch, current, ...perKey] = await this.command(() =>
      this.commands.titanHistory(
        2 + keys.length,
        this.names.epoch(topic),
        this.names.offset(topic),
        ...keys.map((key) => this.names.stream(topic, key)),
        after.offset,
        limit,
      ),
    );
    if (epoch !== after.epoch) throw new CursorExpiredError('History was reset since this cursor (Redis lost its data)');
    if (after.offset > Number(current)) throw new PositionAheadError();
    const pages = keys.map((key, index) => {
      const oldestPrevious = Number(perKey[2 * index]);
      if (oldestPrevious > after.offset) {
        throw new CursorExpiredError(`Events of ${key} after this cursor are no longer retained`);
      }
      const entries = (perKey[2 * index + 1] ?? []) as StreamEntry[];
      return entries.map((entry) => toEnvelope(topic, key, epoch, entry));
    });
    return mergePages(pages, limit);
  }

  async keys(topic: Topic): Promise<string[]> {
    return this.command(() => this.commands.smembers(this.names.keySet(topic)));
  }

  isHealthy(): boolean {
    return !this.closed && this.commandsLink.isUp && this.connections().every((connection) => connection.link.isUp);
  }

  stats(): { channels: number; listeners: number } {
    let listeners = 0;
    for (const channel of this.channels.values()) listeners += channel.listeners.size;
    return { channels: this.channels.size, listeners };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.commandsLink.stop();
    this.channels.clear();
    await Promise.all([quitClient(this.commands), ...this.connections().map((connection) => connection.close())]);
  }

  /** The distinct subscriber connections. */
  private connections(): SubscriberConnection[] {
    return [...new Set(this.subscribers.values())];
  }

  private channelsOf(connection: SubscriberConnection): Channel[] {
    return [...this.channels.values()].filter((channel) => channel.connection === connection);
  }

  /** Runs a Redis call; a connection problem becomes `UnavailableError`. */
  private async command<R>(call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (error) {
      throw asUnavailable(error, this.timeouts.retryMaxDelayMs);
    }
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
        const { position, latest } = await this.snapshot(topic, [key], 1);
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
      this.onError(new Error(`ignored a malformed message on ${name}`));
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
        this.onError(error);
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
        if (!isUnavailable(error)) this.onError(error);
        // A connection that stays "ready" (a frozen Redis) gives no new ready event: try again later.
        connection.recoveryRetry = setTimeout(() => {
          connection.recoveryRetry = null;
          if (connection.isReady) this.recoverAll(connection);
        }, this.timeouts.retryMaxDelayMs);
      },
    );
  }

  private recover(channel: Channel): void {
    if (channel.recovering) return;
    channel.recovering = true;
    this.recoverChannel(channel)
      .catch(this.onError)
      .finally(() => (channel.recovering = false));
  }

  private async recoverChannel(channel: Channel): Promise<void> {
    while (!this.closed && channel.hold && this.channels.get(channel.name) === channel) {
      try {
        const from = channel.point.position;
        if (from) {
          for await (const page of historyPages(this, channel.topic, [channel.key], from)) {
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
          await this.command(() => this.commands.titanResetEpoch(this.names.epoch(channel.topic), stale, newEpoch())).catch(() => {});
          this.lose(channel, new CursorExpiredError('History went back in time (Redis failed over to a replica that had not received the newest events)'));
          return;
        }
        if (!isUnavailable(error)) this.onError(error);
        await delay(this.timeouts.retryMaxDelayMs);
      }
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
