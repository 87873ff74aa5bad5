import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisClient, isClusterUrl, type RedisClient, type RedisTimeouts } from '../bus/redis-connection.js';
import { RedisLink, type LinkLog } from '../bus/redis-link.js';
import { isUnavailable } from '../bus/unavailable.js';
import {
  clipText,
  parseClaimReply,
  parseEntry,
  parseReadReply,
  rejectedCopy,
  type IngestType,
  type RejectReason,
  type Rejection,
  type StreamEntry,
} from './ingest-entry.js';
import type { StreamSource } from '../bus/event-bus.js';
import type { EntryResult, MarketPublisher } from './market-publisher.js';
import type { PriceInput, SignalInput } from './validation.js';

/** Counts what became of the entries (`titan_ingest_accepted_total`, `titan_ingest_rejected_total`). */
export interface IngestMeter {
  accepted(type: IngestType): void;
  rejected(reason: RejectReason): void;
}


export interface RedisIngestOptions {
  /** Where Redis is: `redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://` (see `redis-connection.ts`). */
  redisUrl: string;
  /** Command, connect and reconnect timings (the `REDIS_*` knobs of `config.ts`). */
  timeouts: RedisTimeouts;
  publisher: MarketPublisher;
  meter: IngestMeter;
  /**
   * One warn line per rejected entry (its id, the reason and a clipped message, never the entry
   * itself), and the connection's outages (`RedisLink`).
   */
  log: LinkLog;
  /** Unexpected failures (a bug, a Redis error that is not an outage); the expected connection errors never come here. */
  onError: (error: unknown) => void;
  /** @default "titan" */
  prefix?: string;
  /** Entries kept in the rejected stream. @default 1000 */
  rejectedMaxLen?: number;
  /** How long an entry a crashed consumer took may stay unacknowledged before another takes it. @default 30000 */
  claimIdleMs?: number;
  /** Entries read, published and acknowledged at a time (`INGEST_BATCH`). @default 500 */
  batch?: number;
  /** Event-loop delay over which the next read is halved and delayed (`INGEST_MAX_EVENT_LOOP_LAG_MS`). @default 100 */
  maxEventLoopLagMs?: number;
  /** Entries the stream keeps at most; 0: the server never trims it (`INGEST_MAX_LEN`). @default 1000000 */
  maxLen?: number;
}

type Settings = Required<Omit<RedisIngestOptions, 'redisUrl'>> & { cluster: boolean };

const GROUP = 'titan-ingest';
/** The smallest read backpressure shrinks to. */
const MIN_BATCH = 10;
/** Event-loop utilization over which a lagging loop is this instance's own doing (backpressure). */
const BUSY = 0.9;
/** How often the stream is trimmed (of what every instance acknowledged, and to `maxLen`). */
const TRIM_EVERY_MS = 1000;
/** Longest XREADGROUP BLOCK (and at most half the command timeout, which applies to it as to any command). */
const MAX_BLOCK_MS = 1000;

/**
 * The publishing path for services in other languages: they `XADD <prefix>:ingest * type price|signal
 * data <json>` (the same fields as the `PriceInput`/`SignalInput` GraphQL inputs). Every instance
 * reads the stream in one consumer group, so each entry is published once however many instances
 * run. An invalid entry is acknowledged, counted, logged and copied (clipped, with the reason) to
 * `<prefix>:ingest:rejected`; the entries after it go on. An entry whose publish found Redis
 * unavailable stays pending and is retried, in order, before anything newer.
 *
 * Entries are taken in batches (`batch`): one read, one bus `publishBatch` per topic for the valid
 * ones (in stream order), which also acknowledges them; rejected ones are copied one by one
 * (pipelined). While a batch's publish runs in Redis the next is read (not waiting for new entries),
 * and its publish is sent behind the first, on the same connection, before the first is settled:
 * Redis runs them in order, and never waits for this instance to parse a batch. An instance holds
 * at most three batches (settling, in Redis, read ahead); when its event loop falls behind
 * (`maxEventLoopLagMs`), it reads less and pauses, and the backlog waits in the stream, which the
 * consumer trims to `maxLen`.
 *
 * Redis may be away, frozen or restarting at any time: the consumer then waits and goes on, without
 * reporting the expected connection errors. It never waits for Redis to start or to stop.
 *
 * On a Redis Cluster the stream is `<prefix>:{ingest}` (its rejected copies share its slot), and the
 * bus settles entries by idempotency ids rather than in its publish script (`StreamSource`).
 */
