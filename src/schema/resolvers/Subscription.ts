import { canSeeBacktest, visibleBacktest } from '../../auth/authorization.js';
import { forbidden } from '../../auth/errors.js';
import { decodeCursor } from '../../bus/cursor.js';
import type { Envelope, StreamPosition } from '../../bus/event-bus.js';
import { listen } from '../../bus/listen.js';
import { TERMINAL_BACKTEST_STATUSES } from '../../domain/events.js';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import type { GraphQLContext } from '../context.js';
import { toBacktestProgress, toPriceTick, toSignal } from '../event-fields.js';
import { withTypedErrors } from '../stream-errors.js';
import { planSubscription, type PlanArguments, type PlannedField } from '../subscription-plan.js';

const isTerminal = (envelope: Envelope<'backtestProgress'>) => TERMINAL_BACKTEST_STATUSES.has(envelope.payload.status);

/** The `after` argument as a position; the Cursor scalar has already refused malformed ones. */
function resumePoint(after: string | null | undefined): StreamPosition | null {
  return after ? decodeCursor(after) : null;
}

/**
 * A live `price` or `signal` subscription on its own stream: the plan's keys, filter, visibility
 * (against the session's current viewer, which a renewed token replaces) and overflow policy.
 */
async function planned<F extends PlannedField>(field: F, args: PlanArguments, { session, services }: GraphQLContext) {
  const plan = planSubscription(field, args, session.viewer, services.symbolsPerSubscription);
  const { accept, visible } = plan;
  const stream = await listen(services.bus, plan.field, plan.keys, {
    after: plan.after,
    accept:
      accept || visible
        ? (envelope) => (accept === null || accept(envelope)) && (visible === null || visible(session.viewer, envelope))
        : undefined,
    capacity: services.subscriptionQueueLimit,
    overflow: plan.overflow,
    meter: services.deliveryMeters[field],
  });
  return withTypedErrors(stream);
}

export const Subscription: SubscriptionResolvers = {
  price: {
    subscribe: (_parent, args, context) => planned('price', args, context),
    resolve: toPriceTick,
  },

  signal: {
    subscribe: (_parent, args, context) => planned('signal', args, context),
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
