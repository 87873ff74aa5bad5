import { describe, expect, it } from 'vitest';

import { generateCloses } from '../../src/domain/bar-series.js';
import { symbolProfile } from '../../src/domain/price-feed.js';

describe('generateCloses', () => {
  it('returns the identical series for the same symbol and count', () => {
    expect(generateCloses('BTC-USD', 5_000)).toEqual(generateCloses('BTC-USD', 5_000));
  });

  it('makes a shorter run a prefix of a longer one', () => {
    const long = generateCloses('ETH-USD', 2_000);
    expect(generateCloses('ETH-USD', 500)).toEqual(long.subarray(0, 500));
  });

  it('gives each symbol its own path, starting at its profile price', () => {
    const btc = generateCloses('BTC-USD', 100);
    const other = generateCloses('XYZ', 100);
    expect(btc[0]).toBe(65_000);
    expect(other[0]).toBe(100);
    expect(btc.map((close) => close / 650)).not.toEqual(other);
  });

  it('has positive finite closes whose hourly volatility matches the profile', () => {
    const closes = generateCloses('SOL-USD', 50_000);
    expect(closes.every((close) => Number.isFinite(close) && close > 0)).toBe(true);
    const logReturns = Array.from(closes.subarray(1), (close, index) => Math.log(close / (closes[index] ?? close)));
    const mean = logReturns.reduce((sum, value) => sum + value, 0) / logReturns.length;
    const variance = logReturns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (logReturns.length - 1);
    const annualised = Math.sqrt(variance * 24 * 365);
    expect(annualised).toBeCloseTo(symbolProfile('SOL-USD').annualVolatility, 1);
  });

  it('handles an empty series and rejects a bad count', () => {
    expect(generateCloses('AAPL', 0)).toHaveLength(0);
    expect(() => generateCloses('AAPL', -1)).toThrow(RangeError);
    expect(() => generateCloses('AAPL', 1.5)).toThrow(RangeError);
  });
});