export class RedisIngest {
  private readonly abort = new AbortController();
  private readonly stream: string;
  private readonly blockMs: number;
  private readonly loop: Promise<void>;
  private groupReady = false;
  /** Where the re-read of this consumer's own pending entries stands; null when there is none to do. */
  private pendingAfter: string | null = '0';
  private claimCursor = '0-0';
  private lastClaim = 0;
  private failures = 0;
  private lastReported: string | null = null;
  private readonly link: RedisLink;
  /** The ingest stream as publishes see it: they claim and acknowledge this consumer's entries themselves. */
  private readonly source: StreamSource;
  /** Entries the next read asks for: `batch`, less while backpressure holds it back. */
  private count: number;
  private readonly lag: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private busy: EventLoopUtilization = performance.eventLoopUtilization();
  private lastTrim = 0;
  /** The next batch, read (without waiting) while the current one is published; null when none. */
  private readAhead: Promise<StreamEntry[]> | null = null;
  /** The batch sent before the current one, until it is settled; null when none. */
  private inFlight: Promise<void> | null = null;

  private constructor(
    private readonly redis: RedisClient,
    private readonly settings: Settings,
    private readonly consumer: string,
  ) {
    this.stream = ingestStream(settings.prefix, settings.cluster);
    this.source = { stream: this.stream, group: GROUP, consumer };
    this.blockMs = Math.max(1, Math.min(MAX_BLOCK_MS, Math.floor(settings.timeouts.commandTimeoutMs / 2)));
    this.link = new RedisLink(redis, { role: 'ingest', log: settings.log, onError: (error) => this.report(error) });
    this.count = settings.batch;
    // Every command in flight listens for stop() (`untilStopped`) and stops listening when it settles:
    // a batch with many rejected entries has more than Node's default of 10 at a time, not a leak.
    setMaxListeners(0, this.abort.signal);
    this.lag.enable();
    this.loop = this.run();
  }

