/**
 * Deterministic "historical" hourly closes for backtests. The series is seeded from the symbol
 * alone, so a backtest is reproducible and a shorter run sees a prefix of a longer one.
 */

import { advanceGeometricBrownianMotion, symbolProfile } from './price-feed.js';
import { createRandom, seedFromString } from './random.js';

/** Length of one bar in years: the bars are hourly. */
const YEARS_PER_BAR = 1 / (365 * 24);

/** `count` hourly closes of `symbol`, starting at its profile's start price. */
export function generateCloses(symbol: string, count: number): Float64Array {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  const { startPrice, annualVolatility } = symbolProfile(symbol);
  const random = createRandom(seedFromString(symbol));
  const closes = new Float64Array(count);
  let close = startPrice;
  for (let index = 0; index < count; index++) {
    closes[index] = close;
    close = advanceGeometricBrownianMotion(close, annualVolatility, YEARS_PER_BAR, random);
  }
  return closes;
}
