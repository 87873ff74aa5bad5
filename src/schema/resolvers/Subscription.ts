import { listen } from '../../bus/listen.js';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import type { GraphQLContext } from '../context.js';
import { toBacktestProgress, toPriceTick, toSignal } from '../event-fields.js';
import { withTypedErrors } from '../stream-errors.js';
import { planSubscription, type PlanArguments, type SubscriptionField } from '../subscription-plan.js';
import { analyticsSubscription } from './analytics.js';

/**
 * A subscription on a stream of its own (the transports serve most on the shared fan-out, see
 * `transport/fanout/`; this is the path of the rest, e.g. multipart HTTP): the plan's keys, filter,
 * visibility (against the current viewer, which a renewed token replaces), overflow policy, start
 * and last event.
 */
async function planned<F extends SubscriptionField>(field: F, args: PlanArguments, { auth, services }: GraphQLContext) {
  const plan = await planSubscription(field, args, auth.viewer, services);
  const { accept, visible, isLast } = plan;
  const stream = await listen(services.bus, field, plan.keys, {
    after: plan.after,
    accept:
      accept || visible
        ? (envelope) => (accept === null || accept(envelope)) && (visible === null || visible(auth.viewer, envelope))
        : undefined,
    isLast: isLast ?? undefined,
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
    subscribe: (_parent, args, context) => planned('backtestProgress', args, context),
    resolve: toBacktestProgress,
  },

  ...analyticsSubscription,
};
