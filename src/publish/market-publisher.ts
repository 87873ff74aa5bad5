import { randomUUID } from 'node:crypto';
import type { EventBus, Envelope } from '../bus/event-bus.js';
import { validatePrice, validateSignal, type PriceInput, type SignalInput } from './validation.js';

/**
 * Publishes market events: validates, completes (ids, timestamps, defaults) and hands them to the
 * bus. The mutations, the demo feed, the signal engine and other services' TypeScript code all
 * publish through this one class, so no path skips validation.
 */
export class MarketPublisher {
  constructor(
    private readonly bus: EventBus,
    private readonly isKnownStrategy: (id: string) => boolean,
  ) {}

  /** Throws `ValidationError` for an invalid tick; rejects if the bus could not store it. */
  async publishPrice(input: PriceInput): Promise<Envelope<'price'>> {
    const tick = validatePrice(input);
    return this.bus.publish('price', tick.symbol, tick);
  }

  /** Throws `ValidationError` for an invalid signal or an unknown strategy. */
  async publishSignal(input: SignalInput): Promise<Envelope<'signal'>> {
    const fields = validateSignal(input, this.isKnownStrategy);
    const signal = { id: randomUUID(), ...fields, timestamp: new Date().toISOString() };
    return this.bus.publish('signal', signal.strategyId, signal);
  }
}