  /** Starts consuming in the background; returns at once, whether Redis is there or not. */
  static start(options: RedisIngestOptions): RedisIngest {
    const {
      redisUrl,
      timeouts,
      prefix = 'titan',
      rejectedMaxLen = 1000,
      claimIdleMs = 30_000,
      batch = 500,
      maxEventLoopLagMs = 100,
      maxLen = 1_000_000,
      publisher,
      meter,
      log,
      onError,
    } = options;
    const redis = createRedisClient(
      redisUrl,
      {
        connectionName: 'titan-ingest',
        // While Redis is away a command fails at once instead of waiting in a queue: the loop waits
        // for the connection itself. A command in flight when the connection drops fails too rather
        // than being sent again later, when the loop has moved on (it re-reads what it holds instead).
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
      },
      timeouts,
    );
    const consumer = `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    return new RedisIngest(
      redis,
      { timeouts, prefix, rejectedMaxLen, claimIdleMs, batch, maxEventLoopLagMs, maxLen, publisher, meter, log, onError, cluster: isClusterUrl(redisUrl) },
      consumer,
    );
  }

  /**
   * Stops at once, even while Redis does not answer. An entry being handled stays pending: another
   * instance takes it over after `claimIdleMs`, and publishes it once (a publish claims and acknowledges its entries atomically).
   */
  async stop(): Promise<void> {
    this.abort.abort();
    this.lag.disable();
    this.link.stop();
    this.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        await this.step();
        this.failures = 0;
        this.lastReported = null;
      } catch (error) {
        if (signal.aborted) return;
        // A failed command may still have run (a read whose reply timed out took entries for this
        // consumer): what this consumer holds is read again, oldest first, before anything new.
        this.pendingAfter = '0';
        // Read ahead or still in flight: pending too unless published meanwhile, so re-read with the
        // rest (a publish settles only entries still pending: none is published twice).
        this.readAhead = null;
        this.inFlight = null;
        if (isNoGroup(error)) {
          // A Redis that lost its data lost the group too: the next step makes it again.
          this.groupReady = false;
          continue;
        }
        if (!isUnavailable(error)) this.report(error);
        await this.pause();
      }
    }
  }

  private async step(): Promise<void> {
    if (!this.groupReady) {
      await this.untilStopped(createGroup(this.redis, this.stream));
      this.groupReady = true;
    }
    if (this.pendingAfter !== null) {
      await this.settleInFlight();
      const entries = await this.read(this.pendingAfter);
      await this.handleAll(entries);
      this.pendingAfter = entries.at(-1)?.id ?? null;
    } else if (Date.now() - this.lastClaim >= this.settings.claimIdleMs) {
      await this.settleInFlight();
      await this.claimAbandoned();
    } else {
      const ahead = this.readAhead;
      this.readAhead = null;
      let entries = ahead ? await ahead : [];
      if (entries.length === 0) {
        // Nothing read ahead: what is in flight settles, then the read waits (BLOCK) for new entries.
        await this.settleInFlight();
        entries = await this.read('>');
      }
      // This batch's publish is sent before the previous one is settled: Redis runs them in the order
      // sent (one connection), so Redis and this instance work at the same time, and an instance
      // holds at most three batches (one settling, one in Redis, one read ahead).
      const sent = this.handleAll(entries);
      sent.catch(() => undefined);
      this.readAhead = this.read('>', false);
      this.readAhead.catch(() => undefined);
      await this.settleInFlight();
      this.inFlight = sent;
      await this.trim();
      await this.holdBack();
    }
  }

  /** Waits for the batch sent before the current one; its failure is the step's (the batch is read again). */
  private async settleInFlight(): Promise<void> {
    const previous = this.inFlight;
    this.inFlight = null;
    if (previous) await previous;
  }

  /**
   * Backpressure: after a batch during which the event loop was held up more than
   * `maxEventLoopLagMs` while it was busy (used ≥ 90% of the time: this instance is behind with its
   * own work, fanning out what it published), the next read is halved and waits that long (≤ 1 s);
   * otherwise reads grow back by half towards `batch`. A loop held up while mostly idle is a machine
   * short of CPU for other reasons: reading less would not help, so it reads on.
   */
  private async holdBack(): Promise<void> {
    const lagMs = this.lag.max / 1e6;
    this.lag.reset();
    const { utilization } = performance.eventLoopUtilization(this.busy);
    this.busy = performance.eventLoopUtilization();
    const { batch, maxEventLoopLagMs } = this.settings;
    if (lagMs > maxEventLoopLagMs && utilization >= BUSY) {
      this.count = Math.max(Math.min(MIN_BATCH, batch), Math.floor(this.count / 2));
      await sleep(Math.min(lagMs, 1000), undefined, { signal: this.abort.signal }).catch(() => undefined);
    } else if (this.count < batch) {
      this.count = Math.min(batch, Math.ceil(this.count * 1.5));
    }
  }

  /**
   * About once a second: deletes the entries every consumer of the group has acknowledged (before the
   * oldest pending one, or after the last one handed out when none is pending), then, if publishers
   * outran the instances for so long that more than `maxLen` remain, the oldest of those (logged).
   * Entries a consumer holds that are trimmed come back empty and are acknowledged.
   */
  private async trim(): Promise<void> {
    const { maxLen, log } = this.settings;
    if (maxLen === 0 || Date.now() - this.lastTrim < TRIM_EVERY_MS) return;
    this.lastTrim = Date.now();
    const [groups, pending] = await this.untilStopped(
      Promise.all([this.redis.call('XINFO', 'GROUPS', this.stream), this.redis.call('XPENDING', this.stream, GROUP)]),
    );
    const group = (groups as unknown[][]).find((fields) => fields[fields.indexOf('name') + 1] === GROUP);
    const lastDelivered = group?.[group.indexOf('last-delivered-id') + 1];
    const oldestPending = (pending as unknown[])[1];
    const [ms, seq] = String(lastDelivered ?? '0-0').split('-').map(Number);
    const keepFrom = typeof oldestPending === 'string' ? oldestPending : `${ms}-${(seq ?? 0) + 1}`;
    await this.untilStopped(this.redis.xtrim(this.stream, 'MINID', '~', keepFrom));
    const dropped = await this.untilStopped(this.redis.xtrim(this.stream, 'MAXLEN', '~', maxLen));
    if (dropped > 0) log.warn({ dropped, maxLen }, 'ingest backlog over INGEST_MAX_LEN: its oldest entries were dropped');
  }

  /** Reads entries new to the group (`>`, blocking a while) or this consumer's own pending ones after an id. */
  private async read(after: string, wait = after === '>'): Promise<StreamEntry[]> {
    const block = wait ? ['BLOCK', this.blockMs] : [];
    const reply = await this.untilStopped(
      this.redis.callBuffer('XREADGROUP', 'GROUP', GROUP, this.consumer, 'COUNT', this.count, ...block, 'STREAMS', this.stream, after),
    );
    return parseReadReply(reply);
  }

  /** Takes over entries another consumer (a crashed instance) left unacknowledged for `claimIdleMs`. */
  private async claimAbandoned(): Promise<void> {
    const { claimIdleMs } = this.settings;
    const reply = await this.untilStopped(
      this.redis.callBuffer('XAUTOCLAIM', this.stream, GROUP, this.consumer, claimIdleMs, this.claimCursor, 'COUNT', this.settings.batch),
    );
    const { next, entries } = parseClaimReply(reply);
    await this.handleAll(entries);
    this.claimCursor = next;
    // Redis answers 0-0 at the end of a sweep; the next one starts `claimIdleMs` later.
    if (next === '0-0') this.lastClaim = Date.now();
  }

  /**
   * Settles a batch: the valid entries are published with one bus batch per topic, in stream order
   * (prices and signals are separate topics, so each keeps its own order), and acknowledged by that
   * same atomic publish (`StreamSource`), so an entry is published once however often it is read; the
   * rejected ones are copied and acknowledged one by one. Throws, leaving what is not settled
   * pending, when the bus cannot be reached: the batch is read again, and what was published then is
   * no longer pending.
   */
  private async handleAll(entries: StreamEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const trimmed: string[] = [];
    const rejections: { at: number; id: string; fields: Buffer[]; rejection: Rejection }[] = [];
    const batches = { price: [] as Pending[], signal: [] as Pending[] };
    entries.forEach(({ id, fields }, at) => {
      // Trimmed while pending: nothing left to publish.
      if (fields === null) return void trimmed.push(id);
      const parsed = parseEntry(fields);
      if (parsed.ok) batches[parsed.type].push({ at, id, fields, input: parsed.data });
      else rejections.push({ at, id, fields, rejection: parsed });
    });
    let results: [EntryResult<'price'>[], EntryResult<'signal'>[]];
    try {
      results = await this.untilStopped(Promise.all([this.publishEntries('price', batches.price), this.publishEntries('signal', batches.signal)]));
    } catch (error) {
      if (isUnavailable(error) || this.abort.signal.aborted) throw error;
      // A bug somewhere in the batch: settled one entry at a time, so that only its entry is rejected
      // (the batch sent behind it may be published first: order holds for every outcome but a bug).
      for (const { id, fields } of entries) {
        if (fields === null) await this.ack(id);
        else await this.handle(id, fields);
      }
      return;
    }
    const accepted: IngestType[] = [];
    for (const type of ['price', 'signal'] as const) {
      const outcomes = results[type === 'price' ? 0 : 1];
      batches[type].forEach(({ at, id, fields }, index) => {
        const outcome = outcomes[index];
        if (outcome && 'error' in outcome) {
          rejections.push({ at, id, fields, rejection: { reason: 'invalid', message: outcome.error.message } });
        } else if (outcome && 'envelope' in outcome) {
          accepted.push(type);
        }
      });
    }
    // Copied in stream order, sent together on the one connection (pipelined), each its own transaction.
    rejections.sort((a, b) => a.at - b.at);
    await Promise.all(rejections.map(({ id, fields, rejection }) => this.reject(id, fields, rejection)));
    if (trimmed.length > 0) await this.untilStopped(this.redis.xack(this.stream, GROUP, ...trimmed));
    for (const type of accepted) this.settings.meter.accepted(type);
  }

  /** One topic's valid entries of a batch, published and acknowledged together. */
  private publishEntries<T extends IngestType>(type: T, pending: readonly Pending[]): Promise<EntryResult<T>[]> {
    if (pending.length === 0) return Promise.resolve([]);
    const { publisher } = this.settings;
    const from = { source: this.source, entries: pending.map((entry) => entry.id) };
    const inputs = pending.map((entry) => entry.input);
    // `parseEntry` checked `type`; the fields are checked one by one by the publisher's validation.
    return (type === 'price' ? publisher.publishPrices(inputs as PriceInput[], from) : publisher.publishSignals(inputs as SignalInput[], from)) as Promise<
      EntryResult<T>[]
    >;
  }

  private async handle(id: string, fields: Buffer[]): Promise<void> {
    const parsed = parseEntry(fields);
    if (!parsed.ok) return this.reject(id, fields, parsed);
    let outcome: EntryResult<IngestType> | undefined;
    try {
      [outcome] = await this.untilStopped(this.publishEntries(parsed.type, [{ at: 0, id, fields, input: parsed.data }]));
    } catch (error) {
      // The bus's Redis is unavailable (or this consumer is stopping): pending, retried in order.
      if (isUnavailable(error) || this.abort.signal.aborted) throw error;
      // A bug: retrying would fail the same way and hold up every entry behind this one.
      this.settings.onError(error);
      return this.reject(id, fields, { reason: 'publish_failed', message: 'publishing failed with an unexpected error (logged with its stack)' });
    }
    if (outcome && 'error' in outcome) return this.reject(id, fields, { reason: 'invalid', message: outcome.error.message });
    if (outcome && 'envelope' in outcome) this.settings.meter.accepted(parsed.type);
  }

  /**
   * Copies the entry (clipped) to the rejected stream and acknowledges it in one transaction: if the
   * reply is lost but the transaction ran, the entry is no longer pending and is not copied twice.
   */
  private async reject(id: string, fields: Buffer[], rejection: Rejection): Promise<void> {
    const copy = rejectedCopy(id, rejection, fields);
    const replies = await this.untilStopped(
      this.redis
        .multi()
        .xadd(`${this.stream}:rejected`, 'MAXLEN', '~', this.settings.rejectedMaxLen, '*', ...copy)
        .xack(this.stream, GROUP, id)
        .exec(),
    );
    const failure = replies === null ? new Error('the rejection transaction was discarded') : replies.find(([error]) => error)?.[0];
    if (failure) throw failure;
    this.settings.meter.rejected(rejection.reason);
    this.settings.log.warn({ entry: id, reason: rejection.reason, error: clipText(rejection.message) }, 'ingest entry rejected');
  }

  private async ack(id: string): Promise<void> {
    await this.untilStopped(this.redis.xack(this.stream, GROUP, id));
  }

  /**
   * Before the next attempt: waits for the connection while it is down (ioredis reconnects with its
   * own backoff), else backs off up to `retryMaxDelayMs` (Redis frozen or loading, the bus away, a bug).
   */
  private async pause(): Promise<void> {
    if (this.redis.status !== 'ready') return this.untilReady();
    this.failures += 1;
    const delay = Math.min(50 * 2 ** this.failures, this.settings.timeouts.retryMaxDelayMs);
    // Cut short by stop(): the loop sees the signal and ends.
    await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private untilReady(): Promise<void> {
    const { signal } = this.abort;
    return new Promise((resolve) => {
      const done = () => {
        this.redis.off('ready', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.redis.on('ready', done);
      signal.addEventListener('abort', done);
    });
  }

  /** `promise`, or a rejection as soon as stop() is called: stopping never waits for Redis or the bus. */
  private untilStopped<T>(promise: Promise<T>): Promise<T> {
    const { signal } = this.abort;
    return new Promise<T>((resolve, reject) => {
      const stopped = () => reject(signal.reason);
      if (signal.aborted) {
        stopped();
        return;
      }
      signal.addEventListener('abort', stopped, { once: true });
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', stopped));
    });
  }

  /** Passes an unexpected error on once while it recurs (a stuck entry, a bad password), not every loop. */
  private report(error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    if (text === this.lastReported) return;
    this.lastReported = text;
    this.settings.onError(error);
  }
}

/** A valid entry waiting for its batch's publish. */
interface Pending {
  /** Its place in the batch read. */
  at: number;
  id: string;
  fields: Buffer[];
  input: object;
}

/**
 * Creates the consumer group (and the stream) unless it exists. It starts at the beginning of the
 * stream: entries added while there was no group (Redis lost its data and a publisher wrote first)
 * are published too, not skipped.
 */
async function createGroup(redis: RedisClient, stream: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  }
}

function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOGROUP');
}

/** The ingest stream's key: `<prefix>:ingest`, or on a cluster `<prefix>:{ingest}` (a hash tag its rejected copies share). */
export function ingestStream(prefix: string, cluster = false): string {
  return cluster ? `${prefix}:{ingest}` : `${prefix}:ingest`;
}
