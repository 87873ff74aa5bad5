/**
 * The events that flow publisher → bus → resolver → transport. Timestamps are ISO-8601 strings so
 * an event is the same value in memory, in Redis and on the wire. The cursor is not part of an event:
 * the bus assigns a position when it publishes (see `bus/event-bus.ts`).
 */

export type Side = 'BUY' | 'SELL';

export type BacktestStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export const TERMINAL_BACKTEST_STATUSES: ReadonlySet<BacktestStatus> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
]);

export interface PriceEvent {
  /** The publisher's id of the tick, only when it gave one (its idempotency key). */
  id?: string;
  symbol: string;
  price: number;
  bid: number;
  ask: number;
  volume: number;
  timestamp: string;
}

export interface SignalEvent {
  id: string;
  strategyId: string;
  symbol: string;
  side: Side;
  price: number;
  /** 0..1 */
  confidence: number;
  reason: string | null;
  timestamp: string;
}

export interface BacktestProgressEvent {
  backtestId: string;
  status: BacktestStatus;
  /** 0..1 */
  progress: number;
  processedBars: number;
  totalBars: number;
  equity: number | null;
  message: string | null;
  /** Set on the COMPLETED event only. */
  result: BacktestOutcome | null;
  timestamp: string;
}

export interface BacktestResult {
  totalReturn: number;
  maxDrawdown: number;
  trades: number;
  winRate: number;
  sharpe: number | null;
}

/** A result with the equity curve for charts (about 200 points from 1.0). */
export type BacktestOutcome = BacktestResult & { equityCurve: number[] };
