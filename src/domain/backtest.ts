import type { StreamPosition } from '../bus/event-bus.js';
import type { BacktestOutcome, BacktestStatus } from './events.js';

/** A backtest as stored: what `backtest`/`backtests` return and what the runner updates. */
export interface BacktestRecord {
  id: string;
  /** `sub` of the token that started it: only this user and admins may see it. */
  ownerId: string;
  strategyId: string;
  symbol: string;
  status: BacktestStatus;
  progress: number;
  processedBars: number;
  totalBars: number;
  equity: number | null;
  result: BacktestOutcome | null;
  message: string | null;
  createdAt: string;
  /** Position of the progress event this state was published as (null until first published). */
  position: StreamPosition | null;
}

/** Where backtests are kept so that every instance can answer for them. */
export interface BacktestStore {
  save(record: BacktestRecord): Promise<void>;
  get(id: string): Promise<BacktestRecord | null>;
  /** Newest first. */
  listByOwner(ownerId: string): Promise<BacktestRecord[]>;
  close(): Promise<void>;
}
