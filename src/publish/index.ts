/**
 * The TypeScript publisher for other services: validated publishing straight to the Redis bus,
 * without going through the GraphQL API.
 *
 * ```ts
 * import { connectPublisher } from 'titan-realtime/src/publish/index.js';
 * const publisher = await connectPublisher({ redisUrl: 'redis://localhost:6379' });
 * await publisher.publishPrice({ symbol: 'BTC-USD', price: 65000.5, bid: 65000, ask: 65001 });
 * const results = await publisher.publishPrices(ticks); // one `{ envelope }` or `{ error }` per tick, in order
 * await publisher.close();
 * ```
 */
import type { RedisTimeouts } from '../bus/redis-connection.js';
import { RedisEventBus } from '../bus/redis-event-bus.js';
import { loadConfig } from '../config.js';
import { findStrategy } from '../domain/strategies.js';
import { MarketPublisher } from './market-publisher.js';

export type { PublishResult } from './market-publisher.js';

export { ValidationError, type PriceInput, type SignalInput } from './validation.js';
export { UnavailableError } from '../bus/unavailable.js';
export type { Envelope } from '../bus/event-bus.js';

/** Named as the servers' `bus` knobs (`config.ts`); what is left out takes their default. */
export interface PublisherOptions {
  /** The `REDIS_URL` of the TITAN Realtime servers: `redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://`. */
  redisUrl: string;
  /** Must match the servers' history length (`HISTORY_MAX_LEN`) so both trim alike. */
  historyMaxLen?: number;
  /** How long a publish may wait for Redis, and the reconnect backoff (the servers' `REDIS_*` knobs). */
  timeouts?: Partial<RedisTimeouts>;
  /** Unexpected errors; an outage shows as `UnavailableError` from the publish calls. @default console.error */
  onError?: (error: unknown) => void;
}

export interface ConnectedPublisher {
  /** Throws `ValidationError` for an invalid tick; resolves once stored and fanned out. */
  publishPrice: MarketPublisher['publishPrice'];
  /** Throws `ValidationError` for an invalid signal or an unknown strategy. */
  publishSignal: MarketPublisher['publishSignal'];
  /**
   * Publishes a batch in input order with as few round trips as the bus allows: one result per input,
   * `{ envelope }` (with `duplicate: true` for an id published before) or `{ error: ValidationError }`
   * for an invalid one, which fails alone. Rejects as a whole with `UnavailableError` when Redis did
   * not answer: some may have been stored, so retry the batch with the same ids. No size bound here
   * (the API's `PUBLISH_BATCH_MAX` is for its clients): the bus splits a batch into script calls.
   */
  publishPrices: MarketPublisher['publishPrices'];
  /** As `publishPrices`; an unknown strategy is its item's `ValidationError`. */
  publishSignals: MarketPublisher['publishSignals'];
  close(): Promise<void>;
}

export async function connectPublisher(options: PublisherOptions): Promise<ConnectedPublisher> {
  const { redisUrl, historyMaxLen, timeouts, onError } = options;
  // An empty environment: the defaults, as config.ts gives them to the servers.
  const defaults = loadConfig({}).bus;
  const bus = await RedisEventBus.connect({
    redisUrl,
    historyMaxLen: historyMaxLen ?? defaults.historyMaxLen,
    timeouts: { ...defaults.timeouts, ...timeouts },
    onError,
  });
  const publisher = new MarketPublisher(bus, (id) => findStrategy(id) !== undefined);
  return {
    publishPrice: (input) => publisher.publishPrice(input),
    publishSignal: (input) => publisher.publishSignal(input),
    publishPrices: (inputs) => publisher.publishPrices(inputs),
    publishSignals: (inputs) => publisher.publishSignals(inputs),
    close: () => bus.close(),
  };
}
