import type { EventBus } from '../bus/event-bus.js';
import { keepSubscribed } from '../bus/keep-subscribed.js';
import type { MarketPublisher } from '../publish/market-publisher.js';
import { PriceFeed } from './price-feed.js';
import { SignalEngine } from './signal-engine.js';
import { STRATEGIES } from './strategies.js';

/** `symbols` and `ticksPerSecond` are the `feed` knobs of `config.ts`, `retryMaxDelayMs` one of its Redis timeouts. */
export interface DemoMarketOptions {
  bus: EventBus;
  publisher: MarketPublisher;
  symbols: readonly string[];
  ticksPerSecond: number;
  /** Pause before subscribing again while the bus is unavailable. */
  retryMaxDelayMs: number;
  onError: (error: unknown) => void;
}

/**
 * The simulated market: the price feed publishes ticks, and the signal engine runs every strategy on
 * the ticks of these symbols as the bus delivers them, so ticks that other publishers send for the
 * same symbols are evaluated too. Run it in one process per system (embedded or `npm run feed`),
 * or every signal would be emitted once per process.
 */
export function startDemoMarket(options: DemoMarketOptions): { stop(): void } {
  const { bus, publisher, symbols, ticksPerSecond, retryMaxDelayMs, onError } = options;
  const engine = new SignalEngine({
    strategies: STRATEGIES,
    publish: (signal) => publisher.publishSignal(signal),
    onError,
  });
  const subscriptions = symbols.map((symbol) =>
    keepSubscribed(bus, 'price', symbol, ({ payload }) => engine.onPrice(payload), { retryMs: retryMaxDelayMs, onError }),
  );
  const feed = new PriceFeed({ symbols, ticksPerSecond, publish: (tick) => publisher.publishPrice(tick), onError });
  feed.start();
  return {
    stop() {
      feed.stop();
      for (const subscription of subscriptions) subscription.stop();
    },
  };
}
