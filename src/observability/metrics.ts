import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryMeter } from '../bus/delivery-stream.js';
import type { Envelope, Topic } from '../bus/event-bus.js';
import { INGEST_TYPES, REJECT_REASONS, type IngestType, type RejectReason } from '../publish/ingest-entry.js';
import type { IngestMeter } from '../publish/redis-ingest.js';
import { SUBSCRIPTION_FIELDS, type SubscriptionField } from '../schema/subscription-plan.js';

/** Cumulative figures of one field's shared fan-out, read at scrape time. */
export interface FanoutStats {
  groups: number;
  members: number;
  /** Frames handed to sockets. */
  framesSent: number;
  /** Price frames replaced by a newer tick of the same symbol while a socket was full or within a rate cap's window. */
  conflated: number;
  /** Signal subscriptions ended with SLOW_CONSUMER. */
  slowConsumers: number;
  /** Events read from history for resuming subscribers. */
  replayed: number;
  /** Rate-cap windows open now (`price(maxRate:)`), one timer each: none once their groups are gone. */
  capWindows: number;
}

/** One meter per subscription field, for the streams of the ordinary (per-subscriber) path. */
export type DeliveryMeters = { readonly [F in SubscriptionField]: DeliveryMeter };

/** What is read at scrape time instead of being counted on a hot path. */
export interface MetricSources {
  /** Open WebSocket connections (authenticated or not yet). */
  wsConnections: () => number;
  /** Open SSE responses. */
  sseStreams: () => number;
  /** The shared path's groups, members and cumulative counts per field (`LiveFanout.stats()`). */
  fanout: () => Record<SubscriptionField, FanoutStats>;
  /** Per role, whether its Redis connection is ready; null without Redis (no gauge then). */
  redisUp: Record<RedisRole, () => boolean> | null;
  /** The analytics service's figures (`AnalyticsService.figures`); null with `ANALYTICS=off`. */
  analytics: (() => AnalyticsFigures) | null;
}

/** What the analytics of an instance hold and have counted, read at scrape time. */
export interface AnalyticsFigures {
  symbols: number;
  strategies: number;
  ringBytes: number;
  /** Cumulative ticks older than the open bar, per interval. */
  lateTicks: Record<string, number>;
}

export interface Metrics {
  /** This app's own registry: several apps in one process never share a metric. */
  readonly registry: Registry;
  readonly deliveryMeters: DeliveryMeters;
  /** Counts an event this process published through the bus. */
  published(topic: Topic): void;
  /** Counts a WebSocket closed with 4008. */
  slowDisconnect(): void;
  /** Observes the delivery lag of an event the shared path handed to its group's sockets. */
  fanoutSent(field: SubscriptionField, envelope: Envelope<SubscriptionField>): void;
  /** Connects the scrape-time readings; until called they read as zero. */
  watch(sources: MetricSources): void;
  /** Counts entries of the Redis ingest stream, published or rejected. */
  readonly ingestMeter: IngestMeter;
}

