import type { BacktestProgressEvent, PriceEvent, SignalEvent } from '../domain/events.js';
import type { CursorExpiredError } from './errors.js';

/**
 * The bus contract. A topic is a kind of event; each event is published under a key of its topic
 * (prices by symbol, signals by strategy, progress by backtest id). `publish` and `subscribe` are
 * checked against this map, so a payload can never reach a listener of another shape.
 */
export interface Topics {
  price: PriceEvent;
  signal: SignalEvent;
  backtestProgress: BacktestProgressEvent;
  /** A request, from any instance, that the instance running this backtest stop it. */
  backtestCancel: { backtestId: string };
}

export type Topic = keyof Topics;

/** Every topic, for what a backend sets up per topic (a subscriber connection per shard on a Redis Cluster). */
export const TOPICS = Object.keys({ price: 0, signal: 0, backtestProgress: 0, backtestCancel: 0 } satisfies Record<Topic, 0>) as Topic[];

/**
 * Where an event stands in its topic. `offset` increases by one with every publish to the topic
 * (across all its keys), so events of one topic are totally ordered; `epoch` names the history the
 * offset belongs to and changes when that history is lost (a new in-memory bus, a Redis that lost
 * its data), so an old position is recognisably from another history.
 */
export interface StreamPosition {
  epoch: string;
  offset: number;
}

export interface Envelope<T extends Topic = Topic> {
  topic: T;
  key: string;
  position: StreamPosition;
  payload: Topics[T];
  /** Set on what `publish` answers for an id published before: this is the original event, delivered then. */
  duplicate?: true;
}

export interface PublishOptions {
  /**
   * The publisher's id of the event (its idempotency key). Publishing the same id again under the
   * same topic and key, while the first event is still in the key's history, stores and delivers
   * nothing and answers the original envelope (`duplicate: true`). So a publisher may retry on any
   * error: the retry either publishes or confirms what the failed attempt stored.
   */
  id?: string | undefined;
}

/** One event of a batch (`publishBatch`): its key, payload and publisher's id, as for `publish`. */
export interface PublishRequest<T extends Topic> {
  key: string;
  payload: Topics[T];
  /** As `PublishOptions.id`. */
  id?: string | undefined;
  /** With a `StreamSource`: the id of the stream entry the event was read from. */
  entry?: string | undefined;
}

/**
 * Where a batch's events were read from, when they are entries of a Redis stream read in a consumer
 * group (the ingest stream). Publishing then settles the entries in the same atomic step: it claims
 * each request's `entry` for `consumer`, publishes only the events whose entry was still pending (not
 * acknowledged by another consumer that took it over meanwhile) and acknowledges those. So an entry
 * is published exactly once without an idempotency id, whatever becomes of the reply. Redis bus only
 * (the memory bus reads no stream).
 */
export interface StreamSource {
  stream: string;
  group: string;
  consumer: string;
}

/**
 * Most events one batch script call carries (`publishBatch` splits a longer batch): it bounds the
 * time Redis spends in one script (others wait meanwhile) and the size of one request and reply.
 */
export const MAX_PUBLISH_BATCH = 500;

export type Listener<T extends Topic> = (envelope: Envelope<T>) => void;

export type Unsubscribe = () => void;

export interface Snapshot<T extends Topic> {
  /** The topic's position when the snapshot was read: nothing published later is in `latest`. */
  position: StreamPosition;
  /** Per requested key (same order), its newest events, newest first. */
  latest: Envelope<T>[][];
}

export interface HistoryPage<T extends Topic> {
  /** Events of the keys with an offset after the requested one, oldest first, no gaps. */
  envelopes: Envelope<T>[];
  /** True when the page reaches the end of the stored history. */
  complete: boolean;
}

export interface EventBus {
  /**
   * Stores the event in the key's bounded history and fans it out to every listener of the key on
   * every instance; resolves with the position it was given. Rejects with `UnavailableError` when
   * the backend is unreachable or did not answer in time: then the event may or may not have been
   * stored (and delivered), and retrying with the same `options.id` is what settles it.
   */
  publish<T extends Topic>(topic: T, key: string, payload: Topics[T], options?: PublishOptions): Promise<Envelope<T>>;
  /**
   * Publishes events of one topic in the given order (per key order = array order), with as few
   * round trips as the offset and ordering rules allow; resolves with one envelope per request, same
   * order (duplicates by id answer the original with `duplicate: true`, as `publish` does, also for
   * an id repeated within the batch). Rejects as a whole with `UnavailableError` when the backend
   * did not answer: then any of them may have been stored, and retrying the same requests with the
   * same ids settles it.
   */
  publishBatch<T extends Topic>(topic: T, requests: readonly PublishRequest<T>[]): Promise<Envelope<T>[]>;
  /**
   * As above, for events read from a stream (`StreamSource`): null for a request whose entry was no
   * longer pending (another consumer settled it), which is then not published.
   */
  publishBatch<T extends Topic>(topic: T, requests: readonly PublishRequest<T>[], source: StreamSource): Promise<(Envelope<T> | null)[]>;
  /**
   * Calls `listener` for each event published under `key` from now on, in publish order and once
   * each, also across reconnections of the bus (missed events are recovered from history). If they
   * cannot be recovered, `onLost` is called and delivery goes on with new events. Resolves once
   * delivery has started; the returned function stops it and releases what it held.
   */
  subscribe<T extends Topic>(
    topic: T,
    key: string,
    listener: Listener<T>,
    onLost?: (error: CursorExpiredError) => void,
  ): Promise<Unsubscribe>;
  /** The newest `count` events of each key and the topic's position, read atomically. */
  snapshot<T extends Topic>(topic: T, keys: readonly string[], count: number): Promise<Snapshot<T>>;
  /**
   * Up to about `limit` events of the keys published after `after`, oldest first. Throws
   * `CursorExpiredError` if some were trimmed or the history was reset, `PositionAheadError` for a
   * position past the end of the stream.
   */
  history<T extends Topic>(topic: T, keys: readonly string[], after: StreamPosition, limit: number): Promise<HistoryPage<T>>;
  /** Every key that has had an event published and still has history. */
  keys(topic: Topic): Promise<string[]>;
  /** False while the backend is unreachable or not answering (publishes fail, live delivery pauses). */
  isHealthy(): boolean;
  /** Open channels and listeners, to check that nothing leaks. */
  stats(): { channels: number; listeners: number };
  /** Stops delivery and releases connections. */
  close(): Promise<void>;
}

/** Merges per-key pages (each oldest first) into one page without gaps across the keys. */
export function mergePages<T extends Topic>(perKey: Envelope<T>[][], limit: number): HistoryPage<T> {
  // A key that filled its page may have more events: the merged page is gap-free only up to the
  // smallest last offset among such keys.
  let safeThrough = Infinity;
  for (const page of perKey) {
    if (page.length >= limit) safeThrough = Math.min(safeThrough, page.at(-1)?.position.offset ?? Infinity);
  }
  const envelopes = perKey
    .flat()
    .filter((envelope) => envelope.position.offset <= safeThrough)
    .sort((a, b) => a.position.offset - b.position.offset);
  return { envelopes, complete: safeThrough === Infinity };
}
