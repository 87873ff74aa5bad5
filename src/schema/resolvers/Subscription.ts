import { visibleBacktest } from '../../auth/authorization.js';
import type { Envelope } from '../../bus/event-bus.js';
import { listen } from '../../bus/listen.js';
import { TERMINAL_BACKTEST_STATUSES } from '../../domain/events.js';
import { STRATEGIES } from '../../domain/strategies.js';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { badUserInput } from '../../auth/errors.js';
import { checkStrategyIds, checkSymbols } from '../arguments.js';
import { toBacktestProgress, toPriceTick, toSignal } from '../event-fields.js';

const MAX_SYMBOLS_PER_SUBSCRIPTION = 50;

const isTerminal = (envelope: Envelope<'backtestProgress'>) => TERMINAL_BACKTEST_STATUSES.has(envelope.payload.status);

export const Subscription: SubscriptionResolvers = {
  price: {
    subscribe(_parent, args, { services }) {
      const symbols = checkSymbols('symbols', args.symbols, MAX_SYMBOLS_PER_SUBSCRIPTION);
      if (symbols.length === 0) throw badUserInput('symbols must name at least one symbol');
      return listen(services.bus, 'price', symbols);
    },
    resolve: toPriceTick,
  },

  signal: {
    subscribe(_parent, args, { services }) {
      const strategyIds = args.strategyIds
        ? checkStrategyIds('strategyIds', args.strategyIds)
        : STRATEGIES.map((strategy) => strategy.id);
      const symbols = args.symbols ? new Set(checkSymbols('symbols', args.symbols, MAX_SYMBOLS_PER_SUBSCRIPTION)) : null;
      return listen(services.bus, 'signal', strategyIds, {
        accept: symbols ? (envelope) => symbols.has(envelope.payload.symbol) : undefined,
      });
    },
    resolve: toSignal,
  },

  backtestProgress: {
    async subscribe(_parent, { id }, { viewer, services }) {
      visibleBacktest(viewer, await services.backtestStore.get(id), id);
      const stream = await listen(services.bus, 'backtestProgress', [id], { isLast: isTerminal });
      // A run that ended before this subscription started still reports how it ended, then completes.
      const [latest] = await services.bus.latest('backtestProgress', id, 1);
      if (latest && isTerminal(latest)) {
        stream.push(latest);
        stream.end();
      }
      return stream;
    },
    resolve: toBacktestProgress,
  },
};
