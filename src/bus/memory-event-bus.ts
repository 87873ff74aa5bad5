import {
  mergePages,
  type EventBus,
  type Envelope,
  type HistoryPage,
  type Listener,
  type PublishOptions,
  type PublishRequest,
  type StreamSource,
  type Snapshot,
  type StreamPosition,
  type Topic,
  type Topics,
  type Unsubscribe,
} from './event-bus.js';
import { newEpoch } from './epoch.js';
import { CursorExpiredError, PositionAheadError } from './errors.js';

export interface MemoryEventBusOptions {
  /** Events kept per topic key; older ones are dropped first (`HISTORY_MAX_LEN`, the `bus` knob of `config.ts`). */
  historyMaxLen: number;
  /** Called when a listener throws; the other listeners still receive the event. @default console.error */
  onListenerError?: (error: unknown) => void;
  /** Called after each event is stored and fanned out (metrics). */
  onPublished?: (topic: Topic) => void;
}

interface Stream {
  history: Envelope[];
  /** Offset of the newest event dropped from `history` (0: none dropped). */
  trimmedThrough: number;
  listeners: Set<Listener<Topic>>;
  /** Publishers' ids of retained events, both ways, so trimming an event forgets its id. */
  byId: Map<string, Envelope>;
  idAt: Map<number, string>;
}

/**
 * The embedded bus: one process, the same contract as `RedisEventBus`. History lives as long as the
 * process, so a new process starts a new epoch and old cursors are recognisably from another history.
 */
export class MemoryEventBus implements EventBus {
  private readonly epoch = newEpoch();
  private readonly offsets = new Map<Topic, number>();
  private readonly streams = new Map<string, Stream>();
  private readonly historyMaxLen: number;
  private readonly onListenerError: (error: unknown) => void;
  private readonly onPublished: ((topic: Topic) => void) | undefined;
  private closed = false;

  constructor(options: MemoryEventBusOptions) {
    const {
      historyMaxLen,
      onListenerError = (error) => console.error('event listener failed', error),
      onPublished,
    } = options;
    this.historyMaxLen = historyMaxLen;
    this.onListenerError = onListenerError;
    this.onPublished = onPublished;
  }

  async publish<T extends Topic>(topic: T, key: string, payload: Topics[T], options: PublishOptions = {}): Promise<Envelope<T>> {
    if (this.closed) throw new Error('event bus is closed');
    return this.publishOne(topic, key, payload, options.id);
  }

  private publishOne<T extends Topic>(topic: T, key: string, payload: Topics[T], id: string | undefined): Envelope<T> {
    const stream = this.stream(topic, key);
    const original = id === undefined ? undefined : stream.byId.get(id);
    if (original) return { ...(original as Envelope<T>), duplicate: true };
    const offset = this.offset(topic) + 1;
    this.offsets.set(topic, offset);
    const envelope: Envelope<T> = { topic, key, position: { epoch: this.epoch, offset }, payload };
    stream.history.push(envelope);
    if (id !== undefined) {
      stream.byId.set(id, envelope);
      stream.idAt.set(offset, id);
    }
    if (stream.history.length > this.historyMaxLen) this.trimOldest(stream);
    for (const listener of stream.listeners) {
      try {
        listener(envelope);
      } catch (error) {
        this.onListenerError(error);
      }
    }
    this.onPublished?.(topic);
    return envelope;
  }

  async publishBatch<T extends Topic>(topic: T, requests: readonly PublishRequest<T>[], source?: StreamSource): Promise<Envelope<T>[]> {
    if (this.closed) throw new Error('event bus is closed');
    // Its entries would never be acknowledged: the stream's consumer needs the Redis bus on the stream's Redis.
    if (source) throw new Error(`the memory bus cannot settle entries of ${source.stream}`);
    const envelopes: Envelope<T>[] = [];
    // Synchronous, one after the other: nothing else runs between them, as in Redis's one script.
    for (const { key, payload, id } of requests) envelopes.push(this.publishOne(topic, key, payload, id));
    return envelopes;
  }

  async subscribe<T extends Topic>(topic: T, key: string, listener: Listener<T>): Promise<Unsubscribe> {
    if (this.closed) throw new Error('event bus is closed');
    const stream = this.stream(topic, key);
    const entry = listener as Listener<Topic>;
    stream.listeners.add(entry);
    return () => {
      stream.listeners.delete(entry);
      if (stream.listeners.size === 0 && stream.history.length === 0) this.streams.delete(streamId(topic, key));
    };
  }

  async snapshot<T extends Topic>(topic: T, keys: readonly string[], count: number): Promise<Snapshot<T>> {
    return {
      position: { epoch: this.epoch, offset: this.offset(topic) },
      latest: keys.map((key) => this.retained(topic, key).slice(-count).reverse()),
    };
  }

  async history<T extends Topic>(
    topic: T,
    keys: readonly string[],
    after: StreamPosition,
    limit: number,
  ): Promise<HistoryPage<T>> {
    if (after.epoch !== this.epoch) throw new CursorExpiredError('History was reset since this cursor (the server restarted)');
    if (after.offset > this.offset(topic)) throw new PositionAheadError();
    const perKey = keys.map((key) => {
      const stream = this.streams.get(streamId(topic, key));
      if (stream && stream.trimmedThrough > after.offset) {
        throw new CursorExpiredError(`Events of ${key} after this cursor are no longer retained`);
      }
      return this.retained(topic, key)
        .filter((envelope) => envelope.position.offset > after.offset)
        .slice(0, limit);
    });
    return mergePages(perKey, limit);
  }

  async keys(topic: Topic): Promise<string[]> {
    const prefix = `${topic}\u0000`;
    const keys: string[] = [];
    for (const [id, stream] of this.streams) {
      if (id.startsWith(prefix) && stream.history.length > 0) keys.push(id.slice(prefix.length));
    }
    return keys;
  }

  isHealthy(): boolean {
    return !this.closed;
  }

  stats(): { channels: number; listeners: number } {
    let channels = 0;
    let listeners = 0;
    for (const stream of this.streams.values()) {
      if (stream.listeners.size > 0) channels += 1;
      listeners += stream.listeners.size;
    }
    return { channels, listeners };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const stream of this.streams.values()) stream.listeners.clear();
  }

  private trimOldest(stream: Stream): void {
    const oldest = stream.history.shift();
    if (!oldest) return;
    stream.trimmedThrough = oldest.position.offset;
    const id = stream.idAt.get(oldest.position.offset);
    if (id === undefined) return;
    stream.idAt.delete(oldest.position.offset);
    stream.byId.delete(id);
  }

  private offset(topic: Topic): number {
    return this.offsets.get(topic) ?? 0;
  }

  private retained<T extends Topic>(topic: T, key: string): Envelope<T>[] {
    return (this.streams.get(streamId(topic, key))?.history ?? []) as Envelope<T>[];
  }

  private stream(topic: Topic, key: string): Stream {
    const id = streamId(topic, key);
    let stream = this.streams.get(id);
    if (!stream) {
      stream = { history: [], trimmedThrough: 0, listeners: new Set(), byId: new Map(), idAt: new Map() };
      this.streams.set(id, stream);
    }
    return stream;
  }
}

function streamId(topic: Topic, key: string): string {
  return `${topic}\u0000${key}`;
}
