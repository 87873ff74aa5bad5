import { fileURLToPath } from 'node:url';
import { AnalyticsService } from './analytics/analytics-service.js';
import { TokenService } from './auth/tokens.js';
import { openBus } from './bus/open-bus.js';
import { redactUrl } from './bus/redis-connection.js';
import type { Config } from './config.js';
import type { BacktestStore } from './domain/backtest.js';
import { BacktestRunner } from './domain/backtest-runner.js';
import { startDemoMarket } from './domain/demo-market.js';
import { findStrategy, STRATEGIES } from './domain/strategies.js';
import { openLimits } from './limits/open-limits.js';
import { PublishesInFlight } from './limits/publishes-in-flight.js';
import { backgroundErrors, type Logger } from './logger.js';
import { createMetrics, type FanoutStats } from './observability/metrics.js';
import { MarketPublisher } from './publish/market-publisher.js';
import { RedisIngest } from './publish/redis-ingest.js';
import type { Services } from './schema/context.js';
import type { SubscriptionField } from './schema/subscription-plan.js';
import { MemoryBacktestStore } from './store/memory-backtest-store.js';
import { RedisBacktestStore } from './store/redis-backtest-store.js';
import { createGraphQLHandler, loadGraphiQL } from './transport/graphql-handler.js';
import { createHttpRoutes } from './transport/http.js';
import { OperationMetrics } from './transport/operation-metrics.js';
import { HttpServer } from './transport/http-server.js';
import { logRequests } from './transport/request-log.js';
import { LiveFanout } from './transport/fanout/live-fanout.js';
import { createSseTransport } from './transport/sse.js';
import { attachWebSocketTransport } from './transport/ws.js';

export interface DevTokens {
  trader: string;
  publisher: string;
  admin: string;
}

export interface App {
  /** Listens on `port` (0 = any free port) and resolves with the base URL. */
  start(port?: number): Promise<string>;
  /** Stops accepting, closes sockets with "going away", ends runs and releases Redis. */
  stop(): Promise<void>;
  /** Ready-made tokens when the secret was generated for this run (development), else null. */
  readonly devTokens: DevTokens | null;
  /** What the process holds open, to check that nothing leaks. */
  stats(): { bus: { channels: number; listeners: number }; fanout: Record<SubscriptionField, FanoutStats> };
}

const CLIENT_DIR = fileURLToPath(new URL('../client/dist', import.meta.url));

/**
 * Wires config into a ready-to-start server, listening on `start`. It never waits for Redis: while
 * Redis is away the server starts anyway, answers `/healthz`, is not ready on `/readyz`, refuses what
 * needs Redis with `UNAVAILABLE`, and becomes ready by itself when Redis appears.
 */
