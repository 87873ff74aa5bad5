import { randomUUID } from 'node:crypto';
import type { EventBus, Envelope, PublishRequest, Topic } from '../bus/event-bus.js';
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
    return this.publishAll('price', inputs, (input) => {
      const tick = validatePrice(input);
      return { key: tick.symbol, payload: tick, id: tick.id };
    });
  }

  /** As `publishPrices`; an unknown strategy is a `ValidationError` of its item. */
  async publishSignals(inputs: readonly SignalInput[]): Promise<PublishResult<'signal'>[]> {
    const timestamp = new Date().toISOString();
    return this.publishAll('signal', inputs, (input) => {
      const { id, ...fields } = validateSignal(input, this.isKnownStrategy);
      return { key: fields.strategyId, payload: { id: id ?? randomUUID(), ...fields, timestamp }, id };
    });
  }

  /** Validates each input, publishes the valid ones with one `publishBatch` (in input order), answers per input. */
  private async publishAll<T extends Topic, I>(
    topic: T,
    inputs: readonly I[],
    toRequest: (input: I) => PublishRequest<T>,
  ): Promise<PublishResult<T>[]> {
    const results: (PublishResult<T> | undefined)[] = [];
    const requests: PublishRequest<T>[] = [];
    const at: number[] = [];
    inputs.forEach((input, index) => {
      try {
        requests.push(toRequest(input));
        at.push(index);
        results.push(undefined);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        results.push({ error });
      }
    });
    const envelopes = await this.bus.publishBatch(topic, requests);
    envelopes.forEach((envelope, index) => (results[at[index]!] = { envelope }));
    return results as PublishResult<T>[];
  }
}
