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
