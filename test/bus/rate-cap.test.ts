import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Envelope } from '../../src/bus/event-bus.js';
import { listen } from '../../src/bus/listen.js';
import { MemoryEventBus } from '../../src/bus/memory-event-bus.js';
import { RateCap } from '../../src/bus/rate-cap.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A cap of one event per key every 100 ms that records what it lets through, with fake timers. */
function capped() {
  vi.useFakeTimers();
  const sent: { key: string; value: number }[] = [];
  let conflated = 0;
  const cap = new RateCap<{ key: string; value: number }>(100, (event) => event.key, (event) => sent.push(event), () => (conflated += 1));
  return { cap, sent, conflated: () => conflated };
}

describe('RateCap', () => {
  it('sends the first event of a quiet key at once, then at most one per window, ending on the newest', () => {
    const { cap, sent, conflated } = capped();
    for (let value = 1; value <= 50; value += 1) {
      cap.offer({ key: 'A', value });
      vi.advanceTimersByTime(10); // 50 events over 500 ms: 100 per second against a cap of 10
    }
    vi.advanceTimersByTime(100);
    const values = sent.map((event) => event.value);
    expect(values[0]).toBe(1);
    // 500 ms at 10 per second: at most 5 + 1, and the last one offered is the last one sent.
    expect(values.length).toBeLessThanOrEqual(6);
    expect(values.at(-1)).toBe(50);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(conflated()).toBe(50 - values.length);
    expect(cap.openWindows).toBe(0);
  });

  it('caps each key on its own', () => {
    const { cap, sent } = capped();
    cap.offer({ key: 'A', value: 1 });
    cap.offer({ key: 'B', value: 1 });
    cap.offer({ key: 'A', value: 2 });
    cap.offer({ key: 'B', value: 2 });
    cap.offer({ key: 'B', value: 3 });
    expect(sent).toEqual([{ key: 'A', value: 1 }, { key: 'B', value: 1 }]);
    vi.advanceTimersByTime(100);
    expect(sent.slice(2)).toEqual([{ key: 'A', value: 2 }, { key: 'B', value: 3 }]);
  });

  it('sends nothing after close and keeps no timer', () => {
    const { cap, sent } = capped();
    cap.offer({ key: 'A', value: 1 });
    cap.offer({ key: 'A', value: 2 });
    expect(vi.getTimerCount()).toBe(1);
    cap.close();
    expect(vi.getTimerCount()).toBe(0);
    cap.offer({ key: 'A', value: 3 });
    vi.advanceTimersByTime(1000);
    expect(sent.map((event) => event.value)).toEqual([1]);
  });
});

describe('a capped stream of its own (listen)', () => {
  it('delivers at most one tick per symbol and window, the latest last, and leaves no timer when returned', async () => {
    vi.useFakeTimers();
    const bus = new MemoryEventBus({ historyMaxLen: 100 });
    const stream = await listen(bus, 'price', ['A'], { capIntervalMs: 100, capacity: 100, overflow: { kind: 'conflate', keyOf: (envelope) => envelope.key } });
    const tick = (price: number) => bus.publish('price', 'A', { symbol: 'A', price, bid: price, ask: price, volume: 0, timestamp: new Date().toISOString() });
    for (let price = 1; price <= 5; price += 1) await tick(price);
    vi.advanceTimersByTime(100);
    const received: Envelope<'price'>[] = [];
    for (let index = 0; index < 2; index += 1) received.push((await stream.next()).value as Envelope<'price'>);
    expect(received.map((envelope) => envelope.payload.price)).toEqual([1, 5]);
    await tick(6);
    await tick(7);
    expect(vi.getTimerCount()).toBe(1);
    await stream.return();
    expect(vi.getTimerCount()).toBe(0);
    expect(bus.stats().listeners).toBe(0);
  });
});
