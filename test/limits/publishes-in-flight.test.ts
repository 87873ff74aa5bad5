import { describe, expect, it } from 'vitest';
import { PublishesInFlight } from '../../src/limits/publishes-in-flight.js';

describe('PublishesInFlight', () => {
  it('takes inputs up to its limit, refuses past it with a wait, and counts each release once', () => {
    const inFlight = new PublishesInFlight(10);
    const first = inFlight.take(8);
    expect('done' in first).toBe(true);
    const over = inFlight.take(5);
    expect(over).toEqual({ retryAfterMs: expect.any(Number) });
    if ('retryAfterMs' in over) expect(over.retryAfterMs).toBeGreaterThanOrEqual(10);
    const fits = inFlight.take(2);
    expect(inFlight.current).toBe(10);
    if ('done' in first) {
      first.done();
      first.done();
    }
    expect(inFlight.current).toBe(2);
    if ('done' in fits) fits.done();
    expect(inFlight.current).toBe(0);
  });

  it('always takes a request that finds nothing in flight, however large', () => {
    const inFlight = new PublishesInFlight(10);
    expect('done' in inFlight.take(1000)).toBe(true);
    expect('retryAfterMs' in inFlight.take(1)).toBe(true);
  });
});
