import { randomUUID } from 'node:crypto';
import type { EventBus, Envelope, Topic } from '../bus/event-bus.js';
import { validatePrice, validateSignal, ValidationError, type PriceInput, type SignalInput } from './validation.js';

/** One item of a batch: the envelope it was published as (or its original, `duplicate: true`), or why it was not. */
export type PublishResult<T extends Topic> = { envelope: Envelope<T> } | { error: ValidationError };

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

  /**
   * Publishes a batch in order: one result per input, at its index, an invalid item failing alone
   * with its `ValidationError`. Rejects as a whole with `UnavailableError` when the bus did not answer
   * (some items may then have been stored: retry the batch with the same ids).
   */
  async publishPrices(inputs: readonly PriceInput[]): Promise<PublishResult<'price'>[]> {
    const results: PublishResult<'price'>[] = [];
    for (const input of inputs) results.push(await settled(() => this.publishPrice(input)));
    return results;
  }

  /** As `publishPrices`. */
  async publishSignals(inputs: readonly SignalInput[]): Promise<PublishResult<'signal'>[]> {
    const results: PublishResult<'signal'>[] = [];
    for (const input of inputs) results.push(await settled(() => this.publishSignal(input)));
    return results;
  }
}

async function settled<T extends Topic>(publish: () => Promise<Envelope<T>>): Promise<PublishResult<T>> {
  try {
    return { envelope: await publish() };
  } catch (error) {
    if (error instanceof ValidationError) return { error };
    throw error;
  }
}
