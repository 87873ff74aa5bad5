import { fileURLToPath } from 'node:url';
import { TokenService } from './auth/tokens.js';
import { openBus } from './bus/open-bus.js';
import { redactUrl } from './bus/redis-connection.js';
import type { Config } from './config.js';
import type { BacktestStore } from './domain/backtest.js';
import { BacktestRunner } from './domain/backtest-runner.js';
import { startDemoMarket } from './domain/demo-market.js';
import { findStrategy } from './domain/strategies.js';
import { backgroundErrors, type Logger } from './logger.js';
import { createMetrics, type FanoutField, type FanoutStats } from './observability/metrics.js';
import { MarketPublisher } from './publish/market-publisher.js';
import { RedisIngest } from './publish/redis-ingest.js';
import type { Services } from './schema/context.js';
import { MemoryBacktestStore } from './store/memory-backtest-store.js';
import { RedisBacktestStore } from './store/redis-backtest-store.js';
import { createGraphQLHandler } from './transport/graphql-handler.js';
import { createHttpRoutes } from './transport/http.js';
import { HttpServer } from './transport/http-server.js';
import { logRequests } from './transport/request-log.js';
import { trustedProxies } from './transport/client-address.js';
import { LiveFanout } from './transport/live-fanout.js';
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
  stats(): { bus: { channels: number; listeners: number }; fanout: Record<FanoutField, FanoutStats> };
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
  const bus = openBus({
    redisUrl: config.redisUrl,
    historyMaxLen: config.historyMaxLen,
    redis: config.redis,
    log: logger,
    onError,
    onPublished: metrics.published,
  });
  const redisStore = config.redisUrl
    ? new RedisBacktestStore({ url: config.redisUrl, timeouts: config.redis, log: logger, onError })
    : null;
  const backtestStore: BacktestStore = redisStore ?? new MemoryBacktestStore();
  const backtests = new BacktestRunner({
    bus,
    store: backtestStore,
    barsPerSecond: config.backtestBarsPerSecond,
    concurrency: config.backtestConcurrency,
    retryMs: config.redis.retryMaxDelayMs,
    onError,
  });
  backtests.start();
  const publisher = new MarketPublisher(bus, (id) => findStrategy(id) !== undefined);
  const ingest = config.redisUrl
    ? RedisIngest.start({ url: config.redisUrl, timeouts: config.redis, publisher, meter: metrics.ingestMeter, log: logger, onError })
    : null;
  const services: Services = {
    bus,
    publisher,
    backtests,
    backtestStore,
    feedSymbols: config.feedSymbols,
    subscriptionQueueLimit: config.subscriptionQueueLimit,
    symbolsPerSubscription: config.limits.symbolsPerSubscription,
    deliveryMeters: metrics.deliveryMeters,
  };
  const tokens = new TokenService({
    secret: config.jwtSecret,
    publicKey: config.jwtPublicKey,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    clockSkewSeconds: config.jwtClockSkewSeconds,
  });
  const devTokens = config.devTokens ? await issueDevTokens(tokens) : null;

  const graphql = createGraphQLHandler({
    services,
    tokens,
    production: config.production,
    graphiql: config.graphiql,
    graphiqlToken: devTokens?.publisher ?? null,
    introspection: config.introspection,
    queryLimits: {
      maxDepth: config.limits.maxQueryDepth,
      maxAliases: config.limits.maxQueryAliases,
      maxFields: config.limits.maxQueryFields,
      maxTokens: config.limits.maxQueryTokens,
    },
    mutationRates: {
      mutationsPerSecond: config.limits.mutationsPerSecond,
      publishesPerSecond: config.limits.publishesPerSecond,
    },
    allowedOrigins: config.allowedOrigins,
    logger,
  });
  const routes = createHttpRoutes({
    graphql,
    clientDir: CLIENT_DIR,
    devToken: devTokens?.trader ?? null,
    // Ready once Redis answers every connection and this instance hears cancel requests of other ones.
    isReady: () => bus.isHealthy() && (redisStore?.isHealthy() ?? true) && backtests.isListening(),
    maxBodyBytes: config.limits.httpMaxBodyBytes,
    allowedOrigins: config.allowedOrigins,
    metrics: metrics.registry,
    metricsToken: config.metricsToken ?? null,
  });
  const http = new HttpServer(logRequests(logger, routes));
  const fanout = new LiveFanout({
    bus,
    maxSymbols: config.limits.symbolsPerSubscription,
    maxBufferedBytes: config.limits.wsMaxBufferedBytes,
    writeDelayMs: config.wsWriteDelayMs,
    replayBacklogLimit: config.subscriptionQueueLimit,
    onSent: metrics.fanoutSent,
    onError,
  });
  const ws = attachWebSocketTransport(http.server, graphql, tokens, {
    keepAliveMs: config.wsKeepAliveMs,
    maxPayloadBytes: config.limits.wsMaxPayloadBytes,
    connectionInitWaitTimeoutMs: config.limits.connectionInitTimeoutMs,
    maxOperationsPerConnection: config.limits.subscriptionsPerConnection,
    maxConnectionsPerUser: config.limits.connectionsPerUser,
    connectsPerMinute: config.limits.connectsPerMinute,
    allowedOrigins: config.allowedOrigins,
    trustedProxies: trustedProxies(config.trustedProxies),
    fanout,
    onInternalError: (error, connId) => logger.error({ err: error, connId }, 'websocket internal error'),
    logger,
    onSlowDisconnect: metrics.slowDisconnect,
  });
  metrics.watch({
    wsConnections: ws.connections,
    sseStreams: () => http.eventStreamCount,
    fanout: () => fanout.stats(),
    redisUp: redisStore ? { bus: () => bus.isHealthy(), store: () => redisStore.isHealthy() } : null,
  });
  const market = config.demoFeed
    ? startDemoMarket({
        bus,
        publisher,
        symbols: config.feedSymbols,
        ticksPerSecond: config.feedTicksPerSecond,
        retryMs: config.redis.retryMaxDelayMs,
        onError,
      })
    : null;

  let stopping: Promise<void> | null = null;
  return {
    devTokens,
    async start(port = config.port) {
      const bound = await http.listen(port, config.host);
      const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${bound}`;
      logger.info(
        { url: `${url}/graphql`, bus: config.redisUrl ? `redis ${redactUrl(config.redisUrl)}` : 'memory', demoFeed: config.demoFeed },
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
        await ingest?.stop();
        await ws.dispose().catch(onError);
        await http.close(config.shutdownTimeoutMs / 2);
        await backtests.stop();
        await bus.close();
        await backtestStore.close();
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
