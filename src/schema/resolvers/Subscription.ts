import { encodeCursor } from '../../bus/cursor.js';
import type { Envelope } from '../../bus/event-bus.js';
import { listen } from '../../bus/listen.js';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import type { GraphQLContext, SseResume } from '../context.js';
import { toBacktestProgress, toPriceTick, toSignal } from '../event-fields.js';
import { withTypedErrors } from '../stream-errors.js';
import { planSubscription, type PlanArguments, type SubscriptionField } from '../subscription-plan.js';
import { analyticsSubscription } from './analytics.js';

/**
 * A subscription on a stream of its own (the transports serve most on the shared fan-out, see
 * `transport/fanout/`; this is the path of the rest, e.g. multipart HTTP): the plan's keys, filter,
 * visibility (against the current viewer, which a renewed token replaces), overflow policy, rate cap,
 * start and catch-up, and last event. Over SSE, `Last-Event-ID` is where it starts, as on the shared path.
 */
async function planned<F extends SubscriptionField>(field: F, args: PlanArguments, { auth, services, sse }: GraphQLContext) {
  const plan = await planSubscription(field, { ...args, after: sse?.lastEventId ?? args.after }, auth.viewer, services);
  const { accept, visible, isLast } = plan;
  const stream = await listen(services.bus, field, plan.keys, {
    after: plan.after,
    catchUp: plan.catchUp,
    capIntervalMs: plan.capIntervalMs,
    accept:
      accept || visible
        ? (envelope) => (accept === null || accept(envelope)) && (visible === null || visible(auth.viewer, envelope))
        : undefined,
    isLast: isLast ?? undefined,
    capacity: services.subscriptionQueueLimit,
    overflow: plan.overflow,
    meter: services.deliveryMeters[field],
  });
  return withTypedErrors(sse ? withEventIds(stream, sse) : stream);
}

/** Notes each event's cursor as it is handed over, for the `id:` line of the SSE event its result becomes. */
function withEventIds<E extends Envelope>(stream: AsyncIterableIterator<E>, sse: SseResume): AsyncIterableIterator<E> {
  return {
    next: async () => {
      const result = await stream.next();
      if (!result.done) sse.cursor = encodeCursor(result.value.position);
      return result;
    },
    return: (value?: unknown) => stream.return?.(value) ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error?: unknown) => stream.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
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
