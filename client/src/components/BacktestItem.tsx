import { useCallback, useId, useState } from 'react';
import { useMutation, useSubscription } from 'urql';
import { graphql } from '../gql/index.js';
import type { BacktestCardFragment, BacktestProgressUpdatesSubscription } from '../gql/graphql.js';
import { backtestView, isCancellable, isTerminal, type BacktestProgressEvent } from './backtest-view.js';
import { EquityChart } from './EquityChart.js';
import { errorMessage, isCursorExpired } from './errors.js';
import { formatDateTime, formatInteger, formatPercent, formatRatio, formatSignedPercent, formatWholePercent } from './format.js';
import { useRestartOnCursorExpired } from './use-restart-on-expiry.js';

export const BacktestResultFields = graphql(`
  fragment BacktestResultFields on BacktestResult {
    totalReturn
    maxDrawdown
    trades
    winRate
    sharpe
    equityCurve
  }
`);

/** What the list, `startBacktest` and `cancelBacktest` all return for a card. */
export const BacktestCard = graphql(`
  fragment BacktestCard on Backtest {
    id
    strategyId
    symbol
    status
    progress
    totalBars
    message
    createdAt
    cursor
    result {
      ...BacktestResultFields
    }
  }
`);

const BacktestProgressUpdates = graphql(`
  subscription BacktestProgressUpdates($id: ID!, $after: Cursor) {
    backtestProgress(id: $id, after: $after) {
      backtestId
      status
      progress
      processedBars
      totalBars
      equity
      message
      timestamp
      cursor
      result {
        ...BacktestResultFields
      }
    }
  }
`);

const CancelBacktest = graphql(`
  mutation CancelBacktest($id: ID!) {
    cancelBacktest(id: $id) {
      ...BacktestCard
    }
  }
`);

const keepLatest = (_previous: BacktestProgressEvent | undefined, data: BacktestProgressUpdatesSubscription) =>
  data.backtestProgress;

export interface BacktestItemProps {
  backtest: BacktestCardFragment;
  strategyName: string;
}

/**
 * One backtest: status, a live progress bar (following `backtestProgress` after the listed cursor until
 * a terminal status), Cancel while QUEUED/RUNNING, and the result with its equity curve once COMPLETED.
 */
export function BacktestItem({ backtest, strategyName }: BacktestItemProps) {
  const headingId = useId();
  const progressTextId = useId();
  // After CURSOR_EXPIRED, subscribe without `after`: the server then starts with the current state.
  const [fromCurrentState, setFromCurrentState] = useState(false);
  const [live] = useSubscription(
    {
      query: BacktestProgressUpdates,
      variables: { id: backtest.id, after: fromCurrentState ? null : backtest.cursor },
      pause: isTerminal(backtest.status),
    },
    keepLatest,
  );
  useRestartOnCursorExpired(
    live.error,
    useCallback(() => setFromCurrentState(true), []),
  );

  const [cancelState, cancel] = useMutation(CancelBacktest);
  const view = backtestView(backtest, live.data, cancelState.data?.cancelBacktest);
  const { status, progress, processedBars, totalBars, message, result } = view;

  return (
    <li className="backtest" data-testid={`backtest-${backtest.id}`} aria-labelledby={headingId}>
      <div className="backtest-head">
        <h4 id={headingId}>
          {strategyName} · {backtest.symbol}
        </h4>
        <span className={`status-badge status-${status.toLowerCase()}`}>{status}</span>
      </div>
      <p className="muted backtest-meta">
        {formatInteger(totalBars)} bars · started <time dateTime={backtest.createdAt}>{formatDateTime(backtest.createdAt)}</time>
      </p>
      <div className="progress-line">
        <progress value={progress} max={1} aria-labelledby={headingId} aria-describedby={progressTextId} />
        <span id={progressTextId} className="progress-text">
          {formatWholePercent(progress)} · {formatInteger(processedBars)} / {formatInteger(totalBars)}
        </span>
        {isCancellable(status) && (
          <button
            type="button"
            className="secondary"
            disabled={cancelState.fetching}
            aria-describedby={headingId}
            onClick={() => void cancel({ id: backtest.id })}
          >
            Cancel
          </button>
        )}
      </div>
      {cancelState.error && <p role="alert">Could not cancel: {errorMessage(cancelState.error)}</p>}
      {live.error && !isTerminal(status) && !isCursorExpired(live.error) && (
        <p role="alert">Progress updates stopped: {errorMessage(live.error)}</p>
      )}
      {message && status !== 'COMPLETED' && <p className="backtest-message">{message}</p>}
      {status === 'COMPLETED' && result && (
        <div className="backtest-result">
          <dl className="stats">
            <div>
              <dt>Total return</dt>
              <dd className={result.totalReturn >= 0 ? 'up' : 'down'}>{formatSignedPercent(result.totalReturn)}</dd>
            </div>
            <div>
              <dt>Max drawdown</dt>
              <dd>{formatSignedPercent(-result.maxDrawdown)}</dd>
            </div>
            <div>
              <dt>Trades</dt>
              <dd>{formatInteger(result.trades)}</dd>
            </div>
            <div>
              <dt>Win rate</dt>
              <dd>{formatPercent(result.winRate)}</dd>
            </div>
            <div>
              <dt>Sharpe</dt>
              <dd>{result.sharpe == null ? '—' : formatRatio(result.sharpe)}</dd>
            </div>
          </dl>
          <EquityChart values={result.equityCurve} />
        </div>
      )}
    </li>
  );
}
