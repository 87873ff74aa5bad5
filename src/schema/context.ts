import type { AnalyticsService } from '../analytics/analytics-service.js';
import type { Viewer } from '../auth/viewer.js';
import type { EventBus } from '../bus/event-bus.js';
import type { FeedConfig, Limits } from '../config.js';
import type { BacktestStore } from '../domain/backtest.js';
import type { BacktestRunner } from '../domain/backtest-runner.js';
import type { SharedLimits } from '../limits/limits.js';
import type { PublishesInFlight } from '../limits/publishes-in-flight.js';
import type { DeliveryMeters } from '../observability/metrics.js';
import type { MarketPublisher } from '../publish/market-publisher.js';

/** What resolvers may use; built once per app and shared by every operation. */
export interface Services extends Pick<Limits, 'symbolsPerSubscription' | 'subscriptionQueueLimit' | 'priceReplayMax' | 'publishBatchMax'> {
  bus: EventBus;
  publisher: MarketPublisher;
  backtests: BacktestRunner;
  backtestStore: BacktestStore;
  /** Its `symbols` are listed by the `symbols` query even before their first tick. */
  feed: FeedConfig;
  /** Counts what subscription streams deliver, replay, conflate and drop, per field (metrics). */
  deliveryMeters: DeliveryMeters;
  /** Mutations per user, counted across instances with Redis (`transport/mutation-rate-limit.ts`). */
  rateLimits: Pick<SharedLimits, 'mutations' | 'publishes'>;
  /** Publish mutations' inputs this instance executes at once (`PUBLISH_MAX_IN_FLIGHT`). */
  publishesInFlight: PublishesInFlight;
  /** Candles and strategy figures of this instance; null with `ANALYTICS=off`. */
  analytics: AnalyticsService | null;
}

/** The authenticated identity behind an operation, as of now; on a WebSocket it changes when the token is renewed. */
export interface ViewerAuth {
  /** The viewer as of now. */
  readonly viewer: Viewer;
  /** Replaces the connection's token (WebSocket only); throws a GraphQL error if it is refused. */
  renew?(token: string): Promise<Viewer>;
}

/**
 * A Server-Sent Events request's standard resume (`transport/sse-resume.ts`), on Yoga's own SSE: the
 * cursor a reconnecting `EventSource` names, and the cursor of the event being sent, for its `id:`.
 */
export interface SseResume {
  /** `Last-Event-ID`: a subscription resumes after it, whatever `after` its document says; null: none sent. */
  readonly lastEventId: string | null;
  /** The cursor of the event the subscription handed over last: its result is the next one sent. */
  cursor: string | null;
}

/** The context of every operation: its authenticated identity (there is no anonymous access). */
export interface GraphQLContext {
  auth: ViewerAuth;
  services: Services;
  /** Set on a request that takes Server-Sent Events; null on any other. */
  sse: SseResume | null;
}
