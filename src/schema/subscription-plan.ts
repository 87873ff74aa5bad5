import { canSeeBacktest, canSeeStrategy, entitledStrategies, visibleBacktest } from '../auth/authorization.js';
import { badCursor, badUserInput, forbidden } from '../auth/errors.js';
import type { Viewer } from '../auth/viewer.js';
import type { CatchUp } from '../bus/catch-up.js';
import { decodeCursor } from '../bus/cursor.js';
import type { Envelope, EventBus, StreamPosition, Topic } from '../bus/event-bus.js';
import type { OverflowPolicy } from '../bus/resume.js';
import type { BacktestStore } from '../domain/backtest.js';
import { TERMINAL_BACKTEST_STATUSES } from '../domain/events.js';
import { checkRate, checkStrategyIds, checkSymbols } from './arguments.js';
import { MALFORMED_CURSOR } from './scalars.js';

/** The subscription fields, each served from the bus topic of the same name. */
export const SUBSCRIPTION_FIELDS = ['price', 'signal', 'backtestProgress'] as const satisfies readonly Topic[];
export type SubscriptionField = (typeof SUBSCRIPTION_FIELDS)[number];

/**
 * What a subscription is, whichever path serves it (the shared fan-out on WebSocket and SSE, or a
 * stream of its own): the bus keys it listens to, the authorization scope that two subscribers must
 * share to share a group, the filter of its arguments, the check of the viewer's current token per
 * event, what to do with a reader that falls behind, its rate cap, where it starts and how a resume
 * catches up, and the event it ends with. The one place these rules live.
 */
export interface SubscriptionPlan<F extends SubscriptionField = SubscriptionField> {
  field: F;
  keys: string[];
  /** The part of the viewer's authorization the plan depends on (for signals, the entitled strategies). */
  scope: readonly string[];
  /** The subscription's own filter (its arguments); null: every event of `keys`. */
  accept: ((envelope: Envelope<F>) => boolean) | null;
  /**
   * Whether the viewer may see an event: checked per event against the current token (it may be
   * renewed). It throws the typed error that ends the subscription when nothing more may be seen.
   */
  visible: ((viewer: Viewer, envelope: Envelope<F>) => boolean) | null;
  overflow: OverflowPolicy<Envelope<F>>;
  /**
   * At most one event per key every this many milliseconds, the newest kept and always sent at the
   * end of its window (`price(maxRate:)`, applied with `bus/rate-cap.ts`); null: every event.
   */
  capIntervalMs: number | null;
  /** How a resume is caught up before it goes live: every missed event, or the newest per key past a bound (`bus/catch-up.ts`). */
  catchUp: CatchUp;
  /** Where it starts: what was published after this position comes first; null: live only. */
  after: StreamPosition | null;
  /** The subscription completes after the event for which this is true (a finished backtest); null: never. */
  isLast: ((envelope: Envelope<F>) => boolean) | null;
}

export interface PlanArguments {
  symbols?: readonly string[] | null;
  strategyIds?: readonly string[] | null;
  id?: string | null;
  after?: string | null;
  maxRate?: number | null;
}

/** `maxRate` bounds, in updates per second per key: one a hundred seconds to one every 10 ms. */
export const MAX_RATE_RANGE = { min: 0.01, max: 100 } as const;

/**
 * A subscription's rate cap from its `maxRate` argument: the window in milliseconds, or null when
 * absent (every event). BAD_USER_INPUT outside `MAX_RATE_RANGE`. Any field with a `maxRate` takes it
 * from here.
 */
export function capIntervalOf(maxRate: number | null | undefined): number | null {
  if (maxRate === null || maxRate === undefined) return null;
  return 1000 / checkRate('maxRate', maxRate, MAX_RATE_RANGE.min, MAX_RATE_RANGE.max);
}

/** What planning reads: the bus (a backtest's current state), the backtest store (its owner), the symbol limit, the replay bound. */
export interface PlanContext {
  bus: EventBus;
  backtestStore: BacktestStore;
  /** Symbols one subscription may name (`MAX_SYMBOLS_PER_SUBSCRIPTION`). */
  symbolsPerSubscription: number;
  /** Ticks a price resume replays one by one before it gets the newest per symbol instead (`PRICE_REPLAY_MAX`). */
  priceReplayMax: number;
}

/**
 * The plan of a subscription to `field` with these (coerced) arguments, for this viewer. Rejects
 * with the typed error a client gets for bad arguments (`BAD_USER_INPUT`, `NOT_FOUND`, ...).
 */
