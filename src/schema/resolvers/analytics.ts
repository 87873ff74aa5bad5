import type { CandleBar, CandleInterval } from '../../analytics/candle-series.js';
import type { StrategyState } from '../../analytics/stats-book.js';
import { UpdateStream } from '../../analytics/update-stream.js';
import { canSeeStrategy } from '../../auth/authorization.js';
import type { CandleSnapshot, QueryResolvers, StrategyStats, SubscriptionCandlesArgs, SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { encodeCursor } from '../../bus/cursor.js';
import { RateCap } from '../../bus/rate-cap.js';
import { capIntervalOf } from '../subscription-plan.js';
import { checkRange } from '../arguments.js';
import { analyticsOf, checkSymbol, decodeAfter, rebuilding, statsStrategies } from '../analytics-arguments.js';
import { toCandle, toStrategyStats } from '../analytics-fields.js';
import type { GraphQLContext } from '../context.js';
import { typedStreamError, withTypedErrors } from '../stream-errors.js';

/**
 * The analytics fields (`candleHistory`, `candles`, `strategyStats`): they read this instance's
 * derived state (`src/analytics/`), not a bus topic, so their subscriptions take the per-subscriber
 * path on every transport (the shared fan-out serves bus topics only).
 */

type CandleEvent = { bar: CandleBar };

/** Most bars `candleHistory` may ask for; it answers at most the `CANDLE_HISTORY_BARS` an instance keeps. */
const MAX_CANDLE_HISTORY = 10_000;

async function candleHistory(symbolArgument: string, interval: CandleInterval, last: number, { services }: GraphQLContext): Promise<CandleSnapshot> {
  const analytics = analyticsOf(services);
  const symbol = checkSymbol(symbolArgument);
  checkRange('last', last, 1, MAX_CANDLE_HISTORY);
  const noTicksAt = await analytics.ensureSymbol(symbol);
  if (noTicksAt) return { symbol, interval, candles: [], cursor: encodeCursor(noTicksAt) };
  const history = analytics.candles.history(symbol, interval, Math.min(last, analytics.candleHistoryBars));
  if (!history) throw rebuilding(symbol, analytics.retryAfterMs);
  return { symbol, interval, candles: history.bars.map((bar) => toCandle(symbol, interval, bar)), cursor: encodeCursor(history.position) };
}

/**
 * Bars of one symbol after `after` (or from now), then live. The open bar's states conflate for a slow
 * reader (the newest wins); each closed bar has a key of its own, so it is never dropped: too many
 * waiting end the stream with SLOW_CONSUMER. The queue also holds the bars a resume starts with.
 */
async function subscribeCandles(args: SubscriptionCandlesArgs, { services }: GraphQLContext) {
  const { interval } = args;
  const analytics = analyticsOf(services);
  const symbol = checkSymbol(args.symbol);
  const after = decodeAfter(args.after);
  const capIntervalMs = capIntervalOf(args.maxRate);
  const noTicksAt = await analytics.ensureSymbol(symbol);
  const now = noTicksAt ?? analytics.candles.history(symbol, interval, 1)?.position;
  if (!now) throw rebuilding(symbol, analytics.retryAfterMs);
  let stop = () => {};
  const stream = new UpdateStream<CandleEvent>(
    services.subscriptionQueueLimit + analytics.candleHistoryBars,
    { kind: 'conflate', keyOf: ({ bar }) => (bar.closed ? `closed ${bar.openTime}` : 'open') },
    () => {
      cap?.close();
      stop();
    },
  );
  // `maxRate` caps the open bar's updates only: a closed bar goes out at once. The tick that closes a
  // bar also opens the next, whose state then replaces the old bar's waiting behind the cap.
  const cap = capIntervalMs ? new RateCap<CandleBar>(capIntervalMs, () => 'open', (bar) => stream.push({ bar })) : null;
  const deliver = (bar: CandleBar) => (cap && !bar.closed ? cap.offer(bar) : stream.push({ bar }));
  try {
    const start = analytics.candles.watch(symbol, { interval, deliver, fail: (error) => stream.fail(error) }, after ?? now);
    stop = start.stop;
    for (const bar of start.bars) stream.push({ bar });
  } catch (error) {
    throw typedStreamError(error);
  }
  return withTypedErrors(stream);
}

/**
 * Figures of the entitled strategies asked for: each one's current state, then its updates. States
 * conflate per strategy (a reader behind gets the newest). Each update is checked against the
 * connection's current token, as `signal` events are: a strategy no longer entitled stops updating.
 */
async function subscribeStats(strategyIds: readonly string[] | null | undefined, { auth, services }: GraphQLContext) {
  const analytics = analyticsOf(services);
  const ids = statsStrategies(auth.viewer, strategyIds);
  await analytics.ensureStrategies(ids);
  const push = (state: StrategyState) => {
    if (canSeeStrategy(auth.viewer, state.strategyId)) stream.push(state);
  };
  const stream: UpdateStream<StrategyState> = new UpdateStream(services.subscriptionQueueLimit, { kind: 'conflate', keyOf: (state) => state.strategyId }, () => unwatch());
  const unwatch = analytics.stats.watch({ strategyIds: new Set(ids), deliver: push });
  for (const id of ids) {
    const state = analytics.stats.state(id);
    if (state) push(state);
  }
  return withTypedErrors(stream);
}

async function statsQuery(strategyIds: readonly string[] | null | undefined, { auth, services }: GraphQLContext): Promise<StrategyStats[]> {
  const analytics = analyticsOf(services);
  const ids = statsStrategies(auth.viewer, strategyIds);
  await analytics.ensureStrategies(ids);
  return ids.map((id) => {
    const state = analytics.stats.state(id);
    if (!state) throw rebuilding(id, analytics.retryAfterMs);
    return toStrategyStats(state);
  });
}

export const analyticsQuery: Pick<QueryResolvers, 'candleHistory' | 'strategyStats'> = {
  candleHistory: (_parent, args, context) => candleHistory(args.symbol, args.interval, args.last ?? 100, context),
  strategyStats: (_parent, args, context) => statsQuery(args.strategyIds, context),
};

export const analyticsSubscription: Pick<SubscriptionResolvers, 'candles' | 'strategyStats'> = {
  candles: {
    subscribe: (_parent, args, context) => subscribeCandles(args, context),
    resolve: (event: CandleEvent, args: SubscriptionCandlesArgs) => toCandle(args.symbol, args.interval, event.bar),
  },
  strategyStats: {
    subscribe: (_parent, args, context) => subscribeStats(args.strategyIds, context),
    resolve: (state: StrategyState) => toStrategyStats(state),
  },
};
