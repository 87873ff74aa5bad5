import { canSeeStrategy, entitledStrategies } from '../auth/authorization.js';
import { badUserInput } from '../auth/errors.js';
import type { Viewer } from '../auth/viewer.js';
import { decodeCursor } from '../bus/cursor.js';
import type { Envelope, StreamPosition } from '../bus/event-bus.js';
import type { OverflowPolicy } from '../bus/resume.js';
import { checkStrategyIds, checkSymbols } from './arguments.js';

/** The live fields with a plan: what every path (per-subscriber stream, shared fan-out) serves alike. */
export type PlannedField = 'price' | 'signal';

/**
 * What a `price` or `signal` subscription is, whichever path serves it: the bus keys it listens to,
 * the authorization scope that two subscribers must share to share a group, the filter of its
 * arguments, the check of the viewer's current token per event, what to do with a reader that falls
 * behind, and where it resumes. The one place these rules live.
 */
export interface SubscriptionPlan<F extends PlannedField = PlannedField> {
  field: F;
  keys: string[];
  /** The part of the viewer's authorization the plan depends on (for signals, the entitled strategies). */
  scope: readonly string[];
  /** The subscription's own filter (its arguments); null: every event of `keys`. */
  accept: ((envelope: Envelope<F>) => boolean) | null;
  /** Whether the viewer may see an event: checked per event against the current token (it may be renewed). */
  visible: ((viewer: Viewer, envelope: Envelope<F>) => boolean) | null;
  overflow: OverflowPolicy<Envelope<F>>;
  /** Resume: what was published after this position comes first. */
  after: StreamPosition | null;
}

export interface PlanArguments {
  symbols?: readonly string[] | null;
  strategyIds?: readonly string[] | null;
  after?: string | null;
}

/**
 * The plan of a `price` or `signal` subscription with these (coerced) arguments, for this viewer.
 * Throws the typed error a client gets for bad arguments (`BAD_USER_INPUT`, `FORBIDDEN`).
 */
export function planSubscription<F extends PlannedField>(field: F, args: PlanArguments, viewer: Viewer, maxSymbols: number): SubscriptionPlan<F> {
  const after = args.after ? decodeCursor(args.after) : null;
  const plan = field === 'price' ? pricePlan(args, maxSymbols, after) : signalPlan(args, viewer, maxSymbols, after);
  // `field` picked the plan, so its type is the plan's.
  return plan as unknown as SubscriptionPlan<F>;
}

function pricePlan(args: PlanArguments, maxSymbols: number, after: StreamPosition | null): SubscriptionPlan<'price'> {
  const keys = checkSymbols('symbols', args.symbols ?? [], maxSymbols);
  if (keys.length === 0) throw badUserInput('symbols must name at least one symbol');
  return {
    field: 'price',
    keys,
    scope: [],
    accept: null,
    visible: null,
    // A price screen needs the latest tick, not every tick: a slow reader gets the newest per symbol.
    overflow: { kind: 'conflate', keyOf: (envelope) => envelope.key },
    after,
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
    // Never conflated: a reader too far behind ends with SLOW_CONSUMER and resumes by cursor.
    overflow: { kind: 'disconnect' },
    after,
  };
}
