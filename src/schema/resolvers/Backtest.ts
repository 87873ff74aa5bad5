import { encodeCursor } from '../../bus/cursor.js';
import type { BacktestResolvers } from '../__generated__/resolvers-types.js';

export const Backtest: BacktestResolvers = {
  cursor: (record) => (record.position ? encodeCursor(record.position) : null),
};
