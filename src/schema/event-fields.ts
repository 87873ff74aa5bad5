import { encodeCursor } from '../bus/cursor.js';
import type { Envelope } from '../bus/event-bus.js';
import type { BacktestProgress, PriceTick, Signal } from './__generated__/resolvers-types.js';

/** Bus envelopes as schema objects: the payload plus the cursor of its position. */

export function toPriceTick({ payload, position }: Envelope<'price'>): PriceTick {
  return { ...payload, cursor: encodeCursor(position) };
}

export function toSignal({ payload, position }: Envelope<'signal'>): Signal {
  return { ...payload, cursor: encodeCursor(position) };
}

export function toBacktestProgress({ payload, position }: Envelope<'backtestProgress'>): BacktestProgress {
  return { ...payload, cursor: encodeCursor(position) };
}

/**
 * The value of each subscription field for an event: what its resolver returns (`Subscription.ts`),
 * and what the shared fan-out's fast path (`transport/fanout/event-executor.ts`) uses only while the
 * schema's resolver is this very function.
 */
export const EVENT_FIELDS = {
  price: toPriceTick,
  signal: toSignal,
  backtestProgress: toBacktestProgress,
} as const;
