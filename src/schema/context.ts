import type { Viewer } from '../auth/viewer.js';
import type { EventBus } from '../bus/event-bus.js';
import type { BacktestStore } from '../domain/backtest.js';
import type { BacktestRunner } from '../domain/backtest-runner.js';
import type { DeliveryMeters } from '../observability/metrics.js';
import type { MarketPublisher } from '../publish/market-publisher.js';

/** What resolvers may use; built once per app and shared by every operation. */
export interface Services {
  bus: EventBus;
  publisher: MarketPublisher;
  backtests: BacktestRunner;
  backtestStore: BacktestStore;
  /** Symbols of the configured feed, listed by `symbols` even before their first tick. */
  feedSymbols: readonly string[];
  /** Live events that may wait for one slow subscriber (`SUBSCRIPTION_QUEUE_LIMIT`). */
  subscriptionQueueLimit: number;
  /** Symbols one subscription may name (`MAX_SYMBOLS_PER_SUBSCRIPTION`). */
  symbolsPerSubscription: number;
  /** Counts what subscription streams deliver, replay, conflate and drop, per field (metrics). */
  deliveryMeters: DeliveryMeters;
}

/** The authenticated identity behind an operation. */
export interface AuthSession {
  /** The viewer as of now: on a WebSocket it changes when the token is renewed. */
  readonly viewer: Viewer;
  /** Replaces the connection's token (WebSocket only); throws a GraphQL error if it is refused. */
  renew?(token: string): Promise<Viewer>;
}

/** The context of every operation: an authenticated session (there is no anonymous access). */
export interface GraphQLContext {
  session: AuthSession;
  services: Services;
}
