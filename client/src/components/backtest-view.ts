import type { BacktestCardFragment, BacktestProgressUpdatesSubscription, BacktestStatus } from '../gql/graphql.js';

export type BacktestProgressEvent = BacktestProgressUpdatesSubscription['backtestProgress'];

const TERMINAL: ReadonlySet<BacktestStatus> = new Set<BacktestStatus>(['COMPLETED', 'FAILED', 'CANCELLED']);

/** COMPLETED, FAILED and CANCELLED: nothing follows. */
export const isTerminal = (status: BacktestStatus): boolean => TERMINAL.has(status);
/** QUEUED and RUNNING can be cancelled. */
export const isCancellable = (status: BacktestStatus): boolean => !TERMINAL.has(status);

/** What a backtest card shows. */
export interface BacktestView {
  status: BacktestStatus;
  /** From 0 to 1. */
  progress: number;
  processedBars: number;
  totalBars: number;
  message: string | null;
  result: BacktestCardFragment['result'];
}

function fromBacktest(backtest: BacktestCardFragment): BacktestView {
  return {
    status: backtest.status,
    progress: backtest.progress,
    processedBars: Math.round(backtest.progress * backtest.totalBars),
    totalBars: backtest.totalBars,
    message: backtest.message ?? null,
    result: backtest.result ?? null,
  };
}

function fromEvent(event: BacktestProgressEvent): BacktestView {
  return {
    status: event.status,
    progress: event.progress,
    processedBars: event.processedBars,
    totalBars: event.totalBars,
    message: event.message ?? null,
    result: event.result ?? null,
  };
}

/**
 * Combines what we know about one backtest: the listed state, the latest progress event and the answer
 * to our own cancel. A terminal state wins (the progress event first: it is the server's last word);
 * otherwise the most advanced of the listed state and the latest event.
 */
export function backtestView(
  backtest: BacktestCardFragment,
  latest?: BacktestProgressEvent,
  cancelled?: BacktestCardFragment,
): BacktestView {
  const candidates = [latest && fromEvent(latest), cancelled && fromBacktest(cancelled), fromBacktest(backtest)].filter(
    (view): view is BacktestView => view !== undefined,
  );
  const terminal = candidates.find((view) => isTerminal(view.status));
  if (terminal) return terminal;
  const listed = fromBacktest(backtest);
  const live = latest && fromEvent(latest);
  return live && live.progress >= listed.progress ? live : listed;
}