export async function buildApp(config: Config, logger: Logger): Promise<App> {
  const onError = backgroundErrors(logger);
  const metrics = createMetrics();
  const { redisUrl, timeouts } = config.bus;
  const bus = openBus({ ...config.bus, log: logger, onError, onPublished: metrics.published });
  const redisStore = redisUrl ? new RedisBacktestStore({ redisUrl, timeouts, log: logger, onError }) : null;
  const backtestStore: BacktestStore = redisStore ?? new MemoryBacktestStore();
  const backtests = new BacktestRunner({
    ...config.backtests,
    bus,
    store: backtestStore,
    retryMaxDelayMs: timeouts.retryMaxDelayMs,
    onError,
  });
  backtests.start();
  // Rates and connections per user, shared by the instances on one Redis; per instance while it is away.
  const limits = openLimits({ limits: config.limits, redisUrl, timeouts, log: logger, onError });
  const publisher = new MarketPublisher(bus, (id) => findStrategy(id) !== undefined);
  const ingest = redisUrl
    ? RedisIngest.start({ ...config.ingest, redisUrl, timeouts, publisher, meter: metrics.ingestMeter, log: logger, onError })
    : null;
  // Derived from the bus by this instance alone: no writes, no coordination (docs/analytics.md).
  const analytics = config.analytics.enabled
    ? new AnalyticsService({
        ...config.analytics,
        bus,
        historyMaxLen: config.bus.historyMaxLen,
        retryMaxDelayMs: timeouts.retryMaxDelayMs,
        strategyIds: STRATEGIES.map((strategy) => strategy.id),
        onError: backgroundErrors(logger, 'analytics'),
      })
    : null;
  analytics?.start();
  const services: Services = {
    bus,
    publisher,
    backtests,
    backtestStore,
    feed: config.feed,
    symbolsPerSubscription: config.limits.symbolsPerSubscription,
    subscriptionQueueLimit: config.limits.subscriptionQueueLimit,
    priceReplayMax: config.limits.priceReplayMax,
    publishBatchMax: config.limits.publishBatchMax,
    deliveryMeters: metrics.deliveryMeters,
    rateLimits: limits,
    publishesInFlight: new PublishesInFlight(config.limits.publishMaxInFlight),
    analytics,
  };
  const tokens = new TokenService(config.auth, { log: logger });
  const devTokens = config.auth.devTokens ? await issueDevTokens(tokens) : null;

  const operationMetrics = new OperationMetrics({ registry: metrics.registry });
  const renderGraphiQL = await loadGraphiQL(config.server.graphiql);
  const graphql = createGraphQLHandler({
    services,
    tokens,
    server: config.server,
    http: config.http,
    limits: config.limits,
    graphiql: renderGraphiQL && { render: renderGraphiQL, token: devTokens?.publisher ?? null },
    logger,
    operationMetrics,
  });
  const fanout = new LiveFanout({
    context: services,
    ws: config.ws,
    limits: config.limits,
    onSent: metrics.fanoutSent,
    onError,
    onClientErrors: operationMetrics.sharedPathErrors,
  });
  const sse = createSseTransport({ graphql, tokens, fanout, allowedOrigins: config.http.allowedOrigins });
  const routes = createHttpRoutes({
    graphql: sse.handle,
    clientDir: CLIENT_DIR,
    devToken: devTokens?.trader ?? null,
    // Ready once Redis answers every connection and this instance hears cancel requests of other ones.
    isReady: () => bus.isHealthy() && (redisStore?.isHealthy() ?? true) && limits.isHealthy() && backtests.isListening(),
    http: config.http,
    metrics: metrics.registry,
  });
  const http = new HttpServer(logRequests(logger, routes));
  const ws = attachWebSocketTransport(http.server, graphql, tokens, {
    ws: config.ws,
    limits: config.limits,
    counts: limits,
    http: config.http,
    fanout,
    onInternalError: (error, connId) => logger.error({ err: error, connId }, 'websocket internal error'),
    logger,
    onSlowDisconnect: metrics.slowDisconnect,
  });
  metrics.watch({
    wsConnections: ws.connections,
    sseStreams: () => http.eventStreamCount,
    fanout: () => fanout.stats(),
    analytics: analytics && (() => analytics.figures()),
    redisUp: redisStore ? { bus: () => bus.isHealthy(), store: () => redisStore.isHealthy(), limits: () => limits.isHealthy() } : null,
  });
  const market = config.feed.enabled
    ? startDemoMarket({ ...config.feed, bus, publisher, retryMaxDelayMs: timeouts.retryMaxDelayMs, onError })
    : null;

  let stopping: Promise<void> | null = null;
  return {
    devTokens,
    async start(port = config.server.port) {
      const { host } = config.server;
      const bound = await http.listen(port, host);
      const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${bound}`;
      logger.info(
        { url: `${url}/graphql`, bus: redisUrl ? `redis ${redactUrl(redisUrl)}` : 'memory', demoFeed: config.feed.enabled },
        'TITAN Realtime listening',
      );
      return url;
    },
    stats() {
      return { bus: bus.stats(), fanout: fanout.stats() };
    },
    stop() {
      // Order matters: stop producing and accepting, close clients (1001: they resume elsewhere, and
      // their iterators return and release the bus), let requests in flight finish, then the bus.
      stopping ??= (async () => {
        market?.stop();
        analytics?.stop();
        await ingest?.stop();
        await ws.dispose().catch(onError);
        sse.dispose();
        await http.close(config.server.shutdownTimeoutMs / 2);
        await backtests.stop();
        await bus.close();
        await backtestStore.close();
        await limits.close();
      })();
      return stopping;
    },
  };
}

async function issueDevTokens(tokens: TokenService): Promise<DevTokens> {
  return {
    trader: await tokens.issue('dev-trader', ['trader']),
    publisher: await tokens.issue('dev-publisher', ['publisher', 'trader']),
    admin: await tokens.issue('dev-admin', ['admin', 'trader']),
  };
}
