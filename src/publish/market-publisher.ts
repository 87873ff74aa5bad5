import { randomUUID } from 'node:crypto';
import type { EventBus, Envelope, PublishRequest, StreamSource, Topic } from '../bus/event-bus.js';
import { validatePrice, validateSignal, ValidationError, type PriceInput, type SignalInput } from './validation.js';

/** One item of a batch: the envelope it was published as (or its original, `duplicate: true`), or why it was not. */
export type PublishResult<T extends Topic> = { envelope: Envelope<T> } | { error: ValidationError };

/** One item read from a stream: as `PublishResult`, or `elsewhere` when another consumer settled its entry (not published here). */
export type EntryResult<T extends Topic> = PublishResult<T> | { elsewhere: true };

/** Items read from a stream (the ingest stream): the source and each input's entry id, same order as the inputs. */
export interface StreamEntries {
  source: StreamSource;
  entries: readonly string[];
}

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
  publishPrices(inputs: readonly PriceInput[]): Promise<PublishResult<'price'>[]>;
  publishPrices(inputs: readonly PriceInput[], from: StreamEntries): Promise<EntryResult<'price'>[]>;
  async publishPrices(inputs: readonly PriceInput[], from?: StreamEntries): Promise<EntryResult<'price'>[]> {
    return this.publishAll('price', inputs, from, (input) => {
      const tick = validatePrice(input);
      return { key: tick.symbol, payload: tick, id: tick.id };
    });
  }

  /** As `publishPrices`; an unknown strategy is a `ValidationError` of its item. */
  publishSignals(inputs: readonly SignalInput[]): Promise<PublishResult<'signal'>[]>;
  publishSignals(inputs: readonly SignalInput[], from: StreamEntries): Promise<EntryResult<'signal'>[]>;
  async publishSignals(inputs: readonly SignalInput[], from?: StreamEntries): Promise<EntryResult<'signal'>[]> {
    const timestamp = new Date().toISOString();
    return this.publishAll('signal', inputs, from, (input) => {
      const { id, ...fields } = validateSignal(input, this.isKnownStrategy);
      return { key: fields.strategyId, payload: { id: id ?? randomUUID(), ...fields, timestamp }, id };
    });
  }

  /**
   * Validates each input, publishes the valid ones with one `publishBatch` (in input order), answers
   * per input. Inputs read from a stream (`from`) are published and their entries acknowledged together.
   */
  private async publishAll<T extends Topic, I>(
    topic: T,
    inputs: readonly I[],
    from: StreamEntries | undefined,
    toRequest: (input: I) => PublishRequest<T>,
  ): Promise<EntryResult<T>[]> {
    const results: (EntryResult<T> | undefined)[] = [];
    const requests: PublishRequest<T>[] = [];
    const at: number[] = [];
    inputs.forEach((input, index) => {
      try {
        requests.push(from ? { ...toRequest(input), entry: from.entries[index] } : toRequest(input));
        at.push(index);
        results.push(undefined);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        results.push({ error });
      }
    });
    const envelopes = from ? await this.bus.publishBatch(topic, requests, from.source) : await this.bus.publishBatch(topic, requests);
    envelopes.forEach((envelope, index) => (results[at[index]!] = envelope ? { envelope } : { elsewhere: true }));
    return results as EntryResult<T>[];
  }
}
