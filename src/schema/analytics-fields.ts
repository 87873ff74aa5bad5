import type { CandleBar, CandleInterval } from '../analytics/candle-series.js';
import type { StrategyState } from '../analytics/stats-book.js';
import { encodeCursor } from '../bus/cursor.js';
import type { Candle, StrategyStats } from './__generated__/resolvers-types.js';

/** Analytics states as schema objects: the figures plus the cursor of their position. */

export function toCandle(symbol: string, interval: CandleInterval, bar: CandleBar): Candle {
  const { openTime, open, high, low, close, volume, ticks, closed, position } = bar;
  return { symbol, interval, openTime: new Date(openTime).toISOString(), open, high, low, close, volume, ticks, closed, cursor: encodeCursor(position) };
}

export function toStrategyStats({ strategyId, figures, position }: StrategyState): StrategyStats {
  return { strategyId, ...figures, cursor: encodeCursor(position) };
}
