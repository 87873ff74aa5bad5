/**
 * `npm run feed`: the simulated market as its own publisher process. It publishes ticks and the
 * signal engine's signals through Redis (REDIS_URL is required), for any number of API instances
 * started with DEMO_FEED=0.
 */
import { RedisEventBus } from './bus/redis-event-bus.js';
import { redactUrl } from './bus/redis-connection.js';
import { loadConfigOrExit } from './config.js';
import { startDemoMarket } from './domain/demo-market.js';
import { findStrategy } from './domain/strategies.js';
import { backgroundErrors, guardProcess, openLogger } from './logger.js';
import { MarketPublisher } from './publish/market-publisher.js';

const config = loadConfigOrExit(({ bus }) => (bus.redisUrl ? [] : ['REDIS_URL is required by the feed process (it publishes through Redis)']));
const logger = await openLogger(config.logLevel, config.logFormat);
guardProcess(logger);
try {
  // Required by loadConfigOrExit above.
  const redisUrl = config.bus.redisUrl as string;
  const onError = backgroundErrors(logger, 'feed error');
  // Started while Redis is away, the feed waits for it: its ticks fail (logged once per outage) until then.
  const bus = RedisEventBus.open({ ...config.bus, redisUrl, log: logger, onError });
  const publisher = new MarketPublisher(bus, (id) => findStrategy(id) !== undefined);
  const market = startDemoMarket({ ...config.feed, bus, publisher, retryMaxDelayMs: config.bus.timeouts.retryMaxDelayMs, onError });
  logger.info({ redis: redactUrl(redisUrl), symbols: config.feed.symbols, ticksPerSecond: config.feed.ticksPerSecond }, 'TITAN feed publishing');
  const shutdown = () => {
    market.stop();
    bus.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'feed could not start');
  process.exit(1);
}
