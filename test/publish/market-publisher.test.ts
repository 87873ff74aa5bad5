import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/bus/event-bus.js';
import { MemoryEventBus } from '../../src/bus/memory-event-bus.js';
import { MarketPublisher } from '../../src/publish/market-publisher.js';
import { ValidationError } from '../../src/publish/validation.js';

describe('MarketPublisher batches', () => {
  it('publishes the valid prices in input order with one bus batch, answering each item at its index', async () => {
    const bus = new MemoryEventBus({ historyMaxLen: 100 });
    const batches: number[] = [];
    const publishBatch = bus.publishBatch.bind(bus);
    bus.publishBatch = (topic, requests) => {
      batches.push(requests.length);
      return publishBatch(topic, requests);
    };
    const received: Envelope<'price'>[] = [];
    await bus.subscribe('price', 'AAA', (envelope) => received.push(envelope));
    const publisher = new MarketPublisher(bus, () => true);
    const results = await publisher.publishPrices([
      { symbol: 'AAA', price: 1, id: 'one' },
      { symbol: 'bad symbol', price: 2 },
      { symbol: 'AAA', price: -3 },
      { symbol: 'AAA', price: 4 },
      { symbol: 'AAA', price: 5, id: 'one' },
    ]);
    expect(batches).toEqual([3]);
    expect(results.map((r) => ('envelope' in r ? r.envelope.payload.price : 'error'))).toEqual([1, 'error', 'error', 4, 1]);
    expect(results[1]).toMatchObject({ error: expect.any(ValidationError) });
    expect('envelope' in results[4]! && results[4].envelope.duplicate).toBe(true);
    expect(received.map((e) => e.payload.price)).toEqual([1, 4]);
  });

  it('publishes signals per item, an unknown strategy failing alone', async () => {
    const bus = new MemoryEventBus({ historyMaxLen: 100 });
    const publisher = new MarketPublisher(bus, (id) => id === 'known');
    const signal = { symbol: 'AAA', side: 'BUY' as const, price: 1, confidence: 0.5 };
    const results = await publisher.publishSignals([
      { ...signal, strategyId: 'unknown' },
      { ...signal, strategyId: 'known', id: 's1' },
    ]);
    expect(results[0]).toMatchObject({ error: expect.any(ValidationError) });
    expect(results[1]).toMatchObject({ envelope: { key: 'known', payload: { id: 's1', strategyId: 'known' } } });
    expect(await publisher.publishSignals([])).toEqual([]);
  });
});
