import { canSeeBacktest, canSeeStrategy, entitledStrategies, visibleBacktest } from '../../auth/authorization.js';
import { badUserInput, forbidden } from '../../auth/errors.js';
import { decodeCursor } from '../../bus/cursor.js';
import type { Envelope, StreamPosition } from '../../bus/event-bus.js';
import { listen } from '../../bus/listen.js';
import { TERMINAL_BACKTEST_STATUSES } from '../../domain/events.js';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { checkStrategyIds, checkSymbols } from '../arguments.js';
import { toBacktestProgress, toPriceTick, toSignal } from '../event-fields.js';
import { withTypedErrors } from '../stream-errors.js';

const isTerminal = (envelope: Envelope<'backtestProgress'>) => TERMINAL_BACKTEST_STATUSES.has(envelope.payload.status);

/** The `after` argument as a position; the Cursor scalar has already refused malformed ones. */
function resumePoint(after: string | null | undefined): StreamPosition | null {
  return after ? decodeCursor(after) : null;
}

export const Subscription: SubscriptionResolvers = {
  price: {
    async subscribe(_parent, args, { services }) {
      const symbols = checkSymbols('symbols', args.symbols, services.symbolsPerSubscription);
      if (symbols.length === 0) throw badUserInput('symbols must name at least one symbol');
      const stream = await listen(services.bus, 'price', symbols, {
        after: resumePoint(args.after),
        capacity: services.subscriptionQueueLimit,
        // A price screen needs the latest tick, not every tick: a slow reader gets the newest per symbol.
        overflow: { kind: 'conflate', keyOf: (envelope) => envelope.key },
        meter: services.deliveryMeters.price,
      });
      return withTypedErrors(stream);
    },
    resolve: toPriceTick,
  },

  signal: {
    async subscribe(_parent, args, { session, services }) {
      const requested = args.strategyIds ? checkStrategyIds('strategyIds', args.strategyIds) : null;
      const strategyIds = entitledStrategies(session.viewer, requested);
      const symbols = args.symbols ? new Set(checkSymbols('symbols', args.symbols, services.symbolsPerSubscription)) : null;
      const stream = await listen(services.bus, 'signal', strategyIds, {
        after: resumePoint(args.after),
        // Checked per event (replayed or live) against the current token, so a renewal applies at once.
        accept: ({ payload }) =>
          canSeeStrategy(session.viewer, payload.strategyId) && (symbols === null || symbols.has(payload.symbol)),
        capacity: services.subscriptionQueueLimit,
        overflow: { kind: 'disconnect' },
        meter: services.deliveryMeters.signal,
      });
      return withTypedErrors(stream);
    },
    resolve: toSignal,
  },

  backtestProgress: {
    async subscribe(_parent, { id, after }, { session, services }) {
      const record = visibleBacktest(session.viewer, await services.backtestStore.get(id), id);
      let from = resumePoint(after);
      if (!from) {
        // Start with the current state: resume just before the latest progress event.
        const { position, latest } = await services.bus.snapshot('backtestProgress', [id], 1);
        const current = latest[0]?.[0];
        from = current ? { epoch: current.position.epoch, offset: current.position.offset - 1 } : position;
      }
      const stream = await listen(services.bus, 'backtestProgress', [id], {
        after: from,
        accept: () => {
          if (!canSeeBacktest(session.viewer, record)) throw forbidden('your renewed token may not see this backtest');
          return true;
        },
        isLast: isTerminal,
        capacity: services.subscriptionQueueLimit,
        overflow: { kind: 'disconnect' },
        meter: services.deliveryMeters.backtestProgress,
      });
      return withTypedErrors(stream);
    },
    resolve: toBacktestProgress,
  },
};
