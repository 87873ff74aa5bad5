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

  /**
   * Throws `ValidationError` for an invalid tick; rejects with `UnavailableError` if the bus could not
   * be reached or did not answer (the tick may then have been stored: retry with the same `id`).
   * A tick whose `id` was published before answers the original (`duplicate: true`).
   */
  async publishPrice(input: PriceInput): Promise<Envelope<'price'>> {
    const tick = validatePrice(input);
    return this.bus.publish('price', tick.symbol, tick, { id: tick.id });
  }

  /** As `publishPrice`; also throws `ValidationError` for an unknown strategy. */
  async publishSignal(input: SignalInput): Promise<Envelope<'signal'>> {
    const { id, ...fields } = validateSignal(input, this.isKnownStrategy);
    const signal = { id: id ?? randomUUID(), ...fields, timestamp: new Date().toISOString() };
    return this.bus.publish('signal', signal.strategyId, signal, { id });
  }
}
