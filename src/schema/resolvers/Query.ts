import { canSeeBacktest, entitledStrategies } from '../../auth/authorization.js';
import type { Viewer } from '../../auth/viewer.js';
import { STRATEGIES } from '../../domain/strategies.js';
import { encodeCursor } from '../../bus/cursor.js';
import type { PriceSnapshot, QueryResolvers, SignalSnapshot } from '../__generated__/resolvers-types.js';
import type { Services } from '../context.js';
import { checkRange, checkStrategyIds, checkSymbols } from '../arguments.js';
import { toPriceTick, toSignal } from '../event-fields.js';
import { analyticsQuery } from './analytics.js';

const MAX_SNAPSHOT_SYMBOLS = 500;
const MAX_SIGNALS = 500;

async function knownSymbols({ feed, bus }: Services): Promise<string[]> {
  const published = await bus.keys('price');
  return [...new Set([...feed.symbols, ...published.sort()])];
}

async function priceSnapshot(services: Services, requested: readonly string[] | null | undefined): Promise<PriceSnapshot> {
  const symbols = requested ? checkSymbols('symbols', requested, MAX_SNAPSHOT_SYMBOLS) : await knownSymbols(services);
  const { position, latest } = await services.bus.snapshot('price', symbols, 1);
  return { ticks: latest.flat().map(toPriceTick), cursor: encodeCursor(position) };
}

interface SignalFilter {
  strategyId?: string | null;
  symbol?: string | null;
  last?: number | null;
}

async function signalSnapshot(services: Services, viewer: Viewer, filter: SignalFilter): Promise<SignalSnapshot> {
  const last = checkRange('last', filter.last ?? 50, 1, MAX_SIGNALS);
  const strategyIds = entitledStrategies(viewer, filter.strategyId ? checkStrategyIds('strategyId', [filter.strategyId]) : null);
  const symbol = filter.symbol ? checkSymbols('symbol', [filter.symbol], 1)[0] : undefined;
  // With a symbol filter, look further back so `last` matching signals can still be found.
  const depth = symbol ? MAX_SIGNALS * 4 : last;
  const { position, latest } = await services.bus.snapshot('signal', strategyIds, depth);
  const signals = latest
    .flat()
    .filter((envelope) => symbol === undefined || envelope.payload.symbol === symbol)
    .sort((a, b) => b.position.offset - a.position.offset)
    .slice(0, last)
    .map(toSignal);
  return { signals, cursor: encodeCursor(position) };
}

export const Query: QueryResolvers = {
  symbols: (_parent, _args, { services }) => knownSymbols(services),

  prices: async (_parent, args, { services }) => (await priceSnapshot(services, args.symbols)).ticks,

  priceSnapshot: (_parent, args, { services }) => priceSnapshot(services, args.symbols),

  signals: async (_parent, args, { auth, services }) => (await signalSnapshot(services, auth.viewer, args)).signals,

  signalSnapshot: (_parent, args, { auth, services }) => signalSnapshot(services, auth.viewer, args),

  strategies: () => [...STRATEGIES],

  async backtest(_parent, { id }, { auth, services }) {
    const record = await services.backtestStore.get(id);
    return record && canSeeBacktest(auth.viewer, record) ? record : null;
  },

  backtests: (_parent, _args, { auth, services }) => services.backtestStore.listByOwner(auth.viewer.id),

  ...analyticsQuery,
};
