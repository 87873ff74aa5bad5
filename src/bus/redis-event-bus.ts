import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, type Redis, type RedisOptions, type Result } from 'ioredis';
import {
  MAX_PUBLISH_BATCH,
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
import { RedisLiveChannels } from './redis-live-channels.js';
import { HISTORY_SCRIPT, publishScript, RESET_EPOCH_SCRIPT, SNAPSHOT_SCRIPT } from './redis-scripts.js';
import { asUnavailable, UnavailableError } from './unavailable.js';

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

const SILENT_LOG: LinkLog = { info: () => {}, warn: () => {} };

/**
 * The Redis bus. A publish, or a batch of up to `MAX_PUBLISH_BATCH`, is one Lua script that assigns
 * the topic's next offsets, appends each event to its key's capped stream (its history) and
 * PUBLISHes it. Live fan-out is one Redis SUBSCRIBE per channel per process on a connection of its
 * own, each message parsed once (`RedisLiveChannels`).
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
  private readonly commandsLink: RedisLink;
  /** Subscriptions: the channels of this process, their connections and their recovery. */
  private readonly live: RedisLiveChannels;
  private closed = false;

  private constructor(
    private readonly commands: RedisClient,
    /** A subscriber connection for the topic's channels, or for every channel when given null. */
    openSubscriber: (topic: Topic | null) => Redis,
    private readonly names: RedisKeys,
    private readonly historyMaxLen: number,
    private readonly timeouts: RedisTimeouts,
    onError: (error: unknown) => void,
    private readonly onPublished: ((topic: Topic) => void) | undefined,
    log: LinkLog,
  ) {
    this.commandsLink = new RedisLink(commands, { role: 'bus', log, onError });
    this.live = new RedisLiveChannels({
      names,
      openSubscriber,
      reader: this,
      resetEpoch: (topic, stale) => this.command(() => this.commands.titanResetEpoch(names.epoch(topic), stale, newEpoch())),
      retryMaxDelayMs: timeouts.retryMaxDelayMs,
      log,
      onError,
    });
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
    while (!(bus.commands.status === 'ready' && bus.live.isReady)) {
      if (Date.now() > deadline) {
        await bus.close();
        throw new UnavailableError(
          `Redis at ${redactUrl(options.redisUrl)} was not reachable within ${connectTimeoutMs} ms`,
          options.timeouts.retryMaxDelayMs,
        );
      }
      await sleep(20);
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

  subscribe<T extends Topic>(
    topic: T,
    key: string,
    listener: Listener<T>,
    onLost?: (error: CursorExpiredError) => void,
  ): Promise<Unsubscribe> {
    return this.live.subscribe(topic, key, listener, onLost);
  }

  isHealthy(): boolean {
    return !this.closed && this.commandsLink.isUp && this.live.isHealthy();
  }

  stats(): { channels: number; listeners: number } {
    return this.live.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.commandsLink.stop();
    await Promise.all([quitClient(this.commands), this.live.close()]);
  }

  /** Runs a Redis call; a connection problem becomes `UnavailableError`. */
  private async command<R>(call: () => Promise<R>): Promise<R> {
    try {
      return await call();
    } catch (error) {
      throw asUnavailable(error, this.timeouts.retryMaxDelayMs);
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
