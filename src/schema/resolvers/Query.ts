import { canSeeBacktest } from '../../auth/authorization.js';
import { STRATEGIES } from '../../domain/strategies.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import type { Services } from '../context.js';
import { checkRange, checkStrategyIds, checkSymbols } from '../arguments.js';
import { toPriceTick, toSignal } from '../event-fields.js';

const MAX_SNAPSHOT_SYMBOLS = 500;
const MAX_SIGNALS = 500;

async function knownSymbols({ feedSymbols, bus }: Services): Promise<string[]> {
  const published = await bus.keys('price');
  return [...new Set([...feedSymbols, ...published.sort()])];
}

export const Query: QueryResolvers = {
  symbols: (_parent, _args, { services }) => knownSymbols(services),

  async prices(_parent, args, { services }) {
    const symbols = args.symbols
      ? checkSymbols('symbols', args.symbols, MAX_SNAPSHOT_SYMBOLS)
      : await knownSymbols(services);
    const latest = await Promise.all(symbols.map((symbol) => services.bus.latest('price', symbol, 1)));
    return latest.flatMap((envelopes) => envelopes.map(toPriceTick));
  },

  async signals(_parent, args, { services }) {
    const last = checkRange('last', args.last ?? 50, 1, MAX_SIGNALS);
    const strategyIds = args.strategyId ? checkStrategyIds('strategyId', [args.strategyId]) : STRATEGIES.map((s) => s.id);
    const symbol = args.symbol ? checkSymbols('symbol', [args.symbol], 1)[0] : undefined;
    // With a symbol filter, look further back so `last` matching signals can still be found.
    const depth = symbol ? MAX_SIGNALS * 4 : last;
    const perStrategy = await Promise.all(strategyIds.map((id) => services.bus.latest('signal', id, depth)));
    return perStrategy
      .flat()
      .filter((envelope) => symbol === undefined || envelope.payload.symbol === symbol)
      .sort((a, b) => b.position.offset - a.position.offset)
      .slice(0, last)
      .map(toSignal);
  },

  strategies: () => [...STRATEGIES],

  async backtest(_parent, { id }, { viewer, services }) {
    const record = await services.backtestStore.get(id);
    return record && canSeeBacktest(viewer, record) ? record : null;
  },

  backtests: (_parent, _args, { viewer, services }) => services.backtestStore.listByOwner(viewer.id),
};