export async function planSubscription<F extends SubscriptionField>(field: F, args: PlanArguments, viewer: Viewer, context: PlanContext): Promise<SubscriptionPlan<F>> {
  const after = args.after ? decodeCursor(args.after) : null;
  // The scalar checks a cursor in the document; one from elsewhere (SSE's Last-Event-ID) is checked
  // here, and refused as a bad `after` variable is: 400, so that an EventSource stops retrying it.
  if (args.after && !after) throw badCursor(MALFORMED_CURSOR, 400);
  const plan =
    field === 'price'
      ? pricePlan(args, context, after)
      : field === 'signal'
        ? signalPlan(args, viewer, context.symbolsPerSubscription, after)
        : await backtestPlan(args.id ?? '', viewer, context, after);
  // `field` picked the plan, so its type is the plan's.
  return plan as unknown as SubscriptionPlan<F>;
}

/**
 * Prices: a screen needs the latest tick per symbol, so a slow reader is conflated, a capped one gets
 * at most `maxRate` per symbol (ending on the latest), and a resume past `PRICE_REPLAY_MAX` missed
 * ticks, or any capped resume, gets the newest tick per symbol instead of every missed one.
 */
function pricePlan(args: PlanArguments, context: PlanContext, after: StreamPosition | null): SubscriptionPlan<'price'> {
  const keys = checkSymbols('symbols', args.symbols ?? [], context.symbolsPerSubscription);
  if (keys.length === 0) throw badUserInput('symbols must name at least one symbol');
  const capIntervalMs = capIntervalOf(args.maxRate);
  return {
    field: 'price',
    keys,
    scope: [],
    accept: null,
    visible: null,
    // A price screen needs the latest tick, not every tick: a slow reader gets the newest per symbol.
    overflow: { kind: 'conflate', keyOf: (envelope) => envelope.key },
    capIntervalMs,
    // A capped reader asked for the latest price at a rate, not for a burst of old ones.
    catchUp: { kind: 'latest', replayMax: capIntervalMs === null ? context.priceReplayMax : 0 },
    after,
    isLast: null,
  };
}

/**
 * Signals: the viewer's entitled strategies are the keys and the scope, so two viewers with different
 * entitlements never share a group; each event is also checked against the current token.
 */
function signalPlan(args: PlanArguments, viewer: Viewer, maxSymbols: number, after: StreamPosition | null): SubscriptionPlan<'signal'> {
  const requested = args.strategyIds ? checkStrategyIds('strategyIds', args.strategyIds) : null;
  const keys = entitledStrategies(viewer, requested).sort();
  const only = args.symbols ? new Set(checkSymbols('symbols', args.symbols, maxSymbols)) : null;
  return {
    field: 'signal',
    keys,
    scope: keys,
    accept: only ? (envelope) => only.has(envelope.payload.symbol) : null,
    visible: (current, envelope) => canSeeStrategy(current, envelope.payload.strategyId),
    // Never conflated, capped or skipped: a reader too far behind ends with SLOW_CONSUMER and resumes by cursor.
    overflow: { kind: 'disconnect' },
    capIntervalMs: null,
    catchUp: { kind: 'replay' },
    after,
    isLast: null,
  };
}

/**
 * A backtest's progress, for its owner (or an admin): it starts with the current state (the latest
 * progress event) unless it resumes, never conflates, and completes with the run's terminal status.
 */
async function backtestPlan(id: string, viewer: Viewer, context: PlanContext, after: StreamPosition | null): Promise<SubscriptionPlan<'backtestProgress'>> {
  const record = visibleBacktest(viewer, await context.backtestStore.get(id), id);
  return {
    field: 'backtestProgress',
    keys: [id],
    scope: [],
    accept: null,
    visible: (current) => {
      if (!canSeeBacktest(current, record)) throw forbidden('your renewed token may not see this backtest');
      return true;
    },
    overflow: { kind: 'disconnect' },
    capIntervalMs: null,
    catchUp: { kind: 'replay' },
    after: after ?? (await beforeLatest(context.bus, id)),
    isLast: (envelope) => TERMINAL_BACKTEST_STATUSES.has(envelope.payload.status),
  };
}

/** The position just before a backtest's latest progress event (or its topic's position when it has none yet). */
async function beforeLatest(bus: EventBus, id: string): Promise<StreamPosition> {
  const { position, latest } = await bus.snapshot('backtestProgress', [id], 1);
  const current = latest[0]?.[0];
  return current ? { epoch: current.position.epoch, offset: current.position.offset - 1 } : position;
}
