/**
 * The TypeScript publisher for other services: validated publishing straight to the Redis bus,
 * without going through the GraphQL API.
 *
 * ```ts
 * import { connectPublisher } from 'titan-realtime/src/publish/index.js';
 * const publisher = await connectPublisher({ redisUrl: 'redis://localhost:6379' });
 * await publisher.publishPrice({ symbol: 'BTC-USD', price: 65000.5, bid: 65000, ask: 65001 });
 * await publisher.close();
 * ```
 */
import type { RedisTimeouts } from '../bus/redis-connection.js';
import { RedisEventBus } from '../bus/redis-event-bus.js';
import { REDIS_TIMEOUT_DEFAULTS } from '../config.js';
import { findStrategy } from '../domain/strategies.js';
import { MarketPublisher } from './market-publisher.js';

export { ValidationError, type PriceInput, type SignalInput } from './validation.js';
export { UnavailableError } from '../bus/unavailable.js';
export type { Envelope } from '../bus/event-bus.js';

export interface PublisherOptions {
  /** The `REDIS_URL` of the TITAN Realtime servers: `redis://`, `rediss://` or `redis+sentinel://`. */
  redisUrl: string;
  /** Must match the servers' history length so both trim alike. @default 1000 */
  historyMaxLen?: number;
  /**
   * How long a publish may wait for Redis, and the reconnect backoff; as the servers' `REDIS_*` knobs.
   * @default { commandTimeoutMs: 2000, connectTimeoutMs: 3000, retryMaxDelayMs: 1000 }
   */
  timeouts?: Partial<RedisTimeouts>;
  /** Unexpected errors; an outage shows as `UnavailableError` from the publish calls. @default console.error */
  onError?: (error: unknown) => void;
}

export interface ConnectedPublisher {
  /** Throws `ValidationError` for an invalid tick; resolves once stored and fanned out. */
  publishPrice: MarketPublisher['publishPrice'];
  /** Throws `ValidationError` for an invalid signal or an unknown strategy. */
  publishSignal: MarketPublisher['publishSignal'];
  close(): Promise<void>;
}

export async function connectPublisher(options: PublisherOptions): Promise<ConnectedPublisher> {
  const { redisUrl, historyMaxLen, timeouts, onError } = options;
  const bus = await RedisEventBus.connect({ url: redisUrl, historyMaxLen, timeouts: { ...REDIS_TIMEOUT_DEFAULTS, ...timeouts }, onError });
  const publisher = new MarketPublisher(bus, (id) => findStrategy(id) !== undefined);
  return {
    publishPrice: (input) => publisher.publishPrice(input),
    publishSignal: (input) => publisher.publishSignal(input),
    close: () => bus.close(),
  };
}