const FIELDS = SUBSCRIPTION_FIELDS;
/** The Redis connections of a process: the event bus's, and the backtest store's. */
export type RedisRole = 'bus' | 'store' | 'limits';
const REDIS_ROLES: readonly RedisRole[] = ['bus', 'store', 'limits'];
const NO_FANOUT: FanoutStats = { groups: 0, members: 0, framesSent: 0, conflated: 0, slowConsumers: 0, replayed: 0, capWindows: 0 };
const TOPICS: readonly Topic[] = [...FIELDS, 'backtestCancel'];
/** From 1 ms (same host, idle) to 10 s (a backlog an operator must look at). */
const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Builds the metrics of one app on a registry of its own, with Node's process and event-loop metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  // The event-loop delay monitor wakes the process at this interval: prom-client's 10 ms default cost
  // about 0.7% of a core with nothing else to do (npm run bench, 1,000 clients at 1 event/s).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const registers = [registry];
  let sources: MetricSources = {
    wsConnections: () => 0,
    sseStreams: () => 0,
    fanout: () => ({ price: NO_FANOUT, signal: NO_FANOUT, backtestProgress: NO_FANOUT }),
    redisUp: null,
    analytics: null,
  };
  // What happens per event or per subscribe is kept in plain numbers, read into the metrics on scrape:
  // a prom-client `inc` costs about 0.2 µs, a delivery should not pay that.
  const streams = Object.fromEntries(FIELDS.map((field) => [field, { open: 0, delivered: 0, replayed: 0 }])) as Record<
    SubscriptionField,
    { open: number; delivered: number; replayed: number }
  >;

  new Gauge({
    name: 'titan_ws_connections',
    help: 'Open WebSocket connections, including those not yet authenticated.',
    registers,
    collect() {
      this.set(sources.wsConnections());
    },
  });
  new Gauge({
    name: 'titan_sse_streams',
    help: 'Open SSE (text/event-stream) responses.',
    registers,
    collect() {
      this.set(sources.sseStreams());
    },
  });
  new Gauge({
    name: 'titan_subscriptions_active',
    help: 'Active subscriptions by field, over WebSocket and SSE.',
    labelNames: ['field'],
    registers,
    collect() {
      const fanout = sources.fanout();
      for (const field of FIELDS) this.set({ field }, streams[field].open + fanout[field].members);
    },
  });
  new Gauge({
    name: 'titan_fanout_groups',
    help: 'Groups of the shared path by field: distinct live operations (and authorization scopes), each executed once per event.',
    labelNames: ['field'],
    registers,
    collect() {
      const fanout = sources.fanout();
      for (const field of FIELDS) this.set({ field }, fanout[field].groups);
    },
  });
  new Gauge({
    name: 'titan_redis_up',
    help: 'Whether the Redis connections of a role are ready (1) or not (0). Absent with the in-memory bus.',
    labelNames: ['role'],
    registers,
    collect() {
      const { redisUp } = sources;
      if (redisUp) for (const role of REDIS_ROLES) this.set({ role }, redisUp[role]() ? 1 : 0);
    },
  });

  new Gauge({
    name: 'titan_analytics_followed',
    help: 'Keys the analytics of this instance follow: symbols (candles) and strategies (figures). Absent with ANALYTICS=off.',
    labelNames: ['kind'],
    registers,
    collect() {
      const figures = sources.analytics?.();
      if (!figures) return;
      this.set({ kind: 'symbols' }, figures.symbols);
      this.set({ kind: 'strategies' }, figures.strategies);
    },
  });
  new Gauge({
    name: 'titan_analytics_bar_bytes',
    help: 'Bytes the closed candle bars of this instance hold (bounded by CANDLE_HISTORY_BARS).',
    registers,
    collect() {
      const figures = sources.analytics?.();
      if (figures) this.set(figures.ringBytes);
    },
  });
  const lateTicks = new Counter({
    name: 'titan_candle_late_ticks_total',
    help: 'Ticks older than the open bar of their symbol at an interval: they change no bar.',
    labelNames: ['interval'],
    registers,
    collect() {
      const figures = sources.analytics?.();
      for (const [interval, total] of Object.entries(figures?.lateTicks ?? {})) lateBy(interval)(total);
    },
  });
  const lateFeeds = new Map<string, (total: number | undefined) => void>();
  const lateBy = (interval: string) => {
    let feed = lateFeeds.get(interval);
    if (!feed) lateFeeds.set(interval, (feed = cumulative(lateTicks.labels(interval))));
    return feed;
  };

  const published = new Counter({
    name: 'titan_events_published_total',
    help: 'Events this process published through the bus, by topic.',
    labelNames: ['topic'],
    registers,
  });
  const delivered = new Counter({
    name: 'titan_events_delivered_total',
    help: 'Events handed to the transport, by topic and path (stream: per subscriber; fanout: frames of the shared path).',
    labelNames: ['topic', 'path'],
    registers,
    collect() {
      const fanout = sources.fanout();
      for (const field of FIELDS) fanoutDelivered[field](fanout[field].framesSent);
      for (const field of FIELDS) streamDelivered[field](streams[field].delivered);
    },
  });
  const lag = new Histogram({
    name: 'titan_delivery_lag_seconds',
    help: "Time from an event's timestamp (set at publish) to its hand-over to the transport (shared path: once per event and group).",
    labelNames: ['topic'],
    buckets: LAG_BUCKETS,
    registers,
  });
  const replayed = new Counter({
    name: 'titan_events_replayed_total',
    help: 'Events read from history for resuming subscriptions, by topic.',
    labelNames: ['topic'],
    registers,
    collect() {
      const fanout = sources.fanout();
      for (const field of FIELDS) streamReplayed[field](streams[field].replayed + fanout[field].replayed);
    },
  });
  const conflated = new Counter({
    name: 'titan_events_conflated_total',
    help: 'Events dropped for a slow reader, or within a rate cap (maxRate), because a newer one of the same key superseded them, by topic and path.',
    labelNames: ['topic', 'path'],
    registers,
    collect() {
      const fanout = sources.fanout();
      for (const field of FIELDS) fanoutConflated[field](fanout[field].conflated);
    },
  });
  const slowConsumers = new Counter({
    name: 'titan_slow_consumer_streams_total',
    help: 'Subscriptions ended with SLOW_CONSUMER (more than SUBSCRIPTION_QUEUE_LIMIT events or WS_MAX_BUFFERED_BYTES waited), by topic.',
    labelNames: ['topic'],
    registers,
    collect() {
      const fanout = sources.fanout();
      for (const field of FIELDS) fanoutSlowConsumers[field](fanout[field].slowConsumers);
    },
  });
  const slowDisconnects = new Counter({
    name: 'titan_ws_slow_disconnects_total',
    help: 'WebSocket connections closed with 4008 for reading too slowly.',
    registers,
  });

  const ingestAccepted = new Counter({
    name: 'titan_ingest_accepted_total',
    help: 'Entries of the Redis ingest stream published (or found already published when retried), by type.',
    labelNames: ['type'],
    registers,
  });
  const ingestRejected = new Counter({
    name: 'titan_ingest_rejected_total',
    help: 'Entries of the Redis ingest stream rejected (acknowledged and copied to <prefix>:ingest:rejected), by reason.',
    labelNames: ['reason'],
    registers,
  });

  // Label children are bound once: on the hot path a count is one `inc`, without label lookups.
  const publishedBy = Object.fromEntries(TOPICS.map((topic) => [topic, published.labels(topic)])) as Record<Topic, Counter.Internal>;
  const perField = (make: (field: SubscriptionField) => Counter.Internal) =>
    Object.fromEntries(FIELDS.map((field) => [field, cumulative(make(field))])) as Record<SubscriptionField, (total: number) => void>;
  const fanoutDelivered = perField((field) => delivered.labels(field, 'fanout'));
  const fanoutConflated = perField((field) => conflated.labels(field, 'fanout'));
  const fanoutSlowConsumers = perField((field) => slowConsumers.labels(field));
  const streamDelivered = perField((field) => delivered.labels(field, 'stream'));
  const streamReplayed = perField((field) => replayed.labels(field));

  /** Observes publish → hand-over lag of one field's events. */
  const lagOf = (field: SubscriptionField): ((envelope: Envelope) => void) => {
    const lagHere = lag.labels(field);
    // Subscribers of one event are served one after another with the same payload: its timestamp is
    // parsed once, not once per subscriber.
    let stamp = '';
    let publishedAt = Number.NaN;
    return ({ payload }) => {
      if (!('timestamp' in payload)) return;
      if (payload.timestamp !== stamp) {
        stamp = payload.timestamp;
        publishedAt = Date.parse(stamp);
      }
      // A publisher's clock may run ahead of ours: that lag is counted as none, not negative.
      const seconds = (Date.now() - publishedAt) / 1000;
      if (Number.isFinite(seconds)) lagHere.observe(Math.max(0, seconds));
    };
  };
  const fanoutLag = Object.fromEntries(FIELDS.map((field) => [field, lagOf(field)])) as Record<SubscriptionField, (envelope: Envelope) => void>;
  // Every type and reason is exported from the start (at 0), so a rate alert sees the first rejection of a kind.
  const fromZero = (counter: Counter, label: string) => {
    const child = counter.labels(label);
    child.inc(0);
    return child;
  };
  const acceptedBy = Object.fromEntries(INGEST_TYPES.map((type) => [type, fromZero(ingestAccepted, type)])) as Record<
    IngestType,
    Counter.Internal
  >;
  const rejectedBy = Object.fromEntries(REJECT_REASONS.map((reason) => [reason, fromZero(ingestRejected, reason)])) as Record<
    RejectReason,
    Counter.Internal
  >;

  const meter = (field: SubscriptionField): DeliveryMeter => {
    const counts = streams[field];
    const observeLag = lagOf(field);
    const conflatedHere = conflated.labels(field, 'stream');
    const slowHere = slowConsumers.labels(field);
    return {
      opened: () => void (counts.open += 1),
      closed: () => void (counts.open -= 1),
      delivered(envelope) {
        counts.delivered += 1;
        observeLag(envelope);
      },
      replayed: () => void (counts.replayed += 1),
      conflated: (count) => conflatedHere.inc(count),
      slowConsumer: () => slowHere.inc(),
    };
  };
  return {
    registry,
    deliveryMeters: { price: meter('price'), signal: meter('signal'), backtestProgress: meter('backtestProgress') },
    published: (topic) => publishedBy[topic].inc(),
    slowDisconnect: () => slowDisconnects.inc(),
    fanoutSent: (field, envelope) => fanoutLag[field](envelope),
    watch(next) {
      sources = next;
    },
    ingestMeter: {
      accepted: (type) => acceptedBy[type].inc(),
      rejected: (reason) => rejectedBy[reason].inc(),
    },
  };
}

/**
 * A counter fed from a cumulative number read at scrape time: adds what it grew by since the last
 * scrape. An absent reading (a source that does not count it) adds nothing.
 */
function cumulative(counter: Counter.Internal): (total: number | undefined) => void {
  let seen = 0;
  return (total) => {
    if (total === undefined || total <= seen) return;
    counter.inc(total - seen);
    seen = total;
  };
}
