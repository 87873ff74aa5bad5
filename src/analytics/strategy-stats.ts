import type { Side } from '../domain/events.js';

/**
 * How following a strategy's signals would have done: a pure function of its signals (in publish
 * order) and the latest price per symbol, so every instance that holds the same window and prices
 * gives the same figures. One unit per position: BUY opens or flips long, SELL opens or flips short;
 * a signal on the side already held changes nothing; a flip closes a round trip at the signal price.
 */

export interface StatsSignal {
  symbol: string;
  side: Side;
  price: number;
  timestamp: string;
}

export interface OpenPosition {
  symbol: string;
  side: Side;
  /** 1 long, -1 short. */
  quantity: 1 | -1;
  entryPrice: number;
}

/** What the signals alone settle; marking to prices is `markToPrices`. */
export interface SignalLedger {
  signals: number;
  buys: number;
  sells: number;
  /** Timestamp of the oldest signal; null without signals. */
  since: string | null;
  /** By symbol, in symbol order. */
  positions: OpenPosition[];
  realisedPnl: number;
  roundTrips: number;
  winningRoundTrips: number;
}

export interface MarkedPosition extends OpenPosition {
  markPrice: number | null;
  unrealisedPnl: number;
}

export interface StrategyFigures extends Omit<SignalLedger, 'positions'> {
  positions: MarkedPosition[];
  unrealisedPnl: number;
  totalPnl: number;
  /** Winning round trips over round trips; null before the first closes. */
  hitRate: number | null;
}

/** Replays the signals from flat: one pass, O(signals). */
export function ledgerOf(signals: readonly StatsSignal[]): SignalLedger {
  const open = new Map<string, OpenPosition>();
  let buys = 0;
  let realisedPnl = 0;
  let roundTrips = 0;
  let winningRoundTrips = 0;
  for (const signal of signals) {
    if (signal.side === 'BUY') buys += 1;
    const held = open.get(signal.symbol);
    if (held?.side === signal.side) continue;
    if (held) {
      const profit = (signal.price - held.entryPrice) * held.quantity;
      realisedPnl += profit;
      roundTrips += 1;
      if (profit > 0) winningRoundTrips += 1;
    }
    open.set(signal.symbol, { symbol: signal.symbol, side: signal.side, quantity: signal.side === 'BUY' ? 1 : -1, entryPrice: signal.price });
  }
  return {
    signals: signals.length,
    buys,
    sells: signals.length - buys,
    since: signals[0]?.timestamp ?? null,
    positions: [...open.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)),
    realisedPnl,
    roundTrips,
    winningRoundTrips,
  };
}

/** The ledger marked to the latest prices (a position without a known price is marked at its entry). */
export function markToPrices(ledger: SignalLedger, latestPrice: (symbol: string) => number | undefined): StrategyFigures {
  let unrealisedPnl = 0;
  const positions = ledger.positions.map((position) => {
    const markPrice = latestPrice(position.symbol) ?? null;
    const pnl = markPrice === null ? 0 : (markPrice - position.entryPrice) * position.quantity;
    unrealisedPnl += pnl;
    return { ...position, markPrice, unrealisedPnl: pnl };
  });
  return {
    ...ledger,
    positions,
    unrealisedPnl,
    totalPnl: ledger.realisedPnl + unrealisedPnl,
    hitRate: ledger.roundTrips === 0 ? null : ledger.winningRoundTrips / ledger.roundTrips,
  };
}
